"""Resource limits of a server, free of I/O: connection caps and the output guard.

* :class:`ServerLimits` - the settings, with their defaults, in one place (the
  plugins' options and the settings file fill it; docs/hardening.md lists them);
* :class:`ConnectionAdmission` - at most ``max_connections`` open connections per
  process and ``max_per_address`` from one source address; a refused
  connection is closed at once;
* :class:`OutputGuard` - back-pressure bookkeeping of one connection: the
  transport says when its unsent output went over the high-water mark
  (:meth:`OutputGuard.paused`) and when it drained (:meth:`OutputGuard.resumed`);
  a connection that stays paused longer than ``grace`` seconds, or whose
  output grows by more than ``max_unsent`` bytes while paused, is stalled and
  gets closed by its shell.

Nothing here imports Twisted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DEFAULT_LIMITS",
    "Admission",
    "ConnectionAdmission",
    "OutputGuard",
    "ServerLimits",
    "Stall",
]


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Every resource limit of a server; 0 / None switch a limit off where noted."""

    #: Listen backlog applied to a server endpoint string without ``backlog=``.
    backlog: int = 1024
    #: Open connections per process (every listener together); 0: no cap.
    max_connections: int = 4096
    #: Open connections from one source address; 0: no cap.
    max_connections_per_address: int = 1024
    #: Seconds a logged-on session may stay silent before it is logged out; None: forever.
    idle_timeout: float | None = None
    #: Skipped (unknown-type) frames a connection may send before it is logged out (35).
    malformed_frame_budget: int = 100
    #: Seconds between two log lines of one kind of repeated incident.
    log_interval: float = 10.0
    #: Unsent output bytes above which a connection stops being read from.
    write_high_water: int = 256 * 1024
    #: Seconds a connection's output may stay above the high-water mark before it is closed.
    write_grace: float = 10.0
    #: Bytes the output may grow by while above the high-water mark before it is closed.
    max_unsent: int = 4 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("backlog", "max_connections", "max_connections_per_address",
                     "malformed_frame_budget", "write_high_water", "max_unsent"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("log_interval", "write_grace"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.idle_timeout is not None and self.idle_timeout <= 0:
            raise ValueError(f"idle_timeout must be > 0 or None, got {self.idle_timeout}")


DEFAULT_LIMITS = ServerLimits()


class Admission(StrEnum):
    """Why a new connection was refused."""

    TOO_MANY_CONNECTIONS = "too many connections"
    TOO_MANY_FROM_ADDRESS = "too many connections from this address"


class ConnectionAdmission:
    """Counts open connections, in total and per source address."""

    __slots__ = ("_by_address", "max_connections", "max_per_address", "total")

    def __init__(self, max_connections: int = 0, max_per_address: int = 0) -> None:
        #: Cap on open connections (0: none).
        self.max_connections = max_connections
        #: Cap on open connections from one address (0: none).
        self.max_per_address = max_per_address
        #: Connections admitted and not released.
        self.total = 0
        self._by_address: Counter[str] = Counter()

    @classmethod
    def from_limits(cls, limits: ServerLimits) -> ConnectionAdmission:
        return cls(limits.max_connections, limits.max_connections_per_address)

    def from_address(self, address: str) -> int:
        """Open connections from *address*."""
        return self._by_address.get(address, 0)

    def admit(self, address: str) -> Admission | None:
        """Count a new connection from *address*, or say why it is refused (not counted)."""
        if self.max_connections and self.total >= self.max_connections:
            return Admission.TOO_MANY_CONNECTIONS
        if self.max_per_address and self._by_address[address] >= self.max_per_address:
            return Admission.TOO_MANY_FROM_ADDRESS
        self.total += 1
        self._by_address[address] += 1
        return None

    def release(self, address: str) -> None:
        """An admitted connection from *address* closed."""
        count = self._by_address.get(address, 0)
        if count <= 0:
            return
        self.total -= 1
        if count == 1:
            del self._by_address[address]
        else:
            self._by_address[address] = count - 1


class Stall(StrEnum):
    """Why a connection whose peer does not read is closed."""

    GRACE_EXPIRED = "output stayed above the high-water mark"
    TOO_MUCH_UNSENT = "output grew past the unsent bound"


class OutputGuard:
    """When a connection whose output does not drain must be closed."""

    __slots__ = ("_paused_at", "grace", "max_unsent", "unsent_since_pause")

    def __init__(self, grace: float = 10.0, max_unsent: int = 4 * 1024 * 1024) -> None:
        #: Seconds the output may stay above the high-water mark.
        self.grace = grace
        #: Bytes that may be written while above it (0: no bound).
        self.max_unsent = max_unsent
        #: Bytes written since the output went over the mark.
        self.unsent_since_pause = 0
        self._paused_at: float | None = None

    @property
    def paused(self) -> bool:
        """Whether the output is above the high-water mark now."""
        return self._paused_at is not None

    @property
    def deadline(self) -> float | None:
        """When a paused connection is stalled (None while not paused)."""
        if self._paused_at is None:
            return None
        return self._paused_at + self.grace

    def pause(self, now: float) -> None:
        """The output went over the high-water mark at *now*."""
        if self._paused_at is None:
            self._paused_at = now
            self.unsent_since_pause = 0

    def resume(self) -> None:
        """The output drained."""
        self._paused_at = None
        self.unsent_since_pause = 0

    def wrote(self, size: int) -> Stall | None:
        """*size* more bytes were written; a :class:`Stall` once paused output grew too much."""
        if self._paused_at is None:
            return None
        self.unsent_since_pause += size
        if self.max_unsent and self.unsent_since_pause > self.max_unsent:
            return Stall.TOO_MUCH_UNSENT
        return None

    def check(self, now: float) -> Stall | None:
        """A :class:`Stall` once the output stayed paused for ``grace`` seconds by *now*."""
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return Stall.GRACE_EXPIRED
        return None
