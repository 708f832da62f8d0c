"""Validation and the generic slow paths behind the generated message codecs.

The generated ``encode``/``_decode_frame`` (see :mod:`._codegen`) handle the
common case in straight-line code; anything unusual - a text cache miss, a
bad value, a malformed frame - lands here, where each field is checked on its
own so that the error names the field and the problem.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, NoReturn

from ._text import decode_run, text_bytes, text_of
from .errors import (
    BadTextError,
    FrameLengthError,
    IncompleteFrameError,
    TextTooLongError,
    UnknownMessageTypeError,
    ValueOutOfRangeError,
    WireError,
    WrongLengthError,
)
from .layout import INT_RANGES, FieldKind, FieldSpec, MessageLayout

if TYPE_CHECKING:
    from ._base import Message

__all__ = [
    "ENCODE_FAILURES",
    "check_value",
    "decode_slow",
    "describe",
    "encode_slow",
    "raise_decode_problem",
    "raise_length_problem",
]

#: Exceptions that ``struct.pack`` and the text caches raise for bad values.
ENCODE_FAILURES = (
    struct.error,
    OverflowError,
    TypeError,
    ValueError,  # includes UnicodeEncodeError and TextRejected
    AttributeError,
)


def describe(layout: MessageLayout) -> str:
    return f"{layout.name} ({layout.type_char!r})"


def _header(frame: bytes | bytearray | memoryview) -> tuple[str, int]:
    """Type char and declared length of a buffer of at least 4 bytes."""
    return chr(frame[0]), frame[2] | frame[3] << 8


def raise_length_problem(layout: MessageLayout, frame: bytes | bytearray | memoryview) -> NoReturn:
    """Explain why ``frame`` does not have the fixed length of ``layout``."""
    size = len(frame)
    if size < 4:
        raise IncompleteFrameError(4, size)
    _, declared = _header(frame)
    if declared < 4:
        raise FrameLengthError(declared, 0)
    if size < declared:
        raise IncompleteFrameError(declared, size)
    if size > declared:
        raise WrongLengthError(
            layout.type_char,
            declared,
            size,
            f"{describe(layout)}: header declares {declared} bytes but the buffer holds {size}"
            " (decode takes exactly one frame)",
        )
    raise WrongLengthError(
        layout.type_char,
        layout.length,
        declared,
        f"{describe(layout)}: expected length {layout.length}, got {declared}",
    )


def check_value(layout: MessageLayout, spec: FieldSpec, value: object) -> None:
    """Raise the WireError explaining why ``value`` cannot go into ``spec``."""
    where = f"{layout.name}.{spec.name}"
    if spec.kind is FieldKind.TEXT:
        if not isinstance(value, str):
            raise ValueOutOfRangeError(where, f"expected text, got {type(value).__name__}")
        if not value.isascii() or "\0" in value:
            raise BadTextError(where, layout.type_char, f"text {value!r} is not NUL-free ASCII")
        if len(value) > spec.width:
            raise TextTooLongError(where, spec.width, value)
    elif spec.kind is FieldKind.INT:
        if not isinstance(value, int):
            raise ValueOutOfRangeError(where, f"expected an integer, got {type(value).__name__}")
        low, high = INT_RANGES[spec.code]
        if not low <= value <= high:
            raise ValueOutOfRangeError(
                where, f"{value} is outside {low}..{high} (struct code {spec.code!r})"
            )
    else:
        if not isinstance(value, (int, float)):
            raise ValueOutOfRangeError(where, f"expected a number, got {type(value).__name__}")
        try:
            struct.pack("<" + spec.code, value)
        except (OverflowError, struct.error) as exc:
            raise ValueOutOfRangeError(
                where, f"{value!r} does not fit {'binary16' if spec.code == 'e' else 'binary64'}"
            ) from exc


def _raise_encode_problem(msg: Message) -> NoReturn:
    layout = msg.LAYOUT
    for spec in layout.body_fields:
        check_value(layout, spec, getattr(msg, spec.name))
    raise ValueOutOfRangeError(describe(layout), "cannot be encoded")  # pragma: no cover


def decode_slow(cls: type[Message], frame: bytes | bytearray | memoryview) -> Message:
    """Generic decode: the generated fast path's fallback (cache miss or any problem).

    Checks the length, names the field of non-ASCII text and fills the text
    caches so that the next frame with the same texts takes the fast path.
    """
    layout = cls.LAYOUT
    if len(frame) != layout.length:
        raise_length_problem(layout, frame)
    values = cls.STRUCT.unpack(frame)
    if values[2] != layout.length:
        raise_length_problem(layout, frame)
    msg = object.__new__(cls)
    for spec, raw in zip(layout.fields, values, strict=True):
        if spec.name in ("type_char", "length"):
            continue
        if spec.kind is FieldKind.TEXT:
            try:
                raw = text_of(raw)
            except UnicodeDecodeError:
                text = raw.split(b"\0", 1)[0]
                raise BadTextError(
                    spec.name, layout.type_char, f"non-ASCII text {text!r}"
                ) from None
        setattr(msg, spec.name, raw)
    for widths, positions in cls._TEXT_RUNS:
        decode_run(widths, tuple(values[i] for i in positions))
    return msg


def encode_slow(msg: Message) -> bytes:
    """Generic encode: the generated fast path's fallback (cache miss or bad value)."""
    layout = msg.LAYOUT
    try:
        args: list[Any] = []
        for spec in layout.fields:
            if spec.name == "type_char":
                args.append(layout.type_char.encode("ascii"))
            elif spec.name == "length":
                args.append(layout.length)
            elif spec.kind is FieldKind.TEXT:
                args.append(text_bytes(spec.width, getattr(msg, spec.name)))
            else:
                args.append(getattr(msg, spec.name))
        return msg.STRUCT.pack(*args)
    except ENCODE_FAILURES:
        _raise_encode_problem(msg)


def raise_decode_problem(frame: bytes | bytearray | memoryview) -> NoReturn:
    try:
        size = len(frame)
        if size < 4:
            raise IncompleteFrameError(4, size)
        type_char, declared = _header(frame)
    except (TypeError, ValueError):
        raise WireError(f"cannot decode a {type(frame).__name__}, need bytes") from None
    if declared < 4:
        raise FrameLengthError(declared, 0)
    raise UnknownMessageTypeError(type_char, declared)
