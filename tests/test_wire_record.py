"""wire/record.py: chosen fields read from a frame, and frames patched, as the codec would."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from crmd_twisted.wire import ClientLogon, FieldKind, Message, Transaction, decode
from crmd_twisted.wire.record import FrameRecord
from tests.wire_helpers import any_message, same_value

TX = FrameRecord(Transaction.LAYOUT, ("order_id", "price", "msg_seq_num"))


def tx(**kw: Any) -> Transaction:
    fields: dict[str, Any] = dict(
        message_type=1, account=1001, order_id=42, symbol_enum=1, symbol="BTCUSD",
        price=30000.5, order_qty=0.25, attributes="NNNNNNNNNNNN", trader_id="ab",
        msg_seq_num=9,
    )
    fields.update(kw)
    return Transaction(**fields)


def patched(frame: bytes, field: str, raw: bytes) -> bytes:
    at = TX.offset[field]
    return frame[:at] + raw + frame[at + len(raw) :]


def test_the_chosen_fields_are_the_decoded_values() -> None:
    values = TX.read(tx().encode())
    assert values is not None
    assert values[TX.index["order_id"]] == 42
    assert values[TX.index["price"]] == 30000.5
    assert values[TX.index["msg_seq_num"]] == 9
    assert values[TX.index["symbol"]] == b"BTCUSD".ljust(12, b"\0")
    # adjacent text fields come as one run: expiration_date (12) + trader_id (6)
    assert values[TX.index["trader_id"]] == b"\0" * 12 + b"ab\0\0\0\0"


def test_offsets_follow_the_layout() -> None:
    frame = tx(order_id=0x0102030405060708).encode()
    at = TX.offset["order_id"]
    assert frame[at : at + 8] == bytes.fromhex("0807060504030201")


@pytest.mark.parametrize(
    "field, raw",
    [
        ("symbol", b"BTCUSD\0junk\0"),  # decodes, but would not encode back to itself
        ("symbol", b"BTC\xffSD"),  # not ASCII: does not decode
        ("reserved", b"\x80"),
        ("attributes", b"NNNN\0\0\0\0NNNN"),
        ("trader_id", b"a\0b"),
    ],
)
def test_frames_that_would_not_round_trip_are_left_to_the_decoder(field: str, raw: bytes) -> None:
    frame = patched(tx().encode(), field, raw)
    assert TX.read(frame) is None
    # the cached answer is the same the second time
    assert TX.read(frame) is None


def test_a_wrong_length_field_or_frame_size_is_left_to_the_decoder() -> None:
    frame = tx().encode()
    assert TX.read(frame[:-1]) is None
    assert TX.read(frame[:2] + b"\xfb\x00" + frame[4:]) is None  # header says 251


def test_the_patch_is_decode_change_encode() -> None:
    request = tx()
    frame = request.encode()
    ack = TX.patcher("message_type", "sending_time", "msg_seq_num")(frame, 14, 123456789, 77)
    assert ack == request.replace(message_type=14, sending_time=123456789).encode_seq(77)
    # the names may come in any order
    same = TX.patcher("msg_seq_num", "message_type", "sending_time")(frame, 77, 14, 123456789)
    assert same == ack


def test_unknown_fields_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no field 'nope'"):
        FrameRecord(Transaction.LAYOUT, ("nope",))
    with pytest.raises(ValueError, match="no field 'nope'"):
        TX.patcher("nope")
    with pytest.raises(ValueError, match="given twice"):
        TX.patcher("price", "price")


def test_a_value_that_does_not_fit_is_a_struct_error() -> None:
    import struct

    with pytest.raises(struct.error):
        TX.patcher("message_type")(tx().encode(), 70000)


@settings(max_examples=300, deadline=None)
@given(any_message())
def test_any_encoded_message_reads_as_it_decodes(message: Message) -> None:
    layout = message.LAYOUT
    record = FrameRecord(layout)
    frame = message.encode()
    values = record.read(frame)
    assert values is not None
    decoded = decode(frame)
    for f in layout.body_fields:
        if f.kind is not FieldKind.TEXT:
            assert same_value(values[record.index[f.name]], getattr(decoded, f.name)), f.name


def test_other_layouts_work_too() -> None:
    logon = ClientLogon(logon_type=1, account=7, user_name="alice", session_key=5)
    record = FrameRecord(ClientLogon.LAYOUT, ("account", "session_key"))
    values = record.read(logon.encode())
    assert values is not None
    assert (values[record.index["account"]], values[record.index["session_key"]]) == (7, 5)
