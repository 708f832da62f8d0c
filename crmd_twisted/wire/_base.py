"""The base class of the CRMD messages, its metaclass and the :func:`decode` dispatch.

Each message class (see :mod:`.messages`) names its
:class:`~crmd_twisted.wire.layout.MessageLayout` in ``LAYOUT``; the metaclass
gives it ``__slots__`` for the fields, class constants and a docstring from
the layout, has :mod:`._codegen` compile its hot paths, and enters its decoder
in the table :func:`decode` dispatches on by the frame's first byte.

Instances use ``__slots__`` (attribute reads and writes are plain slot
accesses) and are mutable.  ``type_char`` and ``length`` are class
attributes (read-only through an instance); the header byte ``reserved`` is
an ordinary field so that a decoded frame re-encodes to the same bytes.

Enumerated fields hold plain ``int`` (or one-character ``str``) values, so an
unknown value never breaks decoding; IntEnum members are accepted anywhere an
int is.  Non-ASCII text is reported as :class:`BadTextError` both on decode
and on encode.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

from ._checks import raise_decode_problem
from ._codegen import generate
from .errors import UnknownFieldError, WrongMessageTypeError
from .layout import FieldSpec, MessageLayout

__all__ = ["Message", "decode"]

_M = TypeVar("_M", bound="Message")

_Decoder = Callable[[bytes | bytearray | memoryview], "Message"]


def _unknown_type(frame: bytes | bytearray | memoryview) -> NoReturn:
    raise_decode_problem(frame)


#: First byte of a frame -> decoder of its class (or the unknown-type error);
#: each message class enters itself when it is created.
_DECODERS: list[_Decoder] = [_unknown_type] * 256


def _docstring(layout: MessageLayout, extra: str | None) -> str:
    rows = "\n".join(
        f"    ``{f.name}``  {f.code}  ({f.kind})"
        for f in layout.fields
        if not _is_repeat(f, layout)
    )
    groups = "\n".join(
        f"    repeated {g.count}x as ``{g.prefix}1_*`` .. ``{g.prefix}{g.count}_*``: "
        + ", ".join(f"{f.name} {f.code}" for f in g.fields)
        for g in layout.groups
    )
    text = (
        f"``{layout.name}`` - type ``{layout.type_char!r}``, {layout.length} bytes "
        f"({layout.doc_name}).\n\n{layout.summary}\n\n"
        f"Struct format ``{layout.struct_format}``; fields in wire order::\n\n{rows}\n"
    )
    if groups:
        text += groups + "\n"
    if extra:
        text += "\n" + extra.strip() + "\n"
    return text


def _is_repeat(spec: FieldSpec, layout: MessageLayout) -> bool:
    return any(spec.name.startswith(g.prefix) and spec.name[len(g.prefix)].isdigit()
               for g in layout.groups)


class _MessageMeta(type):
    """Builds slots and the generated methods from the class's ``LAYOUT``."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> _MessageMeta:
        layout = namespace.get("LAYOUT")
        if isinstance(layout, MessageLayout):
            slots = tuple(f.name for f in layout.body_fields)
            namespace["__slots__"] = slots
            namespace.update(
                TYPE_CHAR=layout.type_char,
                LENGTH=layout.length,
                NAME=layout.name,
                FIELD_NAMES=layout.field_names,
                STRUCT=struct.Struct(layout.struct_format),
                type_char=layout.type_char,
                length=layout.length,
                _SLOT_SET=frozenset(slots),
                SEQ_FIELD=layout.seq_field,
            )
            namespace["__doc__"] = _docstring(layout, namespace.get("__doc__"))
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        if isinstance(layout, MessageLayout):
            generate(cls, layout)  # type: ignore[arg-type]
            _DECODERS[ord(layout.type_char)] = cls._decode_frame  # type: ignore[attr-defined]
        return cls


class Message(metaclass=_MessageMeta):
    """Base class of every CRMD message (see the subclasses for layouts)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable

    LAYOUT: ClassVar[MessageLayout]
    #: The header's type char and frame length (class attributes, read-only on instances).
    type_char: ClassVar[str]
    length: ClassVar[int]
    TYPE_CHAR: ClassVar[str]
    LENGTH: ClassVar[int]
    NAME: ClassVar[str]
    FIELD_NAMES: ClassVar[tuple[str, ...]]
    STRUCT: ClassVar[struct.Struct]
    _SLOT_SET: ClassVar[frozenset[str]]
    #: The sequence number field (``msg_seq_num``; ``last_seq_num`` in ClientLogon) or None
    #: for the two messages without one (ThreeLevelData, FiveLevelData).
    SEQ_FIELD: ClassVar[str | None]
    #: (field widths, indexes in ``LAYOUT.fields``) of each run of adjacent wide text fields.
    _TEXT_RUNS: ClassVar[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]]
    _decode_frame: ClassVar[Callable[[bytes | bytearray | memoryview], Message]]

    if TYPE_CHECKING:
        # Each class gets a generated keyword-only ``__init__`` (typed per class in
        # ``messages.pyi``, like the field attributes).
        def __init__(self, **fields: Any) -> None: ...

    def encode(self) -> bytes:
        """The frame's bytes (raises a :class:`WireError` for a bad value)."""
        raise NotImplementedError

    def encode_seq(self, seq: int) -> bytes:
        """The frame's bytes with :attr:`SEQ_FIELD` set to ``seq``; ``self`` is not changed.

        As fast as :meth:`encode` and equal to ``self.replace(<SEQ_FIELD>=seq).encode()``.
        Only classes with a sequence field have it: ThreeLevelData and FiveLevelData carry
        no sequence number, and this raises :class:`UnknownFieldError` for them.
        """
        raise UnknownFieldError(f"{self.NAME} ({self.TYPE_CHAR!r})", "msg_seq_num")

    def to_fields(self) -> dict[str, Any]:
        """Flat ``{field: value}`` in wire order, header included (the vectors' form)."""
        raise NotImplementedError

    def values(self) -> tuple[Any, ...]:
        """The field values (header excluded) in wire order."""
        raise NotImplementedError

    def replace(self: _M, **changes: Any) -> _M:
        """A copy with some fields changed (cheap: one slot copy per field)."""
        raise NotImplementedError

    @classmethod
    def decode(cls: type[_M], frame: bytes | bytearray | memoryview) -> _M:
        """Decode one complete frame that must be of this class."""
        msg = decode(frame)
        if not isinstance(msg, cls):
            raise WrongMessageTypeError(cls.NAME, cls.TYPE_CHAR, msg.TYPE_CHAR)
        return msg

    @classmethod
    def from_fields(cls: type[_M], fields: Mapping[str, Any]) -> _M:
        """Build a message from a flat field mapping (the inverse of :meth:`to_fields`)."""
        for key in fields:
            if key not in cls._SLOT_SET and key not in ("type_char", "length"):
                cls._bad_field(key)
        return cls(**fields)

    @classmethod
    def _bad_field(cls, name: str) -> NoReturn:
        raise UnknownFieldError(f"{cls.NAME} ({cls.TYPE_CHAR!r})", name)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Message)
        return self.values() == other.values()

    def __repr__(self) -> str:
        parts = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in self.LAYOUT.body_fields
            if getattr(self, f.name) != f.default or f.name == "message_type"
        ]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __copy__(self: _M) -> _M:
        return self.replace()

    def group(self, prefix: str) -> tuple[tuple[Any, ...], ...]:
        """The values of a repeated group (``"level"``, ``"entry"``, ``"sub"``) per occurrence."""
        for g in self.LAYOUT.groups:
            if g.prefix == prefix:
                return tuple(
                    tuple(getattr(self, f"{prefix}{n}_{f.name}") for f in g.fields)
                    for n in range(1, g.count + 1)
                )
        raise UnknownFieldError(self.NAME, prefix)


def decode(frame: bytes | bytearray | memoryview) -> Message:
    """Decode exactly one complete frame; raises only :class:`WireError`."""
    # The generated decoders raise only WireError for bytes-like input, so
    # these two come from the lookup (empty buffer) or from a non-buffer.
    try:
        return _DECODERS[frame[0]](frame)
    except (IndexError, TypeError):
        raise_decode_problem(frame)
