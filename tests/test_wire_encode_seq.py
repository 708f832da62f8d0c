"""``encode_seq(seq)``: the frame with the sequence number ``seq``, the message untouched."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmd_twisted.wire import (
    LAYOUTS,
    MESSAGES_BY_NAME,
    ClientLogon,
    FiveLevelData,
    Message,
    ThreeLevelData,
    Transaction,
    UnknownFieldError,
    ValueOutOfRangeError,
    decode,
)
from crmd_twisted.wire.layout import INT_RANGES
from tests.wire_helpers import message_strategy

SEQUENCED = [name for name, cls in MESSAGES_BY_NAME.items() if cls.SEQ_FIELD is not None]


def test_every_message_but_the_two_level_snapshots_has_a_sequence_field() -> None:
    # PROTOCOL 7.7 / MDS rule 7: three_level_data and five_level_data carry no sequence number
    unsequenced = {name for name in LAYOUTS if name not in SEQUENCED}
    assert unsequenced == {"three_level_data", "five_level_data"}
    assert ClientLogon.SEQ_FIELD == "last_seq_num"
    assert {MESSAGES_BY_NAME[n].SEQ_FIELD for n in SEQUENCED} - {"last_seq_num"} == {"msg_seq_num"}


@pytest.mark.parametrize("name", SEQUENCED)
def test_encode_seq_equals_replace_then_encode_and_leaves_the_message(name: str) -> None:
    cls = MESSAGES_BY_NAME[name]
    field = cls.SEQ_FIELD
    assert field is not None
    low, high = INT_RANGES[cls.LAYOUT.fields[cls.FIELD_NAMES.index(field)].code]

    @settings(max_examples=25, deadline=None)
    @given(message_strategy(cls.LAYOUT, cls), st.integers(max(low, 0), high))
    def check(msg: Message, seq: int) -> None:
        before = msg.to_fields()
        frame = msg.encode_seq(seq)
        assert frame == msg.replace(**{field: seq}).encode()
        assert getattr(decode(frame), field) == seq
        assert msg.to_fields() == before

    check()


def test_encode_seq_is_generated_straight_line_code() -> None:
    # the fast path packs ``seq`` in place of the slot: no copy, no setattr
    source = inspect.getsource(Transaction.encode_seq)
    assert "seq" in source.splitlines()[0]
    assert "self.msg_seq_num" not in source
    assert "replace" not in source.split("except")[0]


def test_encode_seq_slow_path_takes_uncached_text() -> None:
    tx = Transaction(symbol="ZZ-never-seen"[:12], trader_id="q7x9", msg_seq_num=3)
    assert tx.encode_seq(1 << 40) == tx.replace(msg_seq_num=1 << 40).encode()
    assert tx.msg_seq_num == 3


def test_encode_seq_out_of_range_names_the_field() -> None:
    with pytest.raises(ValueOutOfRangeError, match=r"md_exec_report\.msg_seq_num"):
        MESSAGES_BY_NAME["md_exec_report"]().encode_seq(2**32)
    with pytest.raises(ValueOutOfRangeError, match=r"client_logon\.last_seq_num"):
        ClientLogon().encode_seq(-1)


@pytest.mark.parametrize("cls", [ThreeLevelData, FiveLevelData])
def test_encode_seq_without_a_sequence_field_is_a_clear_error(cls: type[Message]) -> None:
    with pytest.raises(UnknownFieldError, match="no field named 'msg_seq_num'"):
        cls().encode_seq(1)
