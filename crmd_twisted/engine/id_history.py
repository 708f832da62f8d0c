"""The order ids an account has used, stored as runs of consecutive ids.

PROTOCOL.md 8.2 row 10: an ``order_id`` may not be used twice in a trading
session (DUPLICATE_ORDER_ID).  A ``set`` of every id ever used costs about 70
bytes per id (the int object and its hash slot), so a client that sends NEW +
CANCEL pairs grows the server by ~150 bytes per order even with an empty book.

Clients number their requests with a counter (the project client's default id
is ``trading_session_id << 47 | n``), so the used ids form a few runs of
consecutive numbers.  :class:`OrderIdHistory` keeps closed runs ``[lo, hi]``
in two sorted unsigned 64-bit arrays (16 bytes per run, however long) and
answers ``id in history`` with one comparison for an id above every run (the
usual case) or a binary search.  Ids that arrive out of order wait in a small
set and are merged into the runs in batches, so the worst case (random ids)
costs 16 bytes per id plus the merge, and the usual case costs nothing per id.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator

__all__ = ["OrderIdHistory"]

#: Out-of-order ids kept in a plain set before they are merged into the runs
#: (at least this many, and at least an eighth of the runs).
MERGE_BATCH = 4096
_MAX_ID = 2**64 - 1


class OrderIdHistory:
    """A set of used order ids (``in`` and ``add``), compact for counted ids."""

    __slots__ = ("_hi", "_lo", "_loose")

    def __init__(self) -> None:
        self._lo = array("Q")
        self._hi = array("Q")
        #: Ids not merged into the runs yet (and ids outside 0 .. 2**64 - 1).
        self._loose: set[int] = set()

    def __contains__(self, order_id: int) -> bool:
        if self._loose and order_id in self._loose:
            return True
        hi = self._hi
        if not hi or order_id > hi[-1]:
            return False
        return self._in_runs(order_id)

    def _in_runs(self, order_id: int) -> bool:
        if order_id < 0:
            return False
        i = bisect_right(self._lo, order_id) - 1
        return i >= 0 and order_id <= self._hi[i]

    def add(self, order_id: int) -> None:
        """Record *order_id* as used."""
        hi = self._hi
        if hi:
            last = hi[-1]
            if order_id == last + 1 and order_id <= _MAX_ID:
                hi[-1] = order_id  # the usual case: the next id of the counter
                return
            if last < order_id <= _MAX_ID:
                self._lo.append(order_id)
                hi.append(order_id)
                return
        elif 0 <= order_id <= _MAX_ID:
            self._lo.append(order_id)
            hi.append(order_id)
            return
        loose = self._loose
        loose.add(order_id)
        # the batch grows with the runs, so merging costs O(1) per id amortized
        if len(loose) >= MERGE_BATCH and len(loose) * 8 >= len(self._lo):
            self._merge()

    def __len__(self) -> int:
        """How many ids are recorded."""
        in_runs = sum(h - lo + 1 for lo, h in zip(self._lo, self._hi, strict=True))
        return in_runs + sum(1 for x in self._loose if not self._in_runs(x))

    def __iter__(self) -> Iterator[int]:
        """Every recorded id (runs in order, then the loose ones): for tests and tools."""
        for lo, h in zip(self._lo, self._hi, strict=True):
            yield from range(lo, h + 1)
        yield from (x for x in self._loose if not self._in_runs(x))

    @property
    def runs(self) -> int:
        """How many runs of consecutive ids are stored (memory: 16 bytes each)."""
        return len(self._lo)

    def _merge(self) -> None:
        """Fold the loose ids that fit 64 bits into the runs (one sorted merge)."""
        fit = sorted(x for x in self._loose if 0 <= x <= _MAX_ID)
        self._loose = {x for x in self._loose if not 0 <= x <= _MAX_ID}
        lo_out = array("Q")
        hi_out = array("Q")
        runs = zip(self._lo, self._hi, strict=True)
        singles = iter(fit)
        run = next(runs, None)
        single = next(singles, None)
        while run is not None or single is not None:
            if single is None or (run is not None and run[0] <= single):
                assert run is not None
                start, end = run
                run = next(runs, None)
            else:
                start = end = single
                single = next(singles, None)
            if hi_out and start <= hi_out[-1] + 1:
                if end > hi_out[-1]:
                    hi_out[-1] = end
            else:
                lo_out.append(start)
                hi_out.append(end)
        self._lo = lo_out
        self._hi = hi_out

