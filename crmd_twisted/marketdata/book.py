"""A local order book kept from market-data frames (pure, no I/O).

Feed decoded frames - from a live connection or captured ones - and read the
book back::

    books = BookSet()
    for message in frames:
        for event in books.feed(message):
            ...                       # BookUpdated / TradeReported / SequenceGap
    book = books[1]
    book.bids[0]                      # (price, size, orders) of the best bid
    book.last_trade, book.volume_24h, book.high_24h, book.low_24h

``orders`` is 0 where the frame carries no order counts (``top_of_book`` and
the 10/20/30-level messages).  A book shows the deepest frame it has received:
a shallower frame of the same instrument (a second subscription) only updates
the statistics.  :class:`SequenceTracker` checks the ``msg_seq_num`` of one
connection and reports each gap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from crmd_twisted.wire import (
    FiveLevelData,
    MdExecReport,
    Message,
    TenLevelData,
    ThirtyLevelData,
    ThreeLevelData,
    TopOfBook,
    TwentyLevelData,
)
from crmd_twisted.wire.depth import DEPTH_OF_MESSAGE
from crmd_twisted.wire.enums import Side

__all__ = [
    "BookEvent",
    "BookSet",
    "BookUpdated",
    "LocalBook",
    "SequenceGap",
    "SequenceTracker",
    "TradeReported",
]

#: (price, size, orders) of one level, best first.
BookLevel = tuple[float, float, int]

_LEVEL_MESSAGES = (ThreeLevelData, FiveLevelData)
_ENTRY_MESSAGES = (TenLevelData, TwentyLevelData, ThirtyLevelData)
_DEPTH_OF = DEPTH_OF_MESSAGE
#: Market-data frames a book takes (the others are not market data).
BOOK_MESSAGES: tuple[type[Message], ...] = (*_DEPTH_OF, MdExecReport)
#: A book snapshot frame of any depth.
Snapshot = (
    TopOfBook | ThreeLevelData | FiveLevelData | TenLevelData | TwentyLevelData | ThirtyLevelData
)


@dataclass(frozen=True, slots=True)
class BookUpdated:
    """A snapshot frame changed ``book``."""

    book: LocalBook
    message: Message


@dataclass(frozen=True, slots=True)
class TradeReported:
    """One trade of ``book``'s instrument."""

    book: LocalBook
    price: float
    volume: float
    side: int
    message: MdExecReport


@dataclass(frozen=True, slots=True)
class SequenceGap:
    """Frames numbered ``expected`` .. ``received - 1`` never arrived."""

    expected: int
    received: int

    @property
    def missing(self) -> int:
        return self.received - self.expected


BookEvent = BookUpdated | TradeReported | SequenceGap


class SequenceTracker:
    """Checks that one connection's ``msg_seq_num`` runs 1, 2, 3 ... without a gap."""

    def __init__(self) -> None:
        self.last = 0
        #: how many gaps were seen, and how many frames they lost in total
        self.gaps = 0
        self.missing = 0

    def check(self, message: Message) -> SequenceGap | None:
        """The gap before ``message``, if any (frames without the field are ignored)."""
        seq = getattr(message, "msg_seq_num", None)
        if seq is None:
            return None
        expected = self.last + 1
        self.last = seq
        if seq <= expected:  # in order (or a restart/repeat: nothing to report as lost)
            return None
        self.gaps += 1
        self.missing += seq - expected
        return SequenceGap(expected, seq)


@dataclass(eq=False)
class LocalBook:
    """One instrument's book as the market-data frames show it."""

    symbol_enum: int
    symbol: str = ""
    bids: list[BookLevel] = field(default_factory=list)
    asks: list[BookLevel] = field(default_factory=list)
    #: price, volume and side of the last trade (None before the first)
    last_trade: tuple[float, float, int] | None = None
    last_trade_price: float = 0.0
    volume_24h: float = 0.0
    high_24h: float = 0.0
    low_24h: float = 0.0
    #: depth of the deepest frame received (0: none yet)
    depth: int = 0
    updates: int = 0
    #: the most recent trades, newest last
    trades: deque[tuple[float, float, int]] = field(default_factory=lambda: deque(maxlen=50))

    @property
    def best_bid(self) -> BookLevel | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> BookLevel | None:
        return self.asks[0] if self.asks else None

    @property
    def spread(self) -> float | None:
        if not self.bids or not self.asks:
            return None
        return self.asks[0][0] - self.bids[0][0]

    def apply(self, message: Message) -> BookEvent | None:
        """Take one market-data frame of this instrument; what it changed, if anything."""
        if isinstance(message, MdExecReport):
            return self._trade(message)
        depth = _DEPTH_OF.get(type(message))
        if depth is None or not isinstance(message, Snapshot):
            return None
        if message.symbol:
            self.symbol = message.symbol
        if not isinstance(message, _ENTRY_MESSAGES):
            self.last_trade_price = message.last_trade_price
            self.volume_24h = message.last_24h_volume
            self.high_24h, self.low_24h = message.high, message.low
        if depth >= self.depth:
            self.depth = depth
            self.bids, self.asks = _levels(message)
        self.updates += 1
        return BookUpdated(self, message)

    def _trade(self, message: MdExecReport) -> TradeReported:
        if message.symbol:
            self.symbol = message.symbol
        trade = (message.price, message.volume, message.side)
        self.last_trade = trade
        self.last_trade_price = message.price
        self.trades.append(trade)
        return TradeReported(self, message.price, message.volume, message.side, message)


def _levels(message: Snapshot) -> tuple[list[BookLevel], list[BookLevel]]:
    """(bids, asks) of a snapshot frame, empty levels left out."""
    bids: list[BookLevel] = []
    asks: list[BookLevel] = []
    if isinstance(message, TopOfBook):
        if message.buy_volume:
            bids.append((message.buy_price, message.buy_volume, 0))
        if message.sell_volume:
            asks.append((message.sell_price, message.sell_volume, 0))
    elif isinstance(message, _LEVEL_MESSAGES):
        for level in message.levels:
            if level.buy_volume:
                bids.append((level.buy_price, level.buy_volume, level.buy_orders))
            if level.sell_volume:
                asks.append((level.sell_price, level.sell_volume, level.sell_orders))
    else:
        for entry in message.entries:
            if not entry.volume:
                continue
            target = bids if entry.side == Side.BUY else asks
            target.append((entry.price, entry.volume, 0))
    return bids, asks


class BookSet:
    """The local books of one market-data connection, keyed by ``symbol_enum`` (or name)."""

    def __init__(self) -> None:
        self.books: dict[int, LocalBook] = {}
        self.sequence = SequenceTracker()

    def __getitem__(self, symbol: int | str) -> LocalBook:
        """The book of a ``symbol_enum``, or of a symbol name (any case); KeyError if none."""
        if isinstance(symbol, str):
            for book in self.books.values():
                if book.symbol.upper() == symbol.upper():
                    return book
            raise KeyError(symbol)
        return self.books[symbol]

    def __contains__(self, symbol: object) -> bool:
        if isinstance(symbol, str):
            return any(b.symbol.upper() == symbol.upper() for b in self.books.values())
        return symbol in self.books

    def __iter__(self) -> Iterator[int]:
        return iter(self.books)

    def __len__(self) -> int:
        return len(self.books)

    def book(self, symbol_enum: int) -> LocalBook:
        """The book of ``symbol_enum``, created empty on first use."""
        found = self.books.get(symbol_enum)
        if found is None:
            found = self.books[symbol_enum] = LocalBook(symbol_enum)
        return found

    def feed(self, message: Message) -> list[BookEvent]:
        """Take one frame of the connection: the gap before it, then what it changed."""
        events: list[BookEvent] = []
        gap = self.sequence.check(message)
        if gap is not None:
            events.append(gap)
        if isinstance(message, Snapshot | MdExecReport):
            event = self.book(message.symbol_enum).apply(message)
            if event is not None:
                events.append(event)
        return events
