"""Every golden vector must decode to its fields and encode back to its bytes."""

from __future__ import annotations

from typing import Any

import pytest

from crmd_twisted.wire import LAYOUTS, MESSAGE_TYPES, MESSAGES_BY_NAME, decode
from tests.wire_helpers import load_vector_files, vector_cases

CASES = vector_cases()
IDS = [f"{name}[{i}]" for name, i, _, _ in CASES]
FILES = load_vector_files()


@pytest.mark.parametrize(("name", "index", "doc", "vec"), CASES, ids=IDS)
def test_decode_vector(name: str, index: int, doc: dict[str, Any], vec: dict[str, Any]) -> None:
    msg = decode(bytes.fromhex(vec["hex"]))
    assert type(msg) is MESSAGES_BY_NAME[name]
    assert msg.to_fields() == vec["fields"]
    assert list(msg.to_fields()) == doc["field_order"]


@pytest.mark.parametrize(("name", "index", "doc", "vec"), CASES, ids=IDS)
def test_encode_vector(name: str, index: int, doc: dict[str, Any], vec: dict[str, Any]) -> None:
    cls = MESSAGES_BY_NAME[name]
    assert cls.from_fields(vec["fields"]).encode() == bytes.fromhex(vec["hex"])


@pytest.mark.parametrize("doc", FILES, ids=[d["message"] for d in FILES])
def test_class_attributes_match_file(doc: dict[str, Any]) -> None:
    cls = MESSAGE_TYPES[doc["type_char"]]
    assert cls.NAME == doc["message"]
    assert cls.TYPE_CHAR == doc["type_char"]
    assert cls.LENGTH == doc["length"]
    assert cls.STRUCT.format == doc["struct_format"]
    assert cls.STRUCT.size == doc["length"]
    assert list(cls.FIELD_NAMES) == doc["field_order"]
    layout = LAYOUTS[doc["message"]]
    assert layout.struct_format == doc["struct_format"]
    assert layout.length == doc["length"]


def test_all_seventeen_messages_covered() -> None:
    assert sorted(d["message"] for d in FILES) == sorted(LAYOUTS)
    assert len(MESSAGE_TYPES) == 17
