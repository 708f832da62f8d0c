"""crmd-ctl as a subprocess against a running ``twistd -n --pidfile= crmd-exchange``.

The exchange is a process of its own on free loopback ports (admin API with a
token); a CRMDClient in this test's reactor trades on it, crmd-ctl reads and
steers it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_twisted
from twisted.internet import reactor

from crmd_twisted.client import CRMDClient, OrderState
from crmd_twisted.testing import client_ready
from crmd_twisted.wire.enums import Side, SymbolEnum
from tests.proc_helpers import run_ctl, HOST, Server, free_port, start_twistd, stop, wait_listening

TOKEN = "twistd-token"
TIMEOUT = 30.0


class Running:
    def __init__(self, server: Server, aes_port: int, admin_port: int) -> None:
        self.server = server
        self.aes_port = aes_port
        self.url = f"http://{HOST}:{admin_port}"

    async def ctl(self, *args: str, token: str | None = TOKEN) -> tuple[int, str, str]:
        """Run crmd-ctl against this admin API: (status, stdout, stderr)."""
        return await run_ctl(self.url, *args, token=token, timeout=TIMEOUT)


@pytest_twisted.async_yield_fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    aes_port, oes_port, admin_port = free_port(), free_port(), free_port()
    server = start_twistd("crmd-exchange", [
        f"--aes-listen=tcp:{aes_port}:interface={HOST}",
        f"--oes-listen=tcp:{oes_port}:interface={HOST}",
        f"--admin=tcp:{admin_port}:interface={HOST}", f"--admin-token={TOKEN}",
        "--md-listen=",  # no fixed port in a test
    ], tmp_path)
    try:
        for port in (aes_port, oes_port, admin_port):
            wait_listening(server, port)
        yield Running(server, aes_port, admin_port)
    finally:
        stop(server)


@pytest_twisted.ensureDeferred
async def test_ctl_reads_and_steers_a_twistd_exchange(running: Running) -> None:
    client = CRMDClient((HOST, running.aes_port), 1001, "alice", "key", reactor=reactor,
                        retry_policy=lambda attempt: 0.05)
    await client_ready(client)
    try:
        ack = await client.new_order(SymbolEnum.BTCUSD, Side.BUY, 0.5, price=29000.0)

        status, out, err = await running.ctl("health")
        assert status == 0, err
        assert "ok" in out
        status, out, err = await running.ctl("book", "BTCUSD")
        assert status == 0, err
        assert "29000" in out and "0.5" in out
        status, out, _ = await running.ctl("--json", "sessions")
        sessions = json.loads(out)
        assert [(s["server"], s["account"], s["user"]) for s in sessions] == [
            ("oes", 1001, "alice")]
        status, out, err = await running.ctl("sessions")
        assert status == 0 and "alice" in out

        status, out, err = await running.ctl("fault", "add", "delay", "--seconds", "0.5",
                                             "--account", "1001")
        assert status == 0, err
        status, out, _ = await running.ctl("--json", "fault", "list")
        [fault] = json.loads(out)
        assert (fault["kind"], fault["seconds"], fault["account"]) == ("delay", 0.5, 1001)
        status, out, err = await running.ctl("fault", "clear")
        assert status == 0, err
        assert json.loads((await running.ctl("--json", "fault", "list"))[1]) == []

        status, out, err = await running.ctl("--json", "cancel", "--account", "1001")
        assert status == 0, err
        assert json.loads(out) == {"cancelled": 1}
        order = await client.when_final(ack.order_id)
        assert order.state is OrderState.CANCELLED

        # failures: one line, non-zero exit
        status, out, err = await running.ctl("health", token="wrong")
        assert status != 0 and err.count("\n") == 1 and "token" in err, err
        status, out, err = await running.ctl("book", "NOPE")
        assert status != 0 and err.count("\n") == 1 and "NOPE" in err
        assert "Traceback" not in err
    finally:
        await client.stopService()
