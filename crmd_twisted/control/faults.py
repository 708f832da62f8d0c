"""Fault injection: what is switched on, and what each connection must do about it.

Pure (no Twisted, no I/O): :class:`FaultRegistry` holds the active faults and
answers the protocol shells' questions with plain values:

* :meth:`FaultRegistry.inbound` - a frame arrived from a client: handle it
  (:attr:`InboundAction.PASS`), read and ignore it (``IGNORE``, black hole) or
  answer it with a REJECT (``REJECT`` + code) without the engine; ``close_after``
  says the connection must be cut (no logout) once the frame is dealt with;
* :meth:`FaultRegistry.outbound` - a frame is about to be sent: an
  :class:`OutboundPlan` (delay, garble, sequence numbers to skip, suppress);
* :meth:`FaultRegistry.limit_for` - the outstanding-request limit of a session;
* :meth:`FaultRegistry.take_immediate` - what must happen *now* to the live
  sessions (server logouts, dropped connections) after faults were added;
* :meth:`FaultRegistry.oes_refuses` / :attr:`FaultRegistry.oes_down_until` -
  whether the OES refuses connections.

Faults that take a count (reject, garble, seq_gap, drop) and the one-shot ones
(logout, drop with ``after_frames`` 0) leave the registry by themselves; a count
is shared by all the sessions a fault matches.  ``oes_down`` leaves when its
time is up; the others stay until removed.

Users' tests get a handle that removes the fault, also as a context manager::

    with exchange.faults.add("delay", seconds=0.2, account=1001):
        ...
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType, TracebackType
from typing import Any

from crmd_twisted.control.fault_schema import (
    SCHEMAS,
    FaultError,
    FaultKind,
    ParamSpec,
    ParamType,
    ServerKind,
    SessionIdentity,
    parse_fault,
)
from crmd_twisted.wire.enums import RejectCode

__all__ = [
    "SCHEMAS",
    "Fault",
    "FaultError",
    "FaultKind",
    "FaultRegistry",
    "ImmediateAction",
    "ImmediateKind",
    "InboundAction",
    "InboundVerdict",
    "OutboundPlan",
    "ParamSpec",
    "ParamType",
    "ServerKind",
    "SessionIdentity",
    "garble_frame",
    "parse_fault",
]

_HEADER_SIZE = 4
_MAX_FRAME = 0xFFFF

#: The parameter that counts down (the fault leaves at 0), per kind.
_COUNTERS: Mapping[FaultKind, str] = MappingProxyType({
    FaultKind.REJECT: "count",
    FaultKind.GARBLE: "count",
    FaultKind.SEQ_GAP: "",  # once
    FaultKind.DROP: "after_frames",
})
_SEQUENCED_SERVERS = frozenset({ServerKind.OES, ServerKind.MDS})


# --------------------------------------------------------------------------- decisions


class InboundAction(Enum):
    """What to do with a frame that arrived from a client."""

    PASS = "pass"
    IGNORE = "ignore"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class InboundVerdict:
    action: InboundAction = InboundAction.PASS
    #: reject_reason for :attr:`InboundAction.REJECT`
    code: int = 0
    #: cut the TCP connection (no logout) once this frame was dealt with
    close_after: bool = False


@dataclass(frozen=True, slots=True)
class OutboundPlan:
    """How to send one frame; :data:`PLAIN` sends it as it is."""

    #: seconds to hold the frame back (the shell keeps the order of frames)
    delay: float = 0.0
    #: corrupt the frame with :func:`garble_frame`
    garble: bool = False
    #: sequence numbers to skip before numbering this frame
    seq_skip: int = 0
    #: do not send the frame at all (black hole)
    suppress: bool = False


PASS = InboundVerdict()
IGNORE = InboundVerdict(InboundAction.IGNORE)
PLAIN = OutboundPlan()
SUPPRESS = OutboundPlan(suppress=True)


class ImmediateKind(Enum):
    LOGOUT = "logout"  # a server logout carrying ``code``, then close
    DROP = "drop"  # cut the TCP connection, no logout


@dataclass(frozen=True, slots=True)
class ImmediateAction:
    """Something to do right now to every connection with this identity."""

    session: SessionIdentity
    kind: ImmediateKind
    code: int = 0


def garble_frame(frame: bytes) -> bytes:
    """*frame* with a length that is wrong for its type (one byte more, or less).

    The header still frames it, so the receiver can skip it and stay in step.
    """
    size = frame[2] | frame[3] << 8
    if size < _MAX_FRAME:
        size += 1
        body = frame[_HEADER_SIZE:] + b"\x00"
    else:
        size -= 1
        body = frame[_HEADER_SIZE:-1]
    return frame[:2] + bytes((size & 0xFF, size >> 8)) + body


# --------------------------------------------------------------------------- faults


class Fault:
    """One active fault; also the handle that removes it (``remove()`` / ``with``)."""

    __slots__ = (
        "_registry", "account", "id", "kind", "params", "remaining", "server", "swept", "until",
        "user",
    )

    def __init__(
        self,
        registry: FaultRegistry,
        fault_id: str,
        kind: FaultKind,
        account: int | None,
        user: str | None,
        server: ServerKind | None,
        params: dict[str, float | int],
    ) -> None:
        self._registry = registry
        self.id = fault_id
        self.kind = kind
        self.account = account
        self.user = user
        self.server = server
        self.params: Mapping[str, float | int] = MappingProxyType(params)
        counter = _COUNTERS.get(kind)
        #: what is left of the count (None: not counted)
        self.remaining: int | None = None
        if counter is not None:
            self.remaining = int(params[counter]) if counter else 1
        #: registry clock reading at which the fault ends (oes_down)
        self.until: float | None = None
        #: take_immediate() has acted on it
        self.swept = False

    def matches(self, session: SessionIdentity) -> bool:
        """Whether this fault applies to *session*."""
        if self.server is not None and session.server is not self.server:
            return False
        if self.account is not None and session.account != self.account:
            return False
        return self.user is None or session.user == self.user

    @property
    def immediate(self) -> bool:
        """Whether the fault acts on the live sessions the moment it is added."""
        return self.kind in (FaultKind.LOGOUT, FaultKind.OES_DOWN) or (
            self.kind is FaultKind.DROP and self.params["after_frames"] == 0
        )

    @property
    def active(self) -> bool:
        """Whether the fault is still in its registry."""
        return self._registry.get(self.id) is self

    def remove(self) -> bool:
        """Switch the fault off; False if it was gone already (expired or removed)."""
        return self._registry.remove(self.id)

    def __enter__(self) -> Fault:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def to_json(self, now: float) -> dict[str, Any]:
        """The fault as the admin API lists it (the POST body plus its state)."""
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind.value, "account": self.account,
            "user": self.user, "server": None if self.server is None else self.server.value,
        }
        out.update(self.params)
        if self.remaining is not None:
            out["remaining"] = self.remaining
        if self.until is not None:
            out["ends_in_s"] = round(max(self.until - now, 0.0), 3)
        return out

    def __repr__(self) -> str:
        return f"<Fault {self.id} {self.kind.value} {dict(self.params)}>"


class FaultRegistry:
    """The active faults of one exchange and the decisions derived from them.

    *clock* gives seconds (monotonic) for ``oes_down``; *rng* draws the delay
    jitter (pass a seeded :class:`random.Random` for repeatable runs).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.clock = clock
        self.rng = rng if rng is not None else random.Random()
        self._faults: dict[str, Fault] = {}
        self._next_id = 0
        self._listeners: list[Callable[[Fault], None]] = []

    # -- the list ----------------------------------------------------------------------

    def add(
        self,
        kind: FaultKind | str,
        *,
        account: int | None = None,
        user: str | None = None,
        server: ServerKind | str | None = None,
        **params: float,
    ) -> Fault:
        """Switch a fault on (FaultError if the description is unusable)."""
        body: dict[str, object] = {"kind": kind, **params}
        for key, value in (("account", account), ("user", user), ("server", server)):
            if value is not None:
                body[key] = value
        return self.add_json(body)

    def add_json(self, body: object) -> Fault:
        """Switch on the fault a JSON body describes (FaultError if unusable)."""
        kind, account, user, server, params = parse_fault(body)
        self._next_id += 1
        fault = Fault(self, f"f{self._next_id}", kind, account, user, server, params)
        if kind is FaultKind.OES_DOWN:
            fault.until = self.clock() + float(params["seconds"])
        self._faults[fault.id] = fault
        for listener in list(self._listeners):
            listener(fault)
        return fault

    def on_added(self, listener: Callable[[Fault], None]) -> None:
        """Call *listener* with every fault added (the shells then run take_immediate)."""
        self._listeners.append(listener)

    def get(self, fault_id: str) -> Fault | None:
        self._prune()
        return self._faults.get(fault_id)

    def remove(self, fault_id: str) -> bool:
        """Remove one fault; False if there is none with that id."""
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> int:
        """Remove every fault; how many there were."""
        self._prune()
        count = len(self._faults)
        self._faults.clear()
        return count

    def as_json(self) -> list[dict[str, Any]]:
        """The active faults as JSON-able dicts, oldest first."""
        self._prune()
        now = self.clock()
        return [f.to_json(now) for f in self._faults.values()]

    def __len__(self) -> int:
        self._prune()
        return len(self._faults)

    @property
    def active_faults(self) -> Mapping[str, Fault]:
        """The live dict of faults by id (read-only use: its truth says whether any
        fault may be active; the shells keep it for their per-frame fast path)."""
        return self._faults

    def __bool__(self) -> bool:
        """Whether any fault may be active (cheap, for hot paths: no pruning)."""
        return bool(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        self._prune()
        return iter(list(self._faults.values()))

    def _prune(self) -> None:
        """Drop the faults whose time is up."""
        if not self._faults:
            return
        now = self.clock()
        ended = [f.id for f in self._faults.values() if f.until is not None and f.until <= now]
        for fault_id in ended:
            del self._faults[fault_id]

    def _matching(self, session: SessionIdentity) -> list[Fault]:
        self._prune()
        return [f for f in self._faults.values() if f.matches(session)]

    def _consume(self, fault: Fault) -> None:
        """One use of a counted fault; it leaves the list when its count is spent."""
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.pop(fault.id, None)

    # -- decisions ----------------------------------------------------------------------

    def inbound(self, session: SessionIdentity, *, transaction: bool = False) -> InboundVerdict:
        """A frame arrived from *session*; *transaction*: it is a client transaction."""
        if not self._faults:
            return PASS
        close_after = False
        ignore = False
        reject: Fault | None = None
        for fault in self._matching(session):
            kind = fault.kind
            if kind is FaultKind.DROP and fault.remaining:
                self._consume(fault)
                close_after = close_after or not fault.remaining
            elif kind is FaultKind.BLACK_HOLE:
                ignore = True
            elif kind is FaultKind.REJECT and transaction and reject is None:
                reject = fault
        if ignore:
            return InboundVerdict(InboundAction.IGNORE, close_after=close_after)
        if reject is not None:
            self._consume(reject)
            return InboundVerdict(
                InboundAction.REJECT, int(reject.params["code"]), close_after=close_after
            )
        return InboundVerdict(close_after=True) if close_after else PASS

    def outbound(self, session: SessionIdentity, *, sequenced: bool = True) -> OutboundPlan:
        """A frame is about to go to *session*; *sequenced*: it carries msg_seq_num."""
        if not self._faults:
            return PLAIN
        matching = self._matching(session)
        if not matching:
            return PLAIN
        if any(f.kind is FaultKind.BLACK_HOLE for f in matching):
            return SUPPRESS
        delay = 0.0
        garble = False
        skip = 0
        for fault in matching:
            kind = fault.kind
            if kind is FaultKind.DELAY:
                jitter = float(fault.params["jitter"])
                extra = self.rng.uniform(0.0, jitter) if jitter > 0 else 0.0
                delay = max(delay, float(fault.params["seconds"]) + extra)
            elif kind is FaultKind.GARBLE and not garble:
                garble = True
                self._consume(fault)
            elif (kind is FaultKind.SEQ_GAP and sequenced and not skip
                  and session.server in _SEQUENCED_SERVERS):
                skip = int(fault.params["skip"])
                self._consume(fault)
        if not (delay or garble or skip):
            return PLAIN
        return OutboundPlan(delay=delay, garble=garble, seq_skip=skip)

    def limit_for(self, session: SessionIdentity, default: int) -> int:
        """The outstanding-request limit of *session*: the newest matching throttle's."""
        if not self._faults:
            return default
        limit = default
        for fault in self._matching(session):
            if fault.kind is FaultKind.THROTTLE:
                limit = int(fault.params["limit"])
        return limit

    def oes_refuses(self) -> bool:
        """Whether the OES is down (an ``oes_down`` fault is running)."""
        return self.oes_down_until is not None

    @property
    def oes_down_until(self) -> float | None:
        """Clock reading at which the OES comes back, None when it is up."""
        if not self._faults:
            return None
        self._prune()
        ends = [f.until for f in self._faults.values()
                if f.kind is FaultKind.OES_DOWN and f.until is not None]
        return max(ends) if ends else None

    def take_immediate(self, sessions: Iterable[SessionIdentity]) -> list[ImmediateAction]:
        """What the faults added since the last call do now to the live *sessions*.

        ``logout`` logs the matching logged-on sessions out with its code and
        leaves; ``drop`` with ``after_frames`` 0 cuts the matching connections
        and leaves; ``oes_down`` logs every OES session out with
        OES_NOT_AVAILABLE_TRADING_DISABLED (it stays until its time is up).
        """
        pending = [f for f in self._faults.values() if not f.swept and f.immediate]
        if not pending:
            return []
        live = list(dict.fromkeys(sessions))  # one action per identity, stable order
        actions: list[ImmediateAction] = []
        for fault in pending:
            fault.swept = True
            if fault.kind is FaultKind.OES_DOWN:
                code = int(RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED)
                actions += [ImmediateAction(s, ImmediateKind.LOGOUT, code)
                            for s in live if s.server is ServerKind.OES]
                continue
            if fault.kind is FaultKind.LOGOUT:
                code = int(fault.params["code"])
                actions += [ImmediateAction(s, ImmediateKind.LOGOUT, code)
                            for s in live if s.account is not None and fault.matches(s)]
            else:
                actions += [ImmediateAction(s, ImmediateKind.DROP)
                            for s in live if fault.matches(s)]
            self._faults.pop(fault.id, None)
        return actions
