"""Hypothesis properties of the codec: round trips, stream splitting, robustness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmd_twisted.wire import LAYOUTS, MESSAGES_BY_NAME, FrameBuffer, Message, WireError, decode
from tests.wire_helpers import any_message, message_strategy, same_value

SETTINGS = settings(max_examples=60, deadline=None)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_encode_decode_round_trip(name: str) -> None:
    layout = LAYOUTS[name]
    cls = MESSAGES_BY_NAME[name]

    @SETTINGS
    @given(message_strategy(layout, cls))
    def check(msg: Message) -> None:
        frame = msg.encode()
        assert len(frame) == cls.LENGTH
        back = decode(frame)
        assert type(back) is cls
        for key, value in msg.to_fields().items():
            assert same_value(back.to_fields()[key], value), key
        assert back.encode() == frame
        assert back.replace() == back

    check()


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    pieces, start = [], 0
    for p in [*points, len(data)]:
        pieces.append(data[start:p])
        start = p
    return pieces


@settings(max_examples=50, deadline=None)
@given(
    st.lists(any_message(), min_size=0, max_size=8),
    st.lists(st.integers(0, 5000), max_size=20),
    st.sampled_from(["random", "bytewise", "whole"]),
)
def test_frame_buffer_reassembles_any_cut(
    messages: list[Message], cuts: list[int], mode: str
) -> None:
    frames = [m.encode() for m in messages]
    stream = b"".join(frames)
    if mode == "bytewise":
        chunks = [stream[i : i + 1] for i in range(len(stream))]
    elif mode == "whole":
        chunks = [stream]
    else:
        chunks = _cut(stream, cuts)
    buffer = FrameBuffer()
    got: list[bytes] = []
    for chunk in chunks:
        got.extend(buffer.feed(chunk))
    assert got == frames
    assert buffer.pending == 0
    assert buffer.offset == len(stream)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1200))
def test_decode_arbitrary_bytes_raises_only_wire_error(data: bytes) -> None:
    try:
        msg = decode(data)
    except WireError:
        return
    assert msg.encode() == data


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(MESSAGES_BY_NAME)), st.data())
def test_decode_right_header_random_body(name: str, data: st.DataObject) -> None:
    cls = MESSAGES_BY_NAME[name]
    body = data.draw(st.binary(min_size=cls.LENGTH - 4, max_size=cls.LENGTH - 4))
    frame = cls.TYPE_CHAR.encode() + b"\0" + cls.LENGTH.to_bytes(2, "little") + body
    try:
        msg = decode(frame)
    except WireError:
        return
    assert type(msg) is cls
