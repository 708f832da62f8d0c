"""PEG, PEG_HIDDEN and ICE: orders that rest at a price derived from the book.

A pegged order rests at its side's reference price (the best price holding a
static order, else one tick inside the opposite best), capped by its limit;
an ICE order rests as layers below/above the reference.  After every command
that touched a book holding such orders, :func:`reprice` moves them to where
the reference now says.  Pure functions over one book (see docs/engine.md).
"""

from __future__ import annotations

from crmd_twisted.engine.book import (
    _ICE_CHILD,
    _PEGGED,
    _RESTING,
    _STATIC,
    _Book,
    _Order,
    rest,
    unrest,
)
from crmd_twisted.engine.order_types import ICE

__all__ = ["place_ice", "reprice", "rest_ice", "rest_peg"]


def peg_ref(book: _Book, side: int) -> int | None:
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


def peg_price(book: _Book, o: _Order) -> int:
    """Where pegged order ``o`` belongs now: the reference, capped by its limit."""
    ref = peg_ref(book, o.side)
    lim = o.lim
    assert lim is not None
    if ref is None:
        return lim
    return ref if (ref < lim if o.side == 1 else ref > lim) else lim


def rest_peg(book: _Book, o: _Order) -> None:
    """Put pegged order ``o`` on the book at its peg price."""
    o.kind = _PEGGED
    rest(book, o, peg_price(book, o))


def ice_prices(book: _Book, o: _Order, n: int) -> list[int]:
    """Prices of the first ``n`` layers of ICE order ``o``, nearest the reference first."""
    ref = peg_ref(book, o.side)
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


def place_ice(book: _Book, o: _Order) -> None:
    """Split ICE ``o`` into its layers and put them on the book."""
    left = o.open
    n = -(-left // o.x.sinc)
    prices = ice_prices(book, o, o.x.layers)[o.x.layers - n :]
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
        rest(book, c, px)
        kids.append(c)
    o.children = kids


def rest_ice(book: _Book, o: _Order) -> None:
    """Put a new ICE order ``o`` on the book as layers (the parent never rests)."""
    o.kind = _STATIC
    o.children = []
    place_ice(book, o)


def _reprice_ice(book: _Book, o: _Order) -> bool:
    kids = [c for c in o.children or () if c.level is not None]
    prices = ice_prices(book, o, o.x.layers)
    moved = False
    for c in kids:
        np_ = prices[c.x.layer]
        if c.level is not None and c.level.price != np_:
            unrest(c, eager=True)
            rest(book, c, np_)
            moved = True
    o.children = kids
    return moved


def _reprice_peg(book: _Book, o: _Order) -> bool:
    np_ = peg_price(book, o)
    if o.level is not None and o.level.price != np_:
        unrest(o, eager=True)
        rest(book, o, np_)
        return True
    return False


def reprice(book: _Book) -> bool:
    """Move pegged orders and ICE layers after their reference moved."""
    rb = peg_ref(book, 1)
    ra = peg_ref(book, 2)
    if rb == book.ref_b and ra == book.ref_a:
        return False
    book.ref_b, book.ref_a = rb, ra
    moved = False
    for o in sorted(book.pegs, key=_seq_of):
        if o.state != _RESTING:
            continue
        if o.children is not None:
            moved = _reprice_ice(book, o) or moved
        else:
            moved = _reprice_peg(book, o) or moved
    return moved


def _seq_of(o: _Order) -> int:
    return o.seq
