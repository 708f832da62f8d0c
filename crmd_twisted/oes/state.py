"""``--state PATH``: the OES journal in SQLite, committed once per reactor turn.

:class:`StateFile` owns the sqlite3 connection (WAL mode): the ``meta`` table
(schema version, what wrote the file, the instruments/rules fingerprint) and
the ``journal`` table of :class:`~crmd_twisted.oes.journal.Row` records.

:class:`TurnCommitter` is the group commit: the OES protocols hand it their
outgoing frames instead of writing them; at the end of the reactor turn
(``callLater(0)``) it commits the records the core journaled during the turn in
one SQLite transaction and only then writes the frames, in the order they were
sent.  So every change a reply acknowledges is on disk before the reply leaves,
and a turn that answered many requests costs one commit.  Each commit is timed
(:attr:`StateFile.stats`); one slower than :attr:`TurnCommitter.slowCommit` is
logged.  If a commit fails, nothing more is written to any client (a reply for a
change that is not durable is never sent); the failure is logged and the OES
must be restarted.

See docs/durability.md.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from crmd_twisted.accounts import ConfigError
from crmd_twisted.oes.journal import SCHEMA_VERSION, JournalingCore, Row

__all__ = ["CommitStats", "StateError", "StateFile", "SyncMode", "TurnCommitter"]

#: What the ``meta`` table's ``application`` says.
APPLICATION = "crmd-twisted OES state"

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    at INTEGER NOT NULL,
    account INTEGER NOT NULL,
    user TEXT NOT NULL,
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    data BLOB NOT NULL
)""",
)
_INSERT = "INSERT INTO journal (kind, at, account, user, a, b, data) VALUES (?, ?, ?, ?, ?, ?, ?)"


class StateError(ConfigError):
    """The state file cannot be used (one line, naming the file)."""


class SyncMode(StrEnum):
    """How hard a commit pushes to disk (SQLite ``PRAGMA synchronous``)."""

    #: WAL + NORMAL: a commit survives a crash of the process (``kill -9``); the
    #: last commits may be lost if the machine loses power.
    NORMAL = "normal"
    #: WAL + FULL: every commit is fsync'ed (survives a power loss; slower).
    FULL = "full"


@dataclass(slots=True)
class CommitStats:
    """How much blocking I/O the commits cost."""

    commits: int = 0
    rows: int = 0
    seconds: float = 0.0
    max_seconds: float = 0.0


class StateFile:
    """The journal of one OES in a SQLite file."""

    def __init__(self, path: str | Path, fingerprint: str, sync: SyncMode = SyncMode.NORMAL):
        self.path = Path(path)
        self.stats = CommitStats()
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as e:
            raise StateError(f"{self.path}: cannot open the state file: {e}") from None
        try:
            self._prepare(fingerprint, sync)
        except sqlite3.Error as e:
            self.db.close()
            raise StateError(f"{self.path}: not a usable state file: {e}") from None
        except StateError:
            self.db.close()
            raise

    def _prepare(self, fingerprint: str, sync: SyncMode) -> None:
        db = self.db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "meta" not in tables:
            raise StateError(f"{self.path}: not a crmd-twisted state file (no meta table)")
        if tables:
            self._check(dict(db.execute("SELECT key, value FROM meta")), fingerprint)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={sync.value.upper()}")
        if not tables:
            db.execute("BEGIN")
            for statement in _SCHEMA:
                db.execute(statement)
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("application", APPLICATION), ("schema_version", str(SCHEMA_VERSION)),
                 ("fingerprint", fingerprint)],
            )
            db.execute("COMMIT")

    def _check(self, meta: dict[str, str], fingerprint: str) -> None:
        if meta.get("application") != APPLICATION:
            raise StateError(f"{self.path}: not a crmd-twisted state file")
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise StateError(
                f"{self.path}: state file version {version}, this OES reads version "
                f"{SCHEMA_VERSION} only (start with a new --state file)"
            )
        if meta.get("fingerprint") != fingerprint:
            raise StateError(
                f"{self.path}: written with other instruments or engine rules; start with "
                "the same settings or a new --state file"
            )

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Every journal record, oldest first."""
        return self.db.execute(
            "SELECT kind, at, account, user, a, b, data FROM journal ORDER BY seq"
        )

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM journal").fetchone()[0])

    def append(self, rows: list[Row]) -> float:
        """Store *rows* in one transaction; return the seconds it blocked."""
        start = time.perf_counter()
        db = self.db
        db.execute("BEGIN")
        try:
            db.executemany(_INSERT, rows)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        took = time.perf_counter() - start
        stats = self.stats
        stats.commits += 1
        stats.rows += len(rows)
        stats.seconds += took
        if took > stats.max_seconds:
            stats.max_seconds = took
        return took

    def close(self) -> None:
        self.db.close()


class TurnCommitter:
    """Commits one reactor turn's journal records, then writes the turn's frames."""

    log = Logger()
    #: Seconds: a commit that blocked longer is logged (a warning).
    slowCommit: float = 0.1

    def __init__(self, core: JournalingCore, state: StateFile, clock: IReactorTime) -> None:
        self.core = core
        self.state = state
        self.clock = clock
        self.failure: Exception | None = None
        self.closed = False
        self._held: list[tuple[Any, bytes]] = []
        self._call: IDelayedCall | None = None
        core.on_record = self.schedule

    def schedule(self) -> None:
        """Flush at the end of this reactor turn."""
        if self._call is None:
            self._call = self.clock.callLater(0, self.flush)

    def hold(self, transport: Any, frame: bytes) -> None:
        """Write *frame* to *transport* once this turn's changes are committed."""
        self._held.append((transport, frame))
        if self._call is None:
            self._call = self.clock.callLater(0, self.flush)

    def flush(self) -> None:
        """Commit the pending records, then write the held frames (in order)."""
        call, self._call = self._call, None
        if call is not None and call.active():
            call.cancel()
        rows = self.core.take()
        held, self._held = self._held, []
        if self.closed:
            return  # stopped: nothing more is committed, so nothing more is sent
        if self.failure is None and rows:
            try:
                took = self.state.append(rows)
            except (sqlite3.Error, OSError) as e:
                self.failure = e
                self.log.critical(
                    "state file {path}: commit failed, no more replies are sent (restart "
                    "the OES): {error}", path=str(self.state.path), error=str(e),
                )
            else:
                if took > self.slowCommit:
                    self.log.warn(
                        "state file {path}: a commit of {rows} records blocked {ms:.1f} ms",
                        path=str(self.state.path), rows=len(rows), ms=took * 1000,
                    )
        if self.failure is not None:
            for transport in {id(t): t for t, _ in held}.values():
                transport.loseConnection()
            return
        for transport, frame in held:
            transport.write(frame)

    def close(self) -> None:
        """Flush what is pending and close the state file."""
        if self.closed:
            return
        self.flush()
        self.closed = True
        self.state.close()
