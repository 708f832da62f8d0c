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
from crmd_twisted.console import react_main
from crmd_twisted.wire.enums import Side, SymbolEnum, TransactionType


async def run(reactor: Any, args: argparse.Namespace) -> None:
    client = CRMDClient((args.host, args.port), args.account, args.user, args.api_key,
                        reactor=reactor)
    client.startService()
    try:
        await client.when_ready()
        print(f"logged on to the OES as account {args.account} user {args.user}")
        reply = await client.new_order(SymbolEnum.BTCUSD, Side.BUY, args.qty, price=args.price)
        kind = TransactionType(reply.message_type).name
        print(f"new order {reply.order_id}: {kind}")
    finally:
        await client.stopService()
        print("logged out")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4444)
    parser.add_argument("--account", type=int, default=1001)
    parser.add_argument("--user", default="alice")
    parser.add_argument("--api-key", default="alice-key")
    parser.add_argument("--price", type=float, default=25000.0)
    parser.add_argument("--qty", type=float, default=0.5)
    args = parser.parse_args(argv)
    return react_main(
        lambda reactor: defer.Deferred.fromCoroutine(run(reactor, args)).addTimeout(20, reactor),
        "full_flow_client",
    )


if __name__ == "__main__":
    raise SystemExit(main())
