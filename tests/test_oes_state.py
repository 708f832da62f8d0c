"""``--state``: the SQLite state file and the per-turn commit before the replies."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.engine import DEFAULT_INSTRUMENTS
from crmd_twisted.keys import SessionKeys
from crmd_twisted.oes import OESFactory, OESProtocol
from crmd_twisted.oes.journal import InputClock, JournalingCore, RecordKind, Row
from crmd_twisted.oes.state import StateError, StateFile, TurnCommitter
from crmd_twisted.wire import ClientLogon, FrameBuffer, Message, Transaction, decode
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    LoginStatus,
    LogonType,
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
    TransactionType,
)

from proc_helpers import twistd_command

KEYS = SessionKeys.from_text("state-secret")
START = 1_800_000_000.0
TT = TransactionType


def core_on(clock: Clock) -> JournalingCore:
    return JournalingCore(AccountDirectory(), KEYS, DEFAULT_INSTRUMENTS,
                          clock=InputClock(lambda: int(clock.seconds() * 1e9)))


# -- the state file ----------------------------------------------------------------------------


def test_rows_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    state = StateFile(path, "fp")
    rows = [Row(RecordKind.LOGON, 5, 1001, "alice", 7, 1, b'{"BTC": 1.0}'),
            Row(RecordKind.TRANSACTION, 6, 1001, "alice", 1, 1000, b"\x01" * 250)]
    state.append(rows)
    state.append([Row(RecordKind.TICK, 7, 0, "", 0, 0, b"")])
    state.close()
    again = StateFile(path, "fp")
    assert [Row(*r) for r in again.rows()] == [*rows, Row(RecordKind.TICK, 7, 0, "", 0, 0, b"")]
    assert again.stats.commits == 0 and again.count() == 3
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_incompatible_files_are_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    StateFile(path, "fp").close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StateError, match=r"s.sqlite: state file version 99, this OES reads "
                                         r"version 1 only"):
        StateFile(path, "fp")
    other = tmp_path / "o.sqlite"
    StateFile(other, "fp").close()
    with pytest.raises(StateError, match="written with other instruments or engine rules"):
        StateFile(other, "another fingerprint")
    junk = tmp_path / "junk"
    junk.write_bytes(b"this is no database at all" * 100)
    with pytest.raises(StateError, match="junk: not a usable state file"):
        StateFile(junk, "fp")
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(StateError, match="not a crmd-twisted state file"):
        StateFile(foreign, "fp")


# -- the per-turn commit -------------------------------------------------------------------------


class CheckingTransport(StringTransport):
    """Records, for every write, how many journal records were committed by then."""

    def __init__(self, state: StateFile) -> None:
        super().__init__()
        self.state = state
        self.committed_at_write: list[int] = []

    def write(self, data: bytes) -> None:
        self.committed_at_write.append(self.state.count())
        super().write(data)


class Link:
    def __init__(self, factory: OESFactory, state: StateFile, user: str = "alice") -> None:
        proto = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        assert isinstance(proto, OESProtocol)
        self.proto = proto
        self.transport = CheckingTransport(state)
        proto.makeConnection(self.transport)
        self.frames = FrameBuffer()
        self.user = user

    def send(self, message: Message) -> None:
        self.proto.dataReceived(message.encode())

    def take(self) -> list[Any]:
        data = self.transport.value()
        self.transport.clear()
        return [decode(f) for f in self.frames.feed(data)]

    def logon(self) -> int:
        self.send(ClientLogon(
            logon_type=LogonType.LOGIN, account=1001, user_name=self.user,
            trading_session_id=7, session_key=KEYS.aes_key(1001, self.user, 7),
            sending_time=self.proto.now(),
        ))
        return 0

    def order(self, order_id: int, key: int, **kw: Any) -> Transaction:
        fields: dict[str, Any] = dict(
            message_type=TT.ORDER_NEW, account=1001, order_id=order_id, symbol_enum=1,
            symbol="BTCUSD", symbol_type=1, order_type=OrderType.LMT, price=30000.0,
            side=Side.BUY, order_qty=1.0, time_in_force=TimeInForce.GTC, trading_session_id=7,
            session_key=key, sending_time=self.proto.now(), attributes=NO_ATTRIBUTES,
        )
        fields.update(kw)
        return Transaction(**fields)


def durable_oes(tmp_path: Path) -> tuple[OESFactory, Clock, StateFile, JournalingCore]:
    clock = Clock()
    clock.advance(START)
    core = core_on(clock)
    state = StateFile(tmp_path / "oes.sqlite", core.fingerprint)
    factory = OESFactory(core, clock=clock)
    factory.committer = TurnCommitter(core, state, clock)
    return factory, clock, state, core


def test_replies_wait_for_the_commit_of_their_turn(tmp_path: Path) -> None:
    factory, clock, state, _core = durable_oes(tmp_path)
    link = Link(factory, state)
    link.logon()
    assert link.take() == []  # held until the turn ends
    clock.advance(0)
    (reply,) = link.take()
    assert reply.login_status == LoginStatus.SUCCESS
    assert link.transport.committed_at_write == [1]  # the LOGON record was on disk first
    key = reply.session_key
    # one turn, three orders (one rejected): one commit, then the three replies
    link.proto.dataReceived(b"".join(
        link.order(i, key, price=0.0 if i == 2 else 30000.0).encode() for i in (1, 2, 3)
    ))
    assert link.take() == []
    commits = state.stats.commits
    clock.advance(0)
    replies = link.take()
    assert [m.message_type for m in replies] == [TT.ORDER_ACK, TT.REJECT, TT.ORDER_ACK]
    assert state.stats.commits == commits + 1
    assert link.transport.committed_at_write[1:] == [3, 3, 3]  # logon + 2 accepted orders


def test_a_restarted_core_has_the_orders_and_refuses_old_ids(tmp_path: Path) -> None:
    factory, clock, state, _core = durable_oes(tmp_path)
    link = Link(factory, state)
    link.logon()
    clock.advance(0)
    key = link.take()[0].session_key
    link.send(link.order(10, key))
    link.send(link.order(11, key, side=Side.SELL, price=31000.0, order_qty=2.0))
    clock.advance(0)
    assert [m.message_type for m in link.take()] == [TT.ORDER_ACK, TT.ORDER_ACK]
    # "kill": nothing is closed or flushed; a new process opens the same file
    clock2 = Clock()
    clock2.advance(START + 5)
    core2 = core_on(clock2)
    state2 = StateFile(tmp_path / "oes.sqlite", core2.fingerprint)
    assert core2.replay(state2.rows()) == 3
    assert sorted(v.order_id for v in core2.engine.open_orders(1001)) == [10, 11]
    assert core2.ledger.reserved(1001, "USD") == 30000.0
    factory2 = OESFactory(core2, clock=clock2)
    factory2.committer = TurnCommitter(core2, state2, clock2)
    link2 = Link(factory2, state2)
    link2.logon()
    clock2.advance(0)
    key2 = link2.take()[0].session_key
    assert key2 != key  # the session counter went on
    link2.send(link2.order(10, key2))
    clock2.advance(0)
    (reply,) = link2.take()
    assert (reply.message_type, reply.reject_reason) == (TT.REJECT, RejectCode.DUPLICATE_ORDER_ID)


def test_logout_frames_go_out_before_the_close(tmp_path: Path) -> None:
    factory, clock, state, _core = durable_oes(tmp_path)
    link = Link(factory, state)
    link.logon()
    clock.advance(0)
    link.take()
    link.proto.serverLogout(RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED)
    (logout,) = link.take()
    assert logout.logon_type == LogonType.LOGOUT and link.transport.disconnecting


def test_a_failed_commit_sends_nothing(tmp_path: Path) -> None:
    factory, clock, state, _core = durable_oes(tmp_path)
    link = Link(factory, state)
    state.db.close()  # every later commit fails
    link.logon()
    clock.advance(0)
    assert link.take() == [] and link.transport.disconnecting
    assert factory.committer is not None and factory.committer.failure is not None


# -- the plugin ---------------------------------------------------------------------------------


def test_plugin_refuses_an_incompatible_state_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    StateFile(path, "fp").close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    out = subprocess.run(
        [*twistd_command(), "-n", "--pidfile=", "crmd-oes", "--listen", "tcp:0",
         "--state", str(path)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        f"crmd-oes: error: {path}: state file version 0, this OES reads version 1 only "
        "(start with a new --state file)"
    ]
