"""Chosen fields of a message read straight from its frame, and frames patched in place.

The message classes decode every field into a slotted object, which is what
handlers, tests and observers want.  A hot path that reads a dozen fields of a
frame and answers with the same frame a few fields changed (the OES's ORDER_ACK
is the ORDER_NEW with its type, time and number changed) can skip the object::

    record = FrameRecord(LAYOUTS_BY_CHAR["T"], ("order_id", "price"))
    values = record.read(frame)          # None: leave this frame to the decoder
    if values is not None:
        order_id = values[record.index["order_id"]]
    ack = record.patcher("message_type", "sending_time")(frame, 14, now)

:meth:`FrameRecord.read` unpacks only the fields asked for (and the text, which
it has to check) and accepts only a frame that the message class decodes *and*
would encode back to the very same bytes: the right length, every text field
ASCII with nothing but NUL after its first NUL.  So a frame it accepts, and one
patched from it, are byte for byte what decoding, changing and encoding would
give.  Anything else gets None and belongs to the decoder, which says what is
wrong with it.  Everything is derived from the layout table.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from .layout import FieldKind, FieldSpec, MessageLayout

__all__ = ["FrameRecord"]

#: Most distinct combinations of text remembered as canonical or not (then forgotten).
CACHE_LIMIT = 4096


def _canonical(raw: bytes, widths: tuple[int, ...]) -> bool:
    """Whether the text fields of these *widths*, read as one run *raw*, decode
    (ASCII) and encode back to the same bytes (nothing but NUL after a NUL)."""
    at = 0
    for width in widths:
        head, _, tail = raw[at : at + width].partition(b"\0")
        if not head.isascii() or tail.strip(b"\0"):
            return False
        at += width
    return True


class FrameRecord:
    """Chosen fields of the frames of one layout as a flat tuple; see the module docstring."""

    __slots__ = (
        "_cache", "_length_at", "_runs", "_texts", "_unpack", "index", "layout", "length", "offset",
    )  # fmt: skip

    def __init__(self, layout: MessageLayout, names: Iterable[str] | None = None) -> None:
        self.layout = layout
        self.length = layout.length
        fields = layout.fields
        wanted = {f.name for f in fields} if names is None else set(names)
        unknown = wanted - {f.name for f in fields}
        if unknown:
            raise ValueError(f"{layout.name} has no field {sorted(unknown)[0]!r}")
        offsets: dict[str, int] = {}
        at = 0
        for f in fields:
            offsets[f.name] = at
            at += f.width
        #: Field name -> its byte offset in the frame.
        self.offset: Mapping[str, int] = MappingProxyType(offsets)
        codes, index, runs = _plan(fields, wanted | {"length"})
        #: Field name -> its position in the tuple :meth:`read` returns: the fields
        #: asked for and every text field, whose position holds the raw bytes of
        #: its run of adjacent text fields (its own bytes when it stands alone).
        self.index: Mapping[str, int] = MappingProxyType(index)
        self._length_at = index["length"]
        self._unpack = struct.Struct("<" + "".join(codes)).unpack
        assert struct.calcsize("<" + "".join(codes)) == self.length, layout.name
        #: (position in the tuple, widths of the run's fields) of every text run
        self._runs = runs
        positions = [p for p, _ in runs]
        self._texts: Callable[[tuple[Any, ...]], Any] = (
            itemgetter(*positions) if positions else lambda _values: ()
        )
        #: the text runs' bytes of a frame -> whether they are canonical
        self._cache: dict[Any, bool] = {}

    def read(self, frame: bytes) -> tuple[Any, ...] | None:
        """The chosen fields of *frame* (text as its raw bytes), or None if the frame
        is not one its message class decodes and re-encodes to the same bytes."""
        if len(frame) != self.length:
            return None
        values = self._unpack(frame)
        if values[self._length_at] != self.length:  # the header's length field
            return None
        texts = self._texts(values)
        ok = self._cache.get(texts)
        if ok is None:
            ok = self._learn(values, texts)
        return values if ok else None

    def _learn(self, values: tuple[Any, ...], texts: Any) -> bool:
        ok = all(_canonical(values[p], widths) for p, widths in self._runs)
        cache = self._cache
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[texts] = ok
        return ok

    def patcher(self, *names: str) -> Callable[..., bytes]:
        """A function ``patch(frame, value, ...)``: *frame* with the fields *names*
        set to the values (packed as the layout says; ``struct.error`` if one does
        not fit)."""
        by_name = {f.name: f for f in self.layout.fields}
        for name in names:
            if name not in by_name:
                raise ValueError(f"{self.layout.name} has no field {name!r}")
        order = sorted(range(len(names)), key=lambda i: self.offset[names[i]])
        env: dict[str, Any] = {"_join": b"".join}
        parts: list[str] = []
        at = 0
        for i in order:
            f = by_name[names[i]]
            start = self.offset[f.name]
            if start < at:
                raise ValueError(f"field {f.name!r} given twice")
            env[f"_p{i}"] = struct.Struct("<" + f.code).pack
            parts += [f"frame[{at}:{start}]", f"_p{i}(v{i})"]
            at = start + f.width
        parts.append(f"frame[{at}:]")
        args = ", ".join(f"v{i}" for i in range(len(names)))
        src = f"def patch(frame, {args}):\n    return _join(({', '.join(parts)},))\n"
        exec(src, env)  # straight-line slices and packs: no loop per call
        patch: Callable[..., bytes] = env["patch"]
        return patch


def _plan(
    fields: tuple[FieldSpec, ...], wanted: set[str]
) -> tuple[list[str], dict[str, int], list[tuple[int, tuple[int, ...]]]]:
    """The struct codes that read *wanted* (skipping other numbers), the tuple
    position of each, and the text runs (position, widths)."""
    codes: list[str] = []
    index: dict[str, int] = {}
    runs: list[tuple[int, tuple[int, ...]]] = []
    position = 0
    i = 0
    while i < len(fields):
        f = fields[i]
        if f.name == "type_char":  # the frame's own: the caller dispatched on it
            codes.append(f"{f.width}x")
        elif f.kind is FieldKind.TEXT:
            j = i
            while j < len(fields) and fields[j].kind is FieldKind.TEXT:
                j += 1
            widths = tuple(t.width for t in fields[i:j])
            codes.append(f"{sum(widths)}s")
            for t in fields[i:j]:
                index.setdefault(t.name, position)
            runs.append((position, widths))
            position += 1
            i = j
            continue
        elif f.name in wanted:
            codes.append(f.code)
            index[f.name] = position
            position += 1
        else:
            codes.append(f"{f.width}x")
        i += 1
    return codes, index, runs
