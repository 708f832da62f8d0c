"""Value types of the matching engine: instruments, commands, events, views, rules.

Everything here is an immutable (frozen, slotted) dataclass or an enum, so the
objects can be shared freely between the engine and its callers.  Prices and
quantities are floats, exactly as they travel on the wire; the engine converts
them to integer ticks and lots at its edge (see :mod:`crmd_twisted.engine.grid`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TypeVar

from crmd_twisted.wire.enums import NO_ATTRIBUTES, OrderType, RejectCode, Side, TimeInForce

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "Accepted",
    "CancelOrder",
    "CancelReason",
    "Cancelled",
    "Command",
    "DepthLevel",
    "EngineRules",
    "Event",
    "Fill",
    "Instrument",
    "NewOrder",
    "OrderView",
    "PositionView",
    "Rejected",
    "ReplaceOrder",
    "Replaced",
    "RiskQuery",
    "TrailingMode",
    "TriggerSource",
    "Triggered",
]


# --------------------------------------------------------------------------- instruments


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable instrument (one order book).

    ``price_increment`` is the tick, ``lot_size`` the quantity grid; every
    accepted price is a whole number of ticks and every quantity a whole number
    of lots between ``min_size`` and ``max_size``.
    """

    symbol_enum: int
    symbol: str
    base: str
    quote: str
    price_increment: float
    min_size: float
    max_size: float
    lot_size: float
    symbol_type: int = 1


#: The four instruments of PROTOCOL.md section 5.7.  FLYUSDT and BTCUSDT have no
#: documented parameters; the values below are project choices (docs/engine.md).
#: Every tick/min/max survives a binary16 round trip within 1e-3 relative,
#: except the documented 0.00001 minimum of BTCUSD/USDUSDT (binary16 subnormal,
#: 1.36e-3 off; three significant digits still recover it, PROTOCOL.md 4.3).
DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(1, "BTCUSD", "BTC", "USD", 0.5, 0.00001, 1000.0, 0.00001),
    Instrument(2, "USDUSDT", "USD", "USDT", 0.01, 0.00001, 5000.0, 0.00001),
    Instrument(3, "FLYUSDT", "FLY", "USDT", 0.0001, 0.01, 60000.0, 0.01),
    Instrument(4, "BTCUSDT", "BTC", "USDT", 0.25, 0.0001, 1000.0, 0.0001),
)


# --------------------------------------------------------------------------- rules


class TriggerSource(IntEnum):
    """Which market price wakes a conditional order up."""

    #: the last trade price of the instrument
    LAST_TRADE = 1
    #: the best opposite price (a BUY looks at the best ask, a SELL at the best bid)
    OPPOSITE_BEST = 2


class TrailingMode(IntEnum):
    """How the trailing distance of TSM/TSL orders is obtained."""

    #: distance = |initial stop - reference price at entry| (0 when no reference yet)
    INITIAL_DISTANCE = 1
    #: distance = ``EngineRules.trailing_ticks`` ticks
    FIXED_TICKS = 2


@dataclass(frozen=True, slots=True)
class EngineRules:
    """Rules that no source settles; docs/engine.md explains every default.

    ``stop_trigger`` drives STOP_MKT/STOP_LMT, the stop leg of OCO and TSM/TSL;
    ``sniper_trigger`` drives SNIPER_MKT/SNIPER_LMT.  A BUY stop fires when the
    reference rises to its stop, a SELL stop when it falls to it; a BUY sniper
    fires when the reference falls to its price, a SELL sniper when it rises to it.

    ``tsl_limit_trails``: when true the TSL limit keeps its initial distance
    (``stop_limit_price - price``) from the trailing stop; when false the limit
    stays at ``stop_limit_price``.

    ``day_length_ns`` / ``day_end_offset_ns``: DAY orders expire at the first
    instant ``t`` with ``(t - day_end_offset_ns) % day_length_ns == 0`` after
    their entry (default: midnight UTC).
    """

    stop_trigger: TriggerSource = TriggerSource.LAST_TRADE
    sniper_trigger: TriggerSource = TriggerSource.OPPOSITE_BEST
    trailing_mode: TrailingMode = TrailingMode.INITIAL_DISTANCE
    trailing_ticks: int = 10
    tsl_limit_trails: bool = True
    day_length_ns: int = 86_400_000_000_000
    day_end_offset_ns: int = 0


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class NewOrder:
    """A new order (``transaction`` with message_type ORDER_NEW)."""

    account: int
    order_id: int
    symbol_enum: int
    side: int
    order_type: int
    price: float
    order_qty: float
    time_in_force: int
    stop_limit_price: float = 0.0
    attributes: str = NO_ATTRIBUTES
    display_size: float = 0.0
    refresh_size: float = 0.0
    layers: int = 0
    size_increment: float = 0.0
    price_increment: float = 0.0
    price_offset: float = 0.0


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel the live order ``orig_order_id``; ``order_id`` is the cancel's own id."""

    account: int
    order_id: int
    orig_order_id: int


@dataclass(frozen=True, slots=True)
class ReplaceOrder:
    """Cancel-replace the live order ``orig_order_id``; afterwards it is ``order_id``.

    ``order_qty`` is the new *total* quantity (filled quantity included); the
    display and ICE fields replace the order's when the order uses them.
    """

    account: int
    order_id: int
    orig_order_id: int
    price: float
    order_qty: float
    stop_limit_price: float = 0.0
    display_size: float = 0.0
    refresh_size: float = 0.0
    layers: int = 0
    size_increment: float = 0.0
    price_increment: float = 0.0
    price_offset: float = 0.0


Command = NewOrder | CancelOrder | ReplaceOrder


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Accepted:
    """The order is live (resting, or dormant for conditional types) -> ORDER_ACK.

    ``open_qty`` is what is left open at acknowledgement (after fills on arrival).
    """

    account: int
    order_id: int
    symbol_enum: int
    side: int
    order_type: int
    price: float
    open_qty: float


@dataclass(frozen=True, slots=True)
class Rejected:
    """The command was refused and changed nothing -> REJECT (12) with ``reason``."""

    account: int
    order_id: int
    reason: RejectCode
    orig_order_id: int = 0


@dataclass(frozen=True, slots=True)
class Fill:
    """One side of one match; the engine emits the resting side first.

    ``aggressor`` False -> EXECUTION(_PARTIAL) for the resting order, True ->
    QUOTE_FILL(_PARTIAL) for the incoming one; ``remaining_qty`` == 0 selects
    the non-partial message.  Both sides of a match share ``exec_id``.
    ``price`` is the order's own limit (0.0 for market orders), ``exec_price``
    the resting order's price.
    """

    exec_id: int
    account: int
    order_id: int
    symbol_enum: int
    side: int
    price: float
    exec_price: float
    exec_qty: float
    remaining_qty: float
    aggressor: bool


class CancelReason(IntEnum):
    """Why an order (or an OCO leg) stopped being live without being filled."""

    #: the account asked (CancelOrder or cancel_all)
    USER = 1
    #: the unfilled rest of an IOC order
    IOC_REMAINDER = 2
    #: the unfilled rest of a market order (also a triggered STOP_MKT/TSM/SNIPER_MKT)
    MARKET_REMAINDER = 3
    #: the other leg of an OCO executed/triggered; ``cancel_qty`` is 0 (shared quantity)
    OCO_SIBLING = 4
    #: a DAY order reached the end of its trading day
    DAY_EXPIRED = 5
    #: a pegged/ICE order has no valid price any more (not used by the defaults)
    NO_PRICE = 6


@dataclass(frozen=True, slots=True)
class Cancelled:
    """Open quantity removed -> CANCELLED (15) with ``cancel_qty``.

    For a user cancel ``order_id`` is the cancel request's id and
    ``orig_order_id`` the cancelled order; for an engine-initiated cancel both
    are the order's own id.
    """

    account: int
    order_id: int
    orig_order_id: int
    symbol_enum: int
    side: int
    cancel_qty: float
    reason: CancelReason


@dataclass(frozen=True, slots=True)
class Replaced:
    """A cancel-replace took effect -> REPLACED (16).

    ``order_qty`` is the new total quantity, ``open_qty`` what is open now.
    """

    account: int
    order_id: int
    orig_order_id: int
    symbol_enum: int
    side: int
    price: float
    order_qty: float
    open_qty: float


@dataclass(frozen=True, slots=True)
class Triggered:
    """A conditional order woke up (stop/sniper/trailing/OCO stop leg).

    No wire message of its own; its fills follow under the same ``order_id``.
    ``price`` is the trigger level that fired.
    """

    account: int
    order_id: int
    symbol_enum: int
    side: int
    order_type: int
    price: float


Event = Accepted | Rejected | Fill | Cancelled | Replaced | Triggered


# --------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class DepthLevel:
    """One visible price level: visible quantity and number of visible orders."""

    price: float
    quantity: float
    orders: int


@dataclass(frozen=True, slots=True)
class OrderView:
    """A live order as the OES lists it (open_order_request) or checks it (risk)."""

    account: int
    order_id: int
    symbol_enum: int
    side: int
    order_type: int
    price: float
    stop_limit_price: float
    order_qty: float
    open_qty: float
    filled_qty: float
    time_in_force: int
    attributes: str
    display_size: float
    refresh_size: float
    layers: int
    size_increment: float
    price_increment: float
    price_offset: float
    replaced: bool
    triggered: bool
    #: the price the order currently rests at (peg/ICE: where it is now), None if dormant
    resting_price: float | None


@dataclass(frozen=True, slots=True)
class PositionView:
    """Per account and instrument, the position fields of ``risk_user_symbol``.

    ``long_open_qty``/``short_open_qty``: open quantity of live BUY/SELL orders
    (wire: ``long_position``/``short_position``); ``long_open_cash``/
    ``short_open_cash``: sum of reserve price x open quantity of them (wire:
    ``long_cash``/``short_cash``); ``executed_*``: sums over the account's fills
    (quantity and price x quantity).  The wire names are available as properties.
    """

    account: int
    symbol_enum: int
    long_open_qty: float
    short_open_qty: float
    long_open_cash: float
    short_open_cash: float
    executed_long_qty: float
    executed_short_qty: float
    executed_long_cash: float
    executed_short_cash: float

    @property
    def long_position(self) -> float:
        """Wire name of ``long_open_qty``."""
        return self.long_open_qty

    @property
    def short_position(self) -> float:
        """Wire name of ``short_open_qty``."""
        return self.short_open_qty

    @property
    def long_cash(self) -> float:
        """Wire name of ``long_open_cash``."""
        return self.long_open_cash

    @property
    def short_cash(self) -> float:
        """Wire name of ``short_open_cash``."""
        return self.short_open_cash

    @property
    def executed_long_position(self) -> float:
        """Wire name of ``executed_long_qty``."""
        return self.executed_long_qty

    @property
    def executed_short_position(self) -> float:
        """Wire name of ``executed_short_qty``."""
        return self.executed_short_qty


@dataclass(frozen=True, slots=True)
class RiskQuery:
    """What the risk hook needs to decide rows 30/31 of PROTOCOL.md section 8.2.

    ``price`` is the order's ``price`` field as a float (limit, or trigger for
    conditional types; 0.0 for MKT), ``stop_limit_price`` its second price,
    ``reserve_price`` the price the engine itself uses for open cash (the
    limit after trigger for STOP_LMT/TSL, else ``price``), ``qty`` the
    quantity the order would have open afterwards, ``market_cost`` (MKT only)
    what it would execute for on the current book.  For a replace,
    ``replaces`` is the current id of the order and ``existing`` its view
    before the change, so the hook can charge only the increase.
    """

    command: NewOrder | ReplaceOrder
    account: int
    symbol_enum: int
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce | int
    price: float
    stop_limit_price: float
    reserve_price: float
    qty: float
    market_cost: float | None
    replaces: int | None
    existing: OrderView | None


# --------------------------------------------------------------------------- fast constructors

_T = TypeVar("_T", bound="DataclassInstance")


def fast_constructor(cls: type[_T]) -> Callable[..., _T]:
    """Return a positional constructor for a frozen slotted dataclass.

    Frozen dataclasses pay for ``object.__setattr__`` on every field.  The
    returned function builds the instance through a plain "twin" class with the
    same slots (ordinary, specialised attribute stores) and then switches its
    ``__class__`` to ``cls``; the result is an ordinary, frozen instance of
    ``cls`` (equality, hashing, repr and immutability are those of ``cls``).
    About five times faster than ``cls(...)``; used on the engine's hot path.
    Arguments are the fields in declaration order, all required.
    """
    names = [f.name for f in fields(cls)]
    # ``_new(_Twin)`` + one slot store per field + the class switch, all in one
    # frame: cheaper than calling ``_Twin(...)`` (type call + ``__init__`` frame).
    stores = "".join(f"\n    o.{n} = {n}" for n in names)
    env: dict[str, Any] = {"_cls": cls, "_new": object.__new__}
    src = (
        f"class _Twin:\n    __slots__ = {tuple(names)!r}\n"
        f"def make({', '.join(names)}):\n"
        f"    o = _new(_Twin){stores}\n"
        f"    o.__class__ = _cls\n"
        f"    return o\n"
    )
    exec(src, env)
    make: Callable[..., _T] = env["make"]
    try:
        make(*range(len(names)))
    except TypeError:  # layouts not compatible (another Python?): the slow, safe way
        return cls
    return make
