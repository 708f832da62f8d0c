"""The order book's data structures and the two edits every path uses.

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

The slot names are short because the matching loop reads them millions of
times and a short name keeps the loop readable; each slot table says what
every slot holds.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque

from crmd_twisted.engine.id_history import OrderIdHistory
from crmd_twisted.engine.grid import _CashGrid, _Grid
from crmd_twisted.engine.positions import _Pos
from crmd_twisted.engine.types import Instrument, OrderView
from crmd_twisted.wire.enums import NO_ATTRIBUTES

__all__ = [
    "_DONE",
    "_DORMANT",
    "_ICE_CHILD",
    "_NO_EXT",
    "_PEGGED",
    "_RESTING",
    "_STATIC",
    "_Account",
    "_Book",
    "_BookSide",
    "_Ext",
    "_Level",
    "_Order",
    "drop_level",
    "market_cost",
    "order_view",
    "rest",
    "unrest",
]

# states of an order
_DORMANT, _RESTING, _DONE = 0, 1, 2
# kinds of book entries (for the peg/ICE reference price)
_STATIC, _PEGGED, _ICE_CHILD = 0, 1, 2


class _Account:
    """What the engine keeps per account."""

    __slots__ = (
        "live",  # current order id -> live order
        "pos",  # symbol_enum -> position
        "seen",  # every order id an accepted command used (duplicates are rejected)
    )

    def __init__(self) -> None:
        self.live: dict[int, _Order] = {}
        self.seen = OrderIdHistory()
        self.pos: dict[int, _Pos] = {}

    def position(self, sym: int) -> _Pos:
        """The position in instrument ``sym``, created empty on first use."""
        p = self.pos.get(sym)
        if p is None:
            p = self.pos[sym] = _Pos()
        return p


class _Level:
    """One price level of one book side: two FIFO queues of entries."""

    __slots__ = (
        "h",  # hidden entries, matched after every displayed entry
        "n",  # live entries (both queues)
        "nhid",  # live hidden entries
        "npeg",  # live pegged entries and ICE layers
        "price",  # ticks
        "q",  # displayed entries, time priority
        "tot",  # executable lots (displayed, reserve, hidden)
        "vis",  # displayed lots
    )

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
    """Bids or asks: sorted level keys (best last) and the levels by key."""

    __slots__ = (
        "keys",  # sorted keys, best level last (key = price * sign)
        "levels",  # key -> level
        "sign",  # 1 for bids, -1 for asks
    )

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

    # f_*: the field as the command gave it (float, for views); the rest are ints
    attrs: str  # the attributes string as received
    f_disp: float  # display_size
    f_pinc: float  # price_increment (ICE)
    f_poff: float  # price_offset (ICE)
    f_refr: float  # refresh_size
    f_sinc: float  # size_increment (ICE)
    f_stop: float  # stop_limit_price
    layer: int  # ICE child: its layer number
    layers: int  # ICE: number of layers
    pinc: int  # ICE: ticks between layers
    poff: int  # ICE: ticks of the first layer from the reference
    replaced: bool  # a replace changed the order (OrderView.replaced)
    sinc: int  # ICE: lots per layer
    stop: int  # stop_limit_price in ticks (the second price)
    tdist: int  # trailing: ticks between the reference and the trigger
    tloff: int  # TSL: ticks from the stop to the limit
    trig: int  # trigger level in ticks (conditional types, OCO stop leg)
    triggered: bool  # fired (OrderView.triggered)
    tver: int  # trigger version: heap entries of an older version are stale

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
    # prices are ticks, quantities lots
    account: int
    armed: bool  # OCO whose stop leg is armed
    avail: int  # lots executable now (displayed slice, or all of a hidden order)
    book: _Book
    children: list[_Order] | None  # ICE layers (None: not an ICE parent)
    day: int  # trading day of a DAY order, -1 otherwise
    disp: int  # display size (0: whole open quantity displayed)
    f_price: float  # the price field as received (0.0 for MKT)
    filled: int
    hidden: bool  # rests in the hidden queue
    kind: int  # _STATIC / _PEGGED / _ICE_CHILD
    level: _Level | None  # the level it rests on, None when not on the book
    lim: int | None  # limit in ticks, None: no limit (market)
    oid: int  # current order id (a replace changes it)
    open: int  # lots not yet executed
    otype: int  # order type number
    parent: _Order | None  # ICE child: the ICE order
    pos: _Pos  # position of the account in the instrument
    price: int  # the price field
    qty: int  # order quantity (total, filled included)
    refr: int  # refresh size of a display order
    rp: int  # reserve price in ticks
    seq: int  # time priority among pegs/triggers (see __init__)
    side: int  # 1 buy, 2 sell (short sells included)
    state: int  # _DORMANT / _RESTING / _DONE
    tif: int  # time in force number
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
    """Everything the engine keeps for one instrument."""

    __slots__ = (
        "asks",  # _BookSide
        "bids",  # _BookSide
        "cg",  # cash grid (tick-lots -> float)
        "heaps",  # trigger heaps, see __init__
        "inst",  # the Instrument
        "last",  # last trade price in ticks, None before the first trade
        "max_lots",  # max_size in lots
        "min_lots",  # min_size in lots
        "ndormant",  # armed conditional orders and OCO stop legs
        "pegs",  # pegged orders and ICE parents
        "pg",  # price grid (ticks)
        "pk",  # ticks per unit of price, 0 if not a whole number
        "qg",  # quantity grid (lots)
        "qk",  # lots per unit when pk is whole too, else 0 (0 disables fast paths)
        "ref_a",  # ask-side peg reference at the last repricing
        "ref_b",  # bid-side peg reference at the last repricing
        "sym",  # symbol_enum
        "trailing",  # dormant trailing stops
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


# --------------------------------------------------------------------------- book edits


def rest(book: _Book, o: _Order, price: int | None = None) -> None:
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


def drop_level(side: _BookSide, lvl: _Level) -> None:
    """Remove the empty level ``lvl`` from ``side``."""
    key = lvl.price * side.sign
    del side.levels[key]
    keys = side.keys
    if keys[-1] == key:
        keys.pop()
    else:
        del keys[bisect_left(keys, key)]


def unrest(o: _Order, eager: bool = False) -> None:
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
        drop_level(o.book.bids if o.side == 1 else o.book.asks, lvl)


def order_view(o: _Order) -> OrderView:
    """The public view of live order ``o``."""
    b = o.book
    pf = b.pg.to_float
    qf = b.qg.to_float
    resting: float | None = None
    if o.children:
        lv = [c.level.price for c in o.children if c.level is not None]
        if lv:
            resting = pf(lv[0])
    elif o.level is not None:
        resting = pf(o.level.price)
    return OrderView(
        o.account, o.oid, b.sym, o.wside, o.otype, o.f_price, o.x.f_stop, qf(o.qty),
        qf(o.open), qf(o.filled), o.tif, o.x.attrs, o.x.f_disp, o.x.f_refr, o.x.layers,
        o.x.f_sinc, o.x.f_pinc, o.x.f_poff, o.x.replaced, o.x.triggered, resting,
    )  # fmt: skip


def market_cost(book: _Book, side: int, qty: float) -> float:
    """Quote-currency value a market order of ``qty`` on ``side`` would execute now.

    Walks the opposite side (hidden and reserve quantity included) only as
    deep as ``qty`` needs; quantity the book cannot fill costs nothing.
    """
    need = book.qg.to_int(qty)
    if need is None:
        need = int(qty / book.inst.lot_size) if 0 < qty < 1e15 else 0
    opp = book.asks if side == 1 else book.bids
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
