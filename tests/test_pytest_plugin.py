"""The ``pytest11`` plugin loads in every environment crmd-twisted is installed in.

Without pytest-twisted an unrelated test run must still work, and a test that
asks for the fixtures must be told what to install; with it the fixtures work
(``examples/test_my_strategy.py``, run by tests/test_examples.py, uses them).
Each run is a pytest subprocess in a temporary folder; pytest-twisted's absence
is simulated by a module of that name that fails to import plus
``-p no:twisted`` (its plugin).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: Shadows the installed pytest-twisted: importing it fails as if it were not installed.
SHADOW = 'raise ImportError("No module named \'pytest_twisted\'", name="pytest_twisted")\n'


def run_pytest(folder: Path, test_text: str, *, without_pytest_twisted: bool) -> tuple[int, str]:
    (folder / "test_user.py").write_text(textwrap.dedent(test_text))
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"]
    env = dict(os.environ)
    if without_pytest_twisted:
        shadow = folder / "shadow"
        shadow.mkdir()
        (shadow / "pytest_twisted.py").write_text(SHADOW)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shadow), env.get("PYTHONPATH")]))
        argv[3:3] = ["-p", "no:twisted"]  # pytest-twisted's own entry point
    proc = subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=60, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def test_unrelated_tests_pass_without_pytest_twisted(tmp_path: Path) -> None:
    status, out = run_pytest(
        tmp_path, "def test_one():\n    assert 1 + 1 == 2\n", without_pytest_twisted=True
    )
    assert status == 0, out
    assert "1 passed" in out


def test_the_plugin_is_loaded_without_pytest_twisted(tmp_path: Path) -> None:
    status, out = run_pytest(
        tmp_path,
        """
        def test_plugin(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("crmd_twisted")
        """,
        without_pytest_twisted=True,
    )
    assert status == 0, out


def test_fixtures_without_pytest_twisted_say_what_to_install(tmp_path: Path) -> None:
    status, out = run_pytest(
        tmp_path, "def test_uses(crmd_client):\n    pass\n", without_pytest_twisted=True
    )
    assert status == 1, out
    assert "need pytest-twisted: python -m pip install pytest-twisted" in out
    assert "1 error" in out


def test_fixtures_work_with_pytest_twisted(tmp_path: Path) -> None:
    status, out = run_pytest(
        tmp_path,
        """
        import pytest_twisted
        from crmd_twisted.wire.enums import Side, SymbolEnum, TransactionType

        @pytest_twisted.ensureDeferred
        async def test_order(crmd_client):
            ack = await crmd_client.new_order(SymbolEnum.BTCUSD, Side.BUY, 0.1, price=25000.0)
            assert ack.message_type == TransactionType.ORDER_ACK
        """,
        without_pytest_twisted=False,
    )
    assert status == 0, out
    assert "1 passed" in out
