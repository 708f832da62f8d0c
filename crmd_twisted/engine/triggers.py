"""Conditional orders: stop, sniper and trailing triggers, and the OCO stop leg.

A dormant order (or an OCO's armed stop leg) sits in a trigger heap of its
book keyed by (reference source, order side, rising); :meth:`Triggers._settle`
fires the first order whose condition holds, moves trailing stops, reprices
pegs, and repeats until the book is stable.  A fired order then matches like
a taker (:mod:`crmd_twisted.engine.matching`).
"""

from __future__ import annotations

import heapq

from crmd_twisted.engine.book import _DORMANT, _RESTING, _Book, _Order, rest, unrest
from crmd_twisted.engine.matching import Matcher
from crmd_twisted.engine.order_types import (
    OCO,
    SNIPER_LMT,
    STOP_LMT,
    TSL,
    _SNIPER,
    _TRAILING,
)
from crmd_twisted.engine.pegs import reprice
from crmd_twisted.engine.types import (
    CancelReason,
    Cancelled,
    Event,
    TrailingMode,
    TriggerSource,
    Triggered,
    fast_constructor,
)

__all__ = ["Triggers"]

_mk_can = fast_constructor(Cancelled)
_mk_trg = fast_constructor(Triggered)


def _reference(book: _Book, source: int, side: int) -> int | None:
    """The trigger reference price in ticks (last trade, or the opposite best)."""
    if source == TriggerSource.LAST_TRADE:
        return book.last
    return book.asks.best() if side == 1 else book.bids.best()


class Triggers(Matcher):
    """Arming, moving and firing triggers (see the module docstring)."""

    def _arm(self, o: _Order, source: TriggerSource, rising: bool) -> None:
        """Push ``o`` at its trigger level ``o.x.trig`` into the matching heap."""
        key = (int(source), o.side, rising)
        heap = o.book.heaps.get(key)
        if heap is None:
            heap = o.book.heaps[key] = []
        self._seq += 1
        heapq.heappush(heap, (o.x.trig if rising else -o.x.trig, self._seq, o, o.x.tver))

    def _arm_stop_leg(self, o: _Order) -> None:
        """Arm OCO ``o``'s stop leg at ``o.x.trig``."""
        self._arm(o, self.rules.stop_trigger, o.side == 1)

    def _arm_conditional(self, book: _Book, o: _Order) -> None:
        """Arm dormant order ``o`` at its trigger level ``o.x.trig`` (its price)."""
        if o.otype in _SNIPER:
            self._arm(o, self.rules.sniper_trigger, o.side == 2)
            return
        if o.otype in _TRAILING:
            self._init_trailing(book, o)
        self._arm(o, self.rules.stop_trigger, o.side == 1)

    def _init_trailing(self, book: _Book, o: _Order) -> None:
        r = self.rules
        ref = _reference(book, r.stop_trigger, o.side)
        if r.trailing_mode == TrailingMode.INITIAL_DISTANCE and ref is not None:
            o.x.tdist = abs(o.x.trig - ref)
        else:
            o.x.tdist = r.trailing_ticks
        o.x.tloff = o.x.stop - o.price  # TSL: limit distance from the stop
        if o not in book.trailing:
            book.trailing.append(o)

    def _trail(self, book: _Book) -> None:
        """Move trailing stops behind a favourable reference move."""
        src = self.rules.stop_trigger
        keep = []
        for o in book.trailing:
            if o.state != _DORMANT:
                continue
            keep.append(o)
            ref = _reference(book, src, o.side)
            if ref is None:
                continue
            if o.side == 2:
                ns = ref - o.x.tdist
                if ns > o.x.trig:
                    o.x.trig = ns
                    o.x.tver += 1
                    self._arm(o, src, False)
            else:
                ns = ref + o.x.tdist
                if ns < o.x.trig:
                    o.x.trig = ns
                    o.x.tver += 1
                    self._arm(o, src, True)
        book.trailing = keep

    def _fire_one(self, book: _Book, ev: list[Event]) -> bool:
        """Fire the first conditional order whose trigger condition holds."""
        for (source, side, rising), heap in sorted(book.heaps.items()):
            ref = _reference(book, source, side)
            if ref is None:
                continue
            while heap:
                k, _s, o, ver = heap[0]
                if o.x.tver != ver or not (o.state == _DORMANT or o.armed):
                    heapq.heappop(heap)
                    continue
                if (k <= ref) if rising else (k <= -ref):
                    heapq.heappop(heap)
                    self._fire(book, o, ev)
                    return True
                break
        return False

    def _fired_limit(self, o: _Order) -> int | None:
        """The limit a fired order of ``o``'s type matches with (None: market)."""
        ot = o.otype
        if ot == STOP_LMT:
            return o.x.stop
        if ot == TSL:
            lim = o.x.trig + o.x.tloff if self.rules.tsl_limit_trails else o.x.stop
            return max(lim, 1)
        if ot == SNIPER_LMT:
            return o.price
        return None  # OCO stop leg, STOP_MKT, TSM, SNIPER_MKT

    def _fire(self, book: _Book, o: _Order, ev: list[Event]) -> None:
        ot = o.otype
        book.ndormant -= 1
        o.x.tver += 1
        o.x.triggered = True
        ev.append(_mk_trg(o.account, o.oid, book.sym, o.wside, ot, book.pg.to_float(o.x.trig)))
        if ot == OCO:
            o.armed = False
            unrest(o)
            ev.append(
                _mk_can(o.account, o.oid, o.oid, book.sym, o.wside, 0.0, CancelReason.OCO_SIBLING)
            )
        o.lim = self._fired_limit(o)
        o.state = _RESTING
        self._seq += 1
        o.seq = self._seq
        self._aggress(book, o, ev)
        if o.open:
            if o.lim is None:
                self._finish_taker(o, CancelReason.MARKET_REMAINDER, ev)
            else:
                rest(book, o)
        else:
            self._done(o)

    def _settle(self, book: _Book, ev: list[Event]) -> None:
        """Run triggers and re-pegging until the book is stable."""
        for _ in range(1_000_000):
            if book.trailing:
                self._trail(book)
            fired = book.ndormant > 0 and self._fire_one(book, ev)
            moved = bool(book.pegs) and reprice(book)
            if not fired and not moved:
                return
