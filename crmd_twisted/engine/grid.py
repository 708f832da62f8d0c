"""Conversion between the floats at the engine's edge and its integer units.

Inside the engine prices are integer *ticks* and quantities integer *lots*;
a :class:`_Grid` converts one of them, a :class:`_CashGrid` turns
tick x lot products (cash) back into floats without accumulating error.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["_CashGrid", "_Grid"]


def _units(increment: float) -> tuple[int, int]:
    """Return (k, decimals): k = 1/increment when that is an integer, else 0."""
    k = round(1.0 / increment)
    if k > 0 and abs(k * increment - 1.0) < 1e-12:
        return k, 0
    exp = Decimal(repr(increment)).normalize().as_tuple().exponent
    return 0, max(0, -int(exp))


class _Grid:
    """Conversion between floats and integer multiples of one increment."""

    __slots__ = (
        "dec",  # decimals of the increment (used when k == 0)
        "inc",  # the increment as a float
        "k",  # increments per unit (1/inc) when that is a whole number, else 0
    )

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

    __slots__ = (
        "dec",  # decimals of one tick-lot (used when k == 0)
        "inc",  # value of one tick-lot as a float
        "k",  # tick-lots per unit of cash when whole, else 0
    )

    def __init__(self, pg: _Grid, qg: _Grid) -> None:
        self.k = pg.k * qg.k if pg.k and qg.k else 0
        self.inc = pg.inc * qg.inc
        self.dec = max(pg.dec, len(str(pg.k))) + max(qg.dec, len(str(qg.k)))

    def to_float(self, n: int) -> float:
        """Cash value of ``n`` tick-lots."""
        if self.k:
            return n / self.k
        return round(n * self.inc, self.dec)
