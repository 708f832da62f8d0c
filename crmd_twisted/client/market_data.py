"""Market data for a :class:`~crmd_twisted.client.CRMDClient`: subscribe, local books, fail-over.

``client.subscribe(symbol, depth=10)`` returns a Deferred that fires with the
:class:`~crmd_twisted.marketdata.book.LocalBook` once its first snapshot
arrived; ``client.books[symbol]`` (number or name) stays current from then on.
Trades and book changes reach the overridable hooks ``bookUpdated``,
``tradeReported`` and ``marketDataGap`` of the client and every observer added
with ``client.add_market_data_observer``; ``client.market_data_gaps`` counts
sequence gaps.

:class:`MarketDataSession` holds the subscriptions and keeps one connection to
an MDS through a :class:`~twisted.application.internet.ClientService`:

* it connects to the ``primary_mds_address`` of the AES grant (or the ``mds=``
  address given to the client), then the secondary; the one that answered is
  tried first next time;
* every (re)connection sends the account, the grant's key K1 and trading
  session id and every subscription (five per frame), so a restarted or
  failed-over MDS gets them all again;
* several ``subscribe`` calls in one reactor turn share ``md_subscribe`` frames;
* a refused key (server logout INVALID_KEY 4, KEY_INVALID, TRADING_SESSION_INVALID)
  stops the market data for good: waiting and later subscriptions fail with
  :class:`MarketDataRefused`; any other server logout or a lost connection is
  followed by a reconnection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.application.internet import ClientService, backoffPolicy
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress, IProtocol, IProtocolFactory, IStreamClientEndpoint
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from crmd_twisted.address import parse_address
from crmd_twisted.client.errors import (
    CRMDClientError,
    LogonRejected,
    NotConnected,
    RequestRejected,
    RequestTimeout,
)
from crmd_twisted.client.routing import Grant
from crmd_twisted.marketdata.book import (
    BookEvent,
    BookSet,
    BookUpdated,
    LocalBook,
    SequenceGap,
    TradeReported,
)
from crmd_twisted.marketdata.feed import CRMDMarketDataProtocol, Wanted
from crmd_twisted.protocol import CRMDFactory
from crmd_twisted.wire import ClientLogon, InstrumentResponse
from crmd_twisted.wire.enums import RejectCode

if TYPE_CHECKING:
    from crmd_twisted.client.session import CRMDClient

__all__ = [
    "MAX_DEPTH",
    "MarketData",
    "MarketDataFeed",
    "MarketDataRefused",
    "MarketDataSession",
    "check_mds",
]

log = Logger()

#: The deepest book an MDS serves (``thirty_level_data``).
MAX_DEPTH = 30
#: Server logout reasons that mean "this key will not do": no reconnection.
REFUSALS = frozenset(
    {RejectCode.INVALID_KEY, RejectCode.KEY_INVALID, RejectCode.TRADING_SESSION_INVALID}
)

Symbol = int | str


class MarketDataRefused(LogonRejected):
    """The MDS refused the subscription's key (``code``: INVALID_KEY 4, ...)."""

    def __init__(self, code: int, reply: Any = None) -> None:
        super().__init__(code, reply)
        self.args = (f"market data refused: {self.name} ({code})",)


def check_mds(name: str, value: object) -> tuple[str, int] | None:
    """``None``, ``(host, port)`` or ``"host:port"`` of an MDS; ValueError naming *name*."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_address(value)
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
    if (
        isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)
        and value[0] and isinstance(value[1], int) and 0 < value[1] <= 0xFFFF
    ):  # fmt: skip
        return value[0], value[1]
    raise ValueError(f"{name}: expected (host, port) or 'host:port', got {value!r}")


class MarketDataFeed(CRMDMarketDataProtocol):
    """One MDS connection of a client session (its books are the session's)."""

    session: MarketDataSession

    def connectionMade(self) -> None:
        super().connectionMade()
        self.session._connected(self)

    def connectionLost(self, reason: Failure | None = None) -> None:
        super().connectionLost(reason)
        self.session._lost(self)

    def serverLoggedOut(self, reason: int, message: ClientLogon) -> None:
        super().serverLoggedOut(reason, message)
        self.session._logged_out(self, reason, message)

    def marketDataGap(self, gap: SequenceGap) -> None:
        """Reported through the session's client (its hook logs by default)."""


class MarketDataFeedFactory(CRMDFactory):
    """Builds the session's :class:`MarketDataFeed` connections."""

    protocol = MarketDataFeed

    def __init__(self, session: MarketDataSession) -> None:
        super().__init__(clock=session.client.clock)
        self.session = session

    def buildProtocol(self, addr: IAddress | None) -> MarketDataFeed:
        proto = super().buildProtocol(addr)
        assert isinstance(proto, MarketDataFeed)
        proto.session = self.session
        proto.books = self.session.books
        proto.observers.append(self.session._observe)
        return proto


@implementer(IStreamClientEndpoint)
class _MarketDataRoute:
    """The endpoint the session's ClientService reconnects through."""

    def __init__(self, session: MarketDataSession) -> None:
        self.session = session

    def connect(self, factory: IProtocolFactory) -> Deferred[IProtocol]:
        return defer.ensureDeferred(self.session._attempt(factory))


class MarketDataSession:
    """The subscriptions of one client and its (re)connecting MDS connection."""

    def __init__(
        self,
        client: CRMDClient,
        mds: tuple[str, int] | None = None,
        secondary_mds: tuple[str, int] | None = None,
        *,
        retry_policy: Callable[[int], float] | None = None,
    ) -> None:
        self.client = client
        #: Explicit MDS addresses (None: those of the AES grant).
        self.mds = mds
        self.secondary_mds = secondary_mds
        #: The local books, kept across reconnections.
        self.books = BookSet()
        #: symbol_enum -> (symbol, depth) of every subscription.
        self.wanted: dict[int, tuple[str, int]] = {}
        self.observers: list[Callable[[BookEvent], None]] = []
        self.feed: MarketDataFeed | None = None
        #: MDS connections made so far; the address of the last one tried.
        self.connections = 0
        self.last_address: tuple[str, int] | None = None
        self.refused: MarketDataRefused | None = None
        self._grant: Grant | None = None
        self._on_secondary = False
        self._waiters: dict[int, list[Deferred[LocalBook]]] = {}
        self._unsent: list[Wanted] = []
        self._send_call: Any = None
        self._retry_policy = retry_policy or backoffPolicy(initialDelay=0.5, maxDelay=30.0)
        self._service: ClientService | None = None
        self._factory = MarketDataFeedFactory(self)

    @property
    def gaps(self) -> int:
        """Sequence gaps seen on every MDS connection of this session."""
        return self.books.sequence.gaps

    def granted(self, grant: Grant) -> None:
        """The AES granted a session: its key and MDS addresses serve the next connections."""
        self._grant = grant

    def addresses(self) -> list[tuple[str, int]]:
        """The MDS addresses to try, in order (the one that answered last first)."""
        primary: tuple[str, int] | None
        if self.mds is not None:
            primary, secondary = self.mds, self.secondary_mds
        elif self._grant is not None:
            primary, secondary = self._grant.primary_mds, self._grant.secondary_mds
        else:
            return []
        order = [a for a in (primary, secondary) if a is not None]
        return order[::-1] if self._on_secondary else order

    # -- subscribing -------------------------------------------------------------------------

    def subscribe(self, symbol: Symbol, depth: int = 10) -> Deferred[LocalBook]:
        """Subscribe to *symbol* (number or name) at *depth* (1..30); fires with its book."""
        if isinstance(depth, bool) or not isinstance(depth, int) or not 0 < depth <= MAX_DEPTH:
            raise ValueError(f"depth: expected an integer in 1..{MAX_DEPTH}, got {depth!r}")
        if not isinstance(symbol, int | str) or isinstance(symbol, bool):
            raise ValueError(f"symbol: expected a symbol_enum or a name, got {symbol!r}")
        return defer.ensureDeferred(self._subscribe(symbol, depth))

    async def _subscribe(self, symbol: Symbol, depth: int) -> LocalBook:
        if self.refused is not None:
            raise self.refused
        client = self.client
        await client.when_ready()
        symbol_enum, name = await self._resolve(symbol)
        if self.refused is not None:
            raise self.refused
        self.wanted[symbol_enum] = (name, depth)
        waiter: Deferred[LocalBook] = Deferred()
        self._waiters.setdefault(symbol_enum, []).append(waiter)
        self._unsent.append((symbol_enum, name, depth))
        if self._send_call is None:
            self._send_call = client.clock.callLater(0, self._send_unsent)
        self._start()
        waiter.addTimeout(client.request_timeout, client.clock)
        try:
            return await waiter
        except defer.TimeoutError:
            raise RequestTimeout(
                f"no {name} snapshot from the MDS within {client.request_timeout:g}s"
            ) from None
        finally:
            waiters = self._waiters.get(symbol_enum, [])
            if waiter in waiters:
                waiters.remove(waiter)

    async def _resolve(self, symbol: Symbol) -> tuple[int, str]:
        """(symbol_enum, name) from the OES's instruments; unknown: RequestRejected."""
        instruments: list[InstrumentResponse] = self.client.instrument_list
        if not instruments:
            instruments = await self.client.instruments()
        for inst in instruments:
            if symbol == inst.symbol_enum or (
                isinstance(symbol, str) and symbol.upper() == inst.symbol.upper()
            ):
                return inst.symbol_enum, inst.symbol
        raise RequestRejected(
            RejectCode.SYMBOL_ENUM_INVALID, detail=f"no market data for unknown symbol {symbol!r}"
        )

    def unsubscribe(self, symbol: Symbol) -> None:
        """Stop the subscription to *symbol*; its book leaves ``books``."""
        symbol_enum = self._subscribed(symbol)
        name, _depth = self.wanted.pop(symbol_enum)
        self._unsent = [w for w in self._unsent if w[0] != symbol_enum]
        self.books.books.pop(symbol_enum, None)
        for waiter in self._waiters.pop(symbol_enum, []):
            waiter.errback(NotConnected(f"unsubscribed from {name} before its first snapshot"))
        if self.feed is not None and self.feed.connected:
            self.feed.unsubscribe([(symbol_enum, name, 0)])  # depth 0: every depth

    def _subscribed(self, symbol: Symbol) -> int:
        for symbol_enum, (name, _depth) in self.wanted.items():
            if symbol == symbol_enum or (
                isinstance(symbol, str) and symbol.upper() == name.upper()
            ):
                return symbol_enum
        raise ValueError(f"not subscribed to {symbol!r}")

    def _send_unsent(self) -> None:
        self._send_call = None
        unsent, self._unsent = self._unsent, []
        if unsent and self.feed is not None and self.feed.connected:
            self.feed.subscribe(unsent)
        # not connected: the next connection subscribes to everything wanted

    # -- the connection ----------------------------------------------------------------------

    def _start(self) -> None:
        if self._service is not None or not self.client.running:
            return
        self._service = ClientService(
            _MarketDataRoute(self), self._factory,
            retryPolicy=self._retry_policy, clock=self.client.clock,
        )  # fmt: skip
        self._service.startService()

    async def _attempt(self, factory: IProtocolFactory) -> IProtocol:
        if self.refused is not None:
            raise self.refused
        grant = self._grant
        if grant is None:
            raise NotConnected("no AES grant yet")
        addresses = self.addresses()
        if not addresses:
            error = CRMDClientError(
                "the AES grant names no market-data server (give the client mds=(host, port))"
            )
            self._fail_waiters(error)
            raise error
        error_seen: Exception | None = None
        for host, port in addresses:
            self.last_address = (host, port)
            try:
                proto = await self.client._endpoint_factory(host, port).connect(factory)
            except defer.CancelledError:
                raise
            except Exception as e:
                log.info("MDS {host}:{port} unreachable: {error}", host=host, port=port, error=e)
                error_seen = e
                continue
            self._on_secondary = (host, port) != self._primary()
            return proto
        assert error_seen is not None
        raise error_seen

    def _primary(self) -> tuple[str, int] | None:
        if self.mds is not None:
            return self.mds
        return self._grant.primary_mds if self._grant is not None else None

    def _connected(self, feed: MarketDataFeed) -> None:
        grant = self._grant
        assert grant is not None  # _attempt checked it
        self.feed = feed
        self.connections += 1
        self.books.sequence.last = 0  # each connection numbers its frames from 1
        feed.setCredentials(self.client.account, grant.key, grant.trading_session_id)
        log.info("market data from {peer} ({n} subscriptions)", peer=feed.peer,
                 n=len(self.wanted))
        self._unsent = []
        if self.wanted:
            feed.subscribe([(sym, name, depth) for sym, (name, depth) in self.wanted.items()])

    def _lost(self, feed: MarketDataFeed) -> None:
        if self.feed is feed:
            self.feed = None

    def _logged_out(self, feed: MarketDataFeed, reason: int, message: ClientLogon) -> None:
        if reason not in REFUSALS:
            return  # the connection closes; ClientService reconnects
        self.refused = MarketDataRefused(reason, message)
        log.error("market data stopped: {error}", error=str(self.refused))
        self._fail_waiters(self.refused)
        if self._service is not None:
            self._service.stopService()

    def _fail_waiters(self, error: Exception) -> None:
        waiters, self._waiters = self._waiters, {}
        for pending in waiters.values():
            for waiter in pending:
                if not waiter.called:
                    waiter.errback(Failure(error))

    def stop(self) -> Deferred[None]:
        """Close the MDS connection and stop reconnecting; waiting subscriptions fail."""
        self._fail_waiters(NotConnected("session stopped"))
        if self._send_call is not None and self._send_call.active():
            self._send_call.cancel()
        self._send_call = None
        service, self._service = self._service, None
        if service is None:
            return defer.succeed(None)
        return service.stopService()

    # -- what the feed tells -----------------------------------------------------------------

    def _observe(self, event: BookEvent) -> None:
        client = self.client
        if isinstance(event, BookUpdated):
            client.bookUpdated(event.book)
            for waiter in self._waiters.pop(event.book.symbol_enum, []):
                if not waiter.called:
                    waiter.callback(event.book)
        elif isinstance(event, TradeReported):
            client.tradeReported(event.book, event.price, event.volume, event.side)
        else:
            client.marketDataGap(event)
        for observer in list(self.observers):
            try:
                observer(event)
            except Exception:
                log.failure("market-data observer {observer!r} failed", observer=observer)


class MarketData:
    """The market-data API of :class:`~crmd_twisted.client.CRMDClient` (mixed in)."""

    market_data: MarketDataSession

    @property
    def books(self) -> BookSet:
        """The local books of the subscribed instruments: ``books[1]`` or ``books["BTCUSD"]``."""
        return self.market_data.books

    @property
    def market_data_gaps(self) -> int:
        """How many sequence gaps the market-data connections have seen."""
        return self.market_data.gaps

    def subscribe(self, symbol: Symbol, depth: int = 10) -> Deferred[LocalBook]:
        """Subscribe to *symbol* at *depth* levels (1..30): fires with the first snapshot.

        Unknown symbols fail with :class:`~crmd_twisted.client.errors.RequestRejected`
        (SYMBOL_ENUM_INVALID), no snapshot within ``request_timeout`` with
        :class:`~crmd_twisted.client.errors.RequestTimeout`, a refused key with
        :class:`MarketDataRefused`.
        """
        return self.market_data.subscribe(symbol, depth)

    def unsubscribe(self, symbol: Symbol) -> None:
        """Stop a subscription (ValueError if there is none)."""
        self.market_data.unsubscribe(symbol)

    def add_market_data_observer(self, observer: Callable[[BookEvent], None]) -> None:
        """Call *observer* with every BookUpdated, TradeReported and SequenceGap."""
        self.market_data.observers.append(observer)

    def remove_market_data_observer(self, observer: Callable[[BookEvent], None]) -> None:
        self.market_data.observers.remove(observer)

    # -- hooks ---------------------------------------------------------------------------------

    def bookUpdated(self, book: LocalBook) -> None:
        """Hook: a snapshot changed *book*."""

    def tradeReported(self, book: LocalBook, price: float, volume: float, side: int) -> None:
        """Hook: a trade of *book*'s instrument (side: the aggressor's)."""

    def marketDataGap(self, gap: SequenceGap) -> None:
        """Hook: market-data frames were lost (``gap.missing``); by default logged."""
        log.warn("market-data sequence gap: expected {expected}, got {received}",
                 expected=gap.expected, received=gap.received)
