"""The reference's second example: a menu of message types, one frame at a time.

Each choice sends one message and prints its hex; every reply that arrives is
printed decoded, with its hex::

    H  log on (AES, then the OES it redirects to)
    Y  instrument request        w  risk update request
    E  open order request        f  collateral request
    T  new limit order (BTCUSD)  0  receive mode: just print what arrives for a second
    q  log out and quit

    python examples/menu_client.py --port 4444        (choices are read from stdin)
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet import task
from twisted.internet.defer import DeferredQueue
from twisted.internet.stdio import StandardIO
from twisted.protocols.basic import LineReceiver
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

from crmd_twisted.client import CRMDClientProtocol
from crmd_twisted.console import (
    CommandLineParser,
    account_number,
    port_number,
    react_main,
    user_name,
)
from crmd_twisted.wire import Message, Transaction
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    Side,
    SymbolEnum,
    SymbolType,
    TimeInForce,
    TransactionType,
)

MENU = "choose: H logon, Y instruments, w risk, E open orders, f collateral, T order, " \
       "0 receive, q quit"


def show(direction: str, message: Message) -> None:
    print(f"{direction} {message.NAME} ({message.TYPE_CHAR!r}) {message.encode().hex().upper()}")
    for name, value in message.to_fields().items():
        if value not in (0, 0.0, "") or name in ("type_char", "length"):
            shown = int(value) if isinstance(value, int) else value  # IntEnum -> plain number
            print(f"     {name:<24} {shown!r}")
    sys.stdout.flush()


class StdinLines(LineReceiver):
    """Feeds the lines typed on stdin into a queue; None marks the end of input."""

    delimiter = b"\n"

    def __init__(self, queue: DeferredQueue[str | None]) -> None:
        self.queue = queue

    def lineReceived(self, line: bytes) -> None:
        self.queue.put(line.decode("utf-8", "replace").strip())

    def connectionLost(self, reason: object = None) -> None:
        self.queue.put(None)


class MenuProtocol(CRMDClientProtocol):
    """Prints everything it sends and receives."""

    def sendMessage(self, message: Message) -> None:
        super().sendMessage(message)
        show("->", message)

    def messageReceived(self, message: Message) -> None:
        show("<-", message)
        super().messageReceived(message)

    def transactionReceived(self, message: Transaction) -> None:
        pass  # already printed


async def run(reactor: Any, args: argparse.Namespace) -> None:
    oes: MenuProtocol | None = None
    next_order_id = 5001
    lines: DeferredQueue[str | None] = DeferredQueue()
    stdin = StandardIO(StdinLines(lines), reactor=reactor)
    print(MENU, flush=True)
    while True:
        choice = await lines.get()
        if choice is None:
            break
        if not choice:
            continue
        if choice == "q":
            break
        if choice == "0":
            await task.deferLater(reactor, 1.0, lambda: None)
            continue
        if choice == "H":
            aes = await connectProtocol(TCP4ClientEndpoint(reactor, args.host, args.port),
                                        MenuProtocol())
            grant = await aes.logOn(args.account, args.user, api_key=args.api_key)
            aes.logOut()
            host, _, port = grant.primary_oes_address.partition(":")
            oes = await connectProtocol(TCP4ClientEndpoint(reactor, host, int(port)),
                                        MenuProtocol())
            await oes.logOn(args.account, args.user, api_key=args.api_key,
                            session_key=grant.session_key,
                            trading_session_id=grant.trading_session_id)
            print("logged on", flush=True)
            continue
        if oes is None or oes.credentials is None:
            print("log on first (H)", flush=True)
            continue
        if choice == "Y":
            oes.requestInstruments()
        elif choice == "w":
            oes.requestRisk()
        elif choice == "E":
            oes.requestOpenOrders()
        elif choice == "f":
            oes.requestCollateral()
        elif choice == "T":
            oes.sendTransaction(Transaction(
                message_type=TransactionType.ORDER_NEW, order_id=next_order_id,
                symbol_enum=SymbolEnum.BTCUSD, symbol="BTCUSD", symbol_type=SymbolType.SPOT,
                order_type=OrderType.LMT, side=Side.BUY, price=20000.0, order_qty=0.01,
                time_in_force=TimeInForce.GTC, attributes=NO_ATTRIBUTES,
            ))
            next_order_id += 1
        else:
            print(f"unknown choice {choice!r}; {MENU}", flush=True)
            continue
        await task.deferLater(reactor, 0.3, lambda: None)  # let the replies print
    if oes is not None:
        await oes.logOut()
    stdin.loseConnection()
    print("bye", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = CommandLineParser(prog="menu_client", description="CRMD menu client")
    parser.add_argument("--host", default="127.0.0.1", help="AES host")
    parser.add_argument("--port", type=port_number, default=4444, help="AES port")
    parser.add_argument("--account", type=account_number, default=1001, help="account")
    parser.add_argument("--user", type=user_name, default="menu", help="user name")
    parser.add_argument("--api-key", default="menu-key", help="API trading key")
    args = parser.parse_args(argv)
    return react_main(lambda reactor: run(reactor, args), "menu_client")


if __name__ == "__main__":
    raise SystemExit(main())
