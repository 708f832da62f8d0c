"""MDSProtocol / MDSFactory with StringTransport and task.Clock."""

from __future__ import annotations

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import globalLogPublisher

from crmd_twisted.mds import MDSFactory, MDSProtocol
from crmd_twisted.wire import ClientLogon, FrameBuffer, Message, TopOfBook, decode
from crmd_twisted.wire.enums import LogonType, RejectCode, Side
from tests.md_helpers import K1, Orders, make_core, subscribe_frame


def setup() -> tuple[object, MDSFactory, MDSProtocol, StringTransport, Clock]:
    engine, core = make_core()
    clock = Clock()
    factory = MDSFactory(core, clock=clock)
    factory.logFrames = False
    proto = factory.buildProtocol(None)
    assert isinstance(proto, MDSProtocol)
    transport = StringTransport()
    proto.makeConnection(transport)
    return engine, factory, proto, transport, clock


def frames(transport: StringTransport) -> list[Message]:
    data = transport.value()
    transport.clear()
    return [decode(f) for f in FrameBuffer().feed(data)]


def test_subscribe_gets_a_snapshot_after_the_reactor_turn_and_numbered_frames() -> None:
    engine, factory, proto, transport, clock = setup()
    o = Orders()
    proto.dataReceived(subscribe_frame((1, "BTCUSD", 1, "S"), (1, "BTCUSD", 3, "S")).encode())
    assert transport.value() == b""  # nothing until the flush of this turn
    clock.advance(0)
    first = frames(transport)
    assert [m.NAME for m in first] == ["top_of_book", "three_level_data"]
    assert first[0].msg_seq_num == 1
    # several orders in one turn: one flush, frames numbered on
    for _ in range(3):
        factory.on_events(engine.submit(o.limit(Side.SELL, 100.0, 1.0)))  # type: ignore[attr-defined]
    factory.on_events(engine.submit(o.market(Side.BUY, 2.0)))  # type: ignore[attr-defined]
    clock.advance(0)
    later = frames(transport)
    assert [m.NAME for m in later] == [
        "md_exec_report", "md_exec_report", "top_of_book", "three_level_data",
    ]
    numbered = [m.msg_seq_num for m in later if "msg_seq_num" in m.FIELD_NAMES]
    assert numbered == [2, 3, 4]
    assert proto.loggedOn


def test_bad_key_gets_a_logout_with_invalid_key_and_the_connection_closes() -> None:
    _, _, proto, transport, clock = setup()
    proto.dataReceived(subscribe_frame((1, "BTCUSD", 1, "S"), key=K1 + 1).encode())
    (logout,) = frames(transport)
    assert isinstance(logout, ClientLogon)
    assert (logout.logon_type, logout.reject_reason) == (LogonType.LOGOUT, RejectCode.INVALID_KEY)
    assert transport.disconnecting
    clock.advance(0)
    assert transport.value() == b""


def test_a_paused_transport_gets_nothing_then_only_the_latest_book() -> None:
    engine, factory, proto, transport, clock = setup()
    o = Orders()
    proto.dataReceived(subscribe_frame((1, "BTCUSD", 1, "S")).encode())
    clock.advance(0)
    frames(transport)
    assert transport.producer is proto and transport.streaming
    proto.pauseProducing()
    for i in range(10):
        factory.on_events(engine.submit(o.limit(Side.BUY, 90.0 + i, 1.0)))  # type: ignore[attr-defined]
        clock.advance(0)
    assert transport.value() == b""
    proto.resumeProducing()
    clock.advance(0)
    (tob,) = frames(transport)
    assert isinstance(tob, TopOfBook) and tob.buy_price == 99.0 and tob.msg_seq_num == 2


def test_too_far_behind_is_disconnected_with_a_log_event() -> None:
    engine, core = make_core(max_trade_backlog=3)
    clock = Clock()
    factory = MDSFactory(core, clock=clock)
    proto = factory.buildProtocol(None)
    transport = StringTransport()
    proto.makeConnection(transport)
    o = Orders()
    proto.dataReceived(subscribe_frame((1, "BTCUSD", 1, "S")).encode())
    clock.advance(0)
    proto.pauseProducing()
    logged: list[dict[str, object]] = []
    globalLogPublisher.addObserver(logged.append)
    try:
        for _ in range(4):
            factory.on_events(engine.submit(o.limit(Side.SELL, 100.0, 1.0)))
            factory.on_events(engine.submit(o.market(Side.BUY, 1.0)))
            clock.advance(0)
    finally:
        globalLogPublisher.removeObserver(logged.append)
    assert transport.disconnecting
    assert any("too many trades behind" in str(e.get("reason")) for e in logged)


def test_malformed_frame_and_a_logon_on_the_mds() -> None:
    _, _, proto, transport, _ = setup()
    proto.dataReceived(ClientLogon(logon_type=LogonType.LOGIN, account=1).encode())
    assert transport.value() == b"" and not transport.disconnecting
    bad = bytearray(subscribe_frame((1, "BTCUSD", 1, "S")).encode())
    bad[2] = 146  # wrong length for md_subscribe
    proto.dataReceived(bytes(bad[:146]))
    (logout,) = frames(transport)
    assert logout.reject_reason == RejectCode.INVALID_FIELD_VALUE and transport.disconnecting


def test_connection_lost_forgets_the_subscriber() -> None:
    _, factory, proto, _, _ = setup()
    proto.dataReceived(subscribe_frame((1, "BTCUSD", 1, "S")).encode())
    sub = proto.subscriber
    proto.connectionLost(None)
    assert sub is not None and sub not in factory.core.subscribers
