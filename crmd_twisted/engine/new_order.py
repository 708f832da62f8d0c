"""New orders: validate, build, then enter by kind (limit, market, pegged, conditional).

:meth:`OrderEntry._new` runs the named steps of PROTOCOL.md 8.2 for any new
order; :meth:`OrderEntry._fast_limit` is the hot path of a plain LMT order
(no attributes; no risk hook or a cheap one) and hands anything unusual,
every grid reject included, to :meth:`OrderEntry._new`, so the rules live in
one place.
"""

from __future__ import annotations

from enum import Enum

from crmd_twisted.engine.book import (
    _DORMANT,
    _NO_EXT,
    _RESTING,
    _STATIC,
    _Account,
    _Book,
    _Order,
    market_cost,
    rest,
)
from crmd_twisted.engine.order_types import (
    DAY,
    FOK,
    GTC,
    HIDDEN,
    ICE,
    IOC,
    LMT,
    MKT,
    OCO,
    ORDER_TYPE_RULES,
    PEG_HIDDEN,
    _CONDITIONAL,
    _LIMIT_TYPES,
    _PEGGED_TYPES,
    _STOP_LIMIT_TYPES,
)
from crmd_twisted.engine.amend import Amender
from crmd_twisted.engine.pegs import rest_ice, rest_peg
from crmd_twisted.engine.types import (
    Accepted,
    CancelReason,
    Cancelled,
    Event,
    NewOrder,
    Rejected,
    fast_constructor,
)
from crmd_twisted.engine.validation import (
    _MIN_PRICE_TOL,
    Fields,
    LimitRiskCheck,
    RiskCheck,
    ask_risk,
    check_fields,
    check_type_rules,
    parse_attrs,
)
from crmd_twisted.wire.enums import NO_ATTRIBUTES, RejectCode

__all__ = ["OFF_PATH", "OrderEntry"]

_mk_acc = fast_constructor(Accepted)
_mk_can = fast_constructor(Cancelled)
_mk_rej = fast_constructor(Rejected)
_new_obj = object.__new__
_NO_FLAGS = (False, False)  # (hidden, display) of an order without attributes


class _OffPath(Enum):
    OFF_PATH = "off the hot path"


#: What the hot path answers for an order it does not take (nothing was changed).
OFF_PATH = _OffPath.OFF_PATH


#: A new order that passed validation: (book, account, book side 1 buy / 2 sell,
#: HIDDEN attribute set, its fields, reserve price in ticks - what risk and open
#: cash use).  A plain tuple for speed, like :data:`Fields`.
_Checked = tuple[_Book, _Account, int, bool, Fields, int]


class OrderEntry(Amender):
    """New orders (see the module docstring)."""

    def _new(self, cmd: NewOrder, risk_check: RiskCheck | None, ev: list[Event]) -> _Book | None:
        """Validate ``cmd``, build the order and enter it; the book touched, or None."""
        checked = self._validate_new(cmd, risk_check)
        if isinstance(checked, RejectCode):
            ev.append(_mk_rej(cmd.account, cmd.order_id, checked, 0))
            return None
        o = self._build(cmd, checked)
        ot = o.otype
        if ot in _LIMIT_TYPES:
            self._enter_limit(o, ev)
        elif ot == MKT:
            o.lim = None
            self._aggress(o.book, o, ev)
            if o.open:
                self._finish_taker(o, CancelReason.MARKET_REMAINDER, ev)
        elif ot in _PEGGED_TYPES:
            self._enter_pegged(o, ev)
        else:
            self._enter_conditional(o, ev)
        return o.book

    # ---------------------------------------------------------------- validate

    def _validate_new(self, cmd: NewOrder, risk_check: RiskCheck | None) -> _Checked | RejectCode:
        """Rows 1-32 of PROTOCOL.md 8.2 for a new order, in that order."""
        account, ot = cmd.account, cmd.order_type
        rule = ORDER_TYPE_RULES.get(ot)
        if rule is None:
            return RejectCode.ORD_TYPE_INVALID
        book = self._books.get(cmd.symbol_enum)
        if book is None:
            return RejectCode.SYMBOL_ENUM_INVALID
        wside = cmd.side
        side = 1 if wside == 1 else 2 if wside == 2 or wside == 3 else 0  # a short sell (3) sells
        if not side:
            return RejectCode.ORDER_SIDE_INVALID
        acct = self._accounts.get(account)
        if acct is None:
            acct = self._account(account)
        if cmd.order_id in acct.seen:
            return RejectCode.DUPLICATE_ORDER_ID
        flags = _NO_FLAGS if cmd.attributes == NO_ATTRIBUTES else parse_attrs(cmd.attributes)
        if flags is None or not check_type_rules(rule, cmd.time_in_force, *flags):
            return RejectCode.INVALID_FIELD_VALUE
        hidden, display = flags
        f = check_fields(book, ot, cmd, display, 0.0, None)
        if isinstance(f, RejectCode):
            return f
        rp = f[2] if ot in _STOP_LIMIT_TYPES else f[0]  # stop, else price
        if risk_check is not None:
            mc = market_cost(book, side, cmd.order_qty) if ot == MKT else None
            code = ask_risk(
                risk_check, cmd, book, cmd.side, ot, cmd.time_in_force,
                float(cmd.stop_limit_price), rp, f[1], mc,
            )  # fmt: skip
            if code is not None:
                return code
        code = self._check_matchable(book, ot, cmd.time_in_force, side, f)
        if code is not None:
            return code
        return book, acct, side, hidden, f, rp

    def _check_matchable(
        self, book: _Book, ot: int, tif: int, side: int, f: Fields
    ) -> RejectCode | None:
        """Row 32: MKT with nothing to match, FOK that cannot fill completely."""
        if ot == MKT:
            if not (book.asks.keys if side == 1 else book.bids.keys):
                return RejectCode.NO_MARKET_MAKER_VOLUME
        elif tif == FOK and ot not in _CONDITIONAL:
            price, qty = f[0], f[1]
            fillable = 0 if ot in _PEGGED_TYPES else self._fillable(book, side, price, qty)
            if fillable < qty:
                return RejectCode.MATCHING_ENGINE_REJECTED
        return None

    # ---------------------------------------------------------------- build

    def _build(self, cmd: NewOrder, c: _Checked) -> _Order:
        """The accepted order: its id is used and its quantity is open."""
        book, acct, side, hidden, f, rp = c
        price, qty, stop, layers, sinc, pinc, poff, disp, refr = f
        ot = cmd.order_type
        acct.seen.add(cmd.order_id)
        o = _Order()
        o.account = cmd.account
        o.oid = cmd.order_id
        o.book = book
        o.side = side
        o.wside = cmd.side
        o.otype = ot
        o.tif = cmd.time_in_force  # (MKT executes as IOC whatever it says)
        o.price = price
        o.qty = o.open = qty
        o.rp = rp
        o.f_price = float(cmd.price) if ot != MKT else 0.0
        o.hidden = hidden or ot == HIDDEN or ot == PEG_HIDDEN
        o.disp, o.refr = disp, refr
        x = o.x
        x.attrs = cmd.attributes
        x.stop = stop
        x.f_stop = float(cmd.stop_limit_price)
        x.f_disp = float(cmd.display_size)
        x.f_refr = float(cmd.refresh_size)
        x.layers = layers
        x.f_sinc = float(cmd.size_increment)
        x.f_pinc = float(cmd.price_increment)
        x.f_poff = float(cmd.price_offset)
        x.sinc, x.pinc, x.poff = sinc, pinc, poff
        self._seq += 1
        o.seq = self._seq
        p = acct.pos.get(book.sym)
        o.pos = p if p is not None else acct.position(book.sym)
        o.pos.reserve(side, qty, rp)
        o.state = _RESTING
        return o

    # ---------------------------------------------------------------- enter

    def _accept(self, o: _Order, ev: list[Event]) -> None:
        """``o`` lives on: index it, register a DAY order, report it (open quantity)."""
        self._accounts[o.account].live[o.oid] = o
        if o.tif == DAY:
            self._add_day(o)
        book = o.book
        ev.append(
            _mk_acc(
                o.account, o.oid, book.sym, o.wside, o.otype, o.f_price, book.qg.to_float(o.open)
            )
        )

    def _enter_limit(self, o: _Order, ev: list[Event]) -> None:
        """LMT, HIDDEN, OCO: match on arrival, rest the remainder (IOC/FOK: cancel it)."""
        book = o.book
        o.lim = o.price
        oco = o.otype == OCO
        if oco:
            o.x.trig = o.x.stop
        self._aggress(book, o, ev)
        if oco and o.filled:
            # the limit leg executed on arrival: the stop leg is never armed
            ev.append(
                _mk_can(o.account, o.oid, o.oid, book.sym, o.wside, 0.0, CancelReason.OCO_SIBLING)
            )
        if not o.open:
            return
        if o.tif == IOC or o.tif == FOK:
            self._finish_taker(o, CancelReason.IOC_REMAINDER, ev)
            return
        if oco and not o.filled:
            o.armed = True
            book.ndormant += 1
            self._arm_stop_leg(o)
        rest(book, o)
        self._accept(o, ev)

    def _enter_pegged(self, o: _Order, ev: list[Event]) -> None:
        """PEG, PEG_HIDDEN, ICE: rest at the reference; they never take liquidity."""
        book = o.book
        o.lim = o.price
        if o.tif == IOC or o.tif == FOK:  # nothing executes on arrival
            self._finish_taker(o, CancelReason.IOC_REMAINDER, ev)
            return
        book.pegs.append(o)
        if o.otype == ICE:
            rest_ice(book, o)
        else:
            rest_peg(book, o)
        self._accept(o, ev)

    def _enter_conditional(self, o: _Order, ev: list[Event]) -> None:
        """Stop, sniper and trailing types: accepted dormant, armed at their price."""
        book = o.book
        o.state = _DORMANT
        o.lim = None
        self._accept(o, ev)
        o.x.trig = o.price
        self._arm_conditional(book, o)
        book.ndormant += 1

    # ---------------------------------------------------------------- hot path

    def _fast_limit(
        self,
        cmd: NewOrder,
        ev: list[Event],
        risk_check: RiskCheck | None = None,
        limit_risk: LimitRiskCheck | None = None,
    ) -> _Book | None:
        """Hot path of a plain LMT order without attributes.

        Anything unusual (including every validation reject) goes to :meth:`_new`
        with ``risk_check``, so the validation rules live in one place.  Once the
        order is on the price and size grids, ``limit_risk`` (the cheap form of
        ``risk_check``) is asked where :meth:`_new` would ask ``risk_check``; a
        plain GTC/DAY/IOC limit order has no row-32 check after it.
        """
        book = self._hot_limit(
            cmd.account, cmd.order_id, cmd.symbol_enum, cmd.side, cmd.price, cmd.order_qty,
            cmd.time_in_force, limit_risk, ev,
        )  # fmt: skip
        if book is OFF_PATH:
            return self._new(cmd, risk_check, ev)
        return book

    def _hot_limit(
        self,
        account: int,
        oid: int,
        symbol_enum: int,
        side: int,
        fp: float,
        fq: float,
        tif: int,
        limit_risk: LimitRiskCheck | None,
        ev: list[Event],
    ) -> _Book | _OffPath | None:
        """The hot path itself, on the order's values: :data:`OFF_PATH` (nothing
        changed) for an order it does not take, else what :meth:`_fast_limit` returns."""
        book = self._books.get(symbol_enum)
        acct = self._accounts.get(account)
        if (
            book is None
            or acct is None
            or (side != 1 and side != 2)
            or (tif != GTC and tif != DAY and tif != IOC)
            or oid in acct.seen
            or not book.pk
        ):
            return OFF_PATH
        x = fp * book.pk
        y = fq * book.qk
        # (range first: also NaN, which round() refuses; the slow path rejects)
        if not (0.5 <= x < 1e15 and 0.5 <= y < 1e15):
            return OFF_PATH
        price = round(x)
        qty = round(y)
        if (
            price < 1
            or abs(x - price) > 1e-9 + x * 4.5e-16
            or fp < _MIN_PRICE_TOL
            or qty < book.min_lots
            or qty > book.max_lots
            or abs(y - qty) > 1e-9 + y * 4.5e-16
        ):
            return OFF_PATH
        if limit_risk is not None:
            # the RiskQuery's reserve_price and qty: ticks and lots back to floats
            code = limit_risk(account, book.sym, side, price / book.pk, qty / book.qk)
            if code is not None:
                ev.append(_mk_rej(account, oid, RejectCode(code), 0))
                return None
        acct.seen.add(oid)
        # ``_Order()`` inlined: no type call and no ``__init__`` frame.  Every slot
        # that ``_Order.__init__`` sets is set here too (a test checks that no slot
        # is left unset), plus the fields of a plain limit order.
        o = _new_obj(_Order)
        o.parent = o.children = o.level = None
        o.armed = o.hidden = False
        o.kind = _STATIC
        o.disp = o.refr = o.filled = o.seq = 0
        o.day = -1
        o.x = _NO_EXT  # shared, read-only: _replace gives the order its own first
        o.account = account
        o.oid = oid
        o.book = book
        o.side = o.wside = side
        o.otype = LMT
        o.tif = tif
        o.price = o.lim = o.rp = price
        o.qty = o.open = qty
        o.f_price = fp
        o.state = _RESTING
        p = acct.pos.get(book.sym)
        if p is None:
            p = acct.position(book.sym)
        o.pos = p
        # p.reserve(side, qty, price), inlined
        if side == 1:
            p.ol += qty
            p.olc += price * qty
            bs = book.bids
            key = price
            keys = book.asks.keys
            if keys and keys[-1] >= -price:
                self._aggress(book, o, ev)
        else:
            p.os += qty
            p.osc += price * qty
            bs = book.asks
            key = -price
            keys = book.bids.keys
            if keys and keys[-1] >= price:
                self._aggress(book, o, ev)
        open_ = o.open
        if not open_:
            return book
        if tif == IOC:
            self._finish_taker(o, CancelReason.IOC_REMAINDER, ev)
            return book
        acct.live[oid] = o
        lvl = bs.levels.get(key)
        if lvl is None:
            rest(book, o)
        else:  # rest(book, o) inlined for an existing level
            o.avail = open_
            lvl.q.append(o)
            lvl.vis += open_
            lvl.tot += open_
            lvl.n += 1
            o.level = lvl
        if tif == DAY:
            self._add_day(o)
        ev.append(_mk_acc(account, oid, book.sym, side, LMT, fp, open_ / book.qk))
        return book
