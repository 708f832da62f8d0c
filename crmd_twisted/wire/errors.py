"""Exceptions of the wire codec.

Every failure of :func:`crmd_twisted.wire.decode`, of ``Message.encode`` and
of :class:`crmd_twisted.wire.FrameBuffer` is a :class:`WireError`, so a
receiver needs exactly one ``except`` clause to survive hostile input.  The
subclasses tell the failure classes apart and carry the details as
attributes; their messages name the message type and the field involved.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BadTextError",
    "FrameLengthError",
    "IncompleteFrameError",
    "TextTooLongError",
    "UnknownFieldError",
    "UnknownMessageTypeError",
    "ValueOutOfRangeError",
    "WireError",
    "WrongLengthError",
    "WrongMessageTypeError",
]


class WireError(Exception):
    """Base class of every codec error."""


class FrameLengthError(WireError):
    """A header declares a length below 4: the stream cannot be resynchronised."""

    def __init__(
        self, length: int, offset: int | None = None, frames: Sequence[bytes] = ()
    ) -> None:
        self.length = length
        self.offset = offset
        #: Complete frames that came before the bad header in the same ``feed`` call.
        self.frames = list(frames)
        where = f"offset {offset}: " if offset is not None else ""
        super().__init__(
            f"{where}header declares frame length {length} (< 4);"
            " the stream cannot be resynchronised"
        )


class IncompleteFrameError(WireError):
    """``decode`` was given fewer bytes than one whole frame."""

    def __init__(self, needed: int, available: int) -> None:
        self.needed = needed
        self.available = available
        self.missing = needed - available
        super().__init__(
            f"incomplete frame: need {needed} bytes, have {available} ({self.missing} missing)"
        )


class UnknownMessageTypeError(WireError):
    """The type character names no known message."""

    def __init__(self, type_char: str, length: int) -> None:
        self.type_char = type_char
        self.length = length
        super().__init__(f"unknown message type {type_char!r} (length {length})")


class WrongLengthError(WireError):
    """A length disagrees: header vs. fixed size of the type, or buffer vs. header."""

    def __init__(self, type_char: str, expected: int, actual: int, what: str = "") -> None:
        self.type_char = type_char
        self.expected = expected
        self.actual = actual
        super().__init__(what or f"{type_char!r}: expected length {expected}, got {actual}")


class WrongMessageTypeError(WireError):
    """``from_fields`` was given a ``type_char`` of another message."""

    def __init__(self, message: str, expected: str, actual: object) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"{message} ({expected!r}): type_char is {actual!r}")


class UnknownFieldError(WireError):
    """A field name that the message does not have."""

    def __init__(self, message: str, field: str) -> None:
        self.field = field
        super().__init__(f"{message}: no field named {field!r}")


class BadTextError(WireError):
    """A text field holds non-ASCII (or, on encode, NUL) characters."""

    def __init__(self, field: str, type_char: str, detail: str = "non-ASCII text") -> None:
        self.field = field
        self.type_char = type_char
        super().__init__(f"{type_char!r} field {field}: {detail}")


class TextTooLongError(WireError):
    """Text longer than its field (the reference would silently truncate it)."""

    def __init__(self, field: str, max_length: int, value: str) -> None:
        self.field = field
        self.max_length = max_length
        self.value = value
        super().__init__(
            f"field {field}: text {value!r} is {len(value)} characters, at most {max_length} fit"
        )


class ValueOutOfRangeError(WireError):
    """A value that its field's wire type cannot hold (or of the wrong type)."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(f"field {field}: {detail}")
