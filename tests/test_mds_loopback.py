"""The MDS over real loopback TCP, fed by an in-process OES (engine wrapped by hand)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest_twisted
from twisted.internet import defer, reactor, task
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

from crmd_twisted.engine import Event, MatchingEngine, NewOrder
from crmd_twisted.marketdata import CRMDMarketDataProtocol, TradeReported
from crmd_twisted.mds import DirectoryKeyCheck, MarketDataCore, MDSFactory
from crmd_twisted.oes.core import OrderEntryCore
from crmd_twisted.oes.protocol import OESFactory
from crmd_twisted.wire.enums import OrderType, RejectCode, Side, TimeInForce
from tests.md_helpers import ACCOUNT, K1, KEYS, SESSION, USER, directory, subscribe_frame
from tests.server_helpers import RawClient

TIMEOUT = 5.0


class FeedingEngine(MatchingEngine):
    """The seam the OES core lacks today: every engine call's events go to the MDS."""

    feed: Callable[[list[Event]], None] | None = None

    def submit(self, command: Any, risk_check: Any = None) -> list[Event]:
        events = super().submit(command, risk_check)
        if self.feed is not None:
            self.feed(events)
        return events


async def wait_for(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await task.deferLater(reactor, 0.01, lambda: None)
    raise AssertionError("condition not met in time")


class Exchange:
    async def start(self, max_trade_backlog: int = 1000) -> None:
        self.engine = FeedingEngine()
        directory_ = directory()
        self.oes_core = OrderEntryCore(directory_, KEYS, self.engine.instruments,
                                       engine=self.engine)
        self.md_core = MarketDataCore(self.engine, DirectoryKeyCheck(KEYS, directory_),
                                      max_trade_backlog=max_trade_backlog)
        self.mds = MDSFactory(self.md_core)
        self.mds.logFrames = False
        self.engine.feed = self.mds.on_events
        oes = OESFactory(self.oes_core)
        oes.logFrames = False
        self.ports = [
            await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(f)
            for f in (oes, self.mds)
        ]
        self.clients: list[Any] = []

    def port(self, index: int) -> int:
        return self.ports[index].getHost().port  # type: ignore[no-any-return]

    async def trader(self, account: int = ACCOUNT, user: str = USER) -> RawClient:
        client = RawClient()
        client.logFrames = False
        await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", self.port(0)), client)
        self.clients.append(client)
        await client.logOn(account, user, session_key=KEYS.aes_key(account, user, SESSION))
        return client

    async def subscriber(self, *wanted: tuple[int, str, int], key: int = K1) -> Any:
        feed = CRMDMarketDataProtocol()
        feed.logFrames = False
        await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", self.port(1)), feed)
        self.clients.append(feed)
        feed.setCredentials(ACCOUNT, key, 0)
        if wanted:
            feed.subscribe(wanted)
        return feed

    async def stop(self) -> None:
        for c in self.clients:
            if c.transport is not None:
                c.transport.abortConnection()
        for c in self.clients:
            if getattr(c, "connected", False):
                await c.whenClosed()
        await defer.gatherResults([defer.maybeDeferred(p.stopListening) for p in self.ports])


def trades_of(feed: CRMDMarketDataProtocol) -> list[tuple[float, float, int]]:
    return feed.seen  # type: ignore[attr-defined, no-any-return]


def record(feed: CRMDMarketDataProtocol) -> None:
    feed.seen = []  # type: ignore[attr-defined]
    feed.observers.append(
        lambda e: feed.seen.append((e.price, e.volume, e.side))  # type: ignore[attr-defined]
        if isinstance(e, TradeReported) else None
    )


@pytest_twisted.ensureDeferred
async def test_subscribe_trade_unsubscribe_and_numbering_over_tcp() -> None:
    ex = Exchange()
    await ex.start()
    try:
        alice = await ex.trader()
        bob = await ex.trader(1002, "bob")
        feed = await ex.subscriber((1, "BTCUSD", 5), (2, "USDUSDT", 1),
                                   (99, "NOPE", 1))
        record(feed)
        await wait_for(lambda: 1 in feed.books and 2 in feed.books)
        assert 99 not in feed.books  # unknown symbol: skipped, the others stand
        alice.sendTransaction(alice.order(Side.SELL, 1.0, 30000.0))
        alice.sendTransaction(alice.order(Side.SELL, 2.0, 30000.5))
        await wait_for(lambda: len(feed.books[1].asks) == 2)
        assert feed.books[1].asks == [(30000.0, 1.0, 1), (30000.5, 2.0, 1)]
        bob.sendTransaction(bob.order(Side.BUY, 1.5, 30001.0))
        await wait_for(lambda: len(trades_of(feed)) == 2 and feed.books[1].asks[0][1] == 1.5)
        assert trades_of(feed) == [(30000.0, 1.0, Side.BUY), (30000.5, 0.5, Side.BUY)]
        assert feed.books[1].last_trade_price == 30000.5
        assert feed.books[1].volume_24h == 1.5
        assert feed.gaps == 0 and feed.books.sequence.last >= 3
        # unsubscribe BTCUSD: later trades and changes no longer arrive
        feed.unsubscribe([(1, "BTCUSD", 0)])
        seq_before = feed.books.sequence.last
        await task.deferLater(reactor, 0.05, lambda: None)
        bob.sendTransaction(bob.order(Side.BUY, 1.5, 30001.0))
        probe = await ex.subscriber((1, "BTCUSD", 1))
        record(probe)
        await wait_for(lambda: 1 in probe.books and not probe.books[1].asks)
        await task.deferLater(reactor, 0.05, lambda: None)
        assert len(trades_of(feed)) == 2 and feed.books.sequence.last == seq_before
    finally:
        await ex.stop()


@pytest_twisted.ensureDeferred
async def test_bad_key_gets_logout_4_and_the_connection_closes() -> None:
    ex = Exchange()
    await ex.start()
    try:
        feed = await ex.subscriber((1, "BTCUSD", 1), key=K1 ^ 0x5A5A)
        await wait_for(lambda: not feed.connected)
        assert feed.logoutReason == RejectCode.INVALID_KEY
        assert not feed.books.books
    finally:
        await ex.stop()


class Stalled(Protocol):
    """A subscriber that never reads: its receive window closes at once."""

    def connectionMade(self) -> None:
        sock = self.transport.getHandle()  # type: ignore[union-attr]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.transport.pauseProducing()  # type: ignore[union-attr]
        self.closed: defer.Deferred[None] = defer.Deferred()

    def connectionLost(self, reason: object = None) -> None:
        self.closed.callback(None)


@pytest_twisted.ensureDeferred
async def test_a_non_reading_subscriber_stays_bounded_and_is_dropped_others_keep_up() -> None:
    ex = Exchange()
    limit = 200
    await ex.start(max_trade_backlog=limit)
    try:
        stalled = Stalled()
        await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", ex.port(1)), stalled)
        stalled.transport.write(  # type: ignore[union-attr]
            subscribe_frame((1, "BTCUSD", 30, "S")).encode()
        )
        good = await ex.subscriber((1, "BTCUSD", 30))
        record(good)
        await wait_for(lambda: len(ex.md_core.subscribers) == 2 and all(
            s.subscriptions for s in ex.md_core.subscribers))
        for server_side in list(ex.mds.connections):
            server_side.transport.getHandle().setsockopt(  # type: ignore[union-attr]
                socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        slow = next(s for s in ex.md_core.subscribers if s.owner.peer.endswith(
            str(stalled.transport.getHost().port)))  # type: ignore[union-attr]
        oid = 0
        trades = 0
        worst = 0
        for batch in range(400):
            for i in range(10):
                oid += 2
                price = 30000.0 + (batch * 10 + i) % 40 * 0.5
                ex.engine.submit(NewOrder(1002, oid, 1, Side.SELL, OrderType.LMT, price, 1.0,
                                          TimeInForce.GTC))
                ex.engine.submit(NewOrder(1001, oid + 1, 1, Side.BUY, OrderType.MKT, 0.0, 1.0,
                                          TimeInForce.GTC))
                trades += 1
            await task.deferLater(reactor, 0, lambda: None)
            worst = max(worst, len(slow.trades))
            if not slow.alive:
                break
        assert not slow.alive, "the stalled subscriber was never dropped"
        assert worst <= limit + 10  # its backlog never grew past the bound (plus one turn)
        stalled.transport.resumeProducing()  # type: ignore[union-attr]  # reads: sees the close
        await stalled.closed.addTimeout(6 * TIMEOUT, reactor)  # generous on a loaded machine
        await wait_for(lambda: len(trades_of(good)) == trades)
        assert good.gaps == 0
    finally:
        await ex.stop()
