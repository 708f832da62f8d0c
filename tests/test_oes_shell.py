"""The OES Twisted shell on StringTransport + Clock: one timer, shared messages, notices."""

from __future__ import annotations

from typing import Any

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import capturedLogs

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.engine import DEFAULT_INSTRUMENTS
from crmd_twisted.keys import SessionKeys
from crmd_twisted.oes import OESFactory, OESProtocol, OrderEntryCore
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

KEYS = SessionKeys.from_text("shell-secret")
START = 1_800_000_000.0
TT = TransactionType


class Link:
    """One OES connection over a StringTransport."""

    def __init__(self, factory: OESFactory, user: str) -> None:
        proto = factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40000))
        assert isinstance(proto, OESProtocol)
        self.proto = proto
        self.transport = StringTransport()
        proto.makeConnection(self.transport)
        self.frames = FrameBuffer()
        self.send(ClientLogon(
            logon_type=LogonType.LOGIN, account=1001, user_name=user,
            trading_session_id=7, session_key=KEYS.aes_key(1001, user, 7),
            sending_time=proto.now(),
        ))
        (reply,) = self.take()
        assert reply.login_status == LoginStatus.SUCCESS, reply
        self.key = reply.session_key

    def send(self, message: Message) -> None:
        self.proto.dataReceived(message.encode())

    def take(self) -> list[Any]:
        data = self.transport.value()
        self.transport.clear()
        return [decode(f) for f in self.frames.feed(data)]

    def order(self, order_id: int, side: int = Side.BUY, **kw: Any) -> Transaction:
        fields: dict[str, Any] = dict(
            message_type=TT.ORDER_NEW, account=1001, order_id=order_id, symbol_enum=1,
            symbol="BTCUSD", symbol_type=1, order_type=OrderType.LMT, price=30000.0,
            side=side, order_qty=1.0, time_in_force=TimeInForce.GTC, trading_session_id=7,
            session_key=self.key, sending_time=self.proto.now(), attributes=NO_ATTRIBUTES,
        )
        fields.update(kw)
        return Transaction(**fields)


def exchange(match_delay: float = 0.0) -> tuple[OESFactory, Clock]:
    clock = Clock()
    clock.advance(START)
    core = OrderEntryCore(
        AccountDirectory(), KEYS, DEFAULT_INSTRUMENTS,
        clock=lambda: int(clock.seconds() * 1e9),
    )
    return OESFactory(core, clock=clock, matchDelay=match_delay), clock


def test_match_delay_runs_on_the_connection_s_one_timer() -> None:
    factory, clock = exchange(match_delay=0.5)
    link = Link(factory, "alice")
    for order_id in (1, 2, 3):
        link.send(link.order(order_id, price=30000.0 - order_id))
    link.send(link.order(4))
    assert link.take() == []
    assert len(clock.getDelayedCalls()) == 1  # queue and connection deadlines: one timer
    assert link.proto.inFlight == 4
    clock.advance(0.5)
    answers = link.take()
    assert [(m.message_type, m.order_id) for m in answers] == [
        (TT.ORDER_ACK, 1), (TT.ORDER_ACK, 2), (TT.ORDER_ACK, 3), (TT.ORDER_ACK, 4)
    ]
    assert [m.msg_seq_num for m in answers] == [1, 2, 3, 4]  # the logon reply took none
    assert link.proto.inFlight == 0
    assert clock.getDelayedCalls() == []


def test_a_fill_shared_by_two_connections_is_numbered_on_each() -> None:
    factory, _ = exchange()
    alice, carol = Link(factory, "alice"), Link(factory, "carol")
    carol.send(carol.order(1, side=Side.SELL))
    carol.send(carol.order(2, side=Side.SELL, price=30001.0))
    alice.send(alice.order(3, price=30001.0, order_qty=2.0))
    to_alice, to_carol = alice.take(), carol.take()
    fills = {TT.EXECUTION, TT.QUOTE_FILL}
    alice_fills = [m for m in to_alice if m.message_type in fills]
    carol_fills = [m for m in to_carol if m.message_type in fills]
    # every fill of the account goes to both of its connections, each numbered in turn
    assert len(alice_fills) == 3  # alice's taker fill and carol's two resting fills
    assert [(m.order_id, m.exec_qty) for m in alice_fills] == [
        (m.order_id, m.exec_qty) for m in carol_fills
    ]
    for frames in (to_alice, to_carol):
        seqs = [m.msg_seq_num for m in frames]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    stored = factory.core.orders.values()
    assert all(m.msg_seq_num == 0 for m in stored)  # the core's copies were not numbered


def test_core_notices_are_logged_by_the_shell() -> None:
    factory, _ = exchange()
    link = Link(factory, "alice")
    with capturedLogs() as events:
        link.send(link.order(1, session_key=link.key ^ 1))
    (reply,) = link.take()
    assert reply.message_type == TT.REJECT and reply.reject_reason == RejectCode.INVALID_KEY
    rejected = [e for e in events if "rejected" in e["log_format"]]
    assert len(rejected) == 1
    assert rejected[0]["reason"] == "INVALID_KEY" and rejected[0]["order_id"] == 1
    assert rejected[0]["log_level"].name == "info"
