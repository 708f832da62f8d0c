"""The project's copy of the golden vectors must equal the shared originals."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
OURS = HERE / "vectors"
SHARED = HERE.parent.parent / "shared" / "vectors"


def test_project_has_all_vectors() -> None:
    names = sorted(p.name for p in OURS.glob("*.json"))
    assert len(names) == 17, names


@pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared/vectors beside this checkout")
def test_copies_are_byte_identical_to_shared() -> None:
    shared = {p.name: p.read_bytes() for p in SHARED.iterdir() if p.is_file()}
    ours = {p.name: p.read_bytes() for p in OURS.iterdir() if p.is_file()}
    assert sorted(shared) == sorted(ours)
    for name, data in shared.items():
        assert ours[name] == data, f"tests/vectors/{name} differs from ../shared/vectors/{name}"
