"""Hardening figures against a real ``twistd crmd-exchange`` process.

Run::

    python benchmarks/bench_limits.py            # all three (about a minute)
    python benchmarks/bench_limits.py --only stall

(a) ``stall`` - back-pressure: 2,000 resting orders, then a client that never
    reads asks for the open-order listing 200 times (and keeps asking): server
    RSS growth and how long until it is cut off;
(b) ``burst`` - 5,000 connects at once against the AES with
    ``--max-connections-per-address=2500``: every connect must be accepted
    (2,500 stay open) or refused cleanly (2,500 closed by the server), none
    left hanging in the backlog;
(c) ``sessions`` - server memory per logged-on OES session (500 sessions).

Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import selectors
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twisted.internet import defer, task  # noqa: E402

from crmd_twisted.protocol import CRMDFactory  # noqa: E402
from crmd_twisted.wire.enums import Side  # noqa: E402
from tests.proc_helpers import free_port, start_twistd, stop, wait_listening  # noqa: E402
from tests.server_helpers import RawClient, connect  # noqa: E402

CRMDFactory.logFrames = False  # the benchmark's own clients


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Exchange:
    def __init__(self, folder: Path, *extra: str) -> None:
        self.aes_port, self.oes_port = free_port(), free_port()
        self.server = start_twistd(
            "crmd-exchange",
            [f"--aes-listen=tcp:{self.aes_port}:interface=127.0.0.1",
             f"--oes-listen=tcp:{self.oes_port}:interface=127.0.0.1",
             "--md-listen=", "--admin=", *extra],
            folder,
        )
        wait_listening(self.server, self.aes_port)
        wait_listening(self.server, self.oes_port)

    @property
    def pid(self) -> int:
        return self.server.proc.pid

    async def login(self, account: int, user: str) -> RawClient:
        aes = await connect(("127.0.0.1", self.aes_port))
        grant = await aes.logOn(account, user)
        aes.transport.loseConnection()
        oes = await connect(("127.0.0.1", self.oes_port))
        await oes.logOn(account, user, session_key=grant.session_key,
                        trading_session_id=grant.trading_session_id)
        oes.cursor = len(oes.received)
        return oes


async def sleep(reactor: Any, seconds: float) -> None:
    await task.deferLater(reactor, seconds, lambda: None)


async def bench_stall(reactor: Any, folder: Path) -> None:
    ex = Exchange(folder)
    try:
        maker = await ex.login(1001, "maker")
        for n in range(2000):
            maker.send(maker.order(Side.BUY, 0.001, 10000.0 + n * 0.5))
        await maker.next(2000, timeout=60)
        await sleep(reactor, 0.5)
        before = rss_kib(ex.pid)
        stalled = await ex.login(1001, "stall")  # lists the maker's account
        stalled.transport.pauseProducing()  # never read
        started = time.monotonic()
        sent = 0
        peak = before
        cut = None
        while time.monotonic() - started < 60:
            for _ in range(200 if sent == 0 else 10):
                stalled.requestOpenOrders()
                sent += 1
            await sleep(reactor, 0.05)
            peak = max(peak, rss_kib(ex.pid))
            if "the client does not read" in ex.server.output():
                cut = time.monotonic() - started
                break
        await sleep(reactor, 0.5)
        after = rss_kib(ex.pid)
        print(f"stall: 2000 resting orders, {sent} listing requests from a non-reader: server "
              f"RSS {before} -> peak {peak} -> {after} KiB (peak growth "
              f"{(peak - before) / 1024:.1f} MB); cut off after "
              f"{'never' if cut is None else f'{cut:.1f}s'}")
        maker.transport.loseConnection()
        stalled.transport.abortConnection()
    finally:
        stop(ex.server)


def bench_burst(folder: Path, count: int = 5000) -> None:
    ex = Exchange(folder, "--max-connections-per-address=2500", "--max-connections=10000")
    try:
        selector = selectors.DefaultSelector()
        sockets = []
        started = time.monotonic()
        for _ in range(count):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", ex.aes_port))
            sockets.append(s)
            selector.register(s, selectors.EVENT_READ)
        refused = 0
        errors = 0
        deadline = time.monotonic() + 20
        pending = set(sockets)
        while time.monotonic() < deadline and refused + errors < count - 2500:
            for key, _ in selector.select(timeout=0.2):
                s = key.fileobj
                try:
                    data = s.recv(1)  # type: ignore[union-attr]
                except OSError:
                    data = b"x"
                    errors += 1
                if data == b"":
                    refused += 1
                selector.unregister(s)
                pending.discard(s)  # type: ignore[arg-type]
        elapsed = time.monotonic() - started
        time.sleep(0.5)
        still_open = len(pending)
        print(f"burst: {count} connects in {elapsed:.1f}s: {refused} refused cleanly (EOF), "
              f"{errors} reset, {still_open} open (cap 2500); "
              f"{'OK' if refused + still_open == count and errors == 0 else 'NOT ALL HANDLED'}")
        for s in sockets:
            s.close()
    finally:
        stop(ex.server)


async def bench_sessions(reactor: Any, folder: Path, count: int = 500) -> None:
    ex = Exchange(folder)
    try:
        warm = [await ex.login(3000 + i, f"w{i}") for i in range(20)]
        await sleep(reactor, 0.3)
        before = rss_kib(ex.pid)
        clients = [await ex.login(4000 + i, f"s{i}") for i in range(count)]
        await sleep(reactor, 0.3)
        after = rss_kib(ex.pid)
        print(f"sessions: {count} logged-on OES sessions (new accounts): server RSS {before} -> "
              f"{after} KiB = {(after - before) * 1024 / count / 1024:.1f} KiB per session "
              "(its OES and closed AES connection, account, ledger)")
        for c in clients + warm:
            c.transport.loseConnection()
    finally:
        stop(ex.server)


async def main(reactor: Any, only: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="crmd-bench-limits-") as tmp:
        folder = Path(tmp)
        if only in (None, "stall"):
            await bench_stall(reactor, folder)
        if only in (None, "burst"):
            bench_burst(folder)
        if only in (None, "sessions"):
            await bench_sessions(reactor, folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["stall", "burst", "sessions"])
    args = parser.parse_args()
    task.react(lambda reactor: defer.ensureDeferred(main(reactor, args.only)))
