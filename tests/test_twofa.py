"""The two_fa HOTP code (PROTOCOL.md section 6)."""

from __future__ import annotations

import pytest

from crmd_twisted.wire import two_fa_code
from wire_helpers import load_vector_files


def test_seed_key_one() -> None:
    assert two_fa_code("1") == "517846"


def test_rfc4226_appendix_d() -> None:
    key = "12345678901234567890"
    assert [two_fa_code(key, c) for c in range(3)] == ["755224", "287082", "359152"]


LOGON = next(d for d in load_vector_files() if d["message"] == "client_logon")
KEYED = [v for v in LOGON["vectors"] if "api_key" in v.get("context", {})]


@pytest.mark.parametrize("vec", KEYED, ids=[v["context"]["api_key"] for v in KEYED])
def test_vector_api_keys(vec: dict[str, object]) -> None:
    context = vec["context"]
    fields = vec["fields"]
    assert isinstance(context, dict) and isinstance(fields, dict)
    assert two_fa_code(context["api_key"]) == fields["two_fa"]


def test_some_keys_present() -> None:
    assert len(KEYED) >= 2
