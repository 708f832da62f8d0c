"""Every example runs against the simulators and ends with the expected output.

The exchange runs in this test's reactor; each example runs as a separate
process (stdin fed for the interactive ones), so the reactor keeps serving
while it talks to the simulators.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import defer, error, protocol, reactor
from twisted.logger import LogEvent, formatEvent, globalLogPublisher

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.testing import SimulatedExchange

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TIMEOUT = 45.0


class _Collect(protocol.ProcessProtocol):
    def __init__(self, stdin: bytes) -> None:
        self.stdin = stdin
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.done: defer.Deferred[tuple[str, str, int]] = defer.Deferred()

    def connectionMade(self) -> None:
        assert self.transport is not None
        if self.stdin:
            self.transport.write(self.stdin)
        self.transport.closeStdin()

    def outReceived(self, data: bytes) -> None:
        self.out.append(data)

    def errReceived(self, data: bytes) -> None:
        self.err.append(data)

    def processEnded(self, reason: object) -> None:
        value = getattr(reason, "value", None)
        code = -1
        if isinstance(value, (error.ProcessDone, error.ProcessTerminated)):
            code = value.exitCode if value.exitCode is not None else -1
        self.done.callback((b"".join(self.out).decode(), b"".join(self.err).decode(), code))


async def run_example(args: list[str], stdin: str = "") -> tuple[str, str, int]:
    """Run ``python <args>`` without blocking the reactor; (stdout, stderr, status)."""
    proto = _Collect(stdin.encode())
    transport = reactor.spawnProcess(  # type: ignore[attr-defined]
        proto, sys.executable, [sys.executable, *args], env=dict(os.environ),
        path=str(EXAMPLES.parent),
    )
    proto.done.addTimeout(
        TIMEOUT, reactor,  # type: ignore[arg-type]
        onTimeoutCancel=lambda *a: transport.signalProcess("KILL"),
    )
    return await proto.done


@contextmanager
def logged(text: str) -> Iterator[list[str]]:
    """Collect the log lines containing *text* (what the in-process servers log)."""
    lines: list[str] = []

    def observe(event: LogEvent) -> None:
        line = formatEvent(event)
        if text in line:
            lines.append(line)

    globalLogPublisher.addObserver(observe)
    try:
        yield lines
    finally:
        globalLogPublisher.removeObserver(observe)


@pytest_twisted.async_yield_fixture
async def exchange() -> AsyncIterator[SimulatedExchange]:
    ex = SimulatedExchange()
    await ex.start()
    yield ex
    await ex.stop()


@pytest_twisted.ensureDeferred
async def test_example_client_asks_for_its_settings(exchange: SimulatedExchange) -> None:
    host, port = exchange.aes_address
    answers = f"{host}\n{port}\nexample-key\nexampl\n1001\n"
    with logged("logout from account 1001 user exampl") as logouts:
        out, err, status = await run_example(
            [str(EXAMPLES / "example_client.py"), "--count", "36", "--interval", "0.02"], answers
        )
    assert len(logouts) == 2, logouts  # the AES after the redirect, the OES at the end
    assert status == 0, err
    assert "AES logon ok" in out
    assert "OES logon ok" in out
    for name in ("ORDER_ACK", "REPLACED", "CANCELLED", "REJECT ORD_TYPE_INVALID",
                 "REJECT NO_MARKET_MAKER_VOLUME"):
        assert f"<- {name}" in out, name
    assert out.count("-> ") == 36
    assert out.rstrip().endswith("logged out")


@pytest_twisted.ensureDeferred
async def test_example_client_bad_port_is_one_line_error(exchange: SimulatedExchange) -> None:
    _, err, status = await run_example(
        [str(EXAMPLES / "example_client.py"), "--host", "127.0.0.1", "--port", "1",
         "--api-key", "k", "--user", "u", "--account", "1"]
    )
    assert status == 1
    assert err.strip().startswith("example_client: error: cannot connect")
    assert "Traceback" not in err


@pytest_twisted.ensureDeferred
async def test_menu_client_sends_each_choice(exchange: SimulatedExchange) -> None:
    host, port = exchange.aes_address
    out, err, status = await run_example(
        [str(EXAMPLES / "menu_client.py"), "--host", host, "--port", str(port)],
        "Y\nH\nY\nw\nE\nf\nT\n0\nE\nq\n",
    )
    assert status == 0, err
    assert "log on first (H)" in out  # Y before H
    assert "logged on" in out
    for sent in ("instrument_request ('Y')", "risk_update_request ('w')",
                 "open_order_request ('E')", "collateral_request ('f')", "transaction ('T')"):
        assert f"-> {sent}" in out, sent
    for got in ("instrument_response ('Q')", "risk_user_symbol ('N')",
                "collateral_data ('h')", "transaction ('T')"):
        assert f"<- {got}" in out, got
    assert "message_type             14" in out  # the order's ORDER_ACK
    assert out.rstrip().endswith("bye")


@pytest_twisted.ensureDeferred
async def test_full_flow_client(exchange: SimulatedExchange) -> None:
    host, port = exchange.aes_address
    with logged("logout from account 1001 user alice") as logouts:
        out, err, status = await run_example(
            [str(EXAMPLES / "full_flow_client.py"), "--host", host, "--port", str(port)]
        )
    assert status == 0, err
    assert len(logouts) == 2, logouts  # AES after the redirect, OES on stopService
    lines = out.strip().splitlines()
    assert lines[0].startswith("logged on to the OES")
    assert lines[1].startswith("new order ") and lines[1].endswith(": ORDER_ACK")
    assert lines[-1] == "logged out"


@pytest_twisted.ensureDeferred
async def test_custom_client(exchange: SimulatedExchange) -> None:
    host, port = exchange.aes_address
    out, err, status = await run_example(
        [str(EXAMPLES / "custom_client.py"), "--host", host, "--port", str(port)]
    )
    assert status == 0, err
    assert "instrument 1 BTCUSD" in out
    assert "ORDER_ACK for order 7001 at 1000" in out


@pytest_twisted.ensureDeferred
async def test_strategy_example_passes_under_pytest() -> None:
    out, err, status = await run_example(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "test_my_strategy.py")]
    )
    assert status == 0, out + err
    assert "2 passed" in out


@pytest_twisted.ensureDeferred
async def test_fault_reaction_examples_pass_under_pytest() -> None:
    out, err, status = await run_example(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "test_fault_reactions.py")]
    )
    assert status == 0, out + err
    assert "9 passed" in out  # one per fault kind


CLIENTS = ["example_client", "menu_client", "custom_client", "full_flow_client"]
WITH_USER = ["example_client", "menu_client", "full_flow_client"]


def run_quick(name: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run an example that fails before it touches the network."""
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args], input=stdin,
        capture_output=True, text=True, timeout=TIMEOUT, cwd=EXAMPLES.parent,
    )


def assert_one_line(proc: subprocess.CompletedProcess[str], prog: str, *fragments: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("name", CLIENTS)
def test_bad_port_is_one_line(name: str) -> None:
    assert_one_line(run_quick(name, "--port", "99999"), name, "--port", "1..65535, got 99999")
    assert_one_line(run_quick(name, "--port", "http"), name, "--port", "'http'")


@pytest.mark.parametrize("name", WITH_USER)
def test_long_user_name_is_one_line(name: str) -> None:
    assert_one_line(run_quick(name, "--user", "toolong"), name, "--user",
                    "1..6 ASCII characters, got 'toolong'")


def test_long_user_name_typed_at_the_prompt_is_one_line() -> None:
    proc = run_quick("example_client", stdin="127.0.0.1\n4444\nkey\ntoolong\n1001\n")
    assert_one_line(proc, "example_client", "user name", "'toolong'")


@pytest.mark.parametrize("name", CLIENTS)
def test_help_shows_the_defaults(name: str) -> None:
    proc = run_quick(name, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "4444" in proc.stdout and "default" in proc.stdout


@pytest_twisted.ensureDeferred
async def test_example_client_asks_nothing_when_a_setting_is_given(
    exchange: SimulatedExchange,
) -> None:
    _, port = exchange.aes_address
    out, err, status = await run_example(
        [str(EXAMPLES / "example_client.py"), "--port", str(port), "--count", "3",
         "--interval", "0.02"]
    )
    assert status == 0, err
    assert "AES host [" not in out  # no --host: the default 127.0.0.1, not a prompt
    assert "AES logon ok" in out


@pytest_twisted.ensureDeferred
async def test_connection_refused_says_so(exchange: SimulatedExchange) -> None:
    # needs the client's max_attempts (ConnectionFailed) to end in seconds
    for name in CLIENTS:
        _, err, status = await run_example(
            [str(EXAMPLES / f"{name}.py"), "--host", "127.0.0.1", "--port", "1"],
            "H\nq\n",  # the menu client connects on H
        )
        assert status == 1, (name, err)
        assert "Traceback" not in err, name
        assert err.count("\n") == 1, (name, err)
        assert err.startswith(f"{name}: error: cannot connect"), (name, err)
        assert "refused" in err, (name, err)


@pytest_twisted.ensureDeferred
async def test_refused_logon_is_not_logged_out() -> None:
    directory = AccountDirectory([Account(1001, "alice", "alice-key")], open=False)
    ex = SimulatedExchange(accounts=directory)
    await ex.start()
    try:
        host, port = ex.aes_address
        out, err, status = await run_example(
            [str(EXAMPLES / "full_flow_client.py"), "--host", host, "--port", str(port),
             "--user", "mallet"]
        )
    finally:
        await ex.stop()
    assert status == 1
    assert err.startswith("full_flow_client: error: logon rejected"), err
    assert "logged out" not in out
