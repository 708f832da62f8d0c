"""The OES's frame lane (oes/lane.py): the same frames, state and events as the general path.

Two exchanges on StringTransports and one Clock get the same byte stream; one
has its lane open, the other closed.  Everything a client or an observer can
see must be the same, byte for byte, while the plain orders really took the lane.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.control import FaultRegistry
from crmd_twisted.control.admin import ExchangeControl
from crmd_twisted.engine import DEFAULT_INSTRUMENTS, Event, NewOrder
from crmd_twisted.oes import OESFactory
from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.oes.lane import FrameLane
from crmd_twisted.oes.notices import Notices
from crmd_twisted.oes.protocol import OESProtocol
from crmd_twisted.wire import ClientLogon, Transaction
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    LogonType,
    OrderType,
    Side,
    TimeInForce,
)
from crmd_twisted.wire.enums import TransactionType as TT
from crmd_twisted.wire.record import FrameRecord
from tests.test_oes_shell import KEYS, START

class CountingLane(FrameLane):
    """The real lane, counting the frames it took."""

    __slots__ = ("taken",)

    def __init__(self, core: OrderEntryCore) -> None:
        super().__init__(core)
        self.taken = 0

    def new_order(self, session: Session, frame: bytes, in_flight: int) -> Notices | None:
        notices = super().new_order(session, frame, in_flight)
        self.taken += notices is not None
        return notices


class Exchange:
    """One OES (core, factory, one logged-on connection) with an event recorder."""

    def __init__(self, clock: Clock, lane: bool, strict: bool = False) -> None:
        self.core = OrderEntryCore(
            AccountDirectory(), KEYS, DEFAULT_INSTRUMENTS,
            clock=lambda: int(clock.seconds() * 1e9), strict=strict,
        )
        self.lane = CountingLane(self.core)
        self.lane.open = lane
        self.core.lane = self.lane
        self.events: list[list[Event]] = []
        self.core.observers.append(self.events.append)
        self.factory = OESFactory(self.core, clock=clock)
        proto = self.factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        assert isinstance(proto, OESProtocol)
        self.proto = proto
        self.transport = StringTransport()
        proto.makeConnection(self.transport)

    def feed(self, data: bytes) -> bytes:
        self.proto.dataReceived(data)
        out = self.transport.value()
        self.transport.clear()
        return out

    def state(self) -> Any:
        core = self.core
        ledger = core.ledger
        return (
            dict(core.orders.frames),
            dict(ledger._orders),
            {a: dict(t) for a, t in ledger._reserved.items()},
            {a: dict(b) for a, b in ledger.balances.items()},
            [list(core.engine.open_orders(1001, 0))],
            self.events,
        )


def logon(clock: Clock) -> bytes:
    return ClientLogon(
        logon_type=LogonType.LOGIN, account=1001, user_name="alice", trading_session_id=7,
        session_key=KEYS.aes_key(1001, "alice", 7), sending_time=int(clock.seconds() * 1e9),
    ).encode()


def pair(strict: bool = False) -> tuple[Clock, Exchange, Exchange, int]:
    clock = Clock()
    clock.advance(START)
    fast, slow = Exchange(clock, True, strict), Exchange(clock, False, strict)
    first = logon(clock)
    assert fast.feed(first) == slow.feed(first)
    for ex in (fast, slow):  # another account the engine knows (see bad_account)
        ex.core.engine.submit(NewOrder(1002, 1, 1, Side.SELL, OrderType.LMT, 40000.0, 0.1,
                                       TimeInForce.GTC))
    key = fast.proto.session.key if fast.proto.session else 0
    return clock, fast, slow, key


def order(key: int, clock: Clock, order_id: int, **kw: Any) -> Transaction:
    fields: dict[str, Any] = dict(
        message_type=TT.ORDER_NEW, account=1001, order_id=order_id, symbol_enum=1,
        symbol="BTCUSD", symbol_type=1, order_type=OrderType.LMT, price=30000.0,
        side=Side.BUY, order_qty=0.5, time_in_force=TimeInForce.GTC, trading_session_id=7,
        session_key=key, sending_time=int(clock.seconds() * 1e9), attributes=NO_ATTRIBUTES,
        msg_seq_num=order_id,
    )
    fields.update(kw)
    return Transaction(**fields)


def patched(frame: bytes, offset: int, raw: bytes) -> bytes:
    return frame[:offset] + raw + frame[offset + len(raw) :]


SYMBOL_OFFSET = FrameRecord(Transaction.LAYOUT).offset["symbol"]


#: kind -> the fields it changes in a plain order (n: the order id; t: now in seconds)
CHANGES: dict[str, Any] = {
    "buy": lambda n, t: dict(price=29990.0 + (n % 7) * 0.5),
    "sell": lambda n, t: dict(side=Side.SELL, price=29990.0, order_qty=0.3),  # crosses: fills
    "day": lambda n, t: dict(time_in_force=TimeInForce.DAY, price=29000.0),
    "ioc": lambda n, t: dict(time_in_force=TimeInForce.IOC, price=28000.0),
    "bad_session": lambda n, t: dict(trading_session_id=8),
    "bad_account": lambda n, t: dict(account=1002),
    "off_grid": lambda n, t: dict(price=30000.3),
    "no_equity": lambda n, t: dict(order_qty=900.0),
    "hidden": lambda n, t: dict(attributes="YNNNNNNNNNNN"),
    "hour_old": lambda n, t: dict(sending_time=int((t - 3600) * 1e9)),  # within a day: fine
    "stale": lambda n, t: dict(sending_time=int((t - 2 * 86400) * 1e9)),
    "old_seq": lambda n, t: dict(msg_seq_num=1),  # refused only under strict numbering
    "bad_symbol": lambda n, t: dict(symbol_enum=99),
}


def kinds(key: int, clock: Clock, n: int, kind: str, prev: int) -> bytes:
    """One frame of *kind*: what a client (or a hostile one) might send."""
    if kind == "duplicate":
        return order(key, clock, prev).encode()
    if kind == "zero_id":
        return order(key, clock, 0, msg_seq_num=n).encode()
    if kind == "bad_key":
        return order(key + 1, clock, n).encode()
    if kind == "cancel":
        return order(key, clock, n, message_type=TT.ORDER_CANCEL, orig_order_id=prev).encode()
    if kind == "junk_after_nul":  # decodes as "BTCUSD": echoed without the junk
        return patched(order(key, clock, n).encode(), SYMBOL_OFFSET, b"BTCUSD\0junk\0")
    if kind == "not_ascii":  # does not decode at all: the server logs the client out
        return patched(order(key, clock, n).encode(), SYMBOL_OFFSET, b"BTC\xffSD")
    return order(key, clock, n, **CHANGES[kind](n, clock.seconds())).encode()


KINDS = ("buy", "buy", "buy", "sell", "day", "ioc", "duplicate", "bad_key", "bad_session",
         "bad_account", "off_grid", "no_equity", "hidden", "cancel", "junk_after_nul",
         "hour_old", "stale", "old_seq", "bad_symbol", "zero_id", "not_ascii")
#: the kinds the lane takes (once the account exists)
LANE_KINDS = {"buy", "sell", "day", "ioc", "no_equity", "hour_old", "old_seq"}


def run(script: list[str], chunk: int = 0, strict: bool = False) -> tuple[Exchange, Exchange]:
    clock, fast, slow, key = pair(strict)
    stream = b"".join(
        kinds(key, clock, n, kind, max(1, n - 3)) for n, kind in enumerate(script, start=1)
    )
    parts = [stream] if not chunk else [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    for part in parts:
        assert fast.feed(part) == slow.feed(part)
        clock.advance(0.001)
    assert fast.state() == slow.state()
    assert slow.lane.taken == 0
    return fast, slow


def test_every_kind_of_request_gets_the_same_answers_and_state() -> None:
    script = list(KINDS[:-1]) * 3 + ["not_ascii", "buy"]
    fast, _ = run(script)
    # every plain limit order but the first (whose account did not exist yet), up to
    # the frame that does not decode (the client is logged out)
    taken = sum(kind in LANE_KINDS for kind in script[: script.index("not_ascii")])
    assert fast.lane.taken == taken - 1


def test_plain_orders_take_the_lane_once_the_account_exists() -> None:
    fast, _ = run(["buy"] * 20)
    assert fast.lane.taken == 19  # the first one creates the account the general way
    assert len(fast.core.orders) == 20


def test_the_lane_s_ack_is_the_request_with_type_time_and_number_changed() -> None:
    clock, fast, _, key = pair()
    fast.feed(order(key, clock, 1).encode())
    clock.advance(1.0)
    request = order(key, clock, 2, msg_seq_num=2)
    clock.advance(0.25)
    ack = fast.feed(request.encode())
    assert fast.lane.taken == 1
    expected = request.replace(message_type=TT.ORDER_ACK, sending_time=int(clock.seconds() * 1e9))
    assert ack == expected.encode_seq(2)  # the second frame this connection sent
    assert fast.core.orders.frames[1001, 2] == request.encode()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=40), st.sampled_from([0, 97, 250]))
def test_any_mix_of_requests_is_the_same_on_both_paths(script: list[str], chunk: int) -> None:
    run(script, chunk)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=30))
def test_strict_sequence_numbers_are_the_same_on_both_paths(script: list[str]) -> None:
    # old_seq (and a duplicate after its id check) get MSG_SEQ_NUM_INVALID on both paths
    run(script, strict=True)


def test_the_lane_stands_aside_for_a_match_delay_a_frame_log_and_a_fault() -> None:
    for setup in ("delay", "log", "fault"):
        clock, fast, _, key = pair()
        if setup == "delay":
            fast.factory.matchDelay = 0.1
        elif setup == "log":
            fast.proto.logFrames = True
        fast.feed(order(key, clock, 1).encode())
        if setup == "fault":
            control = ExchangeControl.for_core(
                fast.core, faults=FaultRegistry(clock=clock.seconds), clock=clock.seconds
            )
            fast.factory.control = control
            fast.proto.faults = None  # re-attach: the connection registers now
            from crmd_twisted.control.shell import FaultInjection

            fast.proto.faults = FaultInjection.attach(fast.proto)
            control.faults.add("delay", seconds=0.5)
        fast.feed(order(key, clock, 2).encode())
        clock.advance(1.0)
        assert fast.lane.taken == 0, setup
        assert (1001, 2) in fast.core.orders, setup


def test_an_idle_fault_registry_still_counts_the_lane_s_frames() -> None:
    clock, fast, _, key = pair()
    control = ExchangeControl.for_core(
        fast.core, faults=FaultRegistry(clock=clock.seconds), clock=clock.seconds
    )
    fast.factory.control = control
    from crmd_twisted.control.shell import FaultInjection

    fast.proto.faults = FaultInjection.attach(fast.proto)
    [entry] = list(control.sessions)
    written = 0
    for n in (1, 2, 3):
        written += len(fast.feed(order(key, clock, n).encode())) // Transaction.LENGTH
    # a sell that crosses all three: the lane takes it, the general publisher answers
    written += len(fast.feed(order(key, clock, 4, side=Side.SELL, order_qty=1.5).encode())) // (
        Transaction.LENGTH
    )
    assert fast.lane.taken == 3
    assert written > 5  # the ACKs, and the fills of both sides
    assert (entry.frames_in, entry.frames_out) == (4, written)  # (attached after the logon)


def test_a_journaling_core_keeps_the_lane_closed() -> None:
    from crmd_twisted.oes.journal import JournalingCore

    core = JournalingCore.__new__(JournalingCore)
    assert not FrameLane(core).open
    assert FrameLane(OrderEntryCore(AccountDirectory(), KEYS, DEFAULT_INSTRUMENTS)).open


def test_the_received_sequence_number_follows_the_lane_s_frames() -> None:
    clock, fast, _, key = pair()
    for n in (1, 2, 3):
        fast.feed(order(key, clock, n, msg_seq_num=40 + n).encode())
    assert fast.lane.taken == 2
    assert fast.proto.connection.received_seq_num == 43


def test_an_outstanding_limit_of_zero_rejects_alike() -> None:
    clock, fast, slow, key = pair()
    for ex in (fast, slow):
        ex.core.limit_for = lambda session: 0  # (what a throttle leaves: nothing may be open)
    for n in (1, 2, 3):
        frame = order(key, clock, n).encode()
        assert fast.feed(frame) == slow.feed(frame)
    assert fast.lane.taken == 0
    assert fast.state() == slow.state()
    assert (1001, 2) not in fast.core.orders
