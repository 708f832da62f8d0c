"""Validation of new orders and replaces (PROTOCOL.md 8.2), and the risk query.

Pure functions over one book: each returns the checked values in ticks/lots
or the :class:`RejectCode` to answer with.  Nothing here changes the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from crmd_twisted.engine.book import _Book, _Order, order_view
from crmd_twisted.engine.order_types import (
    ICE,
    MKT,
    _NEEDS_STOP,
    OrderTypeRule,
)
from crmd_twisted.engine.types import NewOrder, ReplaceOrder, RiskQuery
from crmd_twisted.wire.enums import (
    ATTRIBUTE_COUNT,
    NO_ATTRIBUTES,
    Attribute,
    OrderType,
    RejectCode,
    Side,
)

__all__ = [
    "Fields",
    "LimitRiskCheck",
    "RiskCheck",
    "ask_risk",
    "check_fields",
    "check_type_rules",
    "parse_attrs",
]

RiskCheck = Callable[[RiskQuery], "RejectCode | None"]
#: The cheap risk check of the plain-LMT hot path: ``(account, symbol_enum, side,
#: price, qty) -> RejectCode | None`` with the wire side (1 buy, 2 sell) and the
#: price and open quantity as :class:`RiskQuery` would carry them (``reserve_price``
#: and ``qty``).  It must answer what the full :data:`RiskCheck` would answer for
#: such an order; no RiskQuery is built for it.
LimitRiskCheck = Callable[[int, int, int, float, float], "RejectCode | None"]

_MIN_PRICE = 0.00001
_MIN_PRICE_TOL = _MIN_PRICE * (1 - 1e-9)
_NUL_ATTRS = "\x00" * ATTRIBUTE_COUNT


#: The numeric fields of an order after validation, in ticks and lots:
#: (price, qty, stop, layers, sinc: ICE lots per layer, pinc: ICE ticks between
#: layers, poff: ICE ticks of the first layer from the reference, disp: display
#: size, refr: refresh size).  A plain tuple: a NamedTuple costs ~15x more to build
#: and this is built for every order that leaves the LMT hot path.
Fields = tuple[int, int, int, int, int, int, int, int, int]


def parse_attrs(attrs: str) -> tuple[bool, bool] | None:
    """(hidden, display_size) flags, or None when a character is not Y/N."""
    if attrs == NO_ATTRIBUTES or not attrs or attrs == _NUL_ATTRS:
        return False, False
    a = attrs.rstrip("\x00")
    if len(a) > ATTRIBUTE_COUNT:
        return None
    for ch in a:
        if ch != "Y" and ch != "N":
            return None
    a = a.ljust(ATTRIBUTE_COUNT, "N")
    return a[Attribute.HIDDEN] == "Y", a[Attribute.DISPLAY_SIZE] == "Y"


def check_type_rules(rule: OrderTypeRule, tif: int, hidden: bool, display: bool) -> bool:
    """Whether ``tif`` and the attribute flags suit an order type with ``rule``."""
    if rule.tifs is not None and tif not in rule.tifs:
        return False
    if hidden and (display or not rule.hidden_attr):
        return False
    return not display or rule.display_attr


def _whole(x: float) -> int:
    """``x`` as a non-negative whole number (below 1e9), or -1."""
    r = round(x) if 0 <= x < 1e9 else -1
    return r if r >= 0 and abs(x - r) <= 1e-9 else -1


def _check_ice(
    book: _Book, cmd: NewOrder | ReplaceOrder, qty: int, o: _Order | None
) -> tuple[int, int, int, int] | RejectCode:
    """(layers, size increment lots, price increment, price offset) of an ICE order."""
    if o is not None and cmd.layers == 0:  # a replace keeping the layering
        layers, sinc, pinc, poff = o.x.layers, o.x.sinc, o.x.pinc, o.x.poff
    else:
        layers = cmd.layers
        if not 1 <= layers <= 10:
            return RejectCode.EXCEEDED_MAX_LAYERS
        si = book.qg.to_int(cmd.size_increment) if cmd.size_increment > 0 else None
        if si is None or si < 1:
            return RejectCode.SIZE_INCREMENT_INVALID
        sinc = si
        poff = _whole(cmd.price_offset)
        if poff < 0:
            return RejectCode.PRICE_OFFSET_INVALID
        pinc = _whole(cmd.price_increment)
        if pinc < 0:
            return RejectCode.PRICE_INCREMENT_INVALID
    if layers * sinc != qty:
        return RejectCode.ICE_SIZEINCREMENT_TIMES_LAYERS_NOT_EQUAL_ORDQTY
    return layers, sinc, pinc, poff


def _check_stop(book: _Book, s: float) -> int | None:
    if not s > 0:
        return None
    st = book.pg.to_int(s)
    return st if st is not None and st >= 1 else None


def _check_display(
    book: _Book, cmd: NewOrder | ReplaceOrder, o: _Order | None
) -> tuple[int, int] | RejectCode:
    """(display size, refresh size) in lots of a display order."""
    ds, rs = cmd.display_size, cmd.refresh_size
    if o is not None and ds == 0.0 and rs == 0.0:  # a replace keeping them
        return o.disp, o.refr
    d = book.qg.to_int(ds) if ds > 0 else None
    if d is None or d < 1:
        return RejectCode.DISPLAY_SIZE_INVALID
    r = book.qg.to_int(rs) if rs > 0 else None
    if r is None or r < 1:
        return RejectCode.REFRESH_SIZE_INVALID
    return d, r


def check_fields(
    book: _Book,
    ot: int,
    cmd: NewOrder | ReplaceOrder,
    disp_attr: bool,
    stop_default: float,
    o: _Order | None,
) -> Fields | RejectCode:
    """Rows 18-29 of PROTOCOL.md 8.2 for a new order (``o`` None) or a replace of ``o``
    (whose zero fields keep ``o``'s values; ``stop_default`` its stop price)."""
    price = 0
    if ot != MKT:
        p = cmd.price
        pt = book.pg.to_int(p) if p >= _MIN_PRICE_TOL else None
        if pt is None or pt < 1:
            return RejectCode.PRICE_INVALID
        price = pt
    qty = book.qg.to_int(cmd.order_qty)
    if qty is None or qty < book.min_lots or qty > book.max_lots:
        return RejectCode.SIZE_INVALID
    layers = sinc = pinc = poff = 0
    if ot == ICE:
        ice = _check_ice(book, cmd, qty, o)
        if isinstance(ice, RejectCode):
            return ice
        layers, sinc, pinc, poff = ice
    stop = 0
    if ot in _NEEDS_STOP:
        s = cmd.stop_limit_price
        st = _check_stop(book, stop_default if s == 0.0 and o is not None else s)
        if st is None:
            return RejectCode.STOP_PRICE_INVALID
        stop = st
    disp = refr = 0
    if disp_attr:
        dr = _check_display(book, cmd, o)
        if isinstance(dr, RejectCode):
            return dr
        disp, refr = dr
    return price, qty, stop, layers, sinc, pinc, poff, disp, refr


def ask_risk(
    risk_check: RiskCheck,
    cmd: NewOrder | ReplaceOrder,
    book: _Book,
    wire_side: int,
    ot: int,
    tif: int,
    stop_price: float,
    reserve_ticks: int,
    open_lots: int,
    market_cost: float | None = None,
    existing: _Order | None = None,
) -> RejectCode | None:
    """Build the :class:`RiskQuery` of a new order or (``existing`` given) a replace and
    ask ``risk_check``; the reject code it answers, or None."""
    code = risk_check(
        RiskQuery(
            cmd,
            cmd.account,
            book.sym,
            Side(wire_side),
            OrderType(ot),
            tif,
            float(cmd.price) if ot != MKT else 0.0,
            stop_price,
            book.pg.to_float(reserve_ticks),
            book.qg.to_float(open_lots),
            market_cost,
            existing.oid if existing is not None else None,
            order_view(existing) if existing is not None else None,
        )
    )
    return None if code is None else RejectCode(code)
