"""Bounded caches that convert NUL padded ASCII fields to and from ``str``.

Text values on this protocol repeat a lot (symbols, user names, empty
addresses, the attribute flags), so both directions memoise the conversion.
A miss does the real work - and the validation - in ``__missing__``, which
CPython calls from C only when the key is absent, so a hit costs one dict
lookup.  Only values that passed validation are ever stored, and the caches
stop growing at :data:`CACHE_LIMIT` entries, so hostile input cannot make
them grow without bound.
"""

from __future__ import annotations

__all__ = [
    "CACHE_LIMIT",
    "DecodeCache",
    "EncodeCache",
    "TextRejected",
    "decode_cache",
    "encode_cache",
]

CACHE_LIMIT = 4096


class TextRejected(ValueError):
    """Internal: a value did not fit a text field (the caller names the field)."""


class DecodeCache(dict[bytes, str]):
    """Raw field bytes -> text before the first NUL (UnicodeDecodeError if not ASCII)."""

    def __missing__(self, raw: bytes) -> str:
        text = raw.split(b"\0", 1)[0].decode("ascii")
        if len(self) < CACHE_LIMIT:
            self[raw] = text
        return text


class EncodeCache(dict[str, bytes]):
    """Text -> ASCII bytes for one field width (struct pads them with NULs)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def __missing__(self, text: str) -> bytes:
        if not isinstance(text, str):
            raise TextRejected("not text")
        raw = text.encode("ascii")  # UnicodeEncodeError for non-ASCII
        if len(raw) > self.width or b"\0" in raw:
            raise TextRejected("too long or contains NUL")
        if type(text) is str and len(self) < CACHE_LIMIT:
            self[text] = raw
        return raw


decode_cache = DecodeCache()
_encode_caches: dict[int, EncodeCache] = {}


def encode_cache(width: int) -> EncodeCache:
    """The shared encode cache of fields ``width`` bytes wide."""
    cache = _encode_caches.get(width)
    if cache is None:
        cache = _encode_caches[width] = EncodeCache(width)
    return cache
