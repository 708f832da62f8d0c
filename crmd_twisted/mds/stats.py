"""Rolling 24 h trade statistics of one instrument (pure, no I/O).

Volume is a running sum; high and low come from monotonic deques, so adding a
trade and expiring old ones are amortised O(1).
"""

from __future__ import annotations

from collections import deque

from crmd_twisted.mds.snapshot import TradeStats

__all__ = ["NS_PER_DAY", "RollingStats"]

NS_PER_DAY = 86_400 * 1_000_000_000


class RollingStats:
    """Volume, high and low of the trades of the last ``window_ns`` nanoseconds."""

    def __init__(self, window_ns: int = NS_PER_DAY) -> None:
        self.window_ns = window_ns
        self._trades: deque[tuple[int, float, float]] = deque()
        self._highs: deque[tuple[int, float]] = deque()  # prices decreasing
        self._lows: deque[tuple[int, float]] = deque()  # prices increasing
        self._volume = 0.0
        self.last_price = 0.0

    def add(self, time_ns: int, price: float, volume: float) -> None:
        """Record one trade."""
        self._trades.append((time_ns, price, volume))
        self._volume += volume
        self.last_price = price
        highs, lows = self._highs, self._lows
        while highs and highs[-1][1] <= price:
            highs.pop()
        highs.append((time_ns, price))
        while lows and lows[-1][1] >= price:
            lows.pop()
        lows.append((time_ns, price))

    def expire(self, now_ns: int) -> bool:
        """Forget trades older than the window; True if the statistics changed."""
        horizon = now_ns - self.window_ns
        trades = self._trades
        if not trades or trades[0][0] > horizon:
            return False
        while trades and trades[0][0] <= horizon:
            self._volume -= trades.popleft()[2]
        for extremes in (self._highs, self._lows):
            while extremes and extremes[0][0] <= horizon:
                extremes.popleft()
        if not trades:
            self._volume = 0.0  # no rounding residue once the window is empty
        return True

    @property
    def stats(self) -> TradeStats:
        """The current statistics (the last price survives an empty window)."""
        if not self._trades:
            return TradeStats(self.last_price)
        return TradeStats(self.last_price, self._volume, self._highs[0][1], self._lows[0][1])
