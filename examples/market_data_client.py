"""Print one instrument's book and trades as orders arrive.

    twistd -n --pidfile= crmd-exchange &
    python examples/market_data_client.py --port 4444 --account 1001 --user alice \\
        --api-key alice-key --symbol BTCUSD --depth 5 --trades 3

Uses the session client (:class:`crmd_twisted.client.CRMDClient`): it logs on
through the AES, whose grant names the market-data server, and
``client.subscribe`` fires with the first snapshot.  The overridden hooks
``bookUpdated`` and ``tradeReported`` print every change; the run ends after
``--trades`` trades (0: run until Ctrl-C or ``--timeout``).
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
from crmd_twisted.marketdata import LocalBook
from crmd_twisted.wire.enums import Side


def depth_value(text: str) -> int:
    """--depth: 1..30 levels per side (a bad value ends in one line before connecting)."""
    try:
        depth = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of levels, got {text!r}") from None
    if not 1 <= depth <= 30:
        raise argparse.ArgumentTypeError(f"expected 1..30 levels, got {depth}")
    return depth


def levels(side: list[tuple[float, float, int]]) -> str:
    return "  ".join(f"{size:g}@{price:g}" for price, size, _orders in side) or "-"


class PrintingClient(CRMDClient):
    """Prints the book on every change and each trade; counts the trades."""

    def __init__(self, *a: Any, trades_wanted: int = 0, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.trades_seen = 0
        self.trades_wanted = trades_wanted
        self.enough: defer.Deferred[None] = defer.Deferred()

    def bookUpdated(self, book: LocalBook) -> None:
        print(f"book {book.symbol}: bids {levels(book.bids)} | asks {levels(book.asks)}",
              flush=True)

    def tradeReported(self, book: LocalBook, price: float, volume: float, side: int) -> None:
        aggressor = "BUY" if side == Side.BUY else "SELL"
        print(f"trade {book.symbol}: {volume:g} @ {price:g} ({aggressor} aggressor)", flush=True)
        self.trades_seen += 1
        if self.trades_wanted and self.trades_seen >= self.trades_wanted:
            if not self.enough.called:
                self.enough.callback(None)


async def run(reactor: Any, args: argparse.Namespace) -> None:
    try:
        client = PrintingClient((args.host, args.port), args.account, args.user, args.api_key,
                                reactor=reactor, max_attempts=args.attempts,
                                trades_wanted=args.trades)
    except ValueError as e:  # the client refuses an unusable argument
        raise BadArgument(str(e)) from None
    client.startService()
    try:
        await client.when_ready()
        try:
            subscribed = client.subscribe(args.symbol, depth=args.depth)
        except ValueError as e:  # depth or symbol unusable
            raise BadArgument(str(e)) from None
        book = await subscribed
        print(f"subscribed to {book.symbol} at depth {args.depth}", flush=True)
        await client.enough
        print(f"{client.trades_seen} trades, {client.market_data_gaps} sequence gaps", flush=True)
    finally:
        await client.stopService()


def main(argv: list[str] | None = None) -> int:
    parser = CommandLineParser(prog="market_data_client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="AES host")
    parser.add_argument("--port", type=port_number, default=4444, help="AES port")
    parser.add_argument("--account", type=account_number, default=1001, help="account")
    parser.add_argument("--user", type=user_name, default="alice", help="user name")
    parser.add_argument("--api-key", default="alice-key", help="API trading key")
    parser.add_argument("--symbol", default="BTCUSD", help="instrument name or number")
    parser.add_argument("--depth", type=depth_value, default=5, help="levels per side (1..30)")
    parser.add_argument("--trades", type=int, default=0,
                        help="stop after this many trades (0: run until Ctrl-C)")
    parser.add_argument("--attempts", type=int, default=3,
                        help="connection attempts before giving up")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds the whole run may take")
    args = parser.parse_args(argv)
    if args.symbol.isdigit():
        args.symbol = int(args.symbol)
    return react_main(
        lambda reactor: defer.Deferred.fromCoroutine(run(reactor, args)).addTimeout(
            args.timeout, reactor),
        "market_data_client",
    )


if __name__ == "__main__":
    raise SystemExit(main())
