"""Market data through CRMDClient over loopback TCP (issue 10, acceptance 3).

Every test runs a SimulatedExchange (AES, OES and the MDS of each OES) and a
CRMDClient that finds its MDS in the AES grant: subscribe, unsubscribe, several
slots in one frame, an unknown symbol, a refused key (logout 4), no sequence
gap, fail-over to the secondary MDS and re-subscription after an OES restart.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from twisted.internet import defer

from crmd_twisted.client import CRMDClient, MarketDataRefused, RequestRejected
from crmd_twisted.marketdata import BookEvent, LocalBook, SequenceGap, TradeReported
from crmd_twisted.testing import ExchangeTestMixin, SimulatedExchange, client_ready
from crmd_twisted.wire import MdSubscribe
from crmd_twisted.wire.enums import RejectCode, Side, SymbolEnum
from tests.client_helpers import TrialTestCase, sleep, wait_for

Gen = Generator[Any, Any, None]
BTC = SymbolEnum.BTCUSD


class Recording(CRMDClient):
    """A client that records what its market-data hooks saw."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.updates: list[tuple[int, list[Any], list[Any]]] = []
        self.trades: list[tuple[float, float, int]] = []
        self.gaps_seen: list[SequenceGap] = []

    def bookUpdated(self, book: LocalBook) -> None:
        self.updates.append((book.symbol_enum, list(book.bids), list(book.asks)))

    def tradeReported(self, book: LocalBook, price: float, volume: float, side: int) -> None:
        self.trades.append((price, volume, side))

    def marketDataGap(self, gap: SequenceGap) -> None:
        self.gaps_seen.append(gap)


def record_frames(exchange: SimulatedExchange, index: int = 0) -> list[MdSubscribe]:
    """The md_subscribe frames MDS *index* receives from now on."""
    core = exchange.mds_factories[index].core
    frames: list[MdSubscribe] = []
    original = core.subscribe

    def subscribe(sub: Any, request: MdSubscribe) -> Any:
        frames.append(request)
        return original(sub, request)

    core.subscribe = subscribe  # type: ignore[method-assign]
    return frames


class MarketDataTestsBase(ExchangeTestMixin, TrialTestCase):
    def client(self, account: int, user: str, **kw: Any) -> defer.Deferred[Recording]:
        client = Recording(self.exchange.aes_address, account, user, "key",
                           reactor=self.exchange.reactor, retry_policy=lambda n: 0.05, **kw)
        self.addCleanup(client.stopService)
        return defer.ensureDeferred(client_ready(client))  # type: ignore[arg-type]


class SubscribeTests(MarketDataTestsBase):
    @defer.inlineCallbacks
    def test_subscribe_from_the_grant_then_trades_and_changes_arrive_without_a_gap(self) -> Gen:
        seller = yield self.client(1002, "bob")
        yield seller.new_order(BTC, Side.SELL, 1.0, price=30000.0)
        yield seller.new_order(BTC, Side.SELL, 2.0, price=30000.5)
        client = yield self.client(1001, "alice")
        events: list[BookEvent] = []
        client.add_market_data_observer(events.append)
        book = yield client.subscribe(BTC, depth=5)
        # the first snapshot: the book as it stands, with order counts at depth 5
        self.assertEqual(book.asks, [(30000.0, 1.0, 1), (30000.5, 2.0, 1)])
        self.assertIs(client.books[BTC], book)
        self.assertIs(client.books["btcusd"], book)
        self.assertEqual(client.market_data.last_address, self.exchange.mds_address(0))
        yield client.new_order(BTC, Side.BUY, 1.5, price=30001.0)
        yield wait_for(lambda: len(client.trades) == 2 and book.asks == [(30000.5, 1.5, 1)])
        self.assertEqual(client.trades, [(30000.0, 1.0, Side.BUY), (30000.5, 0.5, Side.BUY)])
        self.assertEqual(book.last_trade_price, 30000.5)
        self.assertEqual(book.volume_24h, 1.5)
        self.assertEqual([e.price for e in events if isinstance(e, TradeReported)],
                         [30000.0, 30000.5])
        # five_level_data has no msg_seq_num: the two md_exec_reports are numbers 1 and 2
        self.assertEqual(client.books.sequence.last, 2)
        self.assertEqual((client.market_data_gaps, client.gaps_seen), (0, []))

    @defer.inlineCallbacks
    def test_unsubscribe_stops_the_stream_and_drops_the_book(self) -> Gen:
        client = yield self.client(1001, "alice")
        yield client.subscribe(BTC, depth=1)
        yield client.subscribe("USDUSDT", depth=1)
        client.unsubscribe("BTCUSD")
        self.assertNotIn(BTC, client.books)
        yield sleep(self.exchange.clock, 0.05)
        seen = len(client.updates)
        last = client.books.sequence.last
        yield client.new_order(BTC, Side.BUY, 1.0, price=29000.0)
        yield client.new_order(SymbolEnum.USDUSDT, Side.BUY, 1.0, price=0.99)
        # the USDUSDT change arrives, nothing of BTCUSD does
        yield wait_for(lambda: client.books[SymbolEnum.USDUSDT].bids)
        self.assertEqual([u[0] for u in client.updates[seen:]], [SymbolEnum.USDUSDT])
        self.assertEqual(client.books.sequence.last, last + 1)
        self.assertRaises(ValueError, client.unsubscribe, BTC)

    @defer.inlineCallbacks
    def test_several_subscriptions_in_one_turn_share_one_frame(self) -> Gen:
        client = yield self.client(1001, "alice")
        frames = record_frames(self.exchange)
        books = yield defer.gatherResults([
            client.subscribe(BTC, depth=1), client.subscribe(SymbolEnum.USDUSDT, depth=3),
            client.subscribe("FLYUSDT", depth=30),
        ])
        self.assertEqual([b.symbol for b in books], ["BTCUSD", "USDUSDT", "FLYUSDT"])
        self.assertEqual(len(frames), 1)
        slots = [(s.symbol_enum, s.layers, s.action) for s in frames[0].subscriptions]
        self.assertEqual(slots[:3], [(1, 1, "S"), (2, 3, "S"), (3, 30, "S")])
        self.assertEqual(len(self.exchange.mds_factories[0].core.subscribers), 1)

    @defer.inlineCallbacks
    def test_unknown_symbol_fails_at_once_and_the_feed_carries_on(self) -> Gen:
        client = yield self.client(1001, "alice")
        yield client.subscribe(BTC, depth=1)
        for unknown in (99, "NOPE"):
            error = yield self.assertFailure(client.subscribe(unknown), RequestRejected)
            self.assertEqual(error.code, RejectCode.SYMBOL_ENUM_INVALID)
            self.assertIn(repr(unknown), str(error))
        self.assertRaises(ValueError, client.subscribe, BTC, depth=31)
        yield client.new_order(BTC, Side.BUY, 1.0, price=29000.0)
        yield wait_for(lambda: client.books[BTC].bids == [(29000.0, 1.0, 0)])


class RefusedKeyTests(MarketDataTestsBase):
    @defer.inlineCallbacks
    def test_an_mds_that_does_not_know_the_key_logs_out_with_4(self) -> Gen:
        other = SimulatedExchange(secret="another secret")
        yield defer.ensureDeferred(other.start())
        self.addCleanup(lambda: defer.ensureDeferred(other.stop()))
        client = yield self.client(1001, "alice", mds=other.mds_address(0))
        error = yield self.assertFailure(client.subscribe(BTC), MarketDataRefused)
        self.assertEqual(error.code, RejectCode.INVALID_KEY)
        self.assertEqual(str(error), "market data refused: INVALID_KEY (4)")
        yield wait_for(lambda: not other.mds_factories[0].connections)
        # refused for good: no reconnection, later subscriptions fail the same way
        yield sleep(self.exchange.clock, 0.2)
        self.assertEqual(client.market_data.connections, 1)
        yield self.assertFailure(client.subscribe(BTC), MarketDataRefused)


class FailoverTests(MarketDataTestsBase):
    def makeExchange(self) -> SimulatedExchange:
        return SimulatedExchange(secondary=True)

    @defer.inlineCallbacks
    def test_fail_over_to_the_secondary_mds_resubscribes(self) -> Gen:
        client = yield self.client(1001, "alice")
        book = yield client.subscribe(BTC, depth=10)
        yield client.subscribe(SymbolEnum.BTCUSDT, depth=1)
        yield client.new_order(BTC, Side.BUY, 1.0, price=29000.0)
        yield wait_for(lambda: book.bids == [(29000.0, 1.0, 0)])
        frames = record_frames(self.exchange, 1)
        yield defer.ensureDeferred(self.exchange.stop_oes(0))
        # connected, and the secondary MDS got the re-subscription (the client
        # counts the connection before its md_subscribe arrives)
        yield wait_for(lambda: client.market_data.connections == 2 and len(client.books) == 2
                       and client.market_data.feed is not None and frames)
        self.assertEqual(client.market_data.last_address, self.exchange.mds_address(1))
        # one frame re-subscribed both; the book is the same object, still current
        self.assertEqual([(s.symbol_enum, s.layers) for s in frames[0].subscriptions][:2],
                         [(1, 10), (4, 1)])
        yield client.when_ready()
        yield client.new_order(BTC, Side.BUY, 2.0, price=29000.5)
        yield wait_for(lambda: book.bids == [(29000.5, 2.0, 0), (29000.0, 1.0, 0)])
        self.assertIs(client.books[BTC], book)
        self.assertEqual(client.market_data_gaps, 0)


class RestartTests(MarketDataTestsBase):
    @defer.inlineCallbacks
    def test_resubscribes_after_the_oes_and_its_mds_restart(self) -> Gen:
        client = yield self.client(1001, "alice")
        book = yield client.subscribe(BTC, depth=3)
        yield client.new_order(BTC, Side.SELL, 1.0, price=31000.0)
        yield wait_for(lambda: book.asks == [(31000.0, 1.0, 1)])
        yield defer.ensureDeferred(self.exchange.stop_oes(0, reason=None))  # a crash
        yield sleep(self.exchange.clock, 0.2)  # a few refused reconnection attempts
        self.assertIsNone(client.market_data.feed)
        updates = len(client.updates)
        yield defer.ensureDeferred(self.exchange.start_oes(0))
        # the snapshot of the re-subscription arrives on the new connection
        yield wait_for(lambda: client.market_data.connections == 2
                       and len(client.updates) > updates)
        self.assertEqual(client.updates[-1], (BTC, [], [(31000.0, 1.0, 1)]))
        yield client.when_ready()
        yield client.new_order(BTC, Side.SELL, 0.5, price=31000.0)
        yield wait_for(lambda: book.asks == [(31000.0, 1.5, 2)])
        self.assertEqual(client.market_data_gaps, 0)
