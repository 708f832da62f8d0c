"""Bounded caches that convert NUL padded ASCII fields to and from ``str``.

Text values on this protocol repeat a lot (symbols, user names, empty
addresses, the attribute flags), so both directions memoise the conversion
in plain ``dict`` objects that the generated codecs subscript directly (an
exact ``dict`` subscript is a specialised bytecode; a miss raises
``KeyError``, which sends the generated code to its generic slow path).

* Decoding works on *runs*: adjacent text fields wider than one byte are read
  by ``struct`` as one ``bytes`` object, and one lookup in the run's cache
  (shared by every run of the same field widths) gives the text of every
  field of the run - a ``str`` for a one-field run, else a tuple of ``str``.
* One-byte text fields are read as an unsigned byte and converted by indexing
  :data:`CHARS` (an ``IndexError`` means non-ASCII).
* Encoding looks each ``str`` up in the cache of its field width.

Only values that passed validation are ever stored, and a cache that reaches
:data:`CACHE_LIMIT` entries is emptied before the next store, so hostile
input cannot make them grow without bound (nor freeze them with junk).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CACHE_LIMIT",
    "CHARS",
    "TextRejected",
    "decode_run",
    "encode_cache",
    "run_cache",
    "text_bytes",
    "text_of",
]

CACHE_LIMIT = 4096

#: Byte value -> text of a one-byte field (NUL is the empty text); only ASCII.
CHARS: tuple[str, ...] = ("", *(chr(i) for i in range(1, 128)))


class TextRejected(ValueError):
    """Internal: a value did not fit a text field (the caller names the field)."""


def _store(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def text_of(raw: bytes) -> str:
    """Text before the first NUL of one field (UnicodeDecodeError if not ASCII)."""
    return raw.split(b"\0", 1)[0].decode("ascii")


_run_caches: dict[tuple[int, ...], dict[bytes, Any]] = {}


def run_cache(widths: tuple[int, ...]) -> dict[bytes, Any]:
    """The shared decode cache of runs of adjacent text fields of these widths."""
    cache = _run_caches.get(widths)
    if cache is None:
        cache = _run_caches[widths] = {}
    return cache


def decode_run(widths: tuple[int, ...], raws: tuple[bytes, ...]) -> str | tuple[str, ...]:
    """Texts of one run given each field's raw bytes; validated, then cached.

    Raises UnicodeDecodeError if a field is not ASCII (nothing is cached then).
    """
    texts = tuple(text_of(raw) for raw in raws)
    value: str | tuple[str, ...] = texts[0] if len(texts) == 1 else texts
    _store(run_cache(widths), b"".join(raws), value)
    return value


_encode_caches: dict[int, dict[str, bytes]] = {}


def encode_cache(width: int) -> dict[str, bytes]:
    """The shared encode cache of fields ``width`` bytes wide (str -> ASCII bytes)."""
    cache = _encode_caches.get(width)
    if cache is None:
        cache = _encode_caches[width] = {"": b""}
        if width == 1:
            cache.update((c, c.encode("ascii")) for c in CHARS)
    return cache


def text_bytes(width: int, text: object) -> bytes:
    """Validate ``text`` for a field ``width`` bytes wide; its bytes (cached)."""
    if not isinstance(text, str):
        raise TextRejected("not text")
    raw = text.encode("ascii")  # UnicodeEncodeError (a ValueError) for non-ASCII
    if len(raw) > width or b"\0" in raw:
        raise TextRejected("too long or contains NUL")
    if type(text) is str:
        _store(encode_cache(width), text, raw)
    return raw
