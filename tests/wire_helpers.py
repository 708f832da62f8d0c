"""Shared helpers of the wire codec tests: golden vector loading and strategies."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from crmd_twisted.wire import LAYOUTS, FieldKind, FieldSpec, Message, MessageLayout
from crmd_twisted.wire.layout import INT_RANGES

VECTOR_DIR = Path(__file__).resolve().parent / "vectors"


def load_vector_files() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(VECTOR_DIR.glob("*.json"))]


def vector_cases() -> list[tuple[str, int, dict[str, Any], dict[str, Any]]]:
    """(message name, index, file object, vector object) for every golden vector."""
    return [
        (doc["message"], i, doc, vec)
        for doc in load_vector_files()
        for i, vec in enumerate(doc["vectors"])
    ]


_ASCII_NO_NUL = st.characters(min_codepoint=1, max_codepoint=127)


def _half_floats() -> st.SearchStrategy[float]:
    return st.floats(width=16, allow_nan=False, allow_infinity=False)


def field_strategy(spec: FieldSpec) -> st.SearchStrategy[Any]:
    if spec.kind is FieldKind.INT:
        low, high = INT_RANGES[spec.code]
        return st.integers(low, high)
    if spec.kind is FieldKind.FLOAT:
        return st.floats(allow_nan=False, allow_infinity=False)
    if spec.kind is FieldKind.HALF:
        return _half_floats()
    return st.text(_ASCII_NO_NUL, max_size=spec.width)


def message_strategy(layout: MessageLayout, cls: type[Message]) -> st.SearchStrategy[Message]:
    """Random in-range instances of ``cls`` derived from its layout."""
    return st.fixed_dictionaries(
        {f.name: field_strategy(f) for f in layout.body_fields}
    ).map(lambda kw: cls(**kw))


def any_message() -> st.SearchStrategy[Message]:
    from crmd_twisted.wire import MESSAGES_BY_NAME

    strategies = {
        name: message_strategy(lay, MESSAGES_BY_NAME[name]) for name, lay in LAYOUTS.items()
    }

    def pick(name: str) -> st.SearchStrategy[Message]:
        return strategies[name]

    return st.sampled_from(sorted(strategies)).flatmap(pick)


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", float(b))
    return bool(a == b)
