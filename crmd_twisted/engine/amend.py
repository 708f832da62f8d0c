"""Cancel and cancel/replace of a live order (PROTOCOL.md 5.5, 5.6).

A replace keeps its place in the queue when its price stays and its open
quantity does not grow (:meth:`Amender._replace_in_place`); otherwise the
order is re-entered: a dormant order re-armed, an ICE order re-layered, a
pegged order re-pegged, anything else matched again and re-queued at the
back.  See docs/engine.md "Replace".
"""

from __future__ import annotations

from bisect import bisect_left

from crmd_twisted.engine.book import (
    _DONE,
    _DORMANT,
    _NO_EXT,
    _PEGGED,
    _RESTING,
    _STATIC,
    _Account,
    _Book,
    _Ext,
    _Order,
    rest,
    unrest,
)
from crmd_twisted.engine.order_types import ICE, _STOP_LIMIT_TYPES
from crmd_twisted.engine.pegs import place_ice, rest_peg
from crmd_twisted.engine.triggers import Triggers
from crmd_twisted.engine.types import (
    CancelOrder,
    CancelReason,
    Cancelled,
    Event,
    Rejected,
    ReplaceOrder,
    Replaced,
    fast_constructor,
)
from crmd_twisted.engine.validation import Fields, RiskCheck, ask_risk, check_fields
from crmd_twisted.wire.enums import RejectCode

__all__ = ["Amender"]

_mk_can = fast_constructor(Cancelled)
_mk_rej = fast_constructor(Rejected)
_mk_rep = fast_constructor(Replaced)
_USER = CancelReason.USER
_R_NOT_FOUND = RejectCode.ORIG_ORDER_NOT_FOUND


class Amender(Triggers):
    """Cancel and replace (see the module docstring)."""

    def _original(
        self, account: int, oid: int, orig: int, ev: list[Event]
    ) -> tuple[_Account, _Order] | None:
        """The live order a cancel or replace names, or None after rejecting it
        (45 for a used id, 25 for an id <= 0, 54 for no such live order)."""
        acct = self._accounts.get(account)
        if acct is not None and oid in acct.seen:
            ev.append(_mk_rej(account, oid, RejectCode.DUPLICATE_ORDER_ID, orig))
            return None
        if orig <= 0:
            ev.append(_mk_rej(account, oid, RejectCode.ORIG_ORDER_ID_INVALID, orig))
            return None
        o = acct.live.get(orig) if acct is not None else None
        if o is None or acct is None:
            ev.append(_mk_rej(account, oid, _R_NOT_FOUND, orig))
            return None
        return acct, o

    # ------------------------------------------------------------------ cancel

    def _cancel(self, cmd: CancelOrder, ev: list[Event]) -> _Book | None:
        account, oid, orig = cmd.account, cmd.order_id, cmd.orig_order_id
        found = self._original(account, oid, orig, ev)
        if found is None:
            return None
        acct, o = found
        acct.seen.add(oid)
        book = o.book
        lvl = o.level
        if lvl is None or o.kind != _STATIC or o.armed or o.hidden:
            self._kill(o, oid, _USER, ev)
            return book
        # hot path: a plain displayed order resting on the book (_kill, inlined)
        open_ = o.open
        lvl.vis -= o.avail
        lvl.tot -= open_
        lvl.n -= 1
        o.level = None
        o.state = _DONE
        o.open = 0
        del acct.live[orig]
        # o.pos.reserve(o.side, -open_, o.rp) and drop_level(side, lvl), inlined
        p = o.pos
        if o.side == 1:
            p.ol -= open_
            p.olc -= o.rp * open_
            side = book.bids
            key = lvl.price
        else:
            p.os -= open_
            p.osc -= o.rp * open_
            side = book.asks
            key = -lvl.price
        if not lvl.n:
            del side.levels[key]
            keys = side.keys
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]
        ev.append(
            _mk_can(
                account,
                oid,
                orig,
                book.sym,
                o.wside,
                open_ / book.qk if book.qk else book.qg.to_float(open_),
                _USER,
            )
        )
        return None if not (book.ndormant or book.pegs) else book

    # ------------------------------------------------------------------ replace

    def _replace(
        self, cmd: ReplaceOrder, risk_check: RiskCheck | None, ev: list[Event]
    ) -> _Book | None:
        account, oid, orig = cmd.account, cmd.order_id, cmd.orig_order_id
        found = self._original(account, oid, orig, ev)
        if found is None:
            return None
        acct, o = found
        f = self._check_replace(cmd, o, risk_check)
        if isinstance(f, RejectCode):
            ev.append(_mk_rej(account, oid, f, orig))
            return None
        price, qty, stop = f[0], f[1], f[2]
        # ---- accepted
        acct.seen.add(oid)
        if o.x is _NO_EXT:  # a plain LMT order from the hot path: give it its own fields
            o.x = _Ext()
        new_lim = stop if o.otype in _STOP_LIMIT_TYPES else price
        new_open = qty - o.filled
        keep = (
            o.state == _RESTING and o.children is None and new_lim == o.lim and new_open <= o.open
        )
        self._apply_replace(acct, o, cmd, f, new_lim, new_open, ev)
        book = o.book
        if keep:
            self._replace_in_place(o, price, stop, new_open)
        elif o.state == _DORMANT:
            o.price, o.x.stop, o.open = price, stop, new_open
            o.x.trig = price
            o.x.tver += 1
            self._arm_conditional(book, o)
        elif o.children is not None:
            for c in o.children:
                unrest(c, eager=True)
            o.children = []
            o.price, o.lim, o.open = price, price, new_open
            place_ice(book, o)
        else:
            self._replace_requeue(book, o, price, stop, new_lim, new_open, ev)
        return book

    def _check_replace(
        self, cmd: ReplaceOrder, o: _Order, risk_check: RiskCheck | None
    ) -> Fields | RejectCode:
        """The checked fields of replace ``cmd`` of ``o``, or the reject code."""
        book = o.book
        ot = o.otype
        f = check_fields(book, ot, cmd, o.disp > 0, o.x.f_stop, o)
        if isinstance(f, RejectCode):
            return f
        price, qty, stop = f[0], f[1], f[2]
        if qty <= o.filled:
            return RejectCode.SIZE_INVALID
        if risk_check is not None:
            code = ask_risk(
                risk_check,
                cmd,
                book,
                o.wside,
                ot,
                o.tif,
                float(cmd.stop_limit_price) or o.x.f_stop,
                stop if ot in _STOP_LIMIT_TYPES else price,
                qty - o.filled,
                existing=o,
            )
            if code is not None:
                return code
        return f

    def _apply_replace(
        self,
        acct: _Account,
        o: _Order,
        cmd: ReplaceOrder,
        f: Fields,
        rp: int,
        new_open: int,
        ev: list[Event],
    ) -> None:
        """Move the reservation, the id and the fields of ``o`` to the replace and
        report it (where it rests is the caller's part)."""
        _price, qty, stop, layers, sinc, pinc, poff, disp, refr = f
        o.pos.move_reserve(o.side, o.open, o.rp, new_open, rp)
        del acct.live[o.oid]
        acct.live[cmd.order_id] = o
        orig = o.oid
        o.oid = cmd.order_id
        x = o.x
        x.replaced = True
        o.rp = rp
        o.f_price = float(cmd.price)
        if stop:
            x.f_stop = float(cmd.stop_limit_price) or x.f_stop
        if o.otype == ICE and cmd.layers:
            x.f_sinc = float(cmd.size_increment)
            x.f_pinc = float(cmd.price_increment)
            x.f_poff = float(cmd.price_offset)
        if disp and (cmd.display_size or cmd.refresh_size):
            x.f_disp = float(cmd.display_size)
            x.f_refr = float(cmd.refresh_size)
        x.layers, x.sinc, x.pinc, x.poff = layers, sinc, pinc, poff
        o.disp, o.refr = disp, refr
        o.qty = qty
        qf = o.book.qg.to_float
        ev.append(
            _mk_rep(o.account, o.oid, orig, o.book.sym, o.wside, o.f_price, qf(qty), qf(new_open))
        )

    def _replace_in_place(self, o: _Order, price: int, stop: int, new_open: int) -> None:
        """Same price, open quantity not larger: ``o`` keeps its queue place."""
        lvl = o.level
        assert lvl is not None
        lvl.tot -= o.open - new_open
        o.open = new_open
        if o.hidden:
            o.avail = new_open
        else:
            na = o.avail if o.avail < new_open else new_open
            lvl.vis -= o.avail - na
            o.avail = na
        o.price = price
        o.x.stop = stop
        if o.armed and stop != o.x.trig:
            o.x.trig = stop
            o.x.tver += 1
            self._arm_stop_leg(o)

    def _replace_requeue(
        self,
        book: _Book,
        o: _Order,
        price: int,
        stop: int,
        new_lim: int,
        new_open: int,
        ev: list[Event],
    ) -> None:
        """``o`` loses its queue place: re-peg it, or match it again and re-queue it."""
        unrest(o, eager=True)
        o.price, o.x.stop, o.open = price, stop, new_open
        self._seq += 1
        o.seq = self._seq
        if o.kind == _PEGGED:
            o.lim = price
            rest_peg(book, o)
            return
        o.lim = new_lim
        if o.armed:
            o.x.trig = stop
            o.x.tver += 1
            self._arm_stop_leg(o)
        self._aggress(book, o, ev)
        if o.open:
            rest(book, o)
        else:
            self._done(o)
