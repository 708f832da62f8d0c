"""The newcomer's command, crmd-demo, goes through the whole flow and exits 0."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest_twisted
from twisted.internet import reactor

from crmd_twisted.demo import run_demo


@pytest_twisted.ensureDeferred
async def test_demo_transcript_in_process() -> None:
    out = io.StringIO()
    await run_demo(out, reactor)
    text = out.getvalue()
    assert "alice: AES logon ok, OES logon ok" in text
    assert "bob: ORDER_ACK" in text
    assert "alice: QUOTE_FILL 1.5 @ 30000" in text
    assert "bob <- EXECUTION_PARTIAL" in text
    assert "alice: CANCELLED 1 of order 10002" in text
    assert "alice <- CANCELLED order 10002 (request 10003)" in text  # the order, then the ask
    assert "executed long 1.5" in text
    assert text.rstrip().endswith("demo complete")


def test_demo_command_exits_zero() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "crmd_twisted.demo"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "demo complete" in proc.stdout
    assert "Traceback" not in proc.stderr
