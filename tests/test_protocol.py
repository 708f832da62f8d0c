"""Unit tests of the protocol layer: framing, dispatch, error hooks, timeouts,
sequence numbers, server answers to stream problems and per-frame log events.

Everything runs on ``StringTransport`` + ``Clock``: no sockets, no reactor.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.logger import capturedLogs

from crmd_twisted.client.errors import LogonRejected, LogonTimeout
from crmd_twisted.client.protocol import CRMDClientFactory, CRMDClientProtocol
from crmd_twisted.protocol import CRMDFactory, CRMDProtocol
from crmd_twisted.server import CRMDServerProtocol
from crmd_twisted.wire import (
    BadTextError,
    ClientLogon,
    CollateralRequest,
    FrameBuffer,
    FrameLengthError,
    Transaction,
    UnknownMessageTypeError,
    WireError,
    WrongLengthError,
    decode,
)
from crmd_twisted.wire.enums import LoginStatus, LogonType, RejectCode, TransactionType

ADDR = IPv4Address("TCP", "127.0.0.1", 50000)


# -- helpers ------------------------------------------------------------------------------


class Recorder(CRMDProtocol):
    """Records what the hooks see (and still runs the default hook bodies)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, Any]] = []

    def msg_client_logon(self, message: ClientLogon) -> None:
        self.events.append(("logon", message))

    def msg_transaction(self, message: Transaction) -> None:
        self.events.append(("transaction", message))

    def unhandledMessage(self, message: Any) -> None:
        self.events.append(("unhandled", message))
        super().unhandledMessage(message)

    def frameError(self, error: WireError, frame: bytes) -> None:
        self.events.append(("frameError", (error, frame)))
        super().frameError(error, frame)

    def unrecoverableFrame(self, error: FrameLengthError) -> None:
        self.events.append(("unrecoverable", error))
        super().unrecoverableFrame(error)

    def bufferOverflow(self, pending: int) -> None:
        self.events.append(("overflow", pending))
        super().bufferOverflow(pending)

    def partialFrameTimedOut(self) -> None:
        self.events.append(("partialTimeout", self.connection.pending_bytes))
        super().partialFrameTimedOut()

    def timeoutConnection(self) -> None:
        self.events.append(("idleTimeout", None))
        super().timeoutConnection()

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]


class Server(CRMDServerProtocol):
    """A server whose logon handler only records and accepts."""

    def __init__(self) -> None:
        super().__init__()
        self.logons: list[ClientLogon] = []
        self.transactions: list[Transaction] = []

    def logonRequested(self, message: ClientLogon) -> None:
        self.logons.append(message)
        self.logonSucceeded()

    def msg_transaction(self, message: Transaction) -> None:
        self.transactions.append(message)


def connect(
    protocol_class: type[CRMDProtocol] = Recorder, factory: CRMDFactory | None = None
) -> tuple[Any, StringTransport, Clock]:
    clock = Clock()
    if factory is None:
        factory = CRMDFactory(clock=clock)
    else:
        factory.clock = clock
    factory.protocol = protocol_class
    proto = factory.buildProtocol(ADDR)
    assert proto is not None
    transport = StringTransport(peerAddress=ADDR)
    proto.makeConnection(transport)
    return proto, transport, clock


def logon(**kw: Any) -> ClientLogon:
    fields: dict[str, Any] = dict(
        logon_type=LogonType.LOGIN, account=1001, user_name="trader", two_fa="123456"
    )
    fields.update(kw)
    return ClientLogon(**fields)


def tx(order_id: int = 1, **kw: Any) -> Transaction:
    fields: dict[str, Any] = dict(
        message_type=TransactionType.ORDER_NEW,
        account=1001,
        order_id=order_id,
        symbol_enum=1,
        symbol="BTCUSD",
        order_type=1,
        side=1,
        price=30000.0,
        order_qty=1.0,
        attributes="NNNNNNNNNNNN",
    )
    fields.update(kw)
    return Transaction(**fields)


def sent_frames(transport: StringTransport) -> list[Any]:
    frames = FrameBuffer().feed(transport.value())
    return [decode(f) for f in frames]


def bad_text_logon() -> bytes:
    frame = bytearray(logon().encode())
    frame[16] = 0xFF  # first byte of user_name
    return bytes(frame)


LOGON = logon().encode()
TX = tx(7, msg_seq_num=5).encode()
COLL = CollateralRequest(message_type=TransactionType.COLLATERAL_UPDATE_REQ, account=1).encode()
STREAM = LOGON + TX + COLL  # 143 + 250 + 34 bytes, three different types
EXPECTED = ["logon", "transaction", "unhandled"]


# -- framing -------------------------------------------------------------------------------


def test_several_frames_in_one_call() -> None:
    proto, _, clock = connect()
    proto.dataReceived(STREAM)
    assert proto.kinds() == EXPECTED
    assert proto.events[0][1] == decode(LOGON)
    assert proto.events[1][1].order_id == 7
    assert proto.events[2][1].NAME == "collateral_request"
    assert clock.getDelayedCalls() == []  # nothing partial, no timer


def test_one_byte_at_a_time() -> None:
    proto, transport, clock = connect()
    for i in range(len(STREAM)):
        proto.dataReceived(STREAM[i : i + 1])
    assert proto.kinds() == EXPECTED
    assert clock.getDelayedCalls() == []
    assert not transport.disconnecting


def test_split_at_every_offset() -> None:
    for cut in range(1, len(STREAM)):
        proto, transport, clock = connect()
        proto.dataReceived(STREAM[:cut])
        proto.dataReceived(STREAM[cut:])
        assert proto.kinds() == EXPECTED, cut
        assert [m.encode() for _, m in proto.events] == [LOGON, TX, COLL], cut
        assert clock.getDelayedCalls() == [], cut
        assert not transport.disconnecting


def test_split_in_three_at_every_pair_of_offsets_of_one_frame() -> None:
    for a in range(1, len(TX)):
        for b in range(a + 1, len(TX), 17):
            proto, _, _ = connect()
            for part in (TX[:a], TX[a:b], TX[b:]):
                proto.dataReceived(part)
            assert proto.kinds() == ["transaction"], (a, b)


def test_frame_packed_with_the_start_of_the_next() -> None:
    proto, _, clock = connect()
    proto.dataReceived(LOGON + TX[:10])
    assert proto.kinds() == ["logon"]
    assert len(clock.getDelayedCalls()) == 1  # partial timer for the 10 bytes
    proto.dataReceived(TX[10:] + COLL)
    assert proto.kinds() == EXPECTED
    assert clock.getDelayedCalls() == []


# -- dispatch ------------------------------------------------------------------------------


def test_dispatch_to_msg_handler_and_unhandled() -> None:
    proto, _, _ = connect(CRMDProtocol)
    seen: list[Any] = []
    proto.msg_transaction = seen.append  # type: ignore[attr-defined]
    with capturedLogs() as events:
        proto.dataReceived(TX + COLL)
    assert [m.NAME for m in seen] == ["transaction"]
    unhandled = [e for e in events if "no handler" in e["log_format"]]
    assert len(unhandled) == 1
    assert unhandled[0]["name"] == "collateral_request"


def test_received_seq_num_tracked() -> None:
    proto, _, _ = connect()
    proto.dataReceived(TX)
    assert proto.receivedSeqNum == 5


# -- stream errors -------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 2, 3])
def test_length_below_4_is_unrecoverable(length: int) -> None:
    proto, transport, _ = connect()
    proto.dataReceived(LOGON + b"H\x00" + length.to_bytes(2, "little") + b"rest")
    assert proto.kinds() == ["logon", "unrecoverable"]
    assert isinstance(proto.events[1][1], FrameLengthError)
    assert transport.disconnecting
    proto.dataReceived(TX)  # nothing more is dispatched after the close
    assert proto.kinds() == ["logon", "unrecoverable"]


def test_length_below_4_after_a_partial_frame() -> None:
    proto, transport, clock = connect()
    proto.dataReceived(TX[:100])
    proto.dataReceived(TX[100:] + b"T\x00\x00\x00")
    assert proto.kinds() == ["transaction", "unrecoverable"]
    assert transport.disconnecting
    assert clock.getDelayedCalls() == []


def test_unknown_type_skipped_and_next_frame_dispatched() -> None:
    proto, transport, _ = connect()
    unknown = b"Z\x00\x0a\x00" + b"\x01" * 6
    proto.dataReceived(unknown + TX)
    assert proto.kinds() == ["frameError", "transaction"]
    error, frame = proto.events[0][1]
    assert isinstance(error, UnknownMessageTypeError)
    assert frame == unknown
    assert not transport.disconnecting


def test_wrong_length_for_known_type() -> None:
    proto, transport, _ = connect()
    short = b"H\x00\x08\x00" + b"\x00" * 4
    with capturedLogs() as events:
        proto.dataReceived(short + TX)
    assert proto.kinds() == ["frameError", "transaction"]
    assert isinstance(proto.events[0][1][0], WrongLengthError)
    assert not transport.disconnecting  # the base protocol only logs
    warnings = [e for e in events if "malformed" in e["log_format"]]
    assert warnings and warnings[0]["error_class"] == "WrongLengthError"


def test_bad_text() -> None:
    proto, transport, _ = connect()
    proto.dataReceived(bad_text_logon() + TX)
    assert proto.kinds() == ["frameError", "transaction"]
    assert isinstance(proto.events[0][1][0], BadTextError)
    assert not transport.disconnecting


def test_buffer_above_max_length_overflows_and_closes() -> None:
    class Small(Recorder):
        MAX_LENGTH = 1000

    proto, transport, clock = connect(Small)
    header = b"T\x00" + (2000).to_bytes(2, "little")
    proto.dataReceived(header + b"\x00" * 996)  # exactly MAX_LENGTH: still fine
    assert proto.kinds() == [] and not transport.disconnecting
    proto.dataReceived(b"\x00")
    assert proto.kinds() == ["overflow"]
    assert proto.events[0][1] == 1001
    assert transport.disconnecting
    assert clock.getDelayedCalls() == []  # partial timer cancelled by the close


def test_default_max_length_holds_the_longest_frame() -> None:
    proto, transport, _ = connect()
    big = b"Z\x00\xff\xff" + b"\x00" * (65535 - 4)
    proto.dataReceived(big[:-1])
    assert not transport.disconnecting
    proto.dataReceived(big[-1:])
    assert proto.kinds() == ["frameError"]


def test_frames_before_unrecoverable_header_in_same_chunk_are_dispatched() -> None:
    proto, transport, _ = connect()
    proto.dataReceived(TX + b"T\x00\x02\x00")
    assert proto.kinds() == ["transaction", "unrecoverable"]
    assert transport.disconnecting


def test_frames_before_unrecoverable_header_with_earlier_partial() -> None:
    proto, transport, _ = connect()
    proto.dataReceived(LOGON[:50])
    proto.dataReceived(LOGON[50:] + TX + b"T\x00\x02\x00" + COLL)
    assert proto.kinds() == ["logon", "transaction", "unrecoverable"]
    assert transport.disconnecting


# -- timeouts ------------------------------------------------------------------------------


def test_partial_frame_timeout_fires_while_partial_frame_waits() -> None:
    proto, transport, clock = connect()
    proto.dataReceived(TX[:3])  # not even a full header
    clock.advance(20)
    proto.dataReceived(TX[3:100])  # more bytes do not restart the deadline
    clock.advance(9.9)
    assert proto.kinds() == [] and not transport.disconnecting
    clock.advance(0.1)
    assert proto.kinds() == ["partialTimeout"]
    assert proto.events[0][1] == 100
    assert transport.disconnecting


def test_partial_frame_timer_cancelled_when_frame_completes() -> None:
    proto, transport, clock = connect()
    proto.dataReceived(TX[:100])
    assert len(clock.getDelayedCalls()) == 1
    clock.advance(29)
    proto.dataReceived(TX[100:])
    assert clock.getDelayedCalls() == []
    clock.advance(100)
    assert proto.kinds() == ["transaction"]
    assert not transport.disconnecting


def test_partial_frame_timer_restarts_for_the_next_partial_frame() -> None:
    proto, transport, clock = connect()
    proto.dataReceived(TX[:100])
    clock.advance(25)
    proto.dataReceived(TX[100:] + LOGON[:5])  # completes one, starts the next
    clock.advance(25)  # 50 s after the first partial byte, 25 s into the second
    assert not transport.disconnecting
    clock.advance(5)
    assert proto.kinds() == ["transaction", "partialTimeout"]


def test_partial_frame_timeout_disabled() -> None:
    class NoPartial(Recorder):
        partialFrameTimeout = None

    proto, transport, clock = connect(NoPartial)
    proto.dataReceived(TX[:100])
    assert clock.getDelayedCalls() == []
    clock.advance(10_000)
    assert not transport.disconnecting


def test_no_idle_timeout_by_default() -> None:
    _proto, transport, clock = connect()
    assert clock.getDelayedCalls() == []
    clock.advance(10_000)
    assert not transport.disconnecting


def test_idle_timeout() -> None:
    class Idle(Recorder):
        idleTimeout = 5.0

    proto, transport, clock = connect(Idle)
    clock.advance(4.9)
    proto.dataReceived(TX)  # data resets the idle timer
    clock.advance(4.9)
    assert proto.kinds() == ["transaction"] and not transport.disconnecting
    clock.advance(0.1)
    assert proto.kinds() == ["transaction", "idleTimeout"]
    assert transport.disconnecting


def test_server_logon_timeout() -> None:
    _proto, transport, clock = connect(Server)
    with capturedLogs() as events:
        clock.advance(29.9)
        assert not transport.disconnecting
        clock.advance(0.1)
    assert transport.disconnecting
    assert transport.value() == b""  # closed without a frame
    assert any("no logon within" in e["log_format"] for e in events)


def test_server_logon_timer_cancelled_by_logon() -> None:
    proto, transport, clock = connect(Server)
    proto.dataReceived(LOGON)
    assert proto.loggedOn and len(proto.logons) == 1
    assert clock.getDelayedCalls() == []
    clock.advance(100)
    assert not transport.disconnecting


def test_server_logon_timer_cancelled_on_connection_lost() -> None:
    proto, _, clock = connect(Server)
    proto.connectionLost()
    assert clock.getDelayedCalls() == []


def test_client_logon_timeout() -> None:
    proto, transport, clock = connect(CRMDClientProtocol, CRMDClientFactory())
    d = proto.logOn(1001, "trader", api_key="K")
    failures: list[Any] = []
    d.addErrback(failures.append)
    clock.advance(9.9)
    assert failures == [] and not transport.disconnecting
    clock.advance(0.1)
    assert len(failures) == 1
    failures[0].trap(LogonTimeout)
    assert transport.disconnecting


def test_client_logon_reply_cancels_timeout() -> None:
    proto, transport, clock = connect(CRMDClientProtocol, CRMDClientFactory())
    d = proto.logOn(1001, "trader")
    results: list[Any] = []
    d.addBoth(results.append)
    reply = logon(login_status=LoginStatus.SUCCESS, session_key=77, trading_session_id=9)
    proto.dataReceived(reply.encode())
    assert isinstance(results[0], ClientLogon) and results[0].session_key == 77
    assert proto.credentials is not None and proto.credentials.key == 77
    assert clock.getDelayedCalls() == []
    clock.advance(100)
    assert not transport.disconnecting


def test_client_logon_rejected() -> None:
    proto, _, _ = connect(CRMDClientProtocol, CRMDClientFactory())
    d = proto.logOn(1001, "trader")
    results: list[Any] = []
    d.addErrback(results.append)
    proto.dataReceived(
        logon(login_status=LoginStatus.FAILURE, reject_reason=RejectCode.USER_NOT_FOUND).encode()
    )
    assert results[0].check(LogonRejected)


# -- sequence numbers ----------------------------------------------------------------------


def test_send_numbers_frames_per_connection() -> None:
    proto, transport, _ = connect()
    for i in range(3):
        proto.sendMessage(tx(i + 1))
    assert [m.msg_seq_num for m in sent_frames(transport)] == [1, 2, 3]
    other, transport2, _ = connect()
    other.sendMessage(tx(9))
    assert [m.msg_seq_num for m in sent_frames(transport2)] == [1]


def test_client_logon_carries_last_received_seq() -> None:
    proto, transport, _ = connect(CRMDClientProtocol, CRMDClientFactory())
    proto.logOn(1001, "trader")  # nothing received yet: 0
    proto.dataReceived(tx(1, msg_seq_num=41).encode())
    proto.dataReceived(tx(2, msg_seq_num=42).encode())
    proto.sendMessage(logon())
    proto.sendMessage(tx(3))  # the logons took no sequence number
    frames = sent_frames(transport)
    assert [f.NAME for f in frames] == ["client_logon", "client_logon", "transaction"]
    assert frames[0].last_seq_num == 0
    assert frames[1].last_seq_num == 42
    assert frames[2].msg_seq_num == 1


def test_server_logon_carries_own_seq() -> None:
    proto, transport, _ = connect(Server)
    proto.dataReceived(tx(1, msg_seq_num=99).encode())  # received numbers do not count
    proto.sendMessage(tx(1))
    proto.sendMessage(tx(2))
    proto.sendMessage(proto.logonReply(logon(), login_status=LoginStatus.SUCCESS))
    frames = sent_frames(transport)
    assert [f.msg_seq_num for f in frames[:2]] == [1, 2]
    assert frames[2].last_seq_num == 2


# -- server answers to stream problems -----------------------------------------------------


def assert_logged_out(transport: StringTransport, reason: RejectCode) -> None:
    frames = sent_frames(transport)
    assert len(frames) == 1, frames
    out = frames[0]
    assert out.NAME == "client_logon"
    assert out.logon_type == LogonType.LOGOUT
    assert out.reject_reason == reason
    assert transport.disconnecting


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(b"H\x00\x08\x00" + b"\x00" * 4, id="wrong-length"),
        pytest.param(bad_text_logon(), id="bad-text"),
        pytest.param(b"T\x00\x03\x00", id="length-below-4"),
    ],
)
def test_server_logs_out_with_35_and_closes(bad: bytes) -> None:
    proto, transport, _ = connect(Server)
    proto.dataReceived(bad + TX)
    assert_logged_out(transport, RejectCode.INVALID_FIELD_VALUE)
    assert proto.transactions == []  # nothing after the bad frame is processed


def test_server_logs_out_with_35_on_overflow() -> None:
    class SmallServer(Server):
        MAX_LENGTH = 500

    proto, transport, _ = connect(SmallServer)
    proto.dataReceived(b"T\x00" + (1000).to_bytes(2, "little") + b"\x00" * 600)
    assert_logged_out(transport, RejectCode.INVALID_FIELD_VALUE)


def test_server_skips_unknown_type_without_logout() -> None:
    proto, transport, _ = connect(Server)
    proto.dataReceived(b"Z\x00\x06\x00ab" + TX)
    assert transport.value() == b""
    assert not transport.disconnecting
    assert [t.order_id for t in proto.transactions] == [7]


def test_server_logs_out_with_55_for_bad_logon_type() -> None:
    proto, transport, _ = connect(Server)
    proto.dataReceived(logon(logon_type=7).encode() + TX)
    assert_logged_out(transport, RejectCode.INVALID_LOGON_TYPE)
    assert proto.logons == [] and proto.transactions == []


def test_server_closes_without_reply_on_client_logout() -> None:
    proto, transport, _ = connect(Server)
    proto.dataReceived(LOGON + logon(logon_type=LogonType.LOGOUT).encode())
    assert transport.value() == b""
    assert transport.disconnecting


def test_server_logout_is_sent_once() -> None:
    proto, transport, _ = connect(Server)
    proto.serverLogout(RejectCode.INVALID_FIELD_VALUE)
    proto.serverLogout(RejectCode.INVALID_FIELD_VALUE)
    assert_logged_out(transport, RejectCode.INVALID_FIELD_VALUE)


# -- log events ----------------------------------------------------------------------------


def frame_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if "direction" in e]


def frame_logging() -> CRMDFactory:
    factory = CRMDFactory()
    factory.logFrames = True  # off by default
    return factory


def test_one_log_event_per_frame_in_and_out() -> None:
    proto, _, _ = connect(Recorder, frame_logging())
    with capturedLogs() as events:
        proto.dataReceived(STREAM)
        proto.sendMessage(tx(1))
        proto.sendMessage(logon())
    got = frame_events(events)
    assert [(e["direction"], e["name"]) for e in got] == [
        ("in", "client_logon"),
        ("in", "transaction"),
        ("in", "collateral_request"),
        ("out", "transaction"),
        ("out", "client_logon"),
    ]
    assert [e["length"] for e in got] == [143, 250, 34, 250, 143]
    assert all(e["peer"] == "127.0.0.1:50000" for e in got)
    assert all(e["log_level"].name == "debug" for e in got)


def test_wire_trace_logs_hex_and_fields() -> None:
    factory = CRMDFactory(wireTrace=True)
    proto, _, _ = connect(Recorder, factory)
    with capturedLogs() as events:
        proto.dataReceived(TX)
    (event,) = frame_events(events)
    assert event["log_level"].name == "info"
    assert event["hex"] == TX.hex().upper()
    assert event["fields"]["order_id"] == 7


def test_log_frames_off_by_default() -> None:
    factory = CRMDFactory()
    proto, _, _ = connect(Recorder, factory)
    with capturedLogs() as events:
        proto.dataReceived(TX)
        proto.sendMessage(tx(1))
    assert frame_events(events) == []
    assert proto.kinds() == ["transaction"]


def test_connections_tracked_by_factory() -> None:
    factory = CRMDFactory()
    proto, _, _ = connect(Recorder, factory)
    assert factory.connections == {proto}
    proto.connectionLost()
    assert factory.connections == set()


def test_frame_log_event_renders_its_text() -> None:
    from twisted.logger import formatEvent

    proto, _, _ = connect(Recorder, frame_logging())
    with capturedLogs() as events:
        proto.dataReceived(TX)
        proto.sendMessage(logon())
    texts = [formatEvent(e) for e in frame_events(events)]
    assert texts == [
        "in 127.0.0.1:50000 T transaction len=250",
        "out 127.0.0.1:50000 H client_logon len=143",
    ]


# -- sending never changes the message; one timer per connection ---------------------------


def test_send_message_leaves_the_message_unchanged() -> None:
    proto, transport, _ = connect()
    other, transport2, _ = connect()
    shared = tx(1)
    before = shared.values()
    proto.sendMessage(tx(9))
    proto.sendMessage(shared)
    other.sendMessage(shared)
    assert shared.values() == before
    assert [m.msg_seq_num for m in sent_frames(transport)] == [1, 2]
    assert [m.msg_seq_num for m in sent_frames(transport2)] == [1]


def test_send_transaction_stamps_a_copy() -> None:
    proto, transport, _ = connect(CRMDClientProtocol, CRMDClientFactory())
    proto.logOn(1001, "trader")
    proto.dataReceived(
        logon(login_status=LoginStatus.SUCCESS, session_key=77, trading_session_id=9).encode()
    )
    transport.clear()
    request = tx(5, account=0, attributes="")
    sent = proto.sendTransaction(request)
    assert (request.account, request.session_key, request.attributes) == (0, 0, "")
    (frame,) = sent_frames(transport)
    assert frame == sent.replace(msg_seq_num=1)
    assert (frame.account, frame.session_key, frame.trading_session_id) == (1001, 77, 9)
    assert frame.attributes == "NNNNNNNNNNNN"


def test_partial_logon_and_idle_deadlines_share_one_timer() -> None:
    class IdleServer(Server):
        idleTimeout = 100.0

    proto, transport, clock = connect(IdleServer)
    proto.dataReceived(TX[:10])
    assert len(clock.getDelayedCalls()) == 1  # logon (30 s), partial (30 s), idle (100 s)
    clock.advance(30)
    assert transport.disconnecting  # the logon deadline and the partial frame passed
    assert clock.getDelayedCalls() == []
