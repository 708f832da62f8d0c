"""The recent trades of every instrument, for the admin API (pure, bounded).

The matching engine keeps no trade history: :class:`TradeTape` is fed the
engine's :class:`~crmd_twisted.engine.Fill` events and keeps one
:class:`Trade` per match (the aggressor's fill; the resting side's fill of the
same match is skipped), at most ``maxlen`` per instrument.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from crmd_twisted.engine import Event, Fill
from crmd_twisted.wire.enums import Side

__all__ = ["DEFAULT_TAPE_LENGTH", "Trade", "TradeTape"]

DEFAULT_TAPE_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class Trade:
    """One match: its price, size, the side of the order that took liquidity."""

    symbol_enum: int
    price: float
    size: float
    aggressor_side: Side
    time_ns: int
    exec_id: int

    def to_json(self) -> dict[str, object]:
        return {
            "price": self.price,
            "size": self.size,
            "aggressor_side": self.aggressor_side.name,
            "time_ns": self.time_ns,
            "exec_id": self.exec_id,
        }


class TradeTape:
    """The last *maxlen* trades per instrument, oldest first; *clock* gives ns."""

    def __init__(
        self, maxlen: int = DEFAULT_TAPE_LENGTH, clock: Callable[[], int] = time.time_ns
    ) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen}")
        self.maxlen = maxlen
        self.clock = clock
        self._tapes: dict[int, deque[Trade]] = {}

    def record(self, events: Iterable[Event]) -> int:
        """Add the trades among *events* (any engine events); how many were added."""
        added = 0
        now: int | None = None
        for event in events:
            if type(event) is not Fill or not event.aggressor:
                continue
            if now is None:
                now = self.clock()
            tape = self._tapes.get(event.symbol_enum)
            if tape is None:
                tape = self._tapes[event.symbol_enum] = deque(maxlen=self.maxlen)
            side = Side.BUY if event.side == Side.BUY else Side.SELL
            tape.append(Trade(event.symbol_enum, event.exec_price, event.exec_qty, side, now,
                              event.exec_id))
            added += 1
        return added

    def recent(self, symbol_enum: int, limit: int | None = None) -> list[Trade]:
        """The newest *limit* trades of an instrument (all kept if None), newest last."""
        tape = self._tapes.get(symbol_enum)
        if not tape:
            return []
        if limit is None or limit >= len(tape):
            return list(tape)
        if limit <= 0:
            return []
        return [tape[i] for i in range(len(tape) - limit, len(tape))]

    def __len__(self) -> int:
        return sum(len(t) for t in self._tapes.values())
