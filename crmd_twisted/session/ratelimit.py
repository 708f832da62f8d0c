"""Rate-limited reporting of repeated incidents, free of I/O.

A hostile or broken client can cause the same incident thousands of times a
second (4-byte unknown frames, requests before logon, rejected orders).  One
log line per incident turns that into a disk-filling log.  A
:class:`LogRateLimiter` lets through the first incident of each *kind* and then
at most one per ``interval`` seconds; the line it lets through carries how many
incidents of that kind were held back since the previous line::

    limiter = LogRateLimiter(interval=10.0)
    held_back = limiter.allow(IncidentKind.MALFORMED_FRAME, now)
    if held_back is not None:
        log.warn("... ({held_back} more since the last line)", held_back=held_back)

Kinds are a small closed set (:class:`IncidentKind`, or any hashable the caller
keeps bounded), so the limiter's memory is bounded too.  Nothing here imports Twisted.
"""

from __future__ import annotations

from collections.abc import Hashable
from enum import StrEnum

__all__ = ["DEFAULT_LOG_INTERVAL", "IncidentKind", "LogRateLimiter"]

#: Seconds between two lines of the same kind by default.
DEFAULT_LOG_INTERVAL = 10.0


class IncidentKind(StrEnum):
    """The per-frame incidents the servers report through a limiter."""

    MALFORMED_FRAME = "malformed frame"
    UNKNOWN_MESSAGE_TYPE = "unknown message type"
    UNHANDLED_MESSAGE = "message without a handler"
    BEFORE_LOGON = "request before logon"
    REJECTED_REQUEST = "rejected request"
    LOGON_REFUSED = "logon refused"
    LOGON_LOCKED_OUT = "logon locked out"
    CONNECTION_REFUSED = "connection refused"


class LogRateLimiter:
    """At most one line per kind per ``interval`` seconds, with a count of the rest."""

    __slots__ = ("_held_back", "_next_line", "interval")

    def __init__(self, interval: float = DEFAULT_LOG_INTERVAL) -> None:
        if interval < 0:
            raise ValueError(f"interval must be >= 0, got {interval}")
        #: Seconds between two lines of one kind (0: every incident gets its line).
        self.interval = interval
        self._next_line: dict[Hashable, float] = {}
        self._held_back: dict[Hashable, int] = {}

    def allow(self, kind: Hashable, now: float) -> int | None:
        """Whether an incident of *kind* at *now* gets a line.

        None: no line (the incident is counted).  Otherwise the number of
        incidents of *kind* held back since the previous line (0 for the first).
        """
        due = self._next_line.get(kind)
        if due is not None and now < due:
            self._held_back[kind] = self._held_back.get(kind, 0) + 1
            return None
        self._next_line[kind] = now + self.interval
        return self._held_back.pop(kind, 0)

    def held_back(self, kind: Hashable) -> int:
        """Incidents of *kind* counted but not reported yet."""
        return self._held_back.get(kind, 0)

    def drain(self) -> dict[Hashable, int]:
        """Every kind with incidents not reported yet, and their counts (then forgotten):
        for a final or periodic summary line."""
        held, self._held_back = self._held_back, {}
        return held
