"""The generated codec methods have real source: linecache, inspect and tracebacks show it."""

from __future__ import annotations

import inspect
import linecache
import traceback

import pytest

from crmd_twisted.wire import (
    MESSAGES_BY_NAME,
    FrameLengthError,
    ThirtyLevelData,
    Transaction,
    WrongMessageTypeError,
    decode,
)
from crmd_twisted.wire._codegen import generated_filename


def test_getsource_of_generated_encode() -> None:
    source = inspect.getsource(Transaction.encode)
    assert source.startswith("def encode(self):\n")
    assert "self.order_id" in source and "_E12[self.symbol]" in source
    assert inspect.getsourcefile(Transaction.encode) == "<crmd_twisted.wire generated Transaction>"


@pytest.mark.parametrize("name", list(MESSAGES_BY_NAME))
def test_every_generated_method_has_its_source_in_one_pseudo_file_per_class(name: str) -> None:
    cls = MESSAGES_BY_NAME[name]
    filename = generated_filename(cls)
    methods = [cls.encode, cls.__init__, cls.replace, cls.to_fields, cls.values,
               cls._decode_frame]
    if cls.SEQ_FIELD is not None:
        methods.append(cls.encode_seq)
    for method in methods:
        assert method.__code__.co_filename == filename
        lines, first = inspect.getsourcelines(method)
        assert lines[0].startswith(f"def {method.__name__}("), (method, lines[0])
        assert linecache.getline(filename, first) == lines[0]


def test_wide_init_source_shows_every_keyword() -> None:
    source = inspect.getsource(ThirtyLevelData.__init__)
    assert "    entry60_side=0,\n" in source
    assert "    self.entry60_side = entry60_side\n" in source


def test_traceback_through_generated_init_shows_the_line() -> None:
    with pytest.raises(WrongMessageTypeError) as info:
        Transaction(type_char="Q")
    text = "".join(traceback.format_exception(info.value))
    assert 'File "<crmd_twisted.wire generated Transaction>", line' in text
    assert "raise _WrongType(_layout.name, _TC, type_char)" in text


def test_traceback_through_generated_decode_shows_the_line() -> None:
    frame = bytearray(Transaction().encode())
    frame[2] = 0  # declared length 0 < 4
    with pytest.raises(FrameLengthError) as info:
        decode(bytes(frame))
    summary = traceback.extract_tb(info.value.__traceback__)
    generated = [f for f in summary if f.filename == "<crmd_twisted.wire generated Transaction>"]
    assert [f.name for f in generated] == ["_decode_frame"]
    assert generated[0].line == "_length_problem(_layout, frame)"
