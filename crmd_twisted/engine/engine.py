"""The matching engine: one price-time order book per instrument.

Pure Python, no I/O, no reactor: :meth:`MatchingEngine.submit` takes one
command and returns the list of events it caused.  Same commands (and same
clock readings) in, same events out.

Internals, for whoever maintains this file:

* Prices are integer *ticks* and quantities integer *lots* inside the engine;
  floats exist only at the edge (commands in, events and views out).
* A book side keeps a sorted ``keys`` list of its price levels arranged so
  that the best level is always ``keys[-1]`` (bids: key = price, asks: key =
  -price), plus a ``levels`` dict key -> :class:`_Level`.  New levels near the
  touch are inserted near the end of the list, so ``bisect.insort`` moves few
  pointers; the best level is removed with ``list.pop()``.
* A level holds two FIFO deques: ``q`` (displayed entries) and ``h`` (hidden
  entries, matched after every displayed entry of the level).  A cancelled
  entry stays in its deque (lazy deletion, ``entry.level is None``) and is
  skipped when it reaches the front; the level itself disappears as soon as
  its live count ``n`` drops to 0.  Moves (peg/ICE repricing, a replace that
  loses priority) remove the entry from its deque eagerly, so one order object
  is never queued twice.
* An order is its own book entry, except ICE orders whose layers are child
  entries (``parent`` set); a fill of a child is reported on the parent.
"""

from __future__ import annotations

import heapq
import time
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal

from crmd_twisted.engine.id_history import OrderIdHistory
from crmd_twisted.engine.types import (
    DEFAULT_INSTRUMENTS,
    Accepted,
    CancelOrder,
    CancelReason,
    Cancelled,
    DepthLevel,
    EngineRules,
    Event,
    Fill,
    Instrument,
    NewOrder,
    OrderView,
    PositionView,
    Rejected,
    ReplaceOrder,
    Replaced,
    RiskQuery,
    TrailingMode,
    TriggerSource,
    Triggered,
    fast_constructor,
)
from crmd_twisted.wire.enums import (
    ATTRIBUTE_COUNT,
    NO_ATTRIBUTES,
    Attribute,
    OrderType,
    RejectCode,
    Side,
)

__all__ = ["MatchingEngine", "RiskCheck"]

RiskCheck = Callable[[RiskQuery], "RejectCode | None"]

_mk_fill = fast_constructor(Fill)
_mk_acc = fast_constructor(Accepted)
_mk_can = fast_constructor(Cancelled)
_mk_rej = fast_constructor(Rejected)
_mk_rep = fast_constructor(Replaced)
_mk_trg = fast_constructor(Triggered)
_new_obj = object.__new__
_USER = CancelReason.USER
_R_NOT_FOUND = RejectCode.ORIG_ORDER_NOT_FOUND

# order type numbers as plain ints (hot path compares ints)
LMT, MKT, STOP_MKT, STOP_LMT, PEG, HIDDEN, PEG_HIDDEN, OCO, ICE = range(1, 10)
SNIPER_MKT, SNIPER_LMT, TSM, TSL = 12, 13, 14, 15
FOK, GTC, IOC, POO, RED, DAY = 1, 2, 3, 4, 5, 6

_SUPPORTED = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15})
_GTC_ONLY = frozenset({ICE, STOP_MKT, STOP_LMT, TSM, TSL, SNIPER_MKT, SNIPER_LMT})
_ANY_TIF = frozenset({FOK, GTC, IOC, DAY})
_ATTR_TYPES = frozenset({LMT, HIDDEN, PEG, PEG_HIDDEN, OCO})  # HIDDEN and DISPLAY_SIZE allowed
_CONDITIONAL = frozenset({STOP_MKT, STOP_LMT, TSM, TSL, SNIPER_MKT, SNIPER_LMT})
_TRAILING = frozenset({TSM, TSL})
_NEEDS_STOP = frozenset({OCO, STOP_LMT, TSL})
_MIN_PRICE = 0.00001
_MIN_PRICE_TOL = _MIN_PRICE * (1 - 1e-9)
_NUL_ATTRS = "\x00" * ATTRIBUTE_COUNT
_NEVER = -(1 << 62)  # a key below every real key: market orders cross everything

# states of an order
_DORMANT, _RESTING, _DONE = 0, 1, 2
# kinds of book entries (for the peg/ICE reference price)
_STATIC, _PEGGED, _ICE_CHILD = 0, 1, 2


def _units(increment: float) -> tuple[int, int]:
    """Return (k, decimals): k = 1/increment when that is an integer, else 0."""
    k = round(1.0 / increment)
    if k > 0 and abs(k * increment - 1.0) < 1e-12:
        return k, 0
    exp = Decimal(repr(increment)).normalize().as_tuple().exponent
    return 0, max(0, -int(exp))


class _Grid:
    """Conversion between floats and integer multiples of one increment."""

    __slots__ = ("dec", "inc", "k")

    def __init__(self, increment: float) -> None:
        self.inc = increment
        self.k, self.dec = _units(increment)

    def to_int(self, x: float) -> int | None:
        """Whole number of increments in ``x`` (tolerance 1e-9 of one increment) or None."""
        q = x * self.k if self.k else x / self.inc
        if not -1e15 < q < 1e15:  # also NaN
            return None
        n = round(q)
        if abs(q - n) <= 1e-9 + abs(q) * 4.5e-16:
            return n
        return None

    def to_float(self, n: int) -> float:
        """The float nearest to ``n`` increments."""
        if self.k:
            return n / self.k
        return round(n * self.inc, self.dec)


class _CashGrid:
    """price ticks x quantity lots -> float cash, without accumulating error."""

    __slots__ = ("dec", "inc", "k")

    def __init__(self, pg: _Grid, qg: _Grid) -> None:
        self.k = pg.k * qg.k if pg.k and qg.k else 0
        self.inc = pg.inc * qg.inc
        self.dec = max(pg.dec, len(str(pg.k))) + max(qg.dec, len(str(qg.k)))

    def to_float(self, n: int) -> float:
        """Cash value of ``n`` tick-lots."""
        if self.k:
            return n / self.k
        return round(n * self.inc, self.dec)


class _Pos:
    __slots__ = ("el", "elc", "es", "esc", "ol", "olc", "os", "osc")

    def __init__(self) -> None:
        self.ol = self.olc = self.os = self.osc = 0
        self.el = self.elc = self.es = self.esc = 0


class _Account:
    __slots__ = ("live", "pos", "seen")

    def __init__(self) -> None:
        self.live: dict[int, _Order] = {}
        self.seen = OrderIdHistory()
        self.pos: dict[int, _Pos] = {}


class _Level:
    __slots__ = ("h", "n", "nhid", "npeg", "price", "q", "tot", "vis")

    def __init__(self, price: int) -> None:
        self.price = price
        self.q: deque[_Order] = deque()
        self.h: deque[_Order] = deque()
        self.vis = 0  # displayed lots
        self.nhid = 0  # live hidden entries (displayed entries = n - nhid, counted rarely)
        self.tot = 0  # all executable lots (displayed, reserve, hidden)
        self.n = 0  # live entries
        # live pegged entries and ICE layers; static entries = n - npeg.  Counting
        # the rare kind keeps plain orders from paying for the peg reference.
        self.npeg = 0


class _BookSide:
    __slots__ = ("keys", "levels", "sign")

    def __init__(self, sign: int) -> None:
        self.keys: list[int] = []
        self.levels: dict[int, _Level] = {}
        self.sign = sign

    def best(self) -> int | None:
        """Best price in ticks, hidden liquidity included."""
        if self.keys:
            return self.keys[-1] * self.sign
        return None

    def best_reg(self) -> int | None:
        """Best price holding a static order (the peg/ICE reference)."""
        keys = self.keys
        levels = self.levels
        for i in range(len(keys) - 1, -1, -1):
            lvl = levels[keys[i]]
            if lvl.n > lvl.npeg:
                return lvl.price
        return None


class _Ext:
    """The fields of an order that only non-plain orders (stop, trailing, ICE,
    display, attributes, replaced) use.  Plain LMT orders from the hot path share
    :data:`_NO_EXT` (read-only), which keeps :class:`_Order` small: fewer slots to
    initialise, and fewer references for the garbage collector to visit."""

    __slots__ = (
        "attrs",
        "f_disp",
        "f_pinc",
        "f_poff",
        "f_refr",
        "f_sinc",
        "f_stop",
        "layer",
        "layers",
        "pinc",
        "poff",
        "replaced",
        "sinc",
        "stop",
        "tdist",
        "tloff",
        "trig",
        "triggered",
        "tver",
    )

    attrs: str
    f_disp: float
    f_pinc: float
    f_poff: float
    f_refr: float
    f_sinc: float
    f_stop: float
    layer: int  # ICE child: its layer number
    layers: int
    pinc: int
    poff: int
    replaced: bool
    sinc: int
    stop: int
    tdist: int
    tloff: int
    trig: int
    triggered: bool
    tver: int

    def __init__(self) -> None:
        self.triggered = False
        self.replaced = False
        self.tver = 0
        self.attrs = NO_ATTRIBUTES
        self.stop = self.trig = self.layers = self.sinc = self.pinc = self.poff = 0
        self.layer = self.tdist = self.tloff = 0
        self.f_stop = self.f_disp = self.f_refr = self.f_sinc = self.f_pinc = self.f_poff = 0.0


class _SharedExt(_Ext):
    """The shared default :class:`_Ext`: read-only, so a missed copy fails loudly."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):  # set once, by _Ext.__init__
            raise AttributeError(f"shared _Ext is read-only ({name})")
        object.__setattr__(self, name, value)


_NO_EXT = _SharedExt()


class _Order:
    """One live order (or ICE layer).  Ints: ticks and lots."""

    __slots__ = (
        "account",
        "armed",
        "avail",
        "book",
        "children",
        "day",
        "disp",
        "f_price",
        "filled",
        "hidden",
        "kind",
        "level",
        "lim",
        "oid",
        "open",
        "otype",
        "parent",
        "pos",
        "price",
        "qty",
        "refr",
        "rp",
        "seq",
        "side",
        "state",
        "tif",
        "wside",
        "x",
    )  # fmt: skip

    # class-level annotations of the slots (no values: nothing changes at run time)
    account: int
    armed: bool  # OCO whose stop leg is armed
    avail: int  # lots executable now (displayed slice, or all of a hidden order)
    book: _Book
    children: list[_Order] | None  # ICE layers (None: not an ICE parent)
    day: int  # trading day of a DAY order, -1 otherwise
    disp: int
    f_price: float
    filled: int
    hidden: bool
    kind: int  # _STATIC / _PEGGED / _ICE_CHILD
    level: _Level | None  # the level it rests on, None when not on the book
    lim: int | None  # limit in ticks, None: no limit (market)
    oid: int
    open: int
    otype: int
    parent: _Order | None  # ICE child: the ICE order
    pos: _Pos
    price: int
    qty: int
    refr: int
    rp: int  # reserve price in ticks
    seq: int
    side: int  # 1 buy, 2 sell (short sells included)
    state: int  # _DORMANT / _RESTING / _DONE
    tif: int
    wside: int  # side as on the wire
    x: _Ext  # the fields that only special orders use (shared default: _NO_EXT)

    def __init__(self) -> None:
        self.parent = None
        self.children = None
        self.level = None
        self.armed = False
        self.kind = _STATIC
        self.hidden = False
        self.disp = 0
        self.refr = 0
        self.filled = 0
        self.day = -1
        self.seq = 0  # only orders whose priority matters outside their level get one
        self.x = _Ext()


class _Book:
    __slots__ = (
        "asks",
        "bids",
        "cg",
        "heaps",
        "inst",
        "last",
        "max_lots",
        "min_lots",
        "ndormant",
        "pegs",
        "pg",
        "pk",
        "qg",
        "qk",
        "ref_a",
        "ref_b",
        "sym",
        "trailing",
    )  # fmt: skip

    def __init__(self, inst: Instrument) -> None:
        self.inst = inst
        self.sym = inst.symbol_enum
        self.pg = _Grid(inst.price_increment)
        self.qg = _Grid(inst.lot_size)
        self.cg = _CashGrid(self.pg, self.qg)
        self.pk = self.pg.k  # ticks per unit of price, 0 if not an integer
        self.qk = self.qg.k if self.pg.k else 0  # lots per unit, 0 disables the fast path
        self.bids = _BookSide(1)
        self.asks = _BookSide(-1)
        self.last: int | None = None
        lo = self.qg.to_int(inst.min_size)
        hi = self.qg.to_int(inst.max_size)
        if lo is None or hi is None or lo < 1:
            raise ValueError(f"{inst.symbol}: min/max size not on the lot grid")
        self.min_lots, self.max_lots = lo, hi
        # trigger heaps keyed by (source, order side, rising)
        self.heaps: dict[tuple[int, int, bool], list[tuple[int, int, _Order, int]]] = {}
        self.ndormant = 0
        self.trailing: list[_Order] = []
        self.pegs: list[_Order] = []  # pegged orders and ICE parents
        self.ref_b: int | None = None
        self.ref_a: int | None = None


class MatchingEngine:
    """Price-time matching of every supported order type of PROTOCOL.md 5.4.

    ``clock`` returns nanoseconds since the epoch; it is read once per
    command (DAY expiry) and never otherwise, so a fixed clock makes the
    engine fully deterministic.
    """

    def __init__(
        self,
        instruments: Iterable[Instrument] = DEFAULT_INSTRUMENTS,
        rules: EngineRules | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.rules = rules if rules is not None else EngineRules()
        self._clock = clock
        self._books: dict[int, _Book] = {}
        for inst in instruments:
            self._books[inst.symbol_enum] = _Book(inst)
        self._accounts: dict[int, _Account] = {}
        self._exec_id = 0
        self._seq = 0
        self._day_orders: list[_Order] = []
        self._day = self._day_index(clock())
        self._next_day_ns = self._day_start(self._day + 1)

    # ------------------------------------------------------------------ public

    @property
    def instruments(self) -> tuple[Instrument, ...]:
        """The configured instruments, in configuration order."""
        return tuple(b.inst for b in self._books.values())

    def instrument(self, symbol_enum: int) -> Instrument | None:
        """The instrument numbered ``symbol_enum``, or None."""
        b = self._books.get(symbol_enum)
        return b.inst if b is not None else None

    def submit(
        self,
        command: NewOrder | CancelOrder | ReplaceOrder,
        risk_check: Callable[[RiskQuery], RejectCode | None] | None = None,
    ) -> list[Event]:
        """Apply one command and return the events it caused, in wire order.

        ``risk_check`` runs after field validation and before matching (new
        orders and replaces only); a non-None answer rejects the command with
        that code and leaves the engine untouched.
        """
        ev: list[Event] = []
        if self._day_orders and self._clock() >= self._next_day_ns:
            self._roll_day(ev)
        # exact type tests (no subclasses), written out so that mypy narrows ``command``
        if type(command) is NewOrder:
            if (
                command.order_type == LMT
                and risk_check is None
                and command.attributes == NO_ATTRIBUTES
            ):
                book = self._fast_limit(command, ev)
            else:
                book = self._new(command, risk_check, ev)
        elif type(command) is CancelOrder:
            book = self._cancel(command, ev)
        elif type(command) is ReplaceOrder:
            book = self._replace(command, risk_check, ev)
        else:
            raise TypeError(f"not a command: {command!r}")
        if book is not None and (book.ndormant or book.pegs):
            self._settle(book, ev)
        return ev

    def advance_time(self) -> list[Event]:
        """Read the clock and expire DAY orders if a trading day ended."""
        ev: list[Event] = []
        if self._clock() >= self._next_day_ns:
            self._roll_day(ev)
        return ev

    def expire_day(self) -> list[Event]:
        """End the trading day now: cancel every live DAY order (DAY_EXPIRED)."""
        ev: list[Event] = []
        self._expire_all_day(ev)
        return ev

    def cancel_all(self, account: int, symbol_enum: int = 0) -> list[Event]:
        """Cancel every live order of ``account`` (of one instrument if given)."""
        ev: list[Event] = []
        acct = self._accounts.get(account)
        if acct is None:
            return ev
        touched: list[_Book] = []
        for o in list(acct.live.values()):
            if symbol_enum and o.book.sym != symbol_enum:
                continue
            self._kill(o, o.oid, CancelReason.USER, ev)
            if o.book not in touched:
                touched.append(o.book)
        for b in touched:
            if b.ndormant or b.pegs:
                self._settle(b, ev)
        return ev

    # views ---------------------------------------------------------------

    def depth(
        self, symbol_enum: int, levels: int = 10
    ) -> tuple[list[DepthLevel], list[DepthLevel]]:
        """Top ``levels`` visible levels per side, best first (hidden quantity excluded)."""
        book = self._books[symbol_enum]
        pf = book.pg.to_float
        qf = book.qg.to_float
        out: list[list[DepthLevel]] = []
        for side in (book.bids, book.asks):
            res: list[DepthLevel] = []
            keys = side.keys
            lv = side.levels
            i = len(keys) - 1
            while i >= 0 and len(res) < levels:
                lvl = lv[keys[i]]
                if lvl.vis > 0:
                    res.append(DepthLevel(pf(lvl.price), qf(lvl.vis), lvl.n - lvl.nhid))
                i -= 1
            out.append(res)
        return out[0], out[1]

    def best_bid_ask(self, symbol_enum: int) -> tuple[float | None, float | None]:
        """Best executable bid and ask prices (hidden liquidity included)."""
        book = self._books[symbol_enum]
        b, a = book.bids.best(), book.asks.best()
        pf = book.pg.to_float
        return (pf(b) if b is not None else None, pf(a) if a is not None else None)

    def last_trade_price(self, symbol_enum: int) -> float | None:
        """Price of the last execution on the instrument, or None."""
        book = self._books[symbol_enum]
        return book.pg.to_float(book.last) if book.last is not None else None

    def market_cost(self, symbol_enum: int, side: int, qty: float) -> float:
        """Quote-currency value a market order of ``qty`` would execute now.

        Walks the opposite side (hidden and reserve quantity included) only as
        deep as ``qty`` needs; quantity the book cannot fill costs nothing.
        """
        book = self._books[symbol_enum]
        need = book.qg.to_int(qty)
        if need is None:
            need = int(qty / book.inst.lot_size) if 0 < qty < 1e15 else 0
        opp = book.asks if side == Side.BUY else book.bids
        cost = 0
        keys, lv = opp.keys, opp.levels
        i = len(keys) - 1
        while need > 0 and i >= 0:
            lvl = lv[keys[i]]
            x = lvl.tot if lvl.tot < need else need
            cost += x * lvl.price
            need -= x
            i -= 1
        return book.cg.to_float(cost)

    def knows_order_id(self, account: int, order_id: int) -> bool:
        """True if ``order_id`` was used by an accepted command of ``account``."""
        acct = self._accounts.get(account)
        return acct is not None and order_id in acct.seen

    def forget_account(self, account: int) -> bool:
        """Drop ``account`` if no command of it was ever accepted (no used id, no
        live order, no position); True if the engine holds nothing for it now."""
        acct = self._accounts.get(account)
        if acct is None:
            return True
        if acct.live or acct.seen or acct.pos:
            return False
        del self._accounts[account]
        return True

    def order(self, account: int, order_id: int) -> OrderView | None:
        """The live order currently known as ``order_id``, or None."""
        acct = self._accounts.get(account)
        if acct is None:
            return None
        o = acct.live.get(order_id)
        return self._view(o) if o is not None else None

    def open_orders(self, account: int, symbol_enum: int = 0) -> list[OrderView]:
        """Live orders of ``account`` (0 = every instrument), oldest id first."""
        acct = self._accounts.get(account)
        if acct is None:
            return []
        return [
            self._view(o)
            for o in acct.live.values()
            if not symbol_enum or o.book.sym == symbol_enum
        ]

    def position(self, account: int, symbol_enum: int) -> PositionView:
        """Open and executed long/short quantity and cash of one account and instrument."""
        book = self._books[symbol_enum]
        acct = self._accounts.get(account)
        p = acct.pos.get(symbol_enum) if acct is not None else None
        if p is None:
            p = _Pos()
        qf = book.qg.to_float
        cf = book.cg.to_float
        return PositionView(
            account, symbol_enum, qf(p.ol), qf(p.os), cf(p.olc), cf(p.osc),
            qf(p.el), qf(p.es), cf(p.elc), cf(p.esc),
        )  # fmt: skip

    # ------------------------------------------------------------------ helpers

    def _account(self, account: int) -> _Account:
        a = self._accounts.get(account)
        if a is None:
            a = self._accounts[account] = _Account()
        return a

    def _pos(self, acct: _Account, sym: int) -> _Pos:
        p = acct.pos.get(sym)
        if p is None:
            p = acct.pos[sym] = _Pos()
        return p

    def _day_index(self, now: int) -> int:
        r = self.rules
        return (now - r.day_end_offset_ns) // r.day_length_ns

    def _day_start(self, day: int) -> int:
        r = self.rules
        return day * r.day_length_ns + r.day_end_offset_ns

    def _roll_day(self, ev: list[Event]) -> None:
        now = self._clock()
        self._day = self._day_index(now)
        self._next_day_ns = self._day_start(self._day + 1)
        keep: list[_Order] = []
        for o in self._day_orders:
            if o.state == _DONE:
                continue
            if o.day < self._day:
                self._kill(o, o.oid, CancelReason.DAY_EXPIRED, ev)
            else:
                keep.append(o)
        self._day_orders = keep

    def _expire_all_day(self, ev: list[Event]) -> None:
        for o in self._day_orders:
            if o.state != _DONE:
                self._kill(o, o.oid, CancelReason.DAY_EXPIRED, ev)
        self._day_orders = []

    def _view(self, o: _Order) -> OrderView:
        b = o.book
        pf = b.pg.to_float
        qf = b.qg.to_float
        rest: float | None = None
        if o.children:
            lv = [c.level.price for c in o.children if c.level is not None]
            if lv:
                rest = pf(lv[0])
        elif o.level is not None:
            rest = pf(o.level.price)
        return OrderView(
            o.account, o.oid, b.sym, o.wside, o.otype, o.f_price, o.x.f_stop, qf(o.qty),
            qf(o.open), qf(o.filled), o.tif, o.x.attrs, o.x.f_disp, o.x.f_refr, o.x.layers,
            o.x.f_sinc, o.x.f_pinc, o.x.f_poff, o.x.replaced, o.x.triggered, rest,
        )  # fmt: skip

    # ------------------------------------------------------------------ validation

    @staticmethod
    def _parse_attrs(attrs: str) -> tuple[bool, bool] | None:
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

    def _check_fields(
        self,
        book: _Book,
        ot: int,
        cmd: NewOrder | ReplaceOrder,
        disp_attr: bool,
        stop_default: float,
        o: _Order | None,
    ) -> tuple[int, int, int, int, int, int, int, int, int] | RejectCode:
        """Rows 18-29 of PROTOCOL.md 8.2.

        Returns (price, qty, stop, layers, size_lots, pinc, poff, disp, refr) in
        ticks/lots, or the reject code.
        """
        price = 0
        if ot != MKT:
            p = cmd.price
            if not p >= _MIN_PRICE * (1 - 1e-9):
                return RejectCode.PRICE_INVALID
            pt = book.pg.to_int(p)
            if pt is None or pt < 1:
                return RejectCode.PRICE_INVALID
            price = pt
        qty = book.qg.to_int(cmd.order_qty)
        if qty is None or qty < book.min_lots or qty > book.max_lots:
            return RejectCode.SIZE_INVALID
        layers = sinc = pinc = poff = 0
        if ot == ICE:
            if o is not None and cmd.layers == 0:
                layers, sinc, pinc, poff = o.x.layers, o.x.sinc, o.x.pinc, o.x.poff
            else:
                layers = cmd.layers
                if not 1 <= layers <= 10:
                    return RejectCode.EXCEEDED_MAX_LAYERS
                si = book.qg.to_int(cmd.size_increment) if cmd.size_increment > 0 else None
                if si is None or si < 1:
                    return RejectCode.SIZE_INCREMENT_INVALID
                sinc = si
                po = cmd.price_offset
                rp = round(po) if 0 <= po < 1e9 else -1
                if rp < 0 or abs(po - rp) > 1e-9:
                    return RejectCode.PRICE_OFFSET_INVALID
                poff = rp
                pi = cmd.price_increment
                ri = round(pi) if 0 <= pi < 1e9 else -1
                if ri < 0 or abs(pi - ri) > 1e-9:
                    return RejectCode.PRICE_INCREMENT_INVALID
                pinc = ri
            if layers * sinc != qty:
                return RejectCode.ICE_SIZEINCREMENT_TIMES_LAYERS_NOT_EQUAL_ORDQTY
        stop = 0
        if ot in _NEEDS_STOP:
            s = cmd.stop_limit_price
            if s == 0.0 and o is not None:
                s = stop_default
            if not s > 0:
                return RejectCode.STOP_PRICE_INVALID
            st = book.pg.to_int(s)
            if st is None or st < 1:
                return RejectCode.STOP_PRICE_INVALID
            stop = st
        disp = refr = 0
        if disp_attr:
            ds, rs = cmd.display_size, cmd.refresh_size
            if o is not None and ds == 0.0 and rs == 0.0:
                disp, refr = o.disp, o.refr
            else:
                d = book.qg.to_int(ds) if ds > 0 else None
                if d is None or d < 1:
                    return RejectCode.DISPLAY_SIZE_INVALID
                r = book.qg.to_int(rs) if rs > 0 else None
                if r is None or r < 1:
                    return RejectCode.REFRESH_SIZE_INVALID
                disp, refr = d, r
        return price, qty, stop, layers, sinc, pinc, poff, disp, refr

    # ------------------------------------------------------------------ new order

    def _new(
        self,
        cmd: NewOrder,
        risk_check: Callable[[RiskQuery], RejectCode | None] | None,
        ev: list[Event],
    ) -> _Book | None:
        account = cmd.account
        oid = cmd.order_id
        ot = cmd.order_type
        if ot not in _SUPPORTED:
            ev.append(_mk_rej(account, oid, RejectCode.ORD_TYPE_INVALID, 0))
            return None
        book = self._books.get(cmd.symbol_enum)
        if book is None:
            ev.append(_mk_rej(account, oid, RejectCode.SYMBOL_ENUM_INVALID, 0))
            return None
        wside = cmd.side
        if wside == 1:
            side = 1
        elif wside == 2 or wside == 3:
            side = 2
        else:
            ev.append(_mk_rej(account, oid, RejectCode.ORDER_SIDE_INVALID, 0))
            return None
        acct = self._accounts.get(account)
        if acct is None:
            acct = self._account(account)
        if oid in acct.seen:
            ev.append(_mk_rej(account, oid, RejectCode.DUPLICATE_ORDER_ID, 0))
            return None
        attrs = cmd.attributes
        if attrs == NO_ATTRIBUTES:
            h_attr = d_attr = False
        else:
            fl = self._parse_attrs(attrs)
            if fl is None:
                ev.append(_mk_rej(account, oid, RejectCode.INVALID_FIELD_VALUE, 0))
                return None
            h_attr, d_attr = fl
        tif = cmd.time_in_force
        if ot == MKT:
            tif_ok = True
        elif ot in _GTC_ONLY:
            tif_ok = tif == GTC
        else:
            tif_ok = tif in _ANY_TIF
        if not tif_ok:
            ev.append(_mk_rej(account, oid, RejectCode.INVALID_FIELD_VALUE, 0))
            return None
        if h_attr or d_attr:
            if ot in _ATTR_TYPES:
                ok = not (h_attr and d_attr) and not (d_attr and ot in (HIDDEN, PEG_HIDDEN))
            else:
                ok = ot == ICE and not d_attr
            if not ok:
                ev.append(_mk_rej(account, oid, RejectCode.INVALID_FIELD_VALUE, 0))
                return None
        r = self._check_fields(book, ot, cmd, d_attr, 0.0, None)
        if type(r) is not tuple:
            ev.append(_mk_rej(account, oid, r, 0))
            return None
        price, qty, stop, layers, sinc, pinc, poff, disp, refr = r
        # reserve price (ticks): what risk and long/short cash use
        if ot == STOP_LMT or ot == TSL:
            rp = stop
        else:
            rp = price
        if risk_check is not None:
            pf = book.pg.to_float
            mc = None
            if ot == MKT:
                mc = self.market_cost(book.sym, side, cmd.order_qty)
            code = risk_check(
                RiskQuery(
                    cmd,
                    account,
                    book.sym,
                    Side(wside),
                    OrderType(ot),
                    tif,
                    float(cmd.price) if ot != MKT else 0.0,
                    float(cmd.stop_limit_price),
                    pf(rp),
                    book.qg.to_float(qty),
                    mc,
                    None,
                    None,
                )
            )
            if code is not None:
                ev.append(_mk_rej(account, oid, RejectCode(code), 0))
                return None
        # row 32: matching-level rejects
        if ot == MKT:
            if not (book.asks.keys if side == 1 else book.bids.keys):
                ev.append(_mk_rej(account, oid, RejectCode.NO_MARKET_MAKER_VOLUME, 0))
                return None
            tif = IOC
        elif tif == FOK and ot not in _CONDITIONAL:
            fillable = 0 if ot in (PEG, PEG_HIDDEN, ICE) else self._fillable(book, side, price, qty)
            if fillable < qty:
                ev.append(_mk_rej(account, oid, RejectCode.MATCHING_ENGINE_REJECTED, 0))
                return None
        # ---- accepted: build the order
        acct.seen.add(oid)
        o = _Order()
        o.account = account
        o.oid = oid
        o.book = book
        o.side = side
        o.wside = wside
        o.otype = ot
        o.tif = tif if ot != MKT else cmd.time_in_force
        o.x.attrs = attrs
        o.price = price
        o.x.stop = stop
        o.qty = qty
        o.open = qty
        o.rp = rp
        o.f_price = float(cmd.price) if ot != MKT else 0.0
        o.x.f_stop = float(cmd.stop_limit_price)
        o.x.f_disp = float(cmd.display_size)
        o.x.f_refr = float(cmd.refresh_size)
        o.x.layers = layers
        o.x.f_sinc = float(cmd.size_increment)
        o.x.f_pinc = float(cmd.price_increment)
        o.x.f_poff = float(cmd.price_offset)
        o.x.sinc, o.x.pinc, o.x.poff = sinc, pinc, poff
        o.hidden = h_attr or ot == HIDDEN or ot == PEG_HIDDEN
        o.disp, o.refr = disp, refr
        self._seq += 1
        o.seq = self._seq
        p = acct.pos.get(book.sym)
        if p is None:
            p = self._pos(acct, book.sym)
        o.pos = p
        if side == 1:
            p.ol += qty
            p.olc += rp * qty
        else:
            p.os += qty
            p.osc += rp * qty
        if ot == LMT or ot == HIDDEN or ot == OCO:
            o.lim = price
            o.state = _RESTING
            if ot == OCO:
                o.x.trig = stop
            self._aggress(book, o, ev)
            if ot == OCO and o.filled:
                # the limit leg executed on arrival: the stop leg is never armed
                ev.append(
                    _mk_can(account, oid, oid, book.sym, wside, 0.0, CancelReason.OCO_SIBLING)
                )
            if o.open:
                if tif == IOC or tif == FOK:
                    self._finish_taker(o, CancelReason.IOC_REMAINDER, ev)
                else:
                    if ot == OCO and not o.filled:
                        o.armed = True
                        book.ndormant += 1
                        self._arm(o, self.rules.stop_trigger, side == 1)
                    acct.live[oid] = o
                    self._rest(book, o)
                    if tif == DAY:
                        self._add_day(o)
                    ev.append(
                        _mk_acc(
                            account, oid, book.sym, wside, ot, o.f_price, book.qg.to_float(o.open)
                        )
                    )
            return book
        if ot == MKT:
            o.lim = None
            o.state = _RESTING
            self._aggress(book, o, ev)
            if o.open:
                self._finish_taker(o, CancelReason.MARKET_REMAINDER, ev)
            return book
        if ot == PEG or ot == PEG_HIDDEN or ot == ICE:
            o.lim = price
            if tif == IOC or tif == FOK:
                # a pegged order never takes liquidity: nothing executes on arrival
                o.state = _RESTING
                self._finish_taker(o, CancelReason.IOC_REMAINDER, ev)
                return book
            o.state = _RESTING
            acct.live[oid] = o
            book.pegs.append(o)
            if ot == ICE:
                o.kind = _STATIC  # the parent itself never rests
                o.children = []
                self._place_ice(book, o)
            else:
                o.kind = _PEGGED
                self._rest_peg(book, o)
            if tif == DAY:
                self._add_day(o)
            ev.append(
                _mk_acc(account, oid, book.sym, wside, ot, o.f_price, book.qg.to_float(o.open))
            )
            return book
        # conditional types: dormant until triggered
        o.state = _DORMANT
        o.lim = None
        acct.live[oid] = o
        ev.append(_mk_acc(account, oid, book.sym, wside, ot, o.f_price, book.qg.to_float(qty)))
        if ot == SNIPER_MKT or ot == SNIPER_LMT:
            o.x.trig = price
            self._arm(o, self.rules.sniper_trigger, side == 2)
        else:
            o.x.trig = price
            if ot in _TRAILING:
                self._init_trailing(book, o)
            self._arm(o, self.rules.stop_trigger, side == 1)
        book.ndormant += 1
        return book

    def _add_day(self, o: _Order) -> None:
        if not self._day_orders:
            # the clock is only read while DAY orders live: refresh the day now
            self._day = self._day_index(self._clock())
            self._next_day_ns = self._day_start(self._day + 1)
        o.day = self._day
        self._day_orders.append(o)

    def _fast_limit(self, cmd: NewOrder, ev: list[Event]) -> _Book | None:
        """Hot path of a plain LMT order without attributes and without a risk hook.

        Anything unusual (including every reject) goes to :meth:`_new`, so the
        validation rules live in one place.
        """
        book = self._books.get(cmd.symbol_enum)
        side = cmd.side
        tif = cmd.time_in_force
        account = cmd.account
        oid = cmd.order_id
        acct = self._accounts.get(account)
        if (
            book is None
            or acct is None
            or (side != 1 and side != 2)
            or (tif != GTC and tif != DAY and tif != IOC)
            or oid in acct.seen
            or not book.pk
        ):
            return self._new(cmd, None, ev)
        fp = cmd.price
        x = fp * book.pk
        if not 0.5 <= x < 1e15:  # also NaN; the slow path rejects
            return self._new(cmd, None, ev)
        price = round(x)
        if price < 1 or abs(x - price) > 1e-9 + x * 4.5e-16 or fp < _MIN_PRICE_TOL:
            return self._new(cmd, None, ev)
        x = cmd.order_qty * book.qk
        if not 0.5 <= x < 1e15:
            return self._new(cmd, None, ev)
        qty = round(x)
        if qty < book.min_lots or qty > book.max_lots or abs(x - qty) > 1e-9 + x * 4.5e-16:
            return self._new(cmd, None, ev)
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
            p = self._pos(acct, book.sym)
        o.pos = p
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
            self._rest(book, o)
        else:
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

    # ------------------------------------------------------------------ matching

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
        sym = book.sym
        pk = book.pk  # 0: the slow to_float conversions below
        qk = book.qg.k
        live_of = self._accounts
        need = t.open
        tpos = t.pos
        tbuy = t.side == 1
        tacc, toid, tws, tfp = t.account, t.oid, t.wside, t.f_price
        exec_id = self._exec_id
        append = ev.append
        px = 0
        tcost = 0  # the taker's position is updated once, after the sweep
        while need and keys:
            k = keys[-1]
            if k < lim_key:
                break
            lvl = levels[k]
            px = lvl.price
            fpx = px / pk if pk else book.pg.to_float(px)
            q = lvl.q
            h = lvl.h
            while need:
                if q:
                    o = q[0]
                    if o.level is None:
                        q.popleft()
                        continue
                    shown = True
                elif h:
                    o = h[0]
                    if o.level is None:
                        h.popleft()
                        continue
                    shown = False
                else:
                    break
                x = o.avail
                if x > need:
                    x = need
                need -= x
                o.avail -= x
                o.open -= x
                lvl.tot -= x
                if shown:
                    lvl.vis -= x
                p = o.parent
                if p is None:
                    p = o
                else:
                    p.open -= x
                p.filled += x
                pos = p.pos
                cost = px * x
                tcost += cost
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
                    fx = x / qk
                    prem = p.open / qk
                    trem = need / qk
                else:
                    qf = book.qg.to_float
                    fx = qf(x)
                    prem = qf(p.open)
                    trem = qf(need)
                append(
                    _mk_fill(
                        exec_id,
                        p.account,
                        p.oid,
                        sym,
                        p.wside,
                        p.f_price,
                        fpx,
                        fx,
                        prem,
                        False,
                    )
                )
                append(_mk_fill(exec_id, tacc, toid, sym, tws, tfp, fpx, fx, trem, True))
                if p.armed:
                    self._disarm_oco(p, ev)
                if o.avail == 0:
                    if o.open:
                        # display order: next slice goes to the back of the level
                        nxt = o.refr if o.refr < o.open else o.open
                        o.avail = nxt
                        q.popleft()
                        q.append(o)
                        lvl.vis += nxt
                        self._seq += 1
                        o.seq = self._seq
                    else:
                        if shown:
                            q.popleft()
                        else:
                            h.popleft()
                            lvl.nhid -= 1
                        o.level = None
                        lvl.n -= 1
                        if o.kind != _STATIC:
                            lvl.npeg -= 1
                        if p.open == 0:
                            # self._done(p) inlined for the common plain order
                            if p.kind == _STATIC and p.children is None:
                                p.state = _DONE
                                live = live_of[p.account].live
                                if live.get(p.oid) is p:
                                    del live[p.oid]
                            else:
                                self._done(p)
            if lvl.n == 0:
                keys.pop()
                del levels[k]
        done = t.open - need
        t.open = need
        t.filled += done
        if tbuy:
            tpos.ol -= done
            tpos.olc -= t.rp * done
            tpos.el += done
            tpos.elc += tcost
        else:
            tpos.os -= done
            tpos.osc -= t.rp * done
            tpos.es += done
            tpos.esc += tcost
        self._exec_id = exec_id
        if px:
            book.last = px
        if t.armed and done:
            self._disarm_oco(t, ev)

    def _disarm_oco(self, o: _Order, ev: list[Event]) -> None:
        """The limit leg of an OCO executed: its stop leg goes away."""
        o.armed = False
        o.x.tver += 1
        o.book.ndormant -= 1
        ev.append(
            _mk_can(o.account, o.oid, o.oid, o.book.sym, o.wside, 0.0, CancelReason.OCO_SIBLING)
        )

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
        if o.side == 1:
            o.pos.ol -= open_
            o.pos.olc -= o.rp * open_
        else:
            o.pos.os -= open_
            o.pos.osc -= o.rp * open_
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

    # ------------------------------------------------------------------ book edits

    def _rest(self, book: _Book, o: _Order, price: int | None = None) -> None:
        """Put entry ``o`` at the back of its level (``price`` defaults to ``o.lim``)."""
        if price is None:
            price = o.lim
            assert price is not None  # only orders with a limit rest at their own price
        if o.side == 1:
            side = book.bids
            key = price
        else:
            side = book.asks
            key = -price
        lvl = side.levels.get(key)
        if lvl is None:
            lvl = side.levels[key] = _Level(price)
            keys = side.keys
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
        if o.hidden:
            o.avail = o.open
            lvl.h.append(o)
            lvl.nhid += 1
        else:
            d = o.disp
            o.avail = d if d and d < o.open else o.open
            lvl.q.append(o)
            lvl.vis += o.avail
        lvl.tot += o.open
        lvl.n += 1
        if o.kind != _STATIC:
            lvl.npeg += 1
        o.level = lvl

    def _unrest(self, o: _Order, eager: bool = False) -> None:
        """Take entry ``o`` off its level (lazily unless ``eager``)."""
        lvl = o.level
        if lvl is None:
            return
        if o.hidden:
            lvl.nhid -= 1
            if eager:
                lvl.h.remove(o)
        else:
            lvl.vis -= o.avail
            if eager:
                lvl.q.remove(o)
        lvl.tot -= o.open
        lvl.n -= 1
        if o.kind != _STATIC:
            lvl.npeg -= 1
        o.level = None
        if lvl.n == 0:
            side = o.book.bids if o.side == 1 else o.book.asks
            key = lvl.price * side.sign
            del side.levels[key]
            keys = side.keys
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]

    def _kill(self, o: _Order, cancel_id: int, reason: CancelReason, ev: list[Event]) -> None:
        """Cancel live order ``o`` completely and report it."""
        book = o.book
        if o.children is not None:
            for c in o.children:
                self._unrest(c)
            o.children = []
        else:
            self._unrest(o)
        if o.armed:
            o.armed = False
            o.x.tver += 1
            book.ndormant -= 1
        elif o.state == _DORMANT:
            o.x.tver += 1
            book.ndormant -= 1
        open_ = o.open
        p = o.pos
        if o.side == 1:
            p.ol -= open_
            p.olc -= o.rp * open_
        else:
            p.os -= open_
            p.osc -= o.rp * open_
        o.open = 0
        self._done(o)
        ev.append(
            _mk_can(o.account, cancel_id, o.oid, book.sym, o.wside, book.qg.to_float(open_), reason)
        )

    # ------------------------------------------------------------------ cancel / replace

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
            self._kill(o, oid, CancelReason.USER, ev)
            return book
        # hot path: a plain displayed order resting on the book
        open_ = o.open
        lvl.vis -= o.avail
        lvl.tot -= open_
        lvl.n -= 1
        o.level = None
        o.state = _DONE
        o.open = 0
        del acct.live[orig]
        p = o.pos
        if o.side == 1:
            p.ol -= open_
            p.olc -= o.rp * open_
            if not lvl.n:
                side = book.bids
                key = lvl.price
        else:
            p.os -= open_
            p.osc -= o.rp * open_
            if not lvl.n:
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

    def _replace(
        self,
        cmd: ReplaceOrder,
        risk_check: Callable[[RiskQuery], RejectCode | None] | None,
        ev: list[Event],
    ) -> _Book | None:
        account, oid, orig = cmd.account, cmd.order_id, cmd.orig_order_id
        found = self._original(account, oid, orig, ev)
        if found is None:
            return None
        acct, o = found
        book = o.book
        ot = o.otype
        d_attr = o.disp > 0
        r = self._check_fields(book, ot, cmd, d_attr, o.x.f_stop, o)
        if type(r) is not tuple:
            ev.append(_mk_rej(account, oid, r, orig))
            return None
        price, qty, stop, layers, sinc, pinc, poff, disp, refr = r
        if qty <= o.filled:
            ev.append(_mk_rej(account, oid, RejectCode.SIZE_INVALID, orig))
            return None
        new_open = qty - o.filled
        rp = stop if ot in (STOP_LMT, TSL) else price
        if risk_check is not None:
            code = risk_check(
                RiskQuery(
                    cmd,
                    account,
                    book.sym,
                    Side(o.wside),
                    OrderType(ot),
                    o.tif,
                    float(cmd.price),
                    float(cmd.stop_limit_price) or o.x.f_stop,
                    book.pg.to_float(rp),
                    book.qg.to_float(new_open),
                    None,
                    orig,
                    self._view(o),
                )
            )
            if code is not None:
                ev.append(_mk_rej(account, oid, RejectCode(code), orig))
                return None
        # ---- accepted
        acct.seen.add(oid)
        if o.x is _NO_EXT:  # a plain LMT order from the hot path: give it its own fields
            o.x = _Ext()
        old_lim = o.lim
        old_open = o.open
        keep = False
        new_lim = stop if ot in (STOP_LMT, TSL) else price
        if o.state == _RESTING and o.children is None:
            keep = new_lim == old_lim and new_open <= old_open
        # position: remove the old reservation, add the new one
        p = o.pos
        if o.side == 1:
            p.ol += new_open - old_open
            p.olc += rp * new_open - o.rp * old_open
        else:
            p.os += new_open - old_open
            p.osc += rp * new_open - o.rp * old_open
        del acct.live[orig]
        acct.live[oid] = o
        o.oid = oid
        o.x.replaced = True
        o.rp = rp
        o.f_price = float(cmd.price)
        if stop:
            o.x.f_stop = float(cmd.stop_limit_price) or o.x.f_stop
        if ot == ICE and cmd.layers:
            o.x.f_sinc = float(cmd.size_increment)
            o.x.f_pinc = float(cmd.price_increment)
            o.x.f_poff = float(cmd.price_offset)
        if disp and (cmd.display_size or cmd.refresh_size):
            o.x.f_disp = float(cmd.display_size)
            o.x.f_refr = float(cmd.refresh_size)
        o.x.layers, o.x.sinc, o.x.pinc, o.x.poff = layers, sinc, pinc, poff
        o.disp, o.refr = disp, refr
        o.qty = qty
        ev.append(
            _mk_rep(
                account,
                oid,
                orig,
                book.sym,
                o.wside,
                o.f_price,
                book.qg.to_float(qty),
                book.qg.to_float(new_open),
            )
        )
        if keep:
            lvl = o.level
            assert lvl is not None
            dx = old_open - new_open
            lvl.tot -= dx
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
                self._arm(o, self.rules.stop_trigger, o.side == 1)
            return book
        if o.state == _DORMANT:
            o.price, o.x.stop, o.open = price, stop, new_open
            o.x.trig = price
            o.x.tver += 1
            if ot == SNIPER_MKT or ot == SNIPER_LMT:
                self._arm(o, self.rules.sniper_trigger, o.side == 2)
            else:
                if ot in _TRAILING:
                    self._init_trailing(book, o)
                self._arm(o, self.rules.stop_trigger, o.side == 1)
            return book
        if o.children is not None:
            for c in o.children:
                self._unrest(c, eager=True)
            o.children = []
            o.price, o.lim, o.open = price, price, new_open
            self._place_ice(book, o)
            return book
        self._unrest(o, eager=True)
        o.price, o.x.stop, o.open = price, stop, new_open
        self._seq += 1
        o.seq = self._seq
        if o.kind == _PEGGED:
            o.lim = price
            self._rest_peg(book, o)
            return book
        o.lim = new_lim
        if o.armed:
            o.x.trig = stop
            o.x.tver += 1
            self._arm(o, self.rules.stop_trigger, o.side == 1)
        self._aggress(book, o, ev)
        if o.open:
            self._rest(book, o)
        else:
            self._done(o)
        return book

    # ------------------------------------------------------------------ pegs and ICE

    def _peg_ref(self, book: _Book, side: int) -> int | None:
        """Reference price of pegged/ICE orders of ``side`` (see docs/engine.md)."""
        if side == 1:
            r = book.bids.best_reg()
            if r is None:
                a = book.asks.best()
                r = a - 1 if a is not None and a > 1 else None
        else:
            r = book.asks.best_reg()
            if r is None:
                b = book.bids.best()
                r = b + 1 if b is not None else None
        return r

    def _peg_price(self, book: _Book, o: _Order) -> int:
        ref = self._peg_ref(book, o.side)
        lim = o.lim
        assert lim is not None
        if ref is None:
            return lim
        return ref if (ref < lim if o.side == 1 else ref > lim) else lim

    def _rest_peg(self, book: _Book, o: _Order) -> None:
        self._rest(book, o, self._peg_price(book, o))

    def _ice_prices(self, book: _Book, o: _Order, n: int) -> list[int]:
        ref = self._peg_ref(book, o.side)
        lim = o.lim
        assert lim is not None
        out = []
        for j in range(n):
            if o.side == 1:
                p = lim if ref is None else min(lim, ref - o.x.poff - j * o.x.pinc)
                p = max(p, 1)
            else:
                p = lim if ref is None else max(lim, ref + o.x.poff + j * o.x.pinc)
            out.append(p)
        return out

    def _place_ice(self, book: _Book, o: _Order) -> None:
        """Split ICE ``o`` into its layers and put them on the book."""
        left = o.open
        n = -(-left // o.x.sinc)
        prices = self._ice_prices(book, o, o.x.layers)[o.x.layers - n :]
        kids: list[_Order] = []
        # the deepest layers are the ones already consumed
        for j, px in enumerate(prices):
            c = _Order()
            c.account, c.oid, c.book, c.side, c.wside = o.account, o.oid, book, o.side, o.wside
            c.otype, c.parent, c.kind, c.hidden = ICE, o, _ICE_CHILD, o.hidden
            size = left - o.x.sinc * (n - 1) if j == 0 else o.x.sinc
            c.open = c.qty = size
            c.x.layer = o.x.layers - n + j
            c.pos = o.pos
            c.rp = o.rp
            c.state = _RESTING
            self._rest(book, c, px)
            kids.append(c)
        o.children = kids

    def _reprice(self, book: _Book) -> bool:
        """Move pegged orders and ICE layers after their reference moved."""
        rb = self._peg_ref(book, 1)
        ra = self._peg_ref(book, 2)
        if rb == book.ref_b and ra == book.ref_a:
            return False
        book.ref_b, book.ref_a = rb, ra
        moved = False
        for o in sorted(book.pegs, key=_seq_of):
            if o.state != _RESTING:
                continue
            if o.children is not None:
                kids = [c for c in o.children if c.level is not None]
                prices = self._ice_prices(book, o, o.x.layers)
                for c in kids:
                    np_ = prices[c.x.layer]
                    if c.level is not None and c.level.price != np_:
                        self._unrest(c, eager=True)
                        self._rest(book, c, np_)
                        moved = True
                o.children = kids
            else:
                np_ = self._peg_price(book, o)
                if o.level is not None and o.level.price != np_:
                    self._unrest(o, eager=True)
                    self._rest(book, o, np_)
                    moved = True
        return moved

    # ------------------------------------------------------------------ triggers

    def _arm(self, o: _Order, source: TriggerSource, rising: bool) -> None:
        key = (int(source), o.side, rising)
        heap = o.book.heaps.get(key)
        if heap is None:
            heap = o.book.heaps[key] = []
        self._seq += 1
        heapq.heappush(heap, (o.x.trig if rising else -o.x.trig, self._seq, o, o.x.tver))

    def _reference(self, book: _Book, source: int, side: int) -> int | None:
        if source == TriggerSource.LAST_TRADE:
            return book.last
        return book.asks.best() if side == 1 else book.bids.best()

    def _init_trailing(self, book: _Book, o: _Order) -> None:
        r = self.rules
        ref = self._reference(book, r.stop_trigger, o.side)
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
            ref = self._reference(book, src, o.side)
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
            ref = self._reference(book, source, side)
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

    def _fire(self, book: _Book, o: _Order, ev: list[Event]) -> None:
        ot = o.otype
        book.ndormant -= 1
        o.x.tver += 1
        o.x.triggered = True
        ev.append(_mk_trg(o.account, o.oid, book.sym, o.wside, ot, book.pg.to_float(o.x.trig)))
        if ot == OCO:
            o.armed = False
            self._unrest(o)
            ev.append(
                _mk_can(o.account, o.oid, o.oid, book.sym, o.wside, 0.0, CancelReason.OCO_SIBLING)
            )
            o.lim = None
        elif ot == STOP_LMT:
            o.lim = o.x.stop
        elif ot == TSL:
            o.lim = o.x.trig + o.x.tloff if self.rules.tsl_limit_trails else o.x.stop
            o.lim = max(o.lim, 1)
        elif ot == SNIPER_LMT:
            o.lim = o.price
        else:
            o.lim = None
        o.state = _RESTING
        self._seq += 1
        o.seq = self._seq
        self._aggress(book, o, ev)
        if o.open:
            if o.lim is None:
                self._finish_taker(o, CancelReason.MARKET_REMAINDER, ev)
            else:
                self._rest(book, o)
        else:
            self._done(o)

    def _settle(self, book: _Book, ev: list[Event]) -> None:
        """Run triggers and re-pegging until the book is stable."""
        for _ in range(1_000_000):
            if book.trailing:
                self._trail(book)
            fired = book.ndormant > 0 and self._fire_one(book, ev)
            moved = bool(book.pegs) and self._reprice(book)
            if not fired and not moved:
                return


def _seq_of(o: _Order) -> int:
    return o.seq
