"""The OES journal: the inputs that changed state, replayed on start (pure, no I/O).

The matching engine and the OES core are deterministic once the clock is
injected: the same inputs with the same clock readings give the same books,
stop triggers, pegs, trailing stops, iceberg layers, OCO pairs, balances,
reservations, order-id history and counters.  So the durable state of an OES is
not a snapshot of those internals but the list of inputs that changed them:

* ``LOGON``: a session was registered (the session counter that seeds K2, and
  the balances an account was opened with);
* ``TRANSACTION``: an accepted NEW / CANCEL_REPLACE / CANCEL as its raw 250-byte
  frame, with the account and user of its session, its in-flight count and the
  outstanding-request limit that applied;
* ``TICK``: a time tick that changed something (DAY expiry);
* ``CANCEL_ALL``: a mass cancel (the control plane).

Every record carries the clock reading of its input.  :class:`JournalingCore` is
an :class:`~crmd_twisted.oes.core.OrderEntryCore` that holds one clock reading for
the whole of each input (:class:`InputClock`), appends a record for every input
that changed state to :attr:`JournalingCore.pending`, and replays records through
the same code (:meth:`JournalingCore.replay`).  Rejected transactions change
nothing (a rejected id is not "used") and are not journaled.

The shell (:mod:`crmd_twisted.oes.state`) stores the records in SQLite and
commits them before the replies of the same reactor turn are written.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from enum import IntEnum
from typing import NamedTuple

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.engine import EngineRules, Event, Instrument, MatchingEngine, Rejected
from crmd_twisted.keys import SessionKeys
from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.oes.notices import Notices
from crmd_twisted.wire import ClientLogon, Message, Transaction, WireError, decode
from crmd_twisted.wire.enums import RejectCode

__all__ = [
    "SCHEMA_VERSION",
    "InputClock",
    "JournalingCore",
    "RecordKind",
    "ReplayError",
    "Row",
    "fingerprint",
]

#: Version of the journal's record format (and of the state file's tables).
SCHEMA_VERSION = 1


class RecordKind(IntEnum):
    """What one journal record is."""

    LOGON = 1
    TRANSACTION = 2
    TICK = 3
    CANCEL_ALL = 4


class Row(NamedTuple):
    """One journal record, as stored (one table row)."""

    kind: int
    #: The clock reading (ns since the epoch) the input was processed at.
    at: int
    #: LOGON / TRANSACTION: the session's account; CANCEL_ALL: the account (0: all).
    account: int
    #: LOGON / TRANSACTION: the session's user name.
    user: str
    #: LOGON: trading session id; TRANSACTION: in-flight count; CANCEL_ALL: symbol_enum.
    a: int
    #: LOGON: the session counter after it; TRANSACTION: the outstanding limit.
    b: int
    #: LOGON: the account's opening balances as JSON; TRANSACTION: the raw frame.
    data: bytes


class ReplayError(Exception):
    """A journal that does not replay: damaged, or written with other settings."""


class InputClock:
    """Nanoseconds since the epoch, held at one reading for the whole of one input.

    The core and the engine read the clock several times per input (sending
    time window, DAY expiry, ``sending_time`` of the replies); holding one
    reading makes the input's outcome a function of that one number, which the
    journal records and the replay gives back.
    """

    __slots__ = ("held", "source")

    def __init__(self, source: Callable[[], int] = time.time_ns) -> None:
        self.source = source
        self.held: int | None = None

    def __call__(self) -> int:
        held = self.held
        return self.source() if held is None else held

    def hold(self) -> int:
        """Read the source once and answer that reading until :meth:`release`."""
        now = self.held = self.source()
        return now

    def release(self) -> None:
        self.held = None


def fingerprint(instruments: Iterable[Instrument], rules: EngineRules) -> str:
    """What the replay depends on besides the journal: instruments and engine rules."""
    text = repr((sorted(instruments, key=lambda i: i.symbol_enum), rules))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _changes_state(events: list[Event] | None) -> bool:
    """Whether the engine's answer to an input changed anything (not only rejects)."""
    if not events:
        return False
    for event in events:
        if type(event) is not Rejected:
            return True
    return False


def _ignore(_message: Message) -> None:
    pass


def _ignore_logout(_reason: RejectCode) -> None:
    pass


class JournalingCore(OrderEntryCore):
    """An OES core that journals every input that changed its state."""

    def __init__(
        self,
        directory: AccountDirectory,
        keys: SessionKeys,
        instruments: Iterable[Instrument],
        *,
        rules: EngineRules | None = None,
        clock: InputClock | None = None,
        check_keys: bool = True,
        strict: bool = False,
    ) -> None:
        self.input_clock = clock if clock is not None else InputClock()
        listed = list(instruments)
        self.rules = rules if rules is not None else EngineRules()
        super().__init__(
            directory, keys, listed, clock=self.input_clock, check_keys=check_keys,
            strict=strict, engine=MatchingEngine(listed, self.rules, clock=self.input_clock),
        )
        #: Records of the inputs since the shell last took them (see :meth:`take`).
        self.pending: list[Row] = []
        #: Called when a record is appended to an empty :attr:`pending` (the shell
        #: schedules its commit).
        self.on_record: Callable[[], object] | None = None
        self._published: list[Event] | None = None
        self.observers.insert(0, self._capture)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.instruments.values(), self.rules)

    def _capture(self, events: list[Event]) -> None:
        self._published = events

    def _record(self, row: Row) -> None:
        pending = self.pending
        pending.append(row)
        if len(pending) == 1 and self.on_record is not None:
            self.on_record()

    def take(self) -> list[Row]:
        """The records appended since the last call (the shell commits them)."""
        taken, self.pending = self.pending, []
        return taken

    # -- inputs ------------------------------------------------------------------------------

    def logon(
        self,
        request: ClientLogon,
        send: Callable[[Message], None],
        logout: Callable[[RejectCode], None],
    ) -> RejectCode | Session:
        clock = self.input_clock
        at = clock.hold()
        new_account = request.account not in self.ledger.balances
        try:
            outcome = super().logon(request, send, logout)
        finally:
            clock.release()
        if isinstance(outcome, Session):
            data = b""
            if new_account:
                balances = self.ledger.balances[outcome.account]
                data = json.dumps(balances, sort_keys=True).encode("ascii")
            self._record(Row(
                RecordKind.LOGON, at, outcome.account, outcome.user,
                outcome.trading_session_id, self._session_counter, data,
            ))
        return outcome

    def transaction(
        self, session: Session, req: Transaction, in_flight: int = 1, *, owned: bool = False
    ) -> Notices:
        clock = self.input_clock
        at = clock.hold()
        self._published = None
        frame = req.encode()  # now: the core may turn an owned req into its answer
        try:
            notices = super().transaction(session, req, in_flight, owned=owned)
        finally:
            clock.held = None
        if _changes_state(self._published):
            limit = session.open_order_limit if self.limit_for is None else self.limit_for(session)
            self._record(Row(
                RecordKind.TRANSACTION, at, session.account, session.user, in_flight, limit,
                frame,
            ))
        return notices

    def tick(self) -> Notices:
        clock = self.input_clock
        at = clock.hold()
        self._published = None
        try:
            notices = super().tick()
        finally:
            clock.release()
        if _changes_state(self._published):
            self._record(Row(RecordKind.TICK, at, 0, "", 0, 0, b""))
        return notices

    def cancel_all(self, account: int | None = None, symbol_enum: int = 0) -> list[Event]:
        clock = self.input_clock
        at = clock.hold()
        try:
            events = super().cancel_all(account, symbol_enum)
        finally:
            clock.release()
        if events:
            self._record(Row(RecordKind.CANCEL_ALL, at, account or 0, "", symbol_enum, 0, b""))
        return events

    # -- replay ------------------------------------------------------------------------------

    def replay(self, rows: Iterable[Row | tuple[int, int, int, str, int, int, bytes]]) -> int:
        """Apply journal *rows* (as :meth:`take` gave them, in order); return how many.

        The checks that depend on the connection (keys, strict sequence numbers,
        a control-plane limit) passed when the input was first processed and are
        off during the replay; everything else runs as it did.  Raises
        :class:`ReplayError` if a record does not apply as it did then.
        """
        saved = (self.check_keys, self.strict, self.limit_for, list(self.observers))
        self.check_keys = self.strict = False
        self.limit_for = None
        self.observers[:] = [self._capture]
        ghost = Session(0, "", 0, 0, 0, _ignore, _ignore_logout)
        clock = self.input_clock
        count = 0
        try:
            for count, row in enumerate(rows, 1):
                kind, at, account, user, a, b, data = row
                clock.held = at
                if kind == RecordKind.TRANSACTION:
                    self._replay_transaction(count, ghost, account, user, a, b, data)
                elif kind == RecordKind.LOGON:
                    self._replay_logon(count, account, b, data)
                elif kind == RecordKind.TICK:
                    OrderEntryCore.tick(self)
                elif kind == RecordKind.CANCEL_ALL:
                    OrderEntryCore.cancel_all(self, account or None, a)
                else:
                    raise ReplayError(f"record {count}: unknown kind {kind}")
        finally:
            clock.release()
            self.check_keys, self.strict, self.limit_for, observers = saved
            self.observers[:] = observers
            self.pending.clear()
        return count

    def _replay_logon(self, count: int, account: int, counter: int, data: bytes) -> None:
        if data:
            try:
                balances: Mapping[str, float] = json.loads(data)
            except ValueError as e:
                raise ReplayError(f"record {count}: bad balances: {e}") from None
            self.ledger.open_account(account, balances)
        self._session_counter = max(self._session_counter, counter)

    def _replay_transaction(
        self, count: int, ghost: Session, account: int, user: str, in_flight: int, limit: int,
        frame: bytes,
    ) -> None:
        try:
            req = decode(frame)
        except WireError as e:
            raise ReplayError(f"record {count}: bad frame: {e}") from None
        if not isinstance(req, Transaction):
            raise ReplayError(f"record {count}: not a transaction: {req.NAME}")
        ghost.account = account
        ghost.user = user
        ghost.trading_session_id = req.trading_session_id
        ghost.key = req.session_key
        ghost.open_order_limit = limit
        self._published = None
        OrderEntryCore.transaction(self, ghost, req, in_flight, owned=True)
        if not _changes_state(self._published):
            raise ReplayError(
                f"record {count}: order {req.order_id} of account {account} is not accepted "
                "any more (were the instruments, engine rules or accounts changed?)"
            )
