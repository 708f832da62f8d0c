"""The client side of a market-data connection.

:class:`CRMDMarketDataProtocol` sends ``md_subscribe`` frames, keeps
``self.books`` (a :class:`~.book.BookSet` of :class:`~.book.LocalBook`) current
and tells about it three ways:

* overridable hooks :meth:`~CRMDMarketDataProtocol.bookUpdated`,
  :meth:`~CRMDMarketDataProtocol.tradeReported` and
  :meth:`~CRMDMarketDataProtocol.marketDataGap`;
* observers (``protocol.observers.append(callable)``) called with every
  :data:`~.book.BookEvent`;
* ``msg_<name>`` handlers (``msg_top_of_book``, ``msg_md_exec_report``, ...)
  for users who write their own feed handler: override one and the book is
  not fed for that message type unless you call ``super()``.

A server logout (a refused key: INVALID_KEY 4) goes to
:meth:`~CRMDMarketDataProtocol.serverLoggedOut` and ``logoutReason``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from twisted.internet import defer
from twisted.python.failure import Failure

from crmd_twisted.marketdata.book import (
    BookEvent,
    BookSet,
    BookUpdated,
    LocalBook,
    SequenceGap,
    TradeReported,
)
from crmd_twisted.protocol import CRMDFactory, CRMDProtocol
from crmd_twisted.wire import (
    ClientLogon,
    FiveLevelData,
    MdExecReport,
    MdSubscribe,
    Message,
    TenLevelData,
    ThirtyLevelData,
    ThreeLevelData,
    TopOfBook,
    TwentyLevelData,
)
from crmd_twisted.wire.enums import LogonType, RejectCode, SubscribeAction, SymbolType, coerce
from crmd_twisted.wire.enums import TransactionType

__all__ = ["SLOTS_PER_FRAME", "CRMDMarketDataFactory", "CRMDMarketDataProtocol", "Wanted"]

#: Subscriptions one ``md_subscribe`` frame carries.
SLOTS_PER_FRAME = 5

#: (symbol_enum, symbol name, depth) of one subscription request.
Wanted = tuple[int, str, int]


class CRMDMarketDataProtocol(CRMDProtocol):
    """One connection to an MDS, from the subscriber's side."""

    role: ClassVar[str] = "client"

    def __init__(self) -> None:
        super().__init__()
        self.books = BookSet()
        self.observers: list[Callable[[BookEvent], None]] = []
        self.logoutReason: int | None = None
        self.account = 0
        self.sessionKey = 0
        self.tradingSessionId = 0
        self.connected = False
        self._closedWaiters: list[defer.Deferred[None]] = []

    @property
    def gaps(self) -> int:
        """How many sequence gaps this connection has seen."""
        return self.books.sequence.gaps

    def connectionMade(self) -> None:
        super().connectionMade()
        self.connected = True

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.connected = False
        if reason is None:
            super().connectionLost()
        else:
            super().connectionLost(reason)
        closed, self._closedWaiters = self._closedWaiters, []
        for d in closed:
            d.callback(None)

    def whenClosed(self) -> defer.Deferred[None]:
        """Fires once the connection is closed (at once if it already is)."""
        if not self.connected:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self._closedWaiters.append(d)
        return d

    # -- subscribing ---------------------------------------------------------------------------

    def setCredentials(self, account: int, session_key: int, trading_session_id: int = 0) -> None:
        """The account, AES key (K1) and trading session id every md_subscribe carries."""
        self.account = account
        self.sessionKey = session_key
        self.tradingSessionId = trading_session_id

    def subscribe(
        self, wanted: Iterable[Wanted], action: str = SubscribeAction.SUBSCRIBE
    ) -> None:
        """Send ``md_subscribe`` frames for ``(symbol_enum, symbol, depth)`` items, 5 a frame."""
        items = list(wanted)
        for start in range(0, len(items), SLOTS_PER_FRAME):
            self.sendMessage(self.subscribeMessage(items[start : start + SLOTS_PER_FRAME], action))

    def unsubscribe(self, wanted: Iterable[Wanted]) -> None:
        """Stop subscriptions (depth 0: every depth of the symbol)."""
        self.subscribe(wanted, SubscribeAction.UNSUBSCRIBE)

    def subscribeMessage(self, items: Sequence[Wanted], action: str) -> MdSubscribe:
        """One ``md_subscribe`` with up to five slots."""
        if len(items) > SLOTS_PER_FRAME:
            raise ValueError(f"at most {SLOTS_PER_FRAME} subscriptions per md_subscribe")
        fields: dict[str, Any] = {
            "message_type": TransactionType.MD_SUBSCRIBE,
            "account": self.account,
            "session_key": self.sessionKey,
            "trading_session_id": self.tradingSessionId,
            "sending_time": self.now(),
        }
        for n, (symbol_enum, symbol, depth) in enumerate(items, 1):
            fields.update({
                f"sub{n}_symbol_enum": symbol_enum, f"sub{n}_symbol": symbol,
                f"sub{n}_symbol_type": SymbolType.SPOT, f"sub{n}_layers": depth,
                f"sub{n}_action": str(action),
            })  # fmt: skip
        return MdSubscribe(**fields)

    # -- receiving -----------------------------------------------------------------------------

    def messageReceived(self, message: Message) -> None:
        gap = self.books.sequence.check(message)
        if gap is not None:
            self._emit(gap)
        super().messageReceived(message)

    def feedBook(self, message: TopOfBook | ThreeLevelData | FiveLevelData | TenLevelData
                 | TwentyLevelData | ThirtyLevelData | MdExecReport) -> None:
        """Apply a market-data frame to ``self.books`` and report what changed."""
        event = self.books.book(message.symbol_enum).apply(message)
        if event is not None:
            self._emit(event)

    def msg_top_of_book(self, message: TopOfBook) -> None:
        self.feedBook(message)

    def msg_three_level_data(self, message: ThreeLevelData) -> None:
        self.feedBook(message)

    def msg_five_level_data(self, message: FiveLevelData) -> None:
        self.feedBook(message)

    def msg_ten_level_data(self, message: TenLevelData) -> None:
        self.feedBook(message)

    def msg_twenty_level_data(self, message: TwentyLevelData) -> None:
        self.feedBook(message)

    def msg_thirty_level_data(self, message: ThirtyLevelData) -> None:
        self.feedBook(message)

    def msg_md_exec_report(self, message: MdExecReport) -> None:
        self.feedBook(message)

    def msg_client_logon(self, message: ClientLogon) -> None:
        if message.logon_type == LogonType.LOGOUT:
            self.logoutReason = message.reject_reason
            self.serverLoggedOut(message.reject_reason, message)
        else:
            self.log.warn("{peer}: unexpected client_logon from the MDS ignored", peer=self.peer)

    def _emit(self, event: BookEvent) -> None:
        if isinstance(event, BookUpdated):
            self.bookUpdated(event.book)
        elif isinstance(event, TradeReported):
            self.tradeReported(event.book, event.price, event.volume, event.side)
        else:
            self.marketDataGap(event)
        for observer in list(self.observers):
            observer(event)

    # -- hooks ---------------------------------------------------------------------------------

    def bookUpdated(self, book: LocalBook) -> None:
        """A snapshot changed ``book``."""

    def tradeReported(self, book: LocalBook, price: float, volume: float, side: int) -> None:
        """A trade of ``book``'s instrument."""

    def marketDataGap(self, gap: SequenceGap) -> None:
        """Frames were lost (``gap.missing`` of them); by default logged."""
        self.log.warn(
            "{peer}: market-data sequence gap: expected {expected}, got {received}",
            peer=self.peer, expected=gap.expected, received=gap.received,
        )  # fmt: skip

    def serverLoggedOut(self, reason: int, message: ClientLogon) -> None:
        """The MDS logged this subscriber out (INVALID_KEY 4 for a refused key)."""
        self.log.info(
            "{peer}: logged out by the MDS: {reason}",
            peer=self.peer, reason=getattr(coerce(RejectCode, reason), "name", reason),
        )  # fmt: skip


class CRMDMarketDataFactory(CRMDFactory):
    """A factory of :class:`CRMDMarketDataProtocol` (or a subclass given as *protocol*)."""

    def __init__(
        self, protocol: type[CRMDMarketDataProtocol] = CRMDMarketDataProtocol, **kw: object
    ) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.protocol = protocol
