"""Matching: a taker against the opposite side, and the ends of an order's life.

:class:`Matcher` sweeps the opposite book side of a taker level by level
(:meth:`Matcher._aggress`), each level's displayed queue before its hidden
queue (:meth:`Matcher._match_queue`), and reports two :class:`Fill` events
per match, resting side first.  It also owns how an order leaves the engine:
filled (:meth:`Matcher._done`), the unfilled rest of a taker
(:meth:`Matcher._finish_taker`) and a cancel (:meth:`Matcher._kill`).

This is the hot path: locals are cached, and the position updates of the
per-fill loop are :meth:`_Pos.execute` written inline.
"""

from __future__ import annotations

from collections import deque

from crmd_twisted.engine.book import (
    _DONE,
    _DORMANT,
    _PEGGED,
    _STATIC,
    _Book,
    _Level,
    _Order,
    unrest,
)
from crmd_twisted.engine.state import EngineState
from crmd_twisted.engine.types import CancelReason, Cancelled, Event, Fill, fast_constructor

__all__ = ["Matcher"]

_mk_fill = fast_constructor(Fill)
_mk_can = fast_constructor(Cancelled)
_NEVER = -(1 << 62)  # a key below every real key: market orders cross everything
_OCO_SIBLING = CancelReason.OCO_SIBLING


class Matcher(EngineState):
    """Matching and the ends of an order's life (see the module docstring)."""

    def _aggress(self, book: _Book, t: _Order, ev: list[Event]) -> None:
        """Match taker ``t`` (owner order, not on the book) against the opposite side."""
        if t.side == 1:
            opp = book.asks
            lim_key = _NEVER if t.lim is None else -t.lim
        else:
            opp = book.bids
            lim_key = _NEVER if t.lim is None else t.lim
        keys = opp.keys
        if not keys or keys[-1] < lim_key:
            return
        levels = opp.levels
        pk = book.pk  # 0: the slow to_float conversion below
        need = t.open
        px = 0
        tcost = 0  # the taker's position is updated once, after the sweep
        while need and keys:
            k = keys[-1]
            if k < lim_key:
                break
            lvl = levels[k]
            px = lvl.price
            fpx = px / pk if pk else book.pg.to_float(px)
            need, cost = self._match_queue(book, lvl, lvl.q, True, t, need, fpx, ev)
            tcost += cost
            if need and lvl.h:
                need, cost = self._match_queue(book, lvl, lvl.h, False, t, need, fpx, ev)
                tcost += cost
            if lvl.n == 0:
                keys.pop()
                del levels[k]
        done = t.open - need
        t.open = need
        t.filled += done
        t.pos.execute(t.side, done, t.rp, tcost)
        if px:
            book.last = px
        if t.armed and done:
            self._disarm_oco(t, ev)

    def _match_queue(
        self,
        book: _Book,
        lvl: _Level,
        queue: deque[_Order],
        shown: bool,
        t: _Order,
        need: int,
        fpx: float,
        ev: list[Event],
    ) -> tuple[int, int]:
        """Fill up to ``need`` lots of taker ``t`` from the front of one queue of
        ``lvl`` (``shown``: the displayed one) at ``fpx``; returns (lots still
        needed, cost in tick-lots)."""
        sym = book.sym
        qk = book.qg.k
        tbuy = t.side == 1
        tacc, toid, tws, tfp = t.account, t.oid, t.wside, t.f_price
        exec_id = self._exec_id
        append = ev.append
        px = lvl.price
        tcost = 0
        while need and queue:
            o = queue[0]
            if o.level is None:  # cancelled (lazy deletion)
                queue.popleft()
                continue
            x = o.avail
            if x > need:
                x = need
            need -= x
            o.avail -= x
            o.open -= x
            lvl.tot -= x
            if shown:
                lvl.vis -= x
            p = o.parent  # an ICE layer reports on its ICE order
            if p is None:
                p = o
            else:
                p.open -= x
            p.filled += x
            pos = p.pos
            cost = px * x
            tcost += cost
            # pos.execute(maker side, x, p.rp, cost), inlined
            if tbuy:
                pos.os -= x
                pos.osc -= p.rp * x
                pos.es += x
                pos.esc += cost
            else:
                pos.ol -= x
                pos.olc -= p.rp * x
                pos.el += x
                pos.elc += cost
            exec_id += 1
            if qk:
                fx, prem, trem = x / qk, p.open / qk, need / qk
            else:
                qf = book.qg.to_float
                fx, prem, trem = qf(x), qf(p.open), qf(need)
            append(
                _mk_fill(exec_id, p.account, p.oid, sym, p.wside, p.f_price, fpx, fx, prem, False)
            )
            append(_mk_fill(exec_id, tacc, toid, sym, tws, tfp, fpx, fx, trem, True))
            if p.armed:
                self._disarm_oco(p, ev)
            if o.avail == 0:
                if o.open:
                    # display order: the next slice goes to the back of the level
                    nxt = o.refr if o.refr < o.open else o.open
                    o.avail = nxt
                    queue.popleft()
                    queue.append(o)
                    lvl.vis += nxt
                    self._seq += 1
                    o.seq = self._seq
                else:
                    self._retire_entry(lvl, queue, o, p, shown)
        self._exec_id = exec_id
        return need, tcost

    def _retire_entry(
        self, lvl: _Level, queue: deque[_Order], o: _Order, p: _Order, shown: bool
    ) -> None:
        """Entry ``o`` (front of ``queue``, owned by ``p``) is completely filled."""
        queue.popleft()
        if not shown:
            lvl.nhid -= 1
        o.level = None
        lvl.n -= 1
        if o.kind != _STATIC:
            lvl.npeg -= 1
        if p.open == 0:
            # self._done(p) inlined for the common plain order
            if p.kind == _STATIC and p.children is None:
                p.state = _DONE
                live = self._accounts[p.account].live
                if live.get(p.oid) is p:
                    del live[p.oid]
            else:
                self._done(p)

    def _fillable(self, book: _Book, side: int, lim: int, need: int) -> int:
        """Lots an order could execute right now up to ``need`` (FOK check)."""
        opp = book.asks if side == 1 else book.bids
        lim_key = -lim if side == 1 else lim
        keys, lv = opp.keys, opp.levels
        got = 0
        i = len(keys) - 1
        while i >= 0 and got < need:
            k = keys[i]
            if k < lim_key:
                break
            got += lv[k].tot
            i -= 1
        return got

    def _disarm_oco(self, o: _Order, ev: list[Event]) -> None:
        """The limit leg of an OCO executed: its stop leg goes away."""
        o.armed = False
        o.x.tver += 1
        o.book.ndormant -= 1
        ev.append(_mk_can(o.account, o.oid, o.oid, o.book.sym, o.wside, 0.0, _OCO_SIBLING))

    def _done(self, o: _Order) -> None:
        """A live order is completely filled or cancelled: forget it."""
        o.state = _DONE
        acct = self._accounts[o.account]
        if acct.live.get(o.oid) is o:
            del acct.live[o.oid]
        if o.kind == _PEGGED or o.children is not None:
            try:
                o.book.pegs.remove(o)
            except ValueError:
                pass

    def _finish_taker(self, o: _Order, reason: CancelReason, ev: list[Event]) -> None:
        """An order that does not rest: cancel its open rest (IOC/market)."""
        open_ = o.open
        o.pos.reserve(o.side, -open_, o.rp)
        o.open = 0
        o.state = _DONE
        acct = self._accounts[o.account]
        if acct.live.get(o.oid) is o:
            del acct.live[o.oid]
        if o.armed:
            self._disarm_oco(o, ev)
        ev.append(
            _mk_can(o.account, o.oid, o.oid, o.book.sym, o.wside, o.book.qg.to_float(open_), reason)
        )

    def _kill(self, o: _Order, cancel_id: int, reason: CancelReason, ev: list[Event]) -> None:
        """Cancel live order ``o`` completely and report it."""
        book = o.book
        if o.children is not None:
            for c in o.children:
                unrest(c)
            o.children = []
        else:
            unrest(o)
        if o.armed or o.state == _DORMANT:  # its trigger goes away
            o.armed = False
            o.x.tver += 1
            book.ndormant -= 1
        open_ = o.open
        o.pos.reserve(o.side, -open_, o.rp)
        o.open = 0
        self._done(o)
        ev.append(
            _mk_can(o.account, cancel_id, o.oid, book.sym, o.wside, book.qg.to_float(open_), reason)
        )
