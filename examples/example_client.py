"""The reference's main example, on crmd-twisted.

Logs on to the AES, follows its redirect to the OES, logs on there with the AES
key, then every second sends one transaction, cycling NEW -> CANCEL_REPLACE ->
ORDER_CANCEL through the order types, and prints what it sends and what comes
back.  Run it against the simulators::

    twistd -n --pidfile=aes.pid crmd-aes &  twistd -n --pidfile=oes.pid crmd-oes &
    python examples/example_client.py --account 1001 --user alice --api-key k --count 9

Without any of --host, --port, --api-key, --user and --account it asks for
them (Enter keeps the default shown); with any of them given it asks nothing
and uses the defaults (``--help``) for the others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from twisted.internet import task
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

from crmd_twisted.client import CRMDClientProtocol
from crmd_twisted.client.errors import reject_name
from crmd_twisted.console import (
    CommandLineParser,
    account_number,
    port_number,
    react_main,
    user_name,
)
from crmd_twisted.wire import ClientLogon, Transaction
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    Side,
    SymbolEnum,
    SymbolType,
    TimeInForce,
    TransactionType,
    coerce,
)

#: The cycle of order types the reference example goes through (it skips 10).
ORDER_TYPES = [t for t in OrderType if t != OrderType.OCO_ICE]
PRICE = 30000.0


def order_fields(order_type: OrderType) -> dict[str, Any]:
    """Plausible fields for a BTCUSD order of *order_type*."""
    fields: dict[str, Any] = {"price": PRICE - 500.0, "order_qty": 0.01,
                              "time_in_force": TimeInForce.GTC}
    if order_type == OrderType.MKT:
        fields["price"] = 0.0
    elif order_type in (OrderType.STOP_MKT, OrderType.TSM):
        fields["price"] = PRICE + 1000.0
    elif order_type in (OrderType.STOP_LMT, OrderType.TSL):
        fields.update(price=PRICE + 1000.0, stop_limit_price=PRICE + 1010.0)
    elif order_type == OrderType.OCO:
        fields.update(stop_limit_price=PRICE + 1000.0)
    elif order_type == OrderType.ICE:
        fields.update(layers=2, size_increment=0.005, price_increment=2.0, price_offset=2.0)
    elif order_type in (OrderType.SNIPER_MKT, OrderType.SNIPER_LMT):
        fields["price"] = PRICE + 1500.0
    return fields


class ExampleClient(CRMDClientProtocol):
    """Prints the name of every transaction it receives."""

    def transactionReceived(self, message: Transaction) -> None:
        kind = coerce(TransactionType, message.message_type)
        name = getattr(kind, "name", str(kind))
        if message.reject_reason:
            name += " " + reject_name(message.reject_reason)
        print(f"<- {name} order_id={message.order_id}", flush=True)

    def serverLoggedOut(self, reason: int, message: ClientLogon) -> None:
        print(f"<- server logout {reject_name(reason)}", flush=True)


#: The settings the example asks for when none is given: option, prompt, type, default.
SETTINGS: list[tuple[str, str, Callable[[str], Any], str]] = [
    ("host", "AES host", str, "127.0.0.1"),
    ("port", "AES port", port_number, "4444"),
    ("api_key", "API trading key", str, "1"),
    ("user", "user name", user_name, "user1"),
    ("account", "account", account_number, "1001"),
]


def ask(prompt: str, default: str) -> str:
    print(f"{prompt} [{default}]: ", end="", flush=True)
    line = sys.stdin.readline()
    return line.strip() or default


async def run(reactor: Any, args: argparse.Namespace) -> None:
    aes = await connectProtocol(TCP4ClientEndpoint(reactor, args.host, args.port),
                                CRMDClientProtocol())
    reply = await aes.logOn(args.account, args.user, api_key=args.api_key)
    print(f"AES logon ok: OES {reply.primary_oes_address}, "
          f"trading session {reply.trading_session_id}", flush=True)
    aes.logOut()
    host, _, port = reply.primary_oes_address.partition(":")
    oes = await connectProtocol(TCP4ClientEndpoint(reactor, host, int(port)), ExampleClient())
    oes_reply = await oes.logOn(args.account, args.user, api_key=args.api_key,
                                session_key=reply.session_key,
                                trading_session_id=reply.trading_session_id)
    print(f"OES logon ok: session key {oes_reply.session_key}", flush=True)

    order_id = 1_000 * (reactor.seconds() // 1 % 1_000_000)
    live_id = 0
    sent = 0
    steps = [TransactionType.ORDER_NEW, TransactionType.CANCEL_REPLACE,
             TransactionType.ORDER_CANCEL]
    while args.count == 0 or sent < args.count:
        order_type = ORDER_TYPES[(sent // 3) % len(ORDER_TYPES)]
        step = steps[sent % 3]
        order_id += 1
        tx = Transaction(message_type=step, order_id=int(order_id),
                         symbol_enum=SymbolEnum.BTCUSD, symbol="BTCUSD",
                         symbol_type=SymbolType.SPOT, order_type=order_type, side=Side.BUY,
                         attributes=NO_ATTRIBUTES, trader_id=args.user,
                         **order_fields(order_type))
        if step == TransactionType.ORDER_NEW:
            live_id = int(order_id)
        else:
            tx.orig_order_id = live_id
            tx.orig_price = tx.price
            if step == TransactionType.CANCEL_REPLACE:
                tx.order_qty = 0.02
                live_id = int(order_id)
        print(f"-> {step.name} {order_type.name} order_id={tx.order_id}", flush=True)
        oes.sendTransaction(tx)
        sent += 1
        await task.deferLater(reactor, args.interval, lambda: None)
    await oes.logOut()
    print("logged out", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = CommandLineParser(prog="example_client", description="CRMD example client")
    for option, prompt, kind, default in SETTINGS:
        parser.add_argument(f"--{option.replace('_', '-')}", type=kind, help=f"{prompt} "
                            f"(default when any setting is given: {default}; else asked)")
    parser.add_argument("--count", type=int, default=0, help="transactions to send (0: forever)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between them")
    args = parser.parse_args(argv)
    interactive = all(getattr(args, option) is None for option, *_ in SETTINGS)
    for option, prompt, kind, default in SETTINGS:
        if getattr(args, option) is None:
            text = ask(prompt, default) if interactive else default
            try:
                setattr(args, option, kind(text))
            except (ValueError, argparse.ArgumentTypeError) as e:
                print(f"example_client: error: {prompt}: {e}", file=sys.stderr)
                return 1
    return react_main(lambda reactor: run(reactor, args), "example_client")


if __name__ == "__main__":
    raise SystemExit(main())
