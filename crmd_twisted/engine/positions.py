"""Open and executed quantity and cash of one account in one instrument.

Every change of an account's position goes through :class:`_Pos`:
:meth:`_Pos.reserve` when open quantity is added or released (a new order,
a cancel, an unfilled remainder), :meth:`_Pos.move_reserve` for a replace,
:meth:`_Pos.execute` when open quantity executes.  Cash is kept in integer
tick-lots (price ticks x lots).

The matching loop (:mod:`crmd_twisted.engine.matching`) and the plain-limit
hot paths write the same four fields inline for speed; each such spot says
which of the two methods it inlines.
"""

from __future__ import annotations

__all__ = ["_Pos"]


class _Pos:
    """Position of one account in one instrument; ints are lots and tick-lots."""

    __slots__ = (
        "el",  # executed long lots (bought)
        "elc",  # executed long cash, tick-lots
        "es",  # executed short lots (sold)
        "esc",  # executed short cash, tick-lots
        "ol",  # open long lots (live buy orders)
        "olc",  # open long cash at the orders' reserve prices, tick-lots
        "os",  # open short lots (live sell orders)
        "osc",  # open short cash at the orders' reserve prices, tick-lots
    )

    def __init__(self) -> None:
        self.ol = self.olc = self.os = self.osc = 0
        self.el = self.elc = self.es = self.esc = 0

    def reserve(self, side: int, lots: int, reserve_ticks: int) -> None:
        """Add ``lots`` open quantity of ``side`` (1 buy, 2 sell) at ``reserve_ticks``;
        negative ``lots`` release it."""
        if side == 1:
            self.ol += lots
            self.olc += reserve_ticks * lots
        else:
            self.os += lots
            self.osc += reserve_ticks * lots

    def move_reserve(
        self, side: int, old_lots: int, old_ticks: int, new_lots: int, new_ticks: int
    ) -> None:
        """An order of ``side`` now reserves ``new_lots`` at ``new_ticks`` instead of
        ``old_lots`` at ``old_ticks`` (a replace)."""
        if side == 1:
            self.ol += new_lots - old_lots
            self.olc += new_ticks * new_lots - old_ticks * old_lots
        else:
            self.os += new_lots - old_lots
            self.osc += new_ticks * new_lots - old_ticks * old_lots

    def execute(self, side: int, lots: int, reserve_ticks: int, cost: int) -> None:
        """``lots`` open quantity of ``side`` reserved at ``reserve_ticks`` executed
        for ``cost`` tick-lots."""
        if side == 1:
            self.ol -= lots
            self.olc -= reserve_ticks * lots
            self.el += lots
            self.elc += cost
        else:
            self.os -= lots
            self.osc -= reserve_ticks * lots
            self.es += lots
            self.esc += cost
