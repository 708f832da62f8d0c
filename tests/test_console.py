"""react_main: expected failures end a program with one line and status 1."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    from twisted.internet import defer
    from crmd_twisted.client.errors import LogonRejected
    from crmd_twisted.console import react_main

    async def main(reactor):
        what = sys.argv[1]
        if what == "rejected":
            raise LogonRejected(33)
        if what == "refused":
            from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
            from twisted.internet.protocol import Protocol
            await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", 1), Protocol())
        if what == "bug":
            raise RuntimeError("a bug")
        print("done")

    raise SystemExit(react_main(main, "prog"))
    """
)


def run(what: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, what], capture_output=True, text=True, timeout=30
    )


def test_success_is_status_zero() -> None:
    proc = run("ok")
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, "done", "")


@pytest.mark.parametrize(
    ("what", "line"),
    [
        ("rejected", "prog: error: logon rejected: INVALID_SECURITY_KEY (33)"),
        ("refused", "prog: error: cannot connect: "),
    ],
)
def test_expected_failures_are_one_line(what: str, line: str) -> None:
    proc = run(what)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(line)
    assert "Traceback" not in proc.stderr


def test_a_bug_keeps_its_traceback() -> None:
    proc = run("bug")
    assert proc.returncode == 1
    assert "RuntimeError: a bug" in proc.stdout + proc.stderr
