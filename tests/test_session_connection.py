"""Unit tests of the sans-I/O session Connection: plain calls, no Twisted, no clock."""

from __future__ import annotations

import pytest

from crmd_twisted.session import (
    SEQ_FIELDS,
    BufferOverflow,
    Connection,
    IdleTimedOut,
    LogonDeadlinePassed,
    MalformedFrame,
    PartialFrameTimedOut,
    Role,
    UnframeableStream,
    encode_numbered,
)
from crmd_twisted.wire import (
    MESSAGE_TYPES,
    ClientLogon,
    CollateralRequest,
    FrameBuffer,
    Transaction,
    UnknownMessageTypeError,
    WrongLengthError,
    decode,
)
from crmd_twisted.wire.enums import LogonType, TransactionType


def tx(order_id: int = 1, **kw: object) -> Transaction:
    fields: dict[str, object] = dict(
        message_type=TransactionType.ORDER_NEW, account=1001, order_id=order_id,
        symbol_enum=1, symbol="BTCUSD", order_type=1, side=1, price=30000.0, order_qty=1.0,
        attributes="NNNNNNNNNNNN",
    )
    fields.update(kw)
    return Transaction(**fields)


LOGON = ClientLogon(logon_type=LogonType.LOGIN, account=1001, user_name="trader")
TX = tx(7, msg_seq_num=5).encode()
COLL = CollateralRequest(message_type=TransactionType.COLLATERAL_UPDATE_REQ, account=1).encode()


def frames_of(data: bytes) -> list[object]:
    return [decode(f) for f in FrameBuffer().feed(data)]


# -- receiving ----------------------------------------------------------------------------


def test_complete_frames_come_back_as_messages_in_order() -> None:
    conn = Connection()
    events = conn.receive_data(LOGON.encode() + COLL + TX, now=0.0)
    assert [type(e).__name__ for e in events] == [
        "ClientLogon", "CollateralRequest", "Transaction"
    ]
    assert events[2].order_id == 7  # type: ignore[union-attr]
    assert conn.received_seq_num == 5  # the last one received
    assert conn.next_deadline is None and conn.pending_bytes == 0


def test_a_split_frame_waits_for_its_rest() -> None:
    conn = Connection()
    assert conn.receive_data(TX[:100], now=0.0) == []
    assert conn.pending_bytes == 100
    (message,) = conn.receive_data(TX[100:], now=1.0)
    assert isinstance(message, Transaction) and message.encode() == TX


def test_malformed_frames_are_events_and_the_stream_goes_on() -> None:
    conn = Connection()
    unknown = b"Z\x00\x06\x00ab"
    short = b"H\x00\x08\x00" + b"\x00" * 4
    events = conn.receive_data(unknown + short + TX, now=0.0)
    assert [type(e) for e in events] == [MalformedFrame, MalformedFrame, Transaction]
    assert isinstance(events[0], MalformedFrame) and events[0].frame == unknown
    assert isinstance(events[0].error, UnknownMessageTypeError)
    assert isinstance(events[1], MalformedFrame)
    assert isinstance(events[1].error, WrongLengthError)
    assert conn.receiving


def test_a_length_below_4_ends_receiving_after_the_frames_before_it() -> None:
    conn = Connection()
    events = conn.receive_data(TX + b"T\x00\x02\x00" + COLL, now=0.0)
    assert [type(e) for e in events] == [Transaction, UnframeableStream]
    assert not conn.receiving
    assert conn.receive_data(TX, now=1.0) == []


def test_more_than_max_length_unframed_bytes_overflow() -> None:
    conn = Connection(max_length=1000)
    header = b"T\x00" + (2000).to_bytes(2, "little")
    assert conn.receive_data(header + b"\x00" * 996, now=0.0) == []  # exactly the limit
    assert conn.receive_data(b"\x00", now=0.0) == [BufferOverflow(1001, 1000)]
    assert not conn.receiving and conn.next_deadline is None


# -- deadlines ----------------------------------------------------------------------------


def test_partial_frame_deadline_runs_from_its_first_byte() -> None:
    conn = Connection(partial_frame_timeout=30.0)
    conn.receive_data(TX[:3], now=10.0)
    assert conn.next_deadline == 40.0
    conn.receive_data(TX[3:100], now=30.0)  # more bytes of the same frame: same deadline
    assert conn.next_deadline == 40.0
    assert conn.advance(39.9) == []
    assert conn.advance(40.0) == [PartialFrameTimedOut(100, 30.0)]
    assert conn.advance(100.0) == []  # reported once
    assert conn.next_deadline is None


def test_a_new_partial_frame_gets_its_own_deadline() -> None:
    conn = Connection(partial_frame_timeout=30.0)
    conn.receive_data(TX[:100], now=0.0)
    conn.receive_data(TX[100:] + COLL[:5], now=25.0)
    assert conn.next_deadline == 55.0
    conn.receive_data(COLL[5:], now=26.0)
    assert conn.next_deadline is None


def test_no_partial_deadline_when_disabled() -> None:
    conn = Connection(partial_frame_timeout=None)
    conn.receive_data(TX[:100], now=0.0)
    assert conn.next_deadline is None


def test_logon_deadline_passes_once_unless_the_logon_completes() -> None:
    conn = Connection(Role.SERVER)
    conn.expect_logon(now=5.0, timeout=30.0)
    assert conn.next_deadline == 35.0
    assert conn.advance(34.0) == []
    assert conn.advance(35.0) == [LogonDeadlinePassed(30.0)]
    assert conn.advance(36.0) == []

    done = Connection(Role.SERVER)
    done.expect_logon(now=0.0, timeout=30.0)
    done.logon_done()
    assert done.next_deadline is None and done.advance(100.0) == []


def test_idle_timeout_restarts_with_data_and_fires_once() -> None:
    conn = Connection(idle_timeout=5.0)
    conn.start(now=0.0)
    assert conn.next_deadline == 5.0
    conn.receive_data(TX, now=4.0)
    assert conn.next_deadline == 9.0
    assert conn.advance(9.0) == [IdleTimedOut(5.0)]
    conn.receive_data(TX, now=10.0)
    assert conn.next_deadline is None


def test_next_deadline_is_the_earliest() -> None:
    conn = Connection(partial_frame_timeout=30.0, idle_timeout=50.0)
    conn.start(now=0.0)
    conn.expect_logon(now=0.0, timeout=20.0)
    conn.receive_data(TX[:10], now=1.0)
    assert conn.next_deadline == 20.0
    assert conn.advance(31.0) == [LogonDeadlinePassed(20.0), PartialFrameTimedOut(10, 30.0)]
    assert conn.next_deadline == 51.0


def test_close_drops_deadlines_and_stops_receiving() -> None:
    conn = Connection(idle_timeout=5.0)
    conn.start(now=0.0)
    conn.expect_logon(now=0.0, timeout=1.0)
    conn.receive_data(TX[:10], now=0.0)
    conn.close()
    assert conn.next_deadline is None and conn.advance(1e9) == []
    assert conn.receive_data(TX, now=1.0) == []
    assert conn.send(tx()) == tx(msg_seq_num=1).encode()  # sending still works


# -- sending ------------------------------------------------------------------------------


def test_messages_are_numbered_per_connection_from_1() -> None:
    conn = Connection()
    frames = b"".join(conn.send(tx(i)) for i in range(3))
    assert [m.msg_seq_num for m in frames_of(frames)] == [1, 2, 3]  # type: ignore[attr-defined]
    assert conn.sent_seq_num == 3


def test_logon_last_seq_num_from_client_and_server() -> None:
    client = Connection(Role.CLIENT)
    client.receive_data(tx(msg_seq_num=41).encode(), now=0.0)
    client.send(tx())
    (logon,) = frames_of(client.send(LOGON))
    assert logon.last_seq_num == 41  # type: ignore[attr-defined]

    server = Connection(Role.SERVER)
    server.receive_data(tx(msg_seq_num=99).encode(), now=0.0)
    server.send(tx())
    server.send(tx())
    (reply,) = frames_of(server.send(LOGON))
    assert reply.last_seq_num == 2  # type: ignore[attr-defined]
    assert server.sent_seq_num == 2  # the logon took no number


def test_sending_leaves_the_message_as_it_was() -> None:
    shared = tx(3, msg_seq_num=0)
    before = shared.values()
    one, two = Connection(), Connection()
    two.send(tx(1))
    frame_one, frame_two = one.send(shared), two.send(shared)
    assert shared.values() == before
    assert decode(frame_one).msg_seq_num == 1  # type: ignore[attr-defined]
    assert decode(frame_two).msg_seq_num == 2  # type: ignore[attr-defined]
    logon = LOGON.replace(last_seq_num=0)
    Connection(Role.SERVER).send(logon)
    assert logon.last_seq_num == 0


@pytest.mark.parametrize("cls", sorted(MESSAGE_TYPES.values(), key=lambda c: c.NAME))
def test_encode_numbered_equals_encoding_a_numbered_copy(cls: type) -> None:
    message = cls()
    field = SEQ_FIELDS.get(cls)
    if field is None:  # market data without a sequence field
        assert encode_numbered(message, 12345) == message.encode()
        return
    assert encode_numbered(message, 12345) == message.replace(**{field: 12345}).encode()
    assert getattr(message, field) == 0


# -- undecoded frames (a caller's fast path reads them itself) -------------------------------


def test_frames_of_undecoded_types_come_back_as_bytes_in_order() -> None:
    conn = Connection(Role.SERVER, undecoded=frozenset({ord("T")}))
    logon = ClientLogon(logon_type=LogonType.LOGIN, account=1, user_name="u")
    order = tx(7, msg_seq_num=5)
    events = conn.receive_data(logon.encode() + order.encode() + logon.encode(), 0.0)
    assert [type(e) for e in events] == [ClientLogon, bytes, ClientLogon]
    assert events[1] == order.encode()
    assert conn.received_seq_num == 0  # the caller says what it took
    conn.took_frame(5)
    assert conn.received_seq_num == 5


def test_decode_frame_is_what_receive_data_would_have_returned() -> None:
    conn = Connection(Role.SERVER, undecoded=frozenset({ord("T")}))
    message = conn.decode_frame(tx(3, msg_seq_num=11).encode())
    assert message == decode(tx(3, msg_seq_num=11).encode())
    assert conn.received_seq_num == 11
    short = b"T\0\xf9\0" + tx().encode()[4:-1]  # a whole 249-byte frame: wrong length
    event = conn.decode_frame(short)
    assert isinstance(event, MalformedFrame)
    assert isinstance(event.error, WrongLengthError)
    assert event.frame == short


def test_next_seq_takes_a_number_as_send_would() -> None:
    conn = Connection(Role.SERVER)
    assert conn.next_seq() == 1
    frame = conn.send(tx())
    assert decode(frame).msg_seq_num == 2
    assert conn.next_seq() == 3
    assert conn.sent_seq_num == 3
