"""Malformed input: each failure class raises its own WireError with a clear message."""

from __future__ import annotations

import struct

import pytest

from crmd_twisted.wire import (
    BadTextError,
    ClientLogon,
    FrameBuffer,
    FrameLengthError,
    IncompleteFrameError,
    InstrumentResponse,
    OpenOrderRequest,
    TextTooLongError,
    Transaction,
    UnknownFieldError,
    UnknownMessageTypeError,
    ValueOutOfRangeError,
    WireError,
    WrongLengthError,
    WrongMessageTypeError,
    decode,
)


def _txn() -> bytes:
    return Transaction(message_type=1, account=5, order_id=1, symbol="BTCUSD").encode()


def test_all_errors_are_wire_errors() -> None:
    for exc in (
        FrameLengthError, IncompleteFrameError, UnknownMessageTypeError, WrongLengthError,
        BadTextError, TextTooLongError, ValueOutOfRangeError, UnknownFieldError,
        WrongMessageTypeError,
    ):
        assert issubclass(exc, WireError)


def test_frame_buffer_length_below_four() -> None:
    buf = FrameBuffer()
    assert buf.feed(_txn()) != []
    with pytest.raises(FrameLengthError) as info:
        buf.feed(b"T\x00\x02\x00rest")
    assert info.value.offset == 250
    assert info.value.length == 2
    assert "offset 250" in str(info.value) and "length 2" in str(info.value)


def test_frames_before_a_bad_header_travel_on_the_error() -> None:
    buf = FrameBuffer()
    first, second = _txn(), _txn()
    assert buf.feed(first[:100]) == []
    with pytest.raises(FrameLengthError) as info:
        buf.feed(first[100:] + second + b"T\x00\x00\x00")
    assert info.value.frames == [first, second]
    assert info.value.offset == 500


def test_decode_length_below_four() -> None:
    with pytest.raises(FrameLengthError):
        decode(b"T\x00\x03\x00")
    with pytest.raises(FrameLengthError):
        decode(b"Z\x00\x00\x00")


def test_length_larger_than_buffer() -> None:
    frame = _txn()
    buf = FrameBuffer()
    assert buf.feed(frame[:100]) == []
    assert buf.pending == 100
    assert buf.feed(frame[100:200]) == []
    assert buf.pending == 200
    assert buf.feed(frame[200:]) == [frame]
    with pytest.raises(IncompleteFrameError) as info:
        decode(frame[:200])
    assert info.value.missing == 50
    assert "50 missing" in str(info.value)


@pytest.mark.parametrize("data", [b"", b"T", b"T\x00\xfa"])
def test_decode_fewer_than_four_bytes(data: bytes) -> None:
    with pytest.raises(IncompleteFrameError):
        decode(data)


def test_unknown_type_char() -> None:
    frame = b"Z\x00\x28\x00" + bytes(36)
    with pytest.raises(UnknownMessageTypeError) as info:
        decode(frame)
    assert info.value.type_char == "Z"
    assert info.value.length == 40
    assert "'Z'" in str(info.value) and "40" in str(info.value)
    # the splitter frames unknown types by their length like any other
    assert FrameBuffer().feed(frame + _txn()) == [frame, _txn()]


def test_known_type_wrong_length() -> None:
    frame = bytearray(_txn()[:238])
    frame[2:4] = struct.pack("<H", 238)
    with pytest.raises(WrongLengthError) as info:
        decode(bytes(frame))
    assert (info.value.type_char, info.value.expected, info.value.actual) == ("T", 250, 238)
    assert "transaction ('T'): expected length 250, got 238" in str(info.value)


def test_buffer_longer_than_header() -> None:
    with pytest.raises(WrongLengthError) as info:
        decode(_txn() + b"\x00")
    assert "251" in str(info.value)


def test_non_ascii_text_on_decode() -> None:
    frame = bytearray(_txn())
    frame[54] = 0xC3  # first byte of `symbol`
    with pytest.raises(BadTextError) as info:
        decode(bytes(frame))
    assert info.value.field == "symbol"
    assert info.value.type_char == "T"
    assert "symbol" in str(info.value)


def test_text_too_long_on_encode() -> None:
    with pytest.raises(TextTooLongError) as info:
        Transaction(symbol="X" * 13).encode()
    assert info.value.max_length == 12
    assert info.value.field.endswith("symbol")
    assert "at most 12" in str(info.value)


def test_non_ascii_and_nul_text_on_encode() -> None:
    with pytest.raises(BadTextError):
        ClientLogon(user_name="é").encode()
    with pytest.raises(BadTextError):
        ClientLogon(user_name="a\0b").encode()


@pytest.mark.parametrize(
    ("cls", "field", "value"),
    [
        (Transaction, "account", -1),
        (Transaction, "account", 2**32),
        (Transaction, "layers", 2**15),
        (OpenOrderRequest, "account", 2**31),
        (ClientLogon, "sending_time", 2**64),
    ],
)
def test_integer_out_of_range_on_encode(cls: type, field: str, value: int) -> None:
    with pytest.raises(ValueOutOfRangeError) as info:
        cls(**{field: value}).encode()
    assert info.value.field.endswith(field)
    assert str(value) in str(info.value)


def test_wrong_types_on_encode() -> None:
    with pytest.raises(ValueOutOfRangeError, match="account"):
        Transaction(account="5").encode()
    with pytest.raises(ValueOutOfRangeError, match="price"):
        Transaction(price="1.5").encode()
    with pytest.raises(ValueOutOfRangeError, match="symbol"):
        Transaction(symbol=5).encode()


def test_float16_overflow() -> None:
    with pytest.raises(ValueOutOfRangeError, match="max_size"):
        InstrumentResponse(max_size=70000.0).encode()
    assert decode(InstrumentResponse(max_size=65504.0).encode()).max_size == 65504.0


def test_from_fields_checks_header_and_names() -> None:
    fields = Transaction(account=1).to_fields()
    assert Transaction.from_fields(fields) == Transaction(account=1)
    with pytest.raises(WrongMessageTypeError):
        Transaction.from_fields({**fields, "type_char": "H"})
    with pytest.raises(WrongLengthError):
        Transaction.from_fields({**fields, "length": 238})
    with pytest.raises(UnknownFieldError, match="nope"):
        Transaction.from_fields({**fields, "nope": 1})


def test_reserved_is_kept_and_enums_accepted() -> None:
    from crmd_twisted.wire.enums import Attribute, Side, TransactionType

    frame = bytearray(_txn())
    frame[1] = ord("X")
    msg = decode(bytes(frame))
    assert msg.reserved == "X"
    assert msg.encode() == bytes(frame)
    t = Transaction(message_type=TransactionType.ORDER_NEW, side=Side.BUY)
    t = t.with_attributes(Attribute.HIDDEN)
    assert t.attribute_set(Attribute.HIDDEN) and not t.attribute_set(Attribute.POST)
    assert decode(t.encode()) == t
    assert t.replace(account=9).account == 9 and t.account == 0
    with pytest.raises(WireError):
        t.replace(length=3)
    with pytest.raises(AttributeError):
        t.length = 3  # type: ignore[misc]


def test_accessors() -> None:
    from crmd_twisted.wire import FiveLevelData, MdSubscribe, TenLevelData

    logon = ClientLogon(primary_oes_address="127.0.0.1:4445")
    assert logon.primary_oes == ("127.0.0.1", 4445)
    assert logon.secondary_oes is None
    five = FiveLevelData(level2_buy_price=10.0, level2_sell_orders=3)
    assert five.levels[1].buy_price == 10.0 and five.levels[1].sell_orders == 3
    assert len(TenLevelData().entries) == 20
    sub = MdSubscribe(sub1_symbol="BTCUSD", sub1_action="S")
    assert sub.subscriptions[0].symbol == "BTCUSD"


def test_decode_accepts_bytearray_and_memoryview() -> None:
    frame = _txn()
    assert decode(bytearray(frame)) == decode(memoryview(frame)) == decode(frame)
    assert Transaction.decode(frame).account == 5
    with pytest.raises(WrongMessageTypeError):
        ClientLogon.decode(frame)
