"""Log on, send one limit order, print its reply, log out.

    python examples/full_flow_client.py --port 4444 --account 1001 --user alice --api-key k

Uses the session client (:class:`crmd_twisted.client.CRMDClient`), which does
the AES logon, the redirect and the OES logon by itself.
"""

from __future__ import annotations

import argparse
from typing import Any

from twisted.internet import defer

from crmd_twisted.client import CRMDClient
from crmd_twisted.console import (
    BadArgument,
    CommandLineParser,
    account_number,
    port_number,
    react_main,
    user_name,
)
from crmd_twisted.wire.enums import Side, SymbolEnum, TransactionType


async def run(reactor: Any, args: argparse.Namespace) -> None:
    try:
        # max_attempts: a server that is not there ends the run with ConnectionFailed
        # ("cannot connect to HOST:PORT after 3 attempt(s): ... refused") instead of
        # retrying until the time-out
        client = CRMDClient((args.host, args.port), args.account, args.user, args.api_key,
                            reactor=reactor, max_attempts=args.attempts)
    except ValueError as e:  # the client refuses an unusable argument
        raise BadArgument(str(e)) from None
    client.startService()
    logged_on = False
    try:
        await client.when_ready()
        logged_on = True
        print(f"logged on to the OES as account {args.account} user {args.user}")
        reply = await client.new_order(SymbolEnum.BTCUSD, Side.BUY, args.qty, price=args.price)
        kind = TransactionType(reply.message_type).name
        print(f"new order {reply.order_id}: {kind}")
    finally:
        await client.stopService()
        if logged_on:
            print("logged out")


def main(argv: list[str] | None = None) -> int:
    parser = CommandLineParser(prog="full_flow_client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="AES host")
    parser.add_argument("--port", type=port_number, default=4444, help="AES port")
    parser.add_argument("--account", type=account_number, default=1001, help="account")
    parser.add_argument("--user", type=user_name, default="alice", help="user name")
    parser.add_argument("--api-key", default="alice-key", help="API trading key")
    parser.add_argument("--price", type=float, default=25000.0, help="limit price")
    parser.add_argument("--qty", type=float, default=0.5, help="quantity")
    parser.add_argument("--attempts", type=int, default=3,
                        help="connection attempts before giving up")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds the whole run may take")
    args = parser.parse_args(argv)
    return react_main(
        lambda reactor: defer.Deferred.fromCoroutine(run(reactor, args)).addTimeout(
            args.timeout, reactor),
        "full_flow_client",
    )


if __name__ == "__main__":
    raise SystemExit(main())
