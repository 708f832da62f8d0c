"""The market-data server's rules and state, free of I/O (no Twisted import).

:class:`MarketDataCore` is fed in event order by whoever drives the matching
engine and decides what each subscriber receives:

* ``core.on_events(events)`` after every engine call (O(1) per event: it notes
  the instruments that changed and queues one :class:`~.snapshot.Trade` per
  match, from the ``Fill`` with ``aggressor=True``);
* ``core.subscribe(subscriber, md_subscribe)`` for each received frame;
* ``core.flush()`` when the shell is ready to write (once per reactor turn):
  it returns :class:`Send` decisions - the trades each subscriber has not had
  yet, then a snapshot for every subscription whose frame would now show
  something different from the last one sent - and :class:`Disconnect`
  decisions for subscribers that fell too far behind.

Slow readers: the shell calls :meth:`MarketDataCore.pause` when a transport
cannot take more and :meth:`MarketDataCore.resume` when it can.  A paused
subscriber gets no snapshots (its subscriptions only remember the last frame
sent, so on resume it gets the *latest* book, never a queue of old ones); its
trades wait in a bounded backlog, and past ``max_trade_backlog`` it is
disconnected.  Memory per subscriber is therefore bounded by its subscriptions
plus the backlog limit.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.engine import Fill, Instrument, MatchingEngine, Rejected
from crmd_twisted.keys import SessionKeys
from crmd_twisted.mds.snapshot import (
    BookSnapshot,
    Depth,
    Trade,
    book_message,
    depth_for,
    exec_report,
)
from crmd_twisted.mds.stats import NS_PER_DAY, RollingStats
from crmd_twisted.wire import MdSubscribe, Message, Subscription
from crmd_twisted.wire.enums import RejectCode, Side, SubscribeAction

__all__ = [
    "DEFAULT_TRADE_BACKLOG",
    "DirectoryKeyCheck",
    "Disconnect",
    "DisconnectReason",
    "KeyCheck",
    "MarketDataCore",
    "MarketDataDecision",
    "Refused",
    "Send",
    "SkipReason",
    "SlotSkipped",
    "Subscribed",
    "Subscriber",
    "Unsubscribed",
]

#: Trades a paused subscriber may fall behind before it is disconnected.
DEFAULT_TRADE_BACKLOG = 1000

#: ``(account, session_key, trading_session_id)`` -> the session id, or a reject code.
KeyCheck = Callable[[int, int, int], "int | RejectCode"]

#: engine side -> side reported in md_exec_report (SELLSHORT trades as SELL)
_AGGRESSOR_SIDE = {
    int(Side.BUY): Side.BUY, int(Side.SELL): Side.SELL, int(Side.SELLSHORT): Side.SELL
}


class DirectoryKeyCheck:
    """Checks an AES key (K1) carried by ``md_subscribe`` (which names no user).

    K1 is a MAC over (account, user, session id), so the key must check out for
    one of the users the directory knows for the account (the configured ones;
    in an open directory, those that have logged on in this process).  A
    non-zero trading session id must be the one the key was issued for; 0 is
    accepted, as at the OES.  With ``check_keys`` False any key passes.
    """

    def __init__(
        self, keys: SessionKeys, directory: AccountDirectory, *, check_keys: bool = True
    ) -> None:
        self.keys = keys
        self.directory = directory
        self.check_keys = check_keys

    def __call__(self, account: int, key: int, trading_session_id: int) -> int | RejectCode:
        if not self.check_keys:
            return trading_session_id or key >> 16 or 1
        for known in self.directory:
            if known.account != account or known.disabled:
                continue
            sid = self.keys.session_of(account, known.user, key)
            if sid is not None:
                if trading_session_id not in (0, sid):
                    return RejectCode.TRADING_SESSION_INVALID
                return sid
        return RejectCode.INVALID_KEY


class SkipReason(StrEnum):
    """Why one slot of an ``md_subscribe`` was skipped (the other slots stand)."""

    UNKNOWN_SYMBOL = "unknown symbol"
    UNKNOWN_ACTION = "unknown action"
    NOT_SUBSCRIBED = "not subscribed"


class DisconnectReason(StrEnum):
    """Why the MDS drops a subscriber."""

    TOO_FAR_BEHIND = "too many trades behind"


@dataclass(eq=False, slots=True)
class _Subscription:
    #: what the last frame sent showed (None: nothing sent yet)
    last_view: tuple[Any, ...] | None = None
    #: compare with the book at the next flush even if the instrument did not change
    check: bool = True


@dataclass(eq=False, slots=True)
class Subscriber:
    """One MDS connection as the core sees it; ``owner`` is the shell's object."""

    owner: object
    account: int = 0
    trading_session_id: int = 0
    session_key: int = 0
    writable: bool = True
    alive: bool = True
    subscriptions: dict[tuple[int, Depth], _Subscription] = field(default_factory=dict)
    trades: deque[Trade] = field(default_factory=deque)


@dataclass(frozen=True, slots=True)
class Refused:
    """The frame's key or session id did not check out: log out with ``reason``."""

    subscriber: Subscriber
    reason: RejectCode


@dataclass(frozen=True, slots=True)
class SlotSkipped:
    """Slot ``slot`` (1..5) was skipped for ``reason``; log it."""

    subscriber: Subscriber
    slot: int
    reason: SkipReason
    subscription: Subscription


@dataclass(frozen=True, slots=True)
class Subscribed:
    subscriber: Subscriber
    symbol_enum: int
    depth: Depth
    layers: int


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    subscriber: Subscriber
    symbol_enum: int
    depth: Depth


@dataclass(frozen=True, slots=True)
class Send:
    """Write ``messages`` to the subscriber, in this order."""

    subscriber: Subscriber
    messages: list[Message]


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Close the subscriber's connection (it is already forgotten by the core)."""

    subscriber: Subscriber
    reason: DisconnectReason
    backlog: int


MarketDataDecision = Refused | SlotSkipped | Subscribed | Unsubscribed | Send | Disconnect


@dataclass(slots=True)
class _FlushFrames:
    """What one flush built, shared by all its subscribers."""

    snapshots: dict[int, BookSnapshot] = field(default_factory=dict)
    #: (symbol_enum, depth) -> (view, frame showing it)
    books: dict[tuple[int, Depth], tuple[tuple[Any, ...], Message]] = field(
        default_factory=dict
    )
    reports: dict[Trade, Message] = field(default_factory=dict)


class MarketDataCore:
    """Subscriptions, snapshots, change detection, conflation and trade fan-out."""

    def __init__(
        self,
        engine: MatchingEngine,
        key_check: KeyCheck,
        *,
        clock: Callable[[], int] = time.time_ns,
        max_trade_backlog: int = DEFAULT_TRADE_BACKLOG,
        stats_window_ns: int = NS_PER_DAY,
    ) -> None:
        self.engine = engine
        self.key_check = key_check
        self.clock = clock
        self.max_trade_backlog = max_trade_backlog
        self.instruments: dict[int, Instrument] = {i.symbol_enum: i for i in engine.instruments}
        self._by_name = {i.symbol: i for i in engine.instruments}
        self.stats: dict[int, RollingStats] = {
            sym: RollingStats(stats_window_ns) for sym in self.instruments
        }
        self.subscribers: dict[Subscriber, None] = {}  # an ordered set
        self._by_symbol: dict[int, dict[Subscriber, None]] = {s: {} for s in self.instruments}
        self._dirty: set[int] = set()
        self._trades: list[Trade] = []
        self._pending = False

    # -- connections ---------------------------------------------------------------------

    def connect(self, owner: object) -> Subscriber:
        """A new MDS connection; ``owner`` is whatever the shell wants back in decisions."""
        sub = Subscriber(owner)
        self.subscribers[sub] = None
        return sub

    def disconnect(self, sub: Subscriber) -> None:
        """Forget ``sub`` (connection lost or dropped)."""
        if not sub.alive:
            return
        sub.alive = False
        self.subscribers.pop(sub, None)
        for sym, _depth in sub.subscriptions:
            self._by_symbol[sym].pop(sub, None)
        sub.subscriptions.clear()
        sub.trades.clear()

    def pause(self, sub: Subscriber) -> None:
        """The subscriber's transport cannot take more for now."""
        sub.writable = False

    def resume(self, sub: Subscriber) -> None:
        """The transport can take more: the next flush brings it up to date."""
        sub.writable = True
        for state in sub.subscriptions.values():
            state.check = True
        self._pending = True

    @property
    def due(self) -> bool:
        """True when a :meth:`flush` has something to do."""
        return self._pending or bool(self._dirty) or bool(self._trades)

    # -- subscriptions -------------------------------------------------------------------

    def _instrument(self, slot: Subscription) -> Instrument | None:
        if slot.symbol_enum:
            inst = self.instruments.get(slot.symbol_enum)
            if inst is not None and slot.symbol and slot.symbol != inst.symbol:
                return None  # number and name disagree
            return inst
        return self._by_name.get(slot.symbol)

    def subscribe(self, sub: Subscriber, request: MdSubscribe) -> list[MarketDataDecision]:
        """Apply one ``md_subscribe`` frame; snapshots follow at the next flush."""
        if not sub.alive:
            return []
        checked = self.key_check(request.account, request.session_key, request.trading_session_id)
        if isinstance(checked, RejectCode):
            return [Refused(sub, checked)]
        # trades that happened before this frame belong to the earlier subscribers only
        self._distribute_trades()
        sub.account, sub.session_key = request.account, request.session_key
        sub.trading_session_id = checked
        out: list[MarketDataDecision] = []
        for number, slot in enumerate(request.subscriptions, 1):
            if slot.action == SubscribeAction.UNUSED and not slot.symbol_enum and not slot.symbol:
                continue
            if slot.action not in (SubscribeAction.SUBSCRIBE, SubscribeAction.UNSUBSCRIBE):
                out.append(SlotSkipped(sub, number, SkipReason.UNKNOWN_ACTION, slot))
                continue
            inst = self._instrument(slot)
            if inst is None:
                out.append(SlotSkipped(sub, number, SkipReason.UNKNOWN_SYMBOL, slot))
            elif slot.action == SubscribeAction.SUBSCRIBE:
                depth = depth_for(slot.layers)
                # (re)subscribing always brings a fresh snapshot
                sub.subscriptions[(inst.symbol_enum, depth)] = _Subscription()
                self._by_symbol[inst.symbol_enum][sub] = None
                self._pending = True
                out.append(Subscribed(sub, inst.symbol_enum, depth, slot.layers))
            else:
                out.extend(self._unsubscribe(sub, number, slot, inst.symbol_enum))
        return out

    def _unsubscribe(
        self, sub: Subscriber, number: int, slot: Subscription, sym: int
    ) -> list[MarketDataDecision]:
        """'U' with layers 0 drops every depth of the symbol, otherwise that depth."""
        if slot.layers:
            keys = [(sym, depth_for(slot.layers))]
        else:
            keys = [k for k in sub.subscriptions if k[0] == sym]
        gone = [k for k in keys if sub.subscriptions.pop(k, None) is not None]
        if not gone:
            return [SlotSkipped(sub, number, SkipReason.NOT_SUBSCRIBED, slot)]
        if not any(k[0] == sym for k in sub.subscriptions):
            self._by_symbol[sym].pop(sub, None)
            # trades of that symbol still waiting for a paused subscriber are moot now
            sub.trades = deque(t for t in sub.trades if t.symbol_enum != sym)
        return [Unsubscribed(sub, s, d) for s, d in gone]

    # -- feeding -------------------------------------------------------------------------

    def on_events(self, events: Iterable[object]) -> None:
        """Take the engine's events of one command, in order (cheap: no book is read)."""
        now = 0
        for e in events:
            if type(e) is Fill:
                if e.aggressor:
                    if not now:
                        now = self.clock()
                    self._trades.append(
                        Trade(e.symbol_enum, e.exec_price, e.exec_qty,
                              _AGGRESSOR_SIDE.get(e.side, Side.SELL), e.exec_id)
                    )  # fmt: skip
                    self.stats[e.symbol_enum].add(now, e.exec_price, e.exec_qty)
                self._dirty.add(e.symbol_enum)
            elif type(e) is not Rejected:
                sym = getattr(e, "symbol_enum", None)
                if sym is not None:
                    self._dirty.add(sym)

    def snapshot(self, symbol_enum: int, levels: int = int(Depth.THIRTY)) -> BookSnapshot:
        """The visible book and statistics of one instrument now."""
        inst = self.instruments[symbol_enum]
        bids, asks = self.engine.depth(symbol_enum, levels)
        stats = self.stats[symbol_enum].stats
        last = self.engine.last_trade_price(symbol_enum)
        if last is not None and last != stats.last_price:
            stats = type(stats)(last, stats.volume, stats.high, stats.low)
        return BookSnapshot(
            symbol_enum, inst.symbol, inst.symbol_type,
            tuple((b.price, b.quantity, b.orders) for b in bids),
            tuple((a.price, a.quantity, a.orders) for a in asks),
            stats,
        )  # fmt: skip

    # -- flushing ------------------------------------------------------------------------

    def flush(self) -> list[MarketDataDecision]:
        """Everything due now: trades, changed snapshots, drops of laggards."""
        now = self.clock()
        for sym, rolling in self.stats.items():
            if rolling.expire(now):
                self._dirty.add(sym)
        self._distribute_trades()
        dirty, self._dirty = self._dirty, set()
        self._pending = False
        frames = _FlushFrames()
        out: list[MarketDataDecision] = []
        for sub in list(self.subscribers):
            if not sub.writable:
                if len(sub.trades) > self.max_trade_backlog:
                    out.append(Disconnect(sub, DisconnectReason.TOO_FAR_BEHIND, len(sub.trades)))
                    self.disconnect(sub)
                continue
            messages = self._due(sub, dirty, frames, now)
            if messages:
                out.append(Send(sub, messages))
        return out

    def _distribute_trades(self) -> None:
        """Hand the queued trades to the backlogs of the subscribers of their symbol."""
        trades, self._trades = self._trades, []
        for trade in trades:
            for sub in self._by_symbol[trade.symbol_enum]:
                sub.trades.append(trade)

    def _due(
        self, sub: Subscriber, dirty: set[int], frames: _FlushFrames, now: int
    ) -> list[Message]:
        """What *sub* gets now.  Within one flush every snapshot, view and frame is built
        once and shared by all subscribers (the connections number frames as they send)."""
        messages: list[Message] = []
        while sub.trades:
            trade = sub.trades.popleft()
            report = frames.reports.get(trade)
            if report is None:
                inst = self.instruments[trade.symbol_enum]
                report = exec_report(trade, inst.symbol, inst.symbol_type, now)
                frames.reports[trade] = report
            messages.append(report)
        for key, state in sub.subscriptions.items():
            if not state.check and key[0] not in dirty:
                continue
            state.check = False
            built = frames.books.get(key)
            if built is None:
                built = frames.books[key] = self._frame(key, frames, now)
            view, message = built
            if view != state.last_view:
                state.last_view = view
                messages.append(message)
        return messages

    def _frame(
        self, key: tuple[int, Depth], frames: _FlushFrames, now: int
    ) -> tuple[tuple[Any, ...], Message]:
        sym, depth = key
        snap = frames.snapshots.get(sym)
        if snap is None:
            snap = frames.snapshots[sym] = self.snapshot(sym)
        view = snap.view(depth)
        return view, book_message(snap, depth, view, now)
