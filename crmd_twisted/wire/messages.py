"""Message classes of the CRMD protocol, generated from :mod:`.layout`.

Each of the 17 classes is declared in one line; the metaclass reads its
:class:`~crmd_twisted.wire.layout.MessageLayout` and compiles, with
``exec``, straight-line Python for the hot paths:

* ``_decode_frame(frame)`` - one ``struct.unpack`` straight into the slots
  (no intermediate locals), with a decode struct that skips the type char,
  reads one-byte text as an unsigned byte (converted by a tuple index) and
  each run of adjacent text fields as one ``bytes`` (converted by one lookup
  in the run's cache); no loops, no ``isinstance``;
* ``encode()`` - one ``struct.pack`` call per 30 fields with every slot read
  in place and text through plain-``dict`` caches;
* ``__init__``, ``replace``, ``to_fields`` and ``values``/``__eq__``.

A cache miss, a bad value or a malformed frame leaves the fast path for a
generic, per-field slow path (:func:`_decode_slow`, :func:`_encode_slow`)
that does the validation, fills the caches and names the wrong field.
Tuple displays and calls stay at most 30 items wide because CPython
compiles longer ones into a slow list-building loop.

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
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, NoReturn, TypeVar

from crmd_twisted.address import parse_address_or_none

from .enums import ATTRIBUTE_COUNT, Attribute
from ._text import CHARS, decode_run, encode_cache, run_cache, text_bytes, text_of
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


# --------------------------------------------------------------------------- slow paths


def _decode_slow(cls: type[Message], frame: bytes | bytearray | memoryview) -> Message:
    """Generic decode: the generated fast path's fallback (cache miss or any problem).

    Checks the length, names the field of non-ASCII text and fills the text
    caches so that the next frame with the same texts takes the fast path.
    """
    layout = cls.LAYOUT
    if len(frame) != layout.length:
        _raise_length_problem(layout, frame)
    values = cls.STRUCT.unpack(frame)
    if values[2] != layout.length:
        _raise_length_problem(layout, frame)
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


def _encode_slow(msg: Message) -> bytes:
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
    except _ENCODE_FAILURES:
        _raise_encode_problem(msg)


# --------------------------------------------------------------------------- code generation


#: CPython compiles a tuple display or call of more than 30 items into a much
#: slower list-building loop; wider ones are generated in chunks.
_STACK_ITEMS = 30


def _tuple_source(items: list[str]) -> str:
    """Source of a tuple expression of ``items`` that stays on the fast path."""
    chunks = [items[i : i + _STACK_ITEMS] for i in range(0, len(items), _STACK_ITEMS)]
    return " + ".join(f"({', '.join(chunk)},)" for chunk in chunks)


def _compile(name: str, source: str, namespace: dict[str, Any]) -> Any:
    exec(compile(source, f"<crmd_twisted.wire generated {name}>", "exec"), namespace)
    return namespace[name]


def _text_runs(layout: MessageLayout) -> list[tuple[int, int]]:
    """(start, stop) indexes in ``layout.fields`` of each run of adjacent wide text fields."""
    runs = []
    fields = layout.fields
    i = 0
    while i < len(fields):
        j = i
        while j < len(fields) and fields[j].kind is FieldKind.TEXT and fields[j].width > 1:
            j += 1
        if j > i:
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _decode_source(cls: type[Message], layout: MessageLayout, ns: dict[str, Any]) -> str:
    """``_decode_frame``: one unpack straight into the slots, text via the caches.

    The decode struct differs from ``STRUCT`` only in how it groups the bytes:
    the type char is skipped (the dispatch already read it), one-byte text is
    read as an unsigned byte and each run of adjacent wide text fields as one
    ``bytes`` object, so ``struct`` creates fewer objects and each run costs
    one cache lookup.  A cache miss, non-ASCII text or a wrong length leaves
    the fast path for :func:`_decode_slow`.
    """
    fields = layout.fields
    runs = dict(_text_runs(layout))
    codes: list[str] = []
    targets: list[str] = []
    post: list[str] = []
    i = n_runs = 0
    while i < len(fields):
        f = fields[i]
        if f.name == "type_char":
            codes.append("x")
        elif f.name == "length":
            codes.append(f.code)
            targets.append("length")
        elif i in runs:
            stop = runs[i]
            run = fields[i:stop]
            widths = tuple(r.width for r in run)
            cache = f"_R{n_runs}"
            n_runs += 1
            ns[cache] = run_cache(widths)
            codes.append(f"{sum(widths)}s")
            targets.append(f"_r{i}")
            slots = ", ".join(f"o.{r.name}" for r in run)
            post.append(f"({slots},) = {cache}[_r{i}]" if len(run) > 1
                        else f"{slots} = {cache}[_r{i}]")
            i = stop
            continue
        elif f.kind is FieldKind.TEXT:  # one byte wide
            codes.append("B")
            targets.append(f"_c{i}")
            post.append(f"o.{f.name} = _C[_c{i}]")
        else:
            codes.append(f.code)
            targets.append(f"o.{f.name}")
        i += 1
    decoder = struct.Struct("<" + "".join(codes))
    assert decoder.size == layout.length, layout.name
    ns.update(
        _unpack=decoder.unpack,
        _C=CHARS,
        _length_problem=_raise_length_problem,
        _decode_slow=_decode_slow,
        _DECODE_MISS=(struct.error, KeyError, IndexError),
    )
    lines = [
        "def _decode_frame(frame):",
        "    o = _new(_cls)",
        "    try:",
        f"        ({', '.join(targets)},) = _unpack(frame)",
        "        if length != _L:",
        "            _length_problem(_layout, frame)",
        *(f"        {line}" for line in post),
        "    except _DECODE_MISS:",
        "        return _decode_slow(_cls, frame)",
        "    return o",
    ]
    return "\n".join(lines)


def _generate(cls: type[Message], layout: MessageLayout) -> None:
    body = layout.body_fields
    names = [f.name for f in body]
    ns: dict[str, Any] = {
        "_new": object.__new__,
        "_cls": cls,
        "_L": layout.length,
        "_TC": layout.type_char,
        "_TCB": layout.type_char.encode("ascii"),
        "_encode_slow": _encode_slow,
        "_FAIL": (*_ENCODE_FAILURES, KeyError),
        "_layout": layout,
        "_WrongLength": WrongLengthError,
        "_WrongType": WrongMessageTypeError,
        "_desc": _describe(layout),
    }
    widths = sorted({f.width for f in body if f.kind is FieldKind.TEXT})
    for w in widths:
        ns[f"_E{w}"] = encode_cache(w)

    # decode
    cls._TEXT_RUNS = tuple(
        (tuple(f.width for f in layout.fields[start:stop]), tuple(range(start, stop)))
        for start, stop in _text_runs(layout)
    )
    src = _decode_source(cls, layout, ns)
    cls._decode_frame = staticmethod(_compile("_decode_frame", src, ns))

    # encode: any failure (a cache miss included) goes to the generic slow path
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
    # (one pack call per chunk of at most _STACK_ITEMS fields, joined)
    packs = []
    for start in range(0, len(args), _STACK_ITEMS):
        chunk = layout.fields[start : start + _STACK_ITEMS]
        ns[f"_pack{start}"] = struct.Struct("<" + "".join(f.code for f in chunk)).pack
        packs.append(f"_pack{start}({', '.join(args[start : start + _STACK_ITEMS])})")
    joined = packs[0] if len(packs) == 1 else (
        " + ".join(packs) if len(packs) == 2 else f"b''.join(({', '.join(packs)}))"
    )
    src = (
        "def encode(self):\n"
        "    try:\n"
        f"        return {joined}\n"
        "    except _FAIL:\n"
        "        return _encode_slow(self)\n"
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
    src = "def values(self):\n    return " + _tuple_source([f"self.{n}" for n in names]) + "\n"
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
    #: (field widths, indexes in ``LAYOUT.fields``) of each run of adjacent wide text fields.
    _TEXT_RUNS: ClassVar[tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]]
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


class ClientLogon(Message):
    """The ``*_address`` properties parse "host:port" (None if empty or malformed)."""

    LAYOUT = LAYOUTS["client_logon"]

    @property
    def primary_oes(self) -> tuple[str, int] | None:
        return parse_address_or_none(self.primary_oes_address)

    @property
    def secondary_oes(self) -> tuple[str, int] | None:
        return parse_address_or_none(self.secondary_oes_address)

    @property
    def primary_mds(self) -> tuple[str, int] | None:
        return parse_address_or_none(self.primary_mds_address)

    @property
    def secondary_mds(self) -> tuple[str, int] | None:
        return parse_address_or_none(self.secondary_mds_address)


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
        if size < 4:
            raise IncompleteFrameError(4, size)
        type_char, declared = _header(frame)
    except (TypeError, ValueError):
        raise WireError(f"cannot decode a {type(frame).__name__}, need bytes") from None
    if declared < 4:
        raise FrameLengthError(declared, 0)
    raise UnknownMessageTypeError(type_char, declared)


def _unknown_type(frame: bytes | bytearray | memoryview) -> NoReturn:
    _raise_decode_problem(frame)


_BY_BYTE = {ord(c.TYPE_CHAR): c._decode_frame for c in _CLASSES}
#: First byte of a frame -> decoder of its class (or the unknown-type error).
_DECODERS: tuple[Callable[[bytes | bytearray | memoryview], Message], ...] = tuple(
    _BY_BYTE.get(byte, _unknown_type) for byte in range(256)
)


def decode(frame: bytes | bytearray | memoryview) -> Message:
    """Decode exactly one complete frame; raises only :class:`WireError`."""
    # The generated decoders raise only WireError for bytes-like input, so
    # these two come from the lookup (empty buffer) or from a non-buffer.
    try:
        return _DECODERS[frame[0]](frame)
    except (IndexError, TypeError):
        _raise_decode_problem(frame)
