"""The state every part of the engine shares, and the trading-day calendar.

:class:`EngineState` is the base of the engine's mixins (matching, triggers,
amend, order entry) and of :class:`~crmd_twisted.engine.MatchingEngine`; it
owns the attributes they all read and the few helpers that touch nothing
else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from crmd_twisted.engine.book import _Account, _Book, _Order
from crmd_twisted.engine.types import DEFAULT_INSTRUMENTS, EngineRules, Instrument

__all__ = ["EngineState"]


class EngineState:
    """Books, accounts, counters and the DAY-order calendar of one engine."""

    def __init__(
        self,
        instruments: Iterable[Instrument] = DEFAULT_INSTRUMENTS,
        rules: EngineRules | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.rules = rules if rules is not None else EngineRules()
        self._clock = clock
        self._books: dict[int, _Book] = {}  # symbol_enum -> book
        for inst in instruments:
            self._books[inst.symbol_enum] = _Book(inst)
        self._accounts: dict[int, _Account] = {}
        self._exec_id = 0  # last execution id handed out
        self._seq = 0  # time-priority counter (see _Order.seq)
        self._day_orders: list[_Order] = []  # live DAY orders (and some finished ones)
        self._day = self._day_index(clock())
        self._next_day_ns = self._day_start(self._day + 1)

    def _account(self, account: int) -> _Account:
        a = self._accounts.get(account)
        if a is None:
            a = self._accounts[account] = _Account()
        return a

    def _day_index(self, now: int) -> int:
        r = self.rules
        return (now - r.day_end_offset_ns) // r.day_length_ns

    def _day_start(self, day: int) -> int:
        r = self.rules
        return day * r.day_length_ns + r.day_end_offset_ns

    def _add_day(self, o: _Order) -> None:
        """Register DAY order ``o`` for expiry at the end of the current day."""
        if not self._day_orders:
            # the clock is only read while DAY orders live: refresh the day now
            self._day = self._day_index(self._clock())
            self._next_day_ns = self._day_start(self._day + 1)
        o.day = self._day
        self._day_orders.append(o)
