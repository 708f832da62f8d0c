"""crmd-ctl as a separate process against an admin site served by this test's reactor."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_twisted
from control_helpers import BUY, SELL, Desk
from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ServerEndpoint

from tests.proc_helpers import run_ctl
from crmd_twisted.control.admin import admin_site

TIMEOUT = 30.0
TOKEN = "ctl-token"


class Served:
    def __init__(self, desk: Desk, port: Any) -> None:
        self.desk = desk
        self.port = port
        self.url = f"http://127.0.0.1:{port.getHost().port}"

    async def ctl(self, *args: str, token: str | None = TOKEN) -> tuple[int, str, str]:
        """Run crmd-ctl against this admin API: (status, stdout, stderr)."""
        return await run_ctl(self.url, *args, token=token, timeout=TIMEOUT)


@pytest_twisted.async_yield_fixture
async def served() -> AsyncIterator[Served]:
    desk = Desk()
    alice, _ = desk.logon(1001, "alice")
    bob, _ = desk.logon(2002, "bob")
    desk.order(alice, BUY, 1.0, 29999.0)
    desk.order(alice, BUY, 2.0, 29998.5)
    desk.order(bob, SELL, 0.5, 30001.0)
    desk.order(bob, SELL, 0.25, 29999.0)
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        admin_site(desk.control, TOKEN)
    )
    yield Served(desk, port)
    stopped = port.stopListening()  # None if the test stopped it already
    if stopped is not None:
        await stopped


@pytest_twisted.ensureDeferred
async def test_book_table_and_json(served: Served) -> None:
    status, out, err = await served.ctl("book", "BTCUSD")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "BTCUSD (1)  last trade: 29999"
    assert lines[1].split() == ["orders", "bid", "size", "bid", "ask", "ask", "size", "orders"]
    assert lines[3].split() == ["1", "0.75", "29999", "30001", "0.5", "1"]
    assert lines[4].split() == ["1", "2", "29998.5", "-", "-", "-"]
    status, out, _ = await served.ctl("--json", "book", "1", "--depth", "1")
    assert status == 0
    assert json.loads(out)["bids"] == [{"price": 29999.0, "size": 0.75, "orders": 1}]


@pytest_twisted.ensureDeferred
async def test_trades_sessions_health_account(served: Served) -> None:
    status, out, _ = await served.ctl("trades", "BTCUSD")
    assert status == 0
    assert out.splitlines()[2].split()[2:] == ["SELL", "29999", "0.25"]
    status, out, _ = await served.ctl("sessions")
    assert status == 0
    rows = [line.split()[:4] for line in out.splitlines()[2:]]
    assert rows == [["oes", "1001", "alice", "7"], ["oes", "2002", "bob", "7"]]
    status, out, _ = await served.ctl("health")
    assert (status, out) == (0, "ok, up 0.0 s, 2 session(s)\n")
    status, out, _ = await served.ctl("account", "1001")
    assert status == 0 and out.startswith("account 1001\n") and "29998.5" in out


@pytest_twisted.ensureDeferred
async def test_fault_add_list_remove_clear(served: Served) -> None:
    status, out, err = await served.ctl("fault", "add", "delay", "--seconds", "0.5",
                                        "--account", "1001")
    assert (status, out, err) == (0, "added f1: delay seconds=0.5 jitter=0\n", "")
    # the fault is in the exchange's own registry
    assert [f.kind.value for f in served.desk.faults] == ["delay"]
    status, out, _ = await served.ctl("fault", "list")
    assert status == 0
    assert out.splitlines()[2].split() == ["f1", "delay", "1001", "-", "-", "seconds=0.5",
                                           "jitter=0", "-"]
    status, out, _ = await served.ctl("fault", "remove", "f1")
    assert (status, out) == (0, "removed f1\n")
    await served.ctl("fault", "add", "reject", "--code", "43", "--count", "2")
    await served.ctl("fault", "add", "throttle", "--limit", "1", "--user", "bob")
    status, out, _ = await served.ctl("fault", "clear")
    assert (status, out) == (0, "removed 2 fault(s)\n")
    assert len(served.desk.faults) == 0


@pytest_twisted.ensureDeferred
async def test_mass_cancel(served: Served) -> None:
    status, out, _ = await served.ctl("cancel", "--account", "1001")
    assert (status, out) == (0, "cancelled 2 order(s)\n")
    assert served.desk.core.engine.open_orders(1001) == []


@pytest_twisted.ensureDeferred
async def test_failures_are_one_line_and_exit_1(served: Served) -> None:
    cases = [
        (("book", "ETHUSD"), "crmd-ctl: 404: unknown symbol 'ETHUSD' (known: BTCUSD (1)"),
        (("fault", "add", "reject"), "crmd-ctl: 400: reject needs 'code'"),
        (("fault", "add", "delay", "--seconds", "1", "--skip", "2"),
         "crmd-ctl: 400: delay: unknown parameter 'skip'"),
        (("fault", "remove", "f9"), "crmd-ctl: 404: no fault 'f9'"),
        (("fault", "add"), "crmd-ctl: the following arguments are required: kind"),
        (("book", "BTCUSD", "--depth", "0"), "crmd-ctl: argument --depth: must be a positive"),
        (("launch",), "crmd-ctl: argument command: invalid choice: 'launch'"),
    ]
    for args, expected in cases:
        status, out, err = await served.ctl(*args)
        assert status == 1, args
        assert out == ""
        assert err.startswith(expected), (args, err)
        assert err.count("\n") == 1, err
    status, _, err = await served.ctl("sessions", token="nope")
    assert (status, err.split(":")[:2]) == (1, ["crmd-ctl", " 401"])
    await served.port.stopListening()
    status, _, err = await served.ctl("health")
    assert status == 1
    assert err.startswith(f"crmd-ctl: cannot reach {served.url}: ")
    assert err.count("\n") == 1
