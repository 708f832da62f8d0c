"""The engine package must not need Twisted (pure library, usable without a reactor)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_runs_without_importing_twisted() -> None:
    code = textwrap.dedent(
        """
        import sys
        import crmd_twisted.engine as eng
        from crmd_twisted.engine import MatchingEngine, NewOrder, CancelOrder, Fill
        e = MatchingEngine(clock=lambda: 0)
        e.submit(NewOrder(1, 1, 1, 2, 1, 100.0, 1.0, 2))
        ev = e.submit(NewOrder(2, 1, 1, 1, 1, 100.0, 0.5, 2))
        assert [type(x) for x in ev] == [Fill, Fill], ev
        e.submit(CancelOrder(1, 2, 1))
        assert e.depth(1) == ([], [])
        bad = sorted(m for m in sys.modules if m == "twisted" or m.startswith("twisted."))
        assert not bad, bad
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_engine_sources_do_not_mention_twisted_imports() -> None:
    for path in (ROOT / "crmd_twisted" / "engine").glob("*.py"):
        text = path.read_text()
        assert "import twisted" not in text and "from twisted" not in text, path
