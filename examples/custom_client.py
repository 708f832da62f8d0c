"""Subclassing the protocol: a client that reacts to messages by overriding handlers.

``msg_<message name>`` handlers see whole messages, ``tx_<TRANSACTION TYPE>``
handlers see transactions by their type.  This one logs on through the AES,
asks for the instruments, places a bid below the market on the first
instrument, and prints every answer::

    python examples/custom_client.py --port 4444
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

from crmd_twisted.client import CRMDClientProtocol
from crmd_twisted.console import CommandLineParser, port_number, react_main
from crmd_twisted.wire import InstrumentResponse, Transaction
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    ResponseType,
    Side,
    SymbolType,
    TimeInForce,
    TransactionType,
)


class BidBelowTheMarket(CRMDClientProtocol):
    """Bids on the first instrument it hears of, then reports the acknowledgement."""

    def __init__(self) -> None:
        super().__init__()
        self.done: defer.Deferred[Transaction] = defer.Deferred()
        self.instruments: list[InstrumentResponse] = []

    def msg_instrument_response(self, message: InstrumentResponse) -> None:
        print(f"instrument {message.symbol_enum} {message.symbol} "
              f"tick {message.price_increment:g}")
        self.instruments.append(message)
        if message.response_type in (ResponseType.SNAPSHOT, ResponseType.SNAPSHOT_FINISH):
            first = self.instruments[0]
            self.sendTransaction(Transaction(
                message_type=TransactionType.ORDER_NEW, order_id=7001,
                symbol_enum=first.symbol_enum, symbol=first.symbol,
                symbol_type=SymbolType.SPOT, order_type=OrderType.LMT, side=Side.BUY,
                price=1000.0, order_qty=0.01, time_in_force=TimeInForce.GTC,
                attributes=NO_ATTRIBUTES,
            ))

    def tx_ORDER_ACK(self, message: Transaction) -> None:
        print(f"ORDER_ACK for order {message.order_id} at {message.price:g}")
        self.done.callback(message)

    def tx_REJECT(self, message: Transaction) -> None:
        print(f"REJECT {message.reject_reason} for order {message.order_id}")
        self.done.callback(message)


async def run(reactor: Any, host: str, port: int) -> Transaction:
    aes = await connectProtocol(TCP4ClientEndpoint(reactor, host, port), CRMDClientProtocol())
    grant = await aes.logOn(1001, "custom", api_key="custom-key")
    aes.logOut()
    oes_host, _, oes_port = grant.primary_oes_address.partition(":")
    client = await connectProtocol(TCP4ClientEndpoint(reactor, oes_host, int(oes_port)),
                                   BidBelowTheMarket())
    await client.logOn(1001, "custom", api_key="custom-key", session_key=grant.session_key,
                       trading_session_id=grant.trading_session_id)
    client.requestInstruments()
    answer = await client.done
    await client.logOut()
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = CommandLineParser(prog="custom_client", description="CRMD custom protocol client")
    parser.add_argument("--host", default="127.0.0.1", help="AES host")
    parser.add_argument("--port", type=port_number, default=4444, help="AES port")
    args = parser.parse_args(argv)
    return react_main(lambda reactor: run(reactor, args.host, args.port), "custom_client")


if __name__ == "__main__":
    raise SystemExit(main())
