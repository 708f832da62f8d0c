"""The generated fast paths and their generic fallbacks agree, and the caches stay bounded."""

from __future__ import annotations

import pytest

from crmd_twisted.wire import (
    MESSAGES_BY_NAME,
    BadTextError,
    ClientLogon,
    MdSubscribe,
    ThirtyLevelData,
    Transaction,
    WireError,
    decode,
)
from crmd_twisted.wire import _text
from crmd_twisted.wire.layout import FieldKind


def _reference_encode(msg: object) -> bytes:
    """``STRUCT.pack`` of the message's fields, text converted by hand."""
    layout = msg.LAYOUT  # type: ignore[attr-defined]
    args = []
    for spec in layout.fields:
        if spec.name == "type_char":
            args.append(layout.type_char.encode())
        elif spec.name == "length":
            args.append(layout.length)
        elif spec.kind is FieldKind.TEXT:
            args.append(getattr(msg, spec.name).encode("ascii"))
        else:
            args.append(getattr(msg, spec.name))
    return bytes(msg.STRUCT.pack(*args))  # type: ignore[attr-defined]


def test_wide_messages_encode_like_struct_pack() -> None:
    # more than 30 fields: encode is generated as several pack calls
    deep = ThirtyLevelData(symbol="BTCUSD", entry60_price=1.5, entry1_side=2, msg_seq_num=9)
    assert deep.encode() == _reference_encode(deep)
    assert decode(deep.encode()) == deep
    assert decode(deep.encode()).values() == deep.values()
    txn = Transaction(account=7, symbol="ETHUSD", trader_id="abc", attributes="YN", price=2.5)
    assert txn.encode() == _reference_encode(txn)
    assert len(txn.values()) == len(Transaction.LAYOUT.body_fields)


def test_decode_then_mutate_then_encode() -> None:
    msg = decode(Transaction(account=1, symbol="BTCUSD").encode())
    msg.account = 5
    msg.msg_seq_num = 42
    msg.symbol = "NEWSYM"
    back = decode(msg.encode())
    assert (back.account, back.msg_seq_num, back.symbol) == (5, 42, "NEWSYM")


def test_unseen_text_takes_the_slow_path_and_is_then_cached() -> None:
    logon = ClientLogon(two_fa="987123", user_name="zq81x", primary_mds_address="h:1")
    frame = logon.encode()
    first = decode(frame)
    second = decode(frame)
    assert first == second == logon
    assert (second.two_fa, second.user_name, second.primary_mds_address) == (
        "987123", "zq81x", "h:1",
    )


def _offset(cls: type, field: str) -> int:
    offset = 0
    for spec in cls.LAYOUT.fields:  # type: ignore[attr-defined]
        if spec.name == field:
            return offset
        offset += spec.width
    raise AssertionError(field)


@pytest.mark.parametrize(
    ("cls", "field"),
    [
        (Transaction, "reserved"),
        (Transaction, "symbol"),
        (Transaction, "trader_id"),  # second field of a run
        (ClientLogon, "user_name"),
        (ClientLogon, "secondary_mds_address"),  # last field of a run
        (ClientLogon, "risk_master"),  # one byte wide
        (MdSubscribe, "sub2_action"),
    ],
)
def test_non_ascii_text_is_named_on_decode_every_time(cls: type, field: str) -> None:
    frame = bytearray(cls(**{field: "A"}).encode())
    offset = _offset(cls, field)
    assert frame[offset] == ord("A")
    frame[offset] = 0xE9
    for _ in range(2):  # a bad value is never cached
        with pytest.raises(BadTextError) as info:
            decode(bytes(frame))
        assert info.value.field == field


def test_text_after_nul_is_ignored_like_before() -> None:
    frame = bytearray(Transaction(symbol="AB").encode())
    frame[_offset(Transaction, "symbol") + 5] = 0xFF  # after the first NUL of `symbol`
    assert decode(bytes(frame)).symbol == "AB"


@pytest.mark.parametrize("frame", ["T" * 250, [84] * 250, None, 3.5, object()])
def test_non_buffer_input_raises_wire_error(frame: object) -> None:
    with pytest.raises(WireError):
        decode(frame)  # type: ignore[arg-type]


def test_caches_stay_bounded() -> None:
    for n in range(_text.CACHE_LIMIT + 50):
        text = f"S{n}"
        msg = Transaction(symbol=text)
        assert decode(msg.encode()).symbol == text
    assert len(_text.run_cache((12,))) <= _text.CACHE_LIMIT
    assert len(_text.encode_cache(12)) <= _text.CACHE_LIMIT
    assert decode(Transaction(symbol="BTCUSD").encode()).symbol == "BTCUSD"


def test_str_subclass_text_encodes_but_is_not_cached() -> None:
    class Sym(str):
        pass

    raw = Transaction(symbol=Sym("XYZ9")).encode()
    assert decode(raw).symbol == "XYZ9"
    assert not any(type(k) is Sym for k in _text.encode_cache(12))


def test_every_class_round_trips_defaults() -> None:
    for cls in MESSAGES_BY_NAME.values():
        msg = cls()
        assert msg.encode() == _reference_encode(msg)
        assert decode(msg.encode()) == msg
