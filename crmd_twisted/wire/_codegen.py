"""Code generation of the message classes' hot paths from their layout.

:func:`generate` writes, for one class, straight-line Python source of

* ``_decode_frame(frame)`` - one ``struct.unpack`` straight into the slots
  (no intermediate locals), with a decode struct that skips the type char,
  reads one-byte text as an unsigned byte (converted by a tuple index) and
  each run of adjacent text fields as one ``bytes`` (converted by one lookup
  in the run's cache); no loops, no ``isinstance``;
* ``encode()`` - one ``struct.pack`` call per 30 fields with every slot read
  in place and text through plain-``dict`` caches; ``encode_seq(seq)`` is the
  same with ``seq`` packed in place of the sequence field;
* ``__init__``, ``replace``, ``to_fields`` and ``values`` (used by ``__eq__``),

compiles it as one pseudo-file per class, ``<crmd_twisted.wire generated
Transaction>``, and registers that text with :mod:`linecache`, so tracebacks
and :func:`inspect.getsource` show the generated lines.  (A
``linecache.clearcache()`` forgets them; the code keeps working.)

A cache miss, a bad value or a malformed frame leaves the fast path for the
generic slow paths of :mod:`._checks`.  Tuple displays and calls stay at most
30 items wide because CPython compiles longer ones into a slow list-building
loop.
"""

from __future__ import annotations

import linecache
import struct
from typing import TYPE_CHECKING, Any

from ._checks import ENCODE_FAILURES, decode_slow, describe, encode_slow, raise_length_problem
from ._text import CHARS, encode_cache, run_cache
from .errors import WrongLengthError, WrongMessageTypeError
from .layout import FieldKind, MessageLayout

if TYPE_CHECKING:
    from ._base import Message

__all__ = ["generate", "generated_filename", "text_runs"]

#: CPython compiles a tuple display or call of more than 30 items into a much
#: slower list-building loop; wider ones are generated in chunks.
_STACK_ITEMS = 30


def _tuple_source(items: list[str]) -> str:
    """Source of a tuple expression of ``items`` that stays on the fast path."""
    chunks = [items[i : i + _STACK_ITEMS] for i in range(0, len(items), _STACK_ITEMS)]
    return " + ".join(f"({', '.join(chunk)},)" for chunk in chunks)


def text_runs(layout: MessageLayout) -> list[tuple[int, int]]:
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


def _decode_source(layout: MessageLayout, ns: dict[str, Any]) -> str:
    """``_decode_frame``: one unpack straight into the slots, text via the caches.

    The decode struct differs from ``STRUCT`` only in how it groups the bytes:
    the type char is skipped (the dispatch already read it), one-byte text is
    read as an unsigned byte and each run of adjacent wide text fields as one
    ``bytes`` object, so ``struct`` creates fewer objects and each run costs
    one cache lookup.  A cache miss, non-ASCII text or a wrong length leaves
    the fast path for :func:`._checks.decode_slow`.
    """
    fields = layout.fields
    runs = dict(text_runs(layout))
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
        _length_problem=raise_length_problem,
        _decode_slow=decode_slow,
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


def _encode_source(
    layout: MessageLayout, ns: dict[str, Any], seq_field: str | None = None
) -> str:
    """``encode()``, or with ``seq_field`` ``encode_seq(seq)``: one pack per 30 fields.

    ``encode_seq`` packs ``seq`` where ``encode`` reads the slot ``seq_field``
    (the object is not changed); its slow path encodes a changed copy.
    """
    args = []
    for f in layout.fields:
        if f.name == "type_char":
            args.append("_TCB")
        elif f.name == "length":
            args.append("_L")
        elif f.name == seq_field:
            args.append("seq")
        elif f.kind is FieldKind.TEXT:
            args.append(f"_E{f.width}[self.{f.name}]")
        else:
            args.append(f"self.{f.name}")
    packs = []
    for start in range(0, len(args), _STACK_ITEMS):
        chunk = layout.fields[start : start + _STACK_ITEMS]
        ns[f"_pack{start}"] = struct.Struct("<" + "".join(f.code for f in chunk)).pack
        packs.append(f"_pack{start}({', '.join(args[start : start + _STACK_ITEMS])})")
    joined = packs[0] if len(packs) == 1 else (
        " + ".join(packs) if len(packs) == 2 else f"b''.join(({', '.join(packs)}))"
    )
    if seq_field is None:
        head, slow = "def encode(self):", "_encode_slow(self)"
    else:
        head, slow = "def encode_seq(self, seq):", f"_encode_slow(self.replace({seq_field}=seq))"
    return (
        f"{head}\n"
        "    try:\n"
        f"        return {joined}\n"
        "    except _FAIL:\n"
        f"        return {slow}\n"
    )


def _init_source(layout: MessageLayout) -> str:
    params = "".join(f"    {f.name}={f.default!r},\n" for f in layout.body_fields)
    lines = [
        f"def __init__(\n    self, *, type_char=None, length=None,\n{params}):",
        "    if type_char is not None and type_char != _TC:",
        "        raise _WrongType(_layout.name, _TC, type_char)",
        "    if length is not None and length != _L:",
        "        raise _WrongLength(",
        "            _TC, _L, length, f'{_desc}: expected length {_L}, got {length}')",
    ]
    lines += [f"    self.{f.name} = {f.name}" for f in layout.body_fields]
    return "\n".join(lines) + "\n"


def _replace_source(layout: MessageLayout) -> str:
    lines = ["def replace(self, **changes):", "    o = _new(_cls)"]
    lines += [f"    o.{f.name} = self.{f.name}" for f in layout.body_fields]
    lines += [
        "    for k, v in changes.items():",
        "        if k not in _cls._SLOT_SET:",
        "            _cls._bad_field(k)",
        "        setattr(o, k, v)",
        "    return o",
    ]
    return "\n".join(lines) + "\n"


def _to_fields_source(layout: MessageLayout) -> str:
    items = []
    for f in layout.fields:
        value = {"type_char": "_TC", "length": "_L"}.get(f.name, f"self.{f.name}")
        items.append(f"        {f.name!r}: {value},\n")
    return "def to_fields(self):\n    return {\n" + "".join(items) + "    }\n"


def _values_source(layout: MessageLayout) -> str:
    values = _tuple_source([f"self.{f.name}" for f in layout.body_fields])
    return f"def values(self):\n    return {values}\n"


def generated_filename(cls: type) -> str:
    """The pseudo filename of the generated code of ``cls`` (in tracebacks, linecache)."""
    return f"<crmd_twisted.wire generated {cls.__name__}>"


def _namespace(cls: type[Message], layout: MessageLayout) -> dict[str, Any]:
    ns: dict[str, Any] = {
        "__name__": cls.__module__,
        "_new": object.__new__,
        "_cls": cls,
        "_L": layout.length,
        "_TC": layout.type_char,
        "_TCB": layout.type_char.encode("ascii"),
        "_encode_slow": encode_slow,
        "_FAIL": (*ENCODE_FAILURES, KeyError),
        "_layout": layout,
        "_WrongLength": WrongLengthError,
        "_WrongType": WrongMessageTypeError,
        "_desc": describe(layout),
    }
    for width in sorted({f.width for f in layout.body_fields if f.kind is FieldKind.TEXT}):
        ns[f"_E{width}"] = encode_cache(width)
    return ns


def generate(cls: type[Message], layout: MessageLayout) -> None:
    """Compile and attach the generated methods of ``cls`` (one pseudo-file per class)."""
    ns = _namespace(cls, layout)
    sources = [
        _decode_source(layout, ns),
        _encode_source(layout, ns),
        _init_source(layout),
        _replace_source(layout),
        _to_fields_source(layout),
        _values_source(layout),
    ]
    if cls.SEQ_FIELD is not None:
        sources.append(_encode_source(layout, ns, seq_field=cls.SEQ_FIELD))
    filename = generated_filename(cls)
    text = f"# {cls.__name__}: generated from crmd_twisted.wire.layout\n\n" + "\n\n".join(
        src.rstrip("\n") + "\n" for src in sources
    )
    exec(compile(text, filename, "exec"), ns)
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)

    cls._TEXT_RUNS = tuple(
        (tuple(f.width for f in layout.fields[start:stop]), tuple(range(start, stop)))
        for start, stop in text_runs(layout)
    )
    cls._decode_frame = staticmethod(ns["_decode_frame"])
    for name in ("encode", "__init__", "replace", "to_fields", "values", "encode_seq"):
        if name in ns:
            setattr(cls, name, ns[name])
