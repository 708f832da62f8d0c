"""``crmd-book``: one instrument's ladder, live, from any CRMD market-data server.

Either log on to the AES (``--aes HOST:PORT --account N --user U [--api-key K]``)
and use the MDS address and key of its reply, or go straight to an MDS
(``--mds HOST:PORT --account N --key K1 [--session ID]``).  The ladder (bids
and offers with sizes and order counts, spread, last trades) is redrawn in
place with plain ANSI escapes; ``q`` or Ctrl-C exits.  ``--once`` prints the
first ladder and exits (for scripts).  Problems end in one line on stderr and
exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from twisted.internet import defer
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

from crmd_twisted.client.errors import CRMDClientError
from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.client.session import parse_address
from crmd_twisted.console import EXPECTED_FAILURES, react_main
from crmd_twisted.engine import DEFAULT_INSTRUMENTS
from crmd_twisted.marketdata.book import BookEvent, BookUpdated, LocalBook, TradeReported
from crmd_twisted.marketdata.feed import CRMDMarketDataProtocol
from crmd_twisted.marketdata.ladder import render_ladder
from crmd_twisted.wire.enums import RejectCode, coerce

__all__ = ["BookError", "main", "run"]

PROG = "crmd-book"
_CLEAR = "\x1b[H\x1b[J"
#: Shortest time between two redraws (seconds): a busy book does not flood the terminal.
REDRAW_INTERVAL = 0.1


class BookError(CRMDClientError):
    """A problem reported as one line."""


def _address(text: str, option: str) -> tuple[str, int]:
    parsed = parse_address(text)
    if parsed is None:
        raise BookError(f"{option}: bad address {text!r}, expected HOST:PORT")
    return parsed


def _symbol(text: str) -> tuple[int, str]:
    by_name = {i.symbol.upper(): i for i in DEFAULT_INSTRUMENTS}
    if text.isdigit():
        number = int(text)
        known = [i.symbol for i in DEFAULT_INSTRUMENTS if i.symbol_enum == number]
        return number, known[0] if known else ""
    inst = by_name.get(text.upper())
    return (inst.symbol_enum, inst.symbol) if inst else (0, text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Show one instrument's ladder live.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--aes", metavar="HOST:PORT", help="log on to this AES first")
    where.add_argument("--mds", metavar="HOST:PORT", help="subscribe at this MDS directly")
    p.add_argument("--account", type=int, required=True)
    p.add_argument("--user", default="", help="user name (AES logon)")
    p.add_argument("--api-key", default=None, help="API key the 2FA code derives from (AES)")
    p.add_argument("--key", type=int, default=0, help="AES key K1 (with --mds)")
    p.add_argument("--session", type=int, default=0, help="trading session id (with --mds)")
    p.add_argument("--symbol", default="BTCUSD", help="instrument name or number")
    p.add_argument("--depth", type=int, default=5,
                   help="levels per side (1..30; up to 5 the frames carry order counts and "
                        "24 h stats, the 10/20/30-level frames do not)")
    p.add_argument("--once", action="store_true", help="print the first ladder and exit")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for data")
    return p


async def _aes_grant(reactor: Any, args: argparse.Namespace) -> tuple[tuple[str, int], int, int]:
    """Log on to the AES; the MDS address, key and session id of its reply."""
    host, port = _address(args.aes, "--aes")
    if not args.user:
        raise BookError("--aes needs --user")
    proto = CRMDClientProtocol()
    proto.logonTimeout = args.timeout
    await connectProtocol(TCP4ClientEndpoint(reactor, host, port, timeout=args.timeout), proto)
    try:
        reply = await proto.logOn(args.account, args.user, api_key=args.api_key)
    finally:
        if proto.connected:
            await proto.logOut()
    mds = reply.primary_mds
    if mds is None:
        raise BookError("the AES reply names no market-data server (use --mds HOST:PORT)")
    return mds, reply.session_key, reply.trading_session_id


class _Screen:
    """Redraws the ladder at most every REDRAW_INTERVAL seconds."""

    def __init__(self, reactor: Any, write: Callable[[str], None], clear: bool, depth: int):
        self.reactor = reactor
        self.write = write
        self.clear = clear
        self.depth = depth
        self.pending: Any = None

    def changed(self, book: LocalBook) -> None:
        if self.pending is None:
            self.pending = self.reactor.callLater(REDRAW_INTERVAL, self.draw, book)

    def draw(self, book: LocalBook) -> None:
        self.pending = None
        text = render_ladder(book, self.depth) + "q: quit\n"
        self.write((_CLEAR + text) if self.clear else text + "\n")

    def stop(self) -> None:
        if self.pending is not None and self.pending.active():
            self.pending.cancel()
        self.pending = None


class _Keys(Protocol):
    """Stdin: 'q' (or end of input) ends the display."""

    def __init__(self, done: defer.Deferred[None]) -> None:
        self.done = done

    def dataReceived(self, data: bytes) -> None:
        if b"q" in data.lower() and not self.done.called:
            self.done.callback(None)

    def connectionLost(self, reason: object = None) -> None:
        if not self.done.called:
            self.done.callback(None)


def _raw_terminal() -> Callable[[], None]:
    """Put a terminal stdin in cbreak mode (keys without Enter); returns the undo."""
    if not sys.stdin.isatty():
        return lambda: None
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    return lambda: termios.tcsetattr(fd, termios.TCSADRAIN, saved)


async def _first_book(
    reactor: Any, feed: CRMDMarketDataProtocol, args: argparse.Namespace, wanted: tuple[int, str]
) -> LocalBook:
    """Subscribe; the book once its first frame arrived (one-line errors otherwise)."""
    symbol_enum, symbol = wanted
    first: defer.Deferred[LocalBook] = defer.Deferred()

    def observe(event: BookEvent) -> None:
        if isinstance(event, (BookUpdated, TradeReported)) and not first.called:
            book = event.book
            if book.symbol_enum == symbol_enum or (not symbol_enum and book.symbol == symbol):
                first.callback(book)

    def closed(_: object) -> None:
        if first.called:
            return
        reason = feed.logoutReason
        if reason is not None:
            name = getattr(coerce(RejectCode, reason), "name", reason)
            first.errback(BookError(f"the MDS refused the subscription: {name}"))
        else:
            first.errback(BookError("the MDS closed the connection"))

    def expired() -> None:
        if not first.called:
            first.errback(BookError(f"no market data for {args.symbol} within {args.timeout:g}s"))

    feed.observers.append(observe)
    feed.whenClosed().addCallback(closed)
    feed.subscribe([(symbol_enum, symbol, args.depth)])
    timer = reactor.callLater(args.timeout, expired)
    try:
        return await first
    finally:
        feed.observers.remove(observe)
        if timer.active():
            timer.cancel()


async def run(reactor: Any, args: argparse.Namespace, out: TextIO) -> None:
    """Connect, subscribe and show the ladder until 'q', Ctrl-C or --once."""
    wanted = _symbol(args.symbol)
    if not 1 <= args.depth <= 30:
        raise BookError(f"--depth must be 1..30, got {args.depth}")
    if args.aes:
        (host, port), key, session = await _aes_grant(reactor, args)
    else:
        (host, port), key, session = _address(args.mds, "--mds"), args.key, args.session
    feed = CRMDMarketDataProtocol()
    feed.logFrames = False
    await connectProtocol(TCP4ClientEndpoint(reactor, host, port, timeout=args.timeout), feed)
    feed.setCredentials(args.account, key, session)
    try:
        book = await _first_book(reactor, feed, args, wanted)
        if args.once:
            out.write(render_ladder(book, args.depth))
        else:
            await _live(reactor, feed, book, args.depth, out)
    finally:
        if feed.connected:
            feed.loseConnection()
            await feed.whenClosed()


async def _live(
    reactor: Any, feed: CRMDMarketDataProtocol, book: LocalBook, depth: int, out: TextIO
) -> None:
    """Redraw the ladder on every change until 'q', end of input, Ctrl-C or a closed feed."""
    from twisted.internet import stdio

    done: defer.Deferred[None] = defer.Deferred()

    def feed_closed(_: object) -> None:
        if not done.called:  # not our doing: say so, exit status 1
            done.errback(BookError("the MDS closed the connection" + _logout_text(feed)))

    feed.whenClosed().addCallback(feed_closed)

    keys = _Keys(done)
    restore = _raw_terminal()
    # stdin for the keys, stdout (non-blocking, buffered by Twisted) for the ladder
    stdio.StandardIO(keys, reactor=reactor)
    trigger = reactor.addSystemEventTrigger("before", "shutdown", restore)

    def write(text: str) -> None:
        if keys.transport is not None:
            keys.transport.write(text.encode("utf-8"))

    screen = _Screen(reactor, write, out.isatty(), depth)

    def observe(event: BookEvent) -> None:
        if isinstance(event, (BookUpdated, TradeReported)) and event.book is book:
            screen.changed(book)

    feed.observers.append(observe)
    screen.draw(book)
    try:
        await done
    finally:
        screen.stop()
        restore()
        reactor.removeSystemEventTrigger(trigger)
        if keys.transport is not None:
            keys.transport.loseConnection()


def _logout_text(feed: CRMDMarketDataProtocol) -> str:
    reason = feed.logoutReason
    if reason is None:
        return ""
    return f" (logout: {getattr(coerce(RejectCode, reason), 'name', reason)})"


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return react_main(lambda reactor: run(reactor, args, sys.stdout), PROG,
                      (*EXPECTED_FAILURES, BookError))
