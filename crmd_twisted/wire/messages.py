"""Message classes of the CRMD protocol, generated from :mod:`.layout`.

Each of the 17 classes is declared in one line; the metaclass reads its
:class:`~crmd_twisted.wire.layout.MessageLayout` and compiles, with
``exec``, straight-line Python for the hot paths:

* ``_decode_frame(frame)`` - one ``struct.unpack``, one slot store per field,
  text via the shared decode cache; no loops, no ``isinstance``, no dicts;
* ``encode()`` - one ``struct.pack`` call with every slot read in place;
* ``__init__``, ``replace``, ``to_fields`` and ``__eq__``.

Only the error paths run generic, per-field code, to tell the caller which
field is wrong.  Instances use ``__slots__`` and are mutable.  ``type_char``
and ``length`` are class attributes (read-only through an instance); the
header byte ``reserved`` is an ordinary field so that a decoded frame
re-encodes to the same bytes.

Enumerated fields hold plain ``int`` (or one-character ``str``) values, so an
unknown value never breaks decoding; IntEnum members are accepted anywhere an
int is.  Non-ASCII text is reported as :class:`BadTextError` both on decode
and on encode.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, NoReturn, TypeVar

from .enums import ATTRIBUTE_COUNT, Attribute
from ._text import decode_cache, encode_cache
from .errors import (
    BadTextError,
    FrameLengthError,
    IncompleteFrameError,
    TextTooLongError,
    UnknownFieldError,
    UnknownMessageTypeError,
    ValueOutOfRangeError,
    WireError,
    WrongLengthError,
    WrongMessageTypeError,
)
from .layout import INT_RANGES, LAYOUTS, FieldKind, FieldSpec, MessageLayout

__all__ = [
    "MESSAGES_BY_NAME",
    "MESSAGE_TYPES",
    "ClientLogon",
    "CollateralData",
    "CollateralRequest",
    "Entry",
    "FiveLevelData",
    "InstrumentRequest",
    "InstrumentResponse",
    "Level",
    "MdExecReport",
    "MdSubscribe",
    "Message",
    "OpenOrderRequest",
    "RiskUpdateRequest",
    "RiskUserSymbol",
    "Subscription",
    "TenLevelData",
    "ThirtyLevelData",
    "ThreeLevelData",
    "TopOfBook",
    "Transaction",
    "TwentyLevelData",
    "decode",
    "message_class",
]

_M = TypeVar("_M", bound="Message")

#: Exceptions that ``struct.pack`` and the text caches raise for bad values.
_ENCODE_FAILURES = (
    struct.error,
    OverflowError,
    TypeError,
    ValueError,  # includes UnicodeEncodeError and TextRejected
    AttributeError,
)


def _describe(layout: MessageLayout) -> str:
    return f"{layout.name} ({layout.type_char!r})"


def _header(frame: bytes | bytearray | memoryview) -> tuple[str, int]:
    """Type char and declared length of a buffer of at least 4 bytes."""
    return chr(frame[0]), frame[2] | frame[3] << 8


def _raise_length_problem(layout: MessageLayout, frame: bytes | bytearray | memoryview) -> NoReturn:
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
            f"{_describe(layout)}: header declares {declared} bytes but the buffer holds {size}"
            " (decode takes exactly one frame)",
        )
    raise WrongLengthError(
        layout.type_char,
        layout.length,
        declared,
        f"{_describe(layout)}: expected length {layout.length}, got {declared}",
    )


def _raise_bad_text(layout: MessageLayout, frame: bytes | bytearray | memoryview) -> NoReturn:
    values = struct.unpack(layout.struct_format, frame)
    for spec, raw in zip(layout.fields, values, strict=True):
        if spec.kind is FieldKind.TEXT:
            text = raw.split(b"\0", 1)[0]
            if not text.isascii():
                raise BadTextError(spec.name, layout.type_char, f"non-ASCII text {text!r}")
    raise BadTextError("?", layout.type_char)  # pragma: no cover - unreachable


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
    raise ValueOutOfRangeError(_describe(layout), "cannot be encoded")  # pragma: no cover


# --------------------------------------------------------------------------- code generation


def _compile(name: str, source: str, namespace: dict[str, Any]) -> Any:
    exec(compile(source, f"<crmd_twisted.wire generated {name}>", "exec"), namespace)
    return namespace[name]


def _generate(cls: type[Message], layout: MessageLayout) -> None:
    body = layout.body_fields
    names = [f.name for f in body]
    ns: dict[str, Any] = {
        "_unpack": struct.Struct(layout.struct_format).unpack,
        "_pack": struct.Struct(layout.struct_format).pack,
        "_new": object.__new__,
        "_cls": cls,
        "_L": layout.length,
        "_TC": layout.type_char,
        "_TCB": layout.type_char.encode("ascii"),
        "_T": decode_cache,
        "_length_problem": _raise_length_problem,
        "_bad_text": _raise_bad_text,
        "_encode_problem": _raise_encode_problem,
        "_FAIL": _ENCODE_FAILURES,
        "_layout": layout,
        "_WrongLength": WrongLengthError,
        "_WrongType": WrongMessageTypeError,
        "_desc": _describe(layout),
    }
    widths = sorted({f.width for f in body if f.kind is FieldKind.TEXT})
    for w in widths:
        ns[f"_E{w}"] = encode_cache(w)

    # decode
    unpacked = ", ".join("_tc" if f.name == "type_char" else f.name for f in layout.fields)
    lines = [
        "def _decode_frame(frame):",
        "    if len(frame) != _L:",
        "        _length_problem(_layout, frame)",
        "    try:",
        f"        ({unpacked},) = _unpack(frame)",
        "        if length != _L:",
        "            _length_problem(_layout, frame)",
        "        o = _new(_cls)",
    ]
    for f in body:
        value = f"_T[{f.name}]" if f.kind is FieldKind.TEXT else f.name
        lines.append(f"        o.{f.name} = {value}")
    lines += [
        "    except UnicodeDecodeError:",
        "        _bad_text(_layout, frame)",
        "    return o",
    ]
    cls._decode_frame = staticmethod(_compile("_decode_frame", "\n".join(lines), ns))

    # encode
    args = []
    for f in layout.fields:
        if f.name == "type_char":
            args.append("_TCB")
        elif f.name == "length":
            args.append("_L")
        elif f.kind is FieldKind.TEXT:
            args.append(f"_E{f.width}[self.{f.name}]")
        else:
            args.append(f"self.{f.name}")
    src = (
        "def encode(self):\n"
        "    try:\n"
        f"        return _pack({', '.join(args)})\n"
        "    except _FAIL:\n"
        "        _encode_problem(self)\n"
    )
    cls.encode = _compile("encode", src, ns)  # type: ignore[method-assign]

    # __init__
    params = ", ".join(f"{f.name}={f.default!r}" for f in body)
    lines = [
        f"def __init__(self, *, type_char=None, length=None, {params}):",
        "    if type_char is not None and type_char != _TC:",
        "        raise _WrongType(_layout.name, _TC, type_char)",
        "    if length is not None and length != _L:",
        "        raise _WrongLength(",
        "            _TC, _L, length, f'{_desc}: expected length {_L}, got {length}')",
    ]
    lines += [f"    self.{n} = {n}" for n in names]
    cls.__init__ = _compile("__init__", "\n".join(lines), ns)  # type: ignore[method-assign]

    # replace
    lines = ["def replace(self, **changes):", "    o = _new(_cls)"]
    lines += [f"    o.{n} = self.{n}" for n in names]
    lines += [
        "    for k, v in changes.items():",
        "        if k not in _cls._SLOT_SET:",
        "            _cls._bad_field(k)",
        "        setattr(o, k, v)",
        "    return o",
    ]
    cls.replace = _compile("replace", "\n".join(lines), ns)  # type: ignore[method-assign]

    # to_fields
    items = []
    for f in layout.fields:
        src_value = {"type_char": "_TC", "length": "_L"}.get(f.name, f"self.{f.name}")
        items.append(f"{f.name!r}: {src_value}")
    src = "def to_fields(self):\n    return {" + ", ".join(items) + "}\n"
    cls.to_fields = _compile("to_fields", src, ns)  # type: ignore[method-assign]

    # values / __eq__
    src = "def values(self):\n    return (" + "".join(f"self.{n}, " for n in names) + ")\n"
    cls.values = _compile("values", src, ns)  # type: ignore[method-assign]


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
            )
            namespace["__doc__"] = _docstring(layout, namespace.get("__doc__"))
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        if isinstance(layout, MessageLayout):
            _generate(cls, layout)  # type: ignore[arg-type]
        return cls


class Message(metaclass=_MessageMeta):
    """Base class of every CRMD message (see the subclasses for layouts)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable

    LAYOUT: ClassVar[MessageLayout]
    TYPE_CHAR: ClassVar[str]
    LENGTH: ClassVar[int]
    NAME: ClassVar[str]
    FIELD_NAMES: ClassVar[tuple[str, ...]]
    STRUCT: ClassVar[struct.Struct]
    _SLOT_SET: ClassVar[frozenset[str]]
    _decode_frame: ClassVar[Callable[[bytes | bytearray | memoryview], Message]]

    if TYPE_CHECKING:
        # Field attributes are generated; let type checkers accept them.
        def __init__(self, **fields: Any) -> None: ...
        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...

    def encode(self) -> bytes:
        """The frame's bytes (raises a :class:`WireError` for a bad value)."""
        raise NotImplementedError

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


class Level(NamedTuple):
    """One price level of ``three_level_data`` / ``five_level_data``."""

    buy_price: float
    buy_volume: float
    buy_orders: int
    sell_price: float
    sell_volume: float
    sell_orders: int


class Entry(NamedTuple):
    """One entry of the deep-book messages."""

    price: float
    volume: float
    side: int


class Subscription(NamedTuple):
    """One slot of ``md_subscribe``."""

    symbol_enum: int
    symbol: str
    symbol_type: int
    layers: int
    action: str


def _split_address(text: str) -> tuple[str, int] | None:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    return host, int(port)


class ClientLogon(Message):
    """The ``*_address`` properties parse "host:port" (None if empty or malformed)."""

    LAYOUT = LAYOUTS["client_logon"]

    @property
    def primary_oes(self) -> tuple[str, int] | None:
        return _split_address(self.primary_oes_address)

    @property
    def secondary_oes(self) -> tuple[str, int] | None:
        return _split_address(self.secondary_oes_address)

    @property
    def primary_mds(self) -> tuple[str, int] | None:
        return _split_address(self.primary_mds_address)

    @property
    def secondary_mds(self) -> tuple[str, int] | None:
        return _split_address(self.secondary_mds_address)


class InstrumentRequest(Message):
    LAYOUT = LAYOUTS["instrument_request"]


class InstrumentResponse(Message):
    """``price_increment``, ``min_size`` and ``max_size`` are binary16: encoding rounds them."""

    LAYOUT = LAYOUTS["instrument_response"]


class RiskUpdateRequest(Message):
    LAYOUT = LAYOUTS["risk_update_request"]


class RiskUserSymbol(Message):
    LAYOUT = LAYOUTS["risk_user_symbol"]


class OpenOrderRequest(Message):
    LAYOUT = LAYOUTS["open_order_request"]


class CollateralRequest(Message):
    LAYOUT = LAYOUTS["collateral_request"]


class CollateralData(Message):
    LAYOUT = LAYOUTS["collateral_data"]


class Transaction(Message):
    """``attributes`` is 12 'Y'/'N' flags indexed by :class:`~.enums.Attribute`."""

    LAYOUT = LAYOUTS["transaction"]

    def attribute_set(self, attribute: Attribute | int) -> bool:
        """True if the flag at position ``attribute`` is 'Y'."""
        flags: str = self.attributes
        return len(flags) > attribute and flags[attribute] == "Y"

    def with_attributes(self, *attributes: Attribute | int) -> Transaction:
        """A copy whose attributes field has exactly ``attributes`` set."""
        flags = ["N"] * ATTRIBUTE_COUNT
        for a in attributes:
            flags[a] = "Y"
        return self.replace(attributes="".join(flags))


class MdSubscribe(Message):
    LAYOUT = LAYOUTS["md_subscribe"]

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(Subscription(*v) for v in self.group("sub"))


class MdExecReport(Message):
    LAYOUT = LAYOUTS["md_exec_report"]


class TopOfBook(Message):
    LAYOUT = LAYOUTS["top_of_book"]


class _Levels(Message):
    __slots__ = ()

    @property
    def levels(self) -> tuple[Level, ...]:
        return tuple(Level(*v) for v in self.group("level"))


class _Entries(Message):
    __slots__ = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(Entry(*v) for v in self.group("entry"))


class ThreeLevelData(_Levels):
    LAYOUT = LAYOUTS["three_level_data"]


class FiveLevelData(_Levels):
    LAYOUT = LAYOUTS["five_level_data"]


class TenLevelData(_Entries):
    LAYOUT = LAYOUTS["ten_level_data"]


class TwentyLevelData(_Entries):
    LAYOUT = LAYOUTS["twenty_level_data"]


class ThirtyLevelData(_Entries):
    LAYOUT = LAYOUTS["thirty_level_data"]


_CLASSES: tuple[type[Message], ...] = (
    ClientLogon, InstrumentRequest, InstrumentResponse, RiskUpdateRequest, RiskUserSymbol,
    OpenOrderRequest, CollateralRequest, CollateralData, Transaction, MdSubscribe, MdExecReport,
    TopOfBook, ThreeLevelData, FiveLevelData, TenLevelData, TwentyLevelData, ThirtyLevelData,
)

#: Type character -> message class.
MESSAGE_TYPES: Mapping[str, type[Message]] = MappingProxyType({c.TYPE_CHAR: c for c in _CLASSES})
#: Canonical name -> message class.
MESSAGES_BY_NAME: Mapping[str, type[Message]] = MappingProxyType({c.NAME: c for c in _CLASSES})
_DECODERS: dict[int, Callable[[bytes | bytearray | memoryview], Message]] = {
    ord(c.TYPE_CHAR): c._decode_frame for c in _CLASSES
}


def message_class(name_or_char: str) -> type[Message]:
    """Look a class up by type char ("T"), canonical name ("transaction") or class name."""
    cls = MESSAGE_TYPES.get(name_or_char) or MESSAGES_BY_NAME.get(name_or_char)
    if cls is None:
        for c in _CLASSES:
            if c.__name__ == name_or_char:
                return c
        raise UnknownMessageTypeError(name_or_char, 0)
    return cls


def _raise_decode_problem(frame: bytes | bytearray | memoryview) -> NoReturn:
    try:
        size = len(frame)
    except TypeError:
        raise WireError(f"cannot decode a {type(frame).__name__}, need bytes") from None
    if size < 4:
        raise IncompleteFrameError(4, size)
    type_char, declared = _header(frame)
    if declared < 4:
        raise FrameLengthError(declared, 0)
    raise UnknownMessageTypeError(type_char, declared)


def decode(frame: bytes | bytearray | memoryview) -> Message:
    """Decode exactly one complete frame; raises only :class:`WireError`."""
    # The generated decoders raise only WireError, so these three can only
    # come from the lookup: empty buffer, unknown type byte, not bytes.
    try:
        return _DECODERS[frame[0]](frame)
    except (KeyError, IndexError, TypeError):
        _raise_decode_problem(frame)

