"""When a connection's requests are processed: the match delay and the in-flight count.

With a match delay every request waits that long before the core sees it (an
exchange's round trip), in arrival order.  NEW and CANCEL_REPLACE requests
(:func:`~crmd_twisted.session.counts_toward_limit`) occupy an outstanding slot
from arrival until processed; the core is told how many were unanswered when
each arrived, itself included, which is what makes the outstanding-request
limit observable.

:class:`RequestPacer` is pure: it returns "process now" or "release at t"
decisions and the shell keeps one timer at :attr:`RequestPacer.next_deadline`.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, NamedTuple, TypeVar

__all__ = ["Released", "RequestPacer"]

T = TypeVar("T")

#: Slack for a timer that fires a hair early.
_EPSILON = 1e-9


class Released(NamedTuple, Generic[T]):
    """A request whose time came: process *item*; *in_flight* is its slot count (0: uncounted)."""

    item: T
    in_flight: int


class RequestPacer(Generic[T]):
    """The match-delay queue and outstanding-slot count of one connection."""

    __slots__ = ("_waiting", "delay", "in_flight")

    def __init__(self, delay: float = 0.0) -> None:
        #: Seconds each request waits before it is processed.
        self.delay = delay
        #: Counted requests arrived and not yet processed.
        self.in_flight = 0
        self._waiting: deque[tuple[float, T, int]] = deque()

    @property
    def next_deadline(self) -> float | None:
        """When the oldest waiting request is due, or None."""
        return self._waiting[0][0] if self._waiting else None

    @property
    def waiting(self) -> int:
        """Requests queued for later."""
        return len(self._waiting)

    def immediate(self) -> bool:
        """Whether a request arriving now is processed at once (no delay, nobody queued)."""
        return self.delay <= 0 and not self._waiting

    def begin(self, counted: bool) -> int:
        """A request is processed at once: its in-flight count (0 if not *counted*).

        Call :meth:`end` with the same *counted* once it was processed.
        """
        if not counted:
            return 0
        self.in_flight += 1
        return self.in_flight

    def end(self, counted: bool) -> None:
        """A request taken with :meth:`begin` (or released) was processed."""
        if counted:
            self.in_flight -= 1

    def hold(self, item: T, counted: bool, now: float) -> None:
        """Queue *item*, arrived at *now*, until ``now + delay``."""
        position = self.begin(counted)
        self._waiting.append((now + max(self.delay, 0.0), item, position))

    def release(self, now: float) -> list[Released[T]]:
        """The queued requests due by *now*, oldest first (each then needs :meth:`end`)."""
        due: list[Released[T]] = []
        waiting = self._waiting
        while waiting and waiting[0][0] <= now + _EPSILON:
            _, item, position = waiting.popleft()
            due.append(Released(item, position))
        return due

    def clear(self) -> None:
        """Forget every queued request (the connection is gone)."""
        self._waiting.clear()
        self.in_flight = 0
