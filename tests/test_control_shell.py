"""The fault plumbing of the server shells (control/shell.py) on StringTransport + Clock."""

from __future__ import annotations

from twisted.internet.address import IPv4Address

from crmd_twisted.control import FaultRegistry
from crmd_twisted.control.admin import ExchangeControl
from crmd_twisted.oes import OESFactory
from crmd_twisted.wire.enums import LogonType, RejectCode
from tests.test_oes_shell import TT, Link, exchange


def controlled(match_delay: float = 0.0) -> tuple[OESFactory, ExchangeControl, Link]:
    factory, clock = exchange(match_delay)
    control = ExchangeControl.for_core(factory.core, faults=FaultRegistry(clock=clock.seconds),
                                       clock=clock.seconds)
    factory.control = control
    return factory, control, Link(factory, "alice")


def test_the_connection_registers_and_unregisters() -> None:
    _, control, link = controlled()
    [entry] = list(control.sessions)
    assert (entry.server.value, entry.account, entry.user) == ("oes", 1001, "alice")
    assert entry.peer == "192.168.1.1:54321"  # StringTransport's peer
    assert (entry.frames_in, entry.frames_out) == (1, 1)  # the logon and its reply
    link.send(link.order(1))
    assert (entry.frames_in, entry.frames_out) == (2, 2)
    link.proto.connectionLost(None)
    assert len(control.sessions) == 0


def test_delay_holds_frames_back_in_order_and_closes_after_them() -> None:
    factory, control, link = controlled()
    clock = factory.clock
    control.faults.add("delay", seconds=0.5, jitter=0.4, account=1001)
    control.faults.rng.seed(3)
    for order_id in (1, 2, 3):
        link.send(link.order(order_id, price=20000.0 + order_id))
    assert link.take() == []
    clock.advance(0.49)
    assert link.take() == []
    clock.advance(0.41)  # every jittered delay is over
    assert [m.order_id for m in link.take()] == [1, 2, 3]  # order kept
    link.send(link.order(4))
    link.proto.serverLogout(RejectCode.TRADING_SESSION_INVALID)
    assert not link.transport.disconnecting  # the held frames go first
    clock.advance(1.0)
    types = [(m.message_type if hasattr(m, "message_type") else m.logon_type)
             for m in link.take()]
    assert types == [TT.ORDER_ACK, LogonType.LOGOUT]
    assert link.transport.disconnecting


def test_black_hole_reads_and_sends_nothing() -> None:
    factory, control, link = controlled()
    fault = control.faults.add("black_hole")
    link.send(link.order(1))
    assert link.take() == []
    assert factory.core.engine.open_orders(1001) == []
    fault.remove()
    link.send(link.order(2))
    assert [m.order_id for m in link.take()] == [2]


def test_seq_gap_numbers_and_garble_lengths() -> None:
    _, control, link = controlled()
    link.send(link.order(1))
    (first,) = link.take()
    control.faults.add("seq_gap", skip=3)
    link.send(link.order(2))
    (second,) = link.take()
    assert second.msg_seq_num == first.msg_seq_num + 4
    control.faults.add("garble")
    link.send(link.order(3))
    raw = link.transport.value()
    assert int.from_bytes(raw[2:4], "little") == len(raw)  # still framed ...
    assert len(raw) == len(first.encode()) + 1  # ... with a wrong length for 'T'


def test_reject_fault_never_reaches_the_engine() -> None:
    factory, control, link = controlled(match_delay=1.0)
    control.faults.add("reject", code=43, count=1)
    link.send(link.order(1))
    (reply,) = link.take()
    assert (reply.message_type, reply.reject_reason) == (TT.REJECT, 43)
    assert factory.core.engine.open_orders(1001) == []
    assert link.proto.inFlight == 0


def test_oes_down_refuses_connections_until_its_time_is_up() -> None:
    factory, control, link = controlled()
    control.faults.add("oes_down", seconds=2.0)
    assert link.transport.disconnecting  # logged out with 10
    assert factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40001)) is None
    factory.clock.advance(2.0)
    assert factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 40001)) is not None


def test_logon_frames_are_not_sequenced_by_seq_gap() -> None:
    factory, control, _ = controlled()
    control.faults.add("seq_gap", skip=2)
    other = Link(factory, "bob")  # its logon reply is not a sequenced frame
    other.send(other.order(9))
    (ack,) = other.take()
    assert ack.msg_seq_num == 3  # the first sequenced frame: 1 + 2 skipped
