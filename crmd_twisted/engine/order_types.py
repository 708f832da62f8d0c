"""The one table of order types the engine supports, and what each accepts.

Validation (:mod:`crmd_twisted.engine.validation`) reads
:data:`ORDER_TYPE_RULES`; the frozensets below are derived from it for the
membership tests of the matching code.  The plain-int constants exist because
the hot path compares ints (an ``IntEnum`` member compares slower).
"""

from __future__ import annotations

from typing import NamedTuple

from crmd_twisted.wire.enums import OrderType, TimeInForce

__all__ = [
    "ORDER_TYPE_RULES",
    "SUPPORTED_ORDER_TYPES",
    "OrderTypeRule",
]

# order type numbers as plain ints (hot path compares ints)
LMT, MKT = int(OrderType.LMT), int(OrderType.MKT)
STOP_MKT, STOP_LMT = int(OrderType.STOP_MKT), int(OrderType.STOP_LMT)
PEG, HIDDEN, PEG_HIDDEN = int(OrderType.PEG), int(OrderType.HIDDEN), int(OrderType.PEG_HIDDEN)
OCO, ICE = int(OrderType.OCO), int(OrderType.ICE)
SNIPER_MKT, SNIPER_LMT = int(OrderType.SNIPER_MKT), int(OrderType.SNIPER_LMT)
TSM, TSL = int(OrderType.TSM), int(OrderType.TSL)
# time-in-force numbers as plain ints
FOK, GTC, IOC = int(TimeInForce.FOK), int(TimeInForce.GTC), int(TimeInForce.IOC)
DAY = int(TimeInForce.DAY)


class OrderTypeRule(NamedTuple):
    """What one supported order type accepts (PROTOCOL.md 5.4 and 8.2)."""

    #: accepted time-in-force values; None: any (MKT always executes as IOC)
    tifs: frozenset[int] | None
    #: the HIDDEN attribute may be set
    hidden_attr: bool
    #: the DISPLAY_SIZE attribute may be set (never together with HIDDEN)
    display_attr: bool
    #: stop_limit_price is required (the second price)
    needs_stop: bool
    #: dormant until a trigger fires
    conditional: bool


_ANY = frozenset({FOK, GTC, IOC, DAY})
_GTC = frozenset({GTC})

#: every supported order type -> its rule (the one list of supported types)
ORDER_TYPE_RULES: dict[int, OrderTypeRule] = {
    #                        tifs   hidden_attr display_attr needs_stop conditional
    LMT:        OrderTypeRule(_ANY,  True,       True,        False,     False),
    MKT:        OrderTypeRule(None,  False,      False,       False,     False),
    STOP_MKT:   OrderTypeRule(_GTC,  False,      False,       False,     True),
    STOP_LMT:   OrderTypeRule(_GTC,  False,      False,       True,      True),
    PEG:        OrderTypeRule(_ANY,  True,       True,        False,     False),
    HIDDEN:     OrderTypeRule(_ANY,  True,       False,       False,     False),
    PEG_HIDDEN: OrderTypeRule(_ANY,  True,       False,       False,     False),
    OCO:        OrderTypeRule(_ANY,  True,       True,        True,      False),
    ICE:        OrderTypeRule(_GTC,  True,       False,       False,     False),
    SNIPER_MKT: OrderTypeRule(_GTC,  False,      False,       False,     True),
    SNIPER_LMT: OrderTypeRule(_GTC,  False,      False,       False,     True),
    TSM:        OrderTypeRule(_GTC,  False,      False,       False,     True),
    TSL:        OrderTypeRule(_GTC,  False,      False,       True,      True),
}  # fmt: skip

SUPPORTED_ORDER_TYPES: tuple[OrderType, ...] = tuple(OrderType(t) for t in ORDER_TYPE_RULES)

# derived sets (membership tests on the matching paths)
_CONDITIONAL = frozenset(t for t, r in ORDER_TYPE_RULES.items() if r.conditional)
_NEEDS_STOP = frozenset(t for t, r in ORDER_TYPE_RULES.items() if r.needs_stop)
_TRAILING = frozenset({TSM, TSL})
_SNIPER = frozenset({SNIPER_MKT, SNIPER_LMT})
_PEGGED_TYPES = frozenset({PEG, PEG_HIDDEN, ICE})  # rest at a reference, never take
_LIMIT_TYPES = frozenset({LMT, HIDDEN, OCO})  # match on arrival, rest at their limit
_STOP_LIMIT_TYPES = frozenset({STOP_LMT, TSL})  # reserve (and later limit) = the stop price
