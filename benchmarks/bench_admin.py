"""The admin API under load: latency while orders flow, and GET /book of a deep book.

Run::

    python benchmarks/bench_admin.py                    # defaults below (about a minute)
    python benchmarks/bench_admin.py --rate 500 --seconds 20 --resting 10000

Starts ``twistd -n --pidfile= crmd-exchange`` on free loopback ports (admin API on,
per-frame log events off, as deployed) and measures, from this process:

(a) admin latency under load - one OES session sends non-crossing limit orders at
    ``--rate`` orders/s (a sender thread, replies drained); meanwhile, for ``--seconds``,
    sequential ``GET /api/v1/health`` and ``GET /api/v1/book/BTCUSD`` requests:
    p50 / p90 / p99 / max in ms, and the order rate actually achieved;
(b) a deep book - ``--resting`` resting orders on BTCUSD (distinct prices, so
    ``depth`` levels each), then ``GET /api/v1/book/BTCUSD`` at depth 10 and 1000
    (the API's maximum): median and max of ``--samples`` requests, in ms.

Goal (issue 11): the API answers while 500 orders/s flow, and GET /book with
10,000 resting orders answers in under 50 ms.  Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_oes import (
    HOST,
    free_port,
    logon_frame,
    order_frames,
    stop,
    wait_port,
    write_accounts,
    ACCOUNTS,
)

from crmd_twisted.wire import FrameBuffer, decode
from crmd_twisted.wire.enums import LoginStatus


def twistd() -> list[str]:
    script = Path(sys.executable).with_name("twistd")
    return [str(script)] if script.exists() else [sys.executable, "-m", "twisted"]


class OESLink:
    """A blocking OES session (logged on with the key the default secret derives)."""

    def __init__(self, port: int, account: int, user: str) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.frames = FrameBuffer()
        self.sock.sendall(logon_frame(account, user))
        reply = self._read_one()
        if reply.login_status != LoginStatus.SUCCESS:  # type: ignore[attr-defined]
            raise SystemExit(f"OES logon refused: {reply!r}")
        self.key = reply.session_key  # type: ignore[attr-defined]
        self.tsid = reply.trading_session_id  # type: ignore[attr-defined]
        self.account = account
        self.received = 0

    def _read_one(self):  # type: ignore[no-untyped-def]
        while True:
            got = self.frames.feed(self.sock.recv(65536))
            if got:
                return decode(got[0])

    def drain(self) -> None:
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(1 << 20)
                if not data:
                    return
                self.received += len(self.frames.feed(data))
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)


def send_at_rate(link: OESLink, frames: list[bytes], rate: float, stop_flag: threading.Event,
                 sent: list[int]) -> None:
    start = time.perf_counter()
    for i, frame in enumerate(frames):
        if stop_flag.is_set():
            break
        due = start + i / rate
        while (now := time.perf_counter()) < due:
            time.sleep(min(due - now, 0.002))
        link.sock.sendall(frame)
        sent[0] = i + 1
        if i % 50 == 0:
            link.drain()
    link.drain()


def get(url: str) -> tuple[float, object]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.loads(response.read())
    return (time.perf_counter() - started) * 1000.0, body


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def under_load(args: argparse.Namespace, oes_port: int, admin: str) -> None:
    account, user = ACCOUNTS[0]
    link = OESLink(oes_port, account, user)
    frames = order_frames(int(args.rate * 120), account, link.key, link.tsid)
    flag = threading.Event()
    sent = [0]
    sender = threading.Thread(target=send_at_rate, args=(link, frames, args.rate, flag, sent))
    sender.start()
    time.sleep(1.0)  # the flow is steady
    health: list[float] = []
    book: list[float] = []
    started, sent_before = time.perf_counter(), sent[0]
    while time.perf_counter() - started < args.seconds:
        health.append(get(f"{admin}/api/v1/health")[0])
        book.append(get(f"{admin}/api/v1/book/BTCUSD")[0])
    elapsed, sent_during = time.perf_counter() - started, sent[0] - sent_before
    flag.set()
    sender.join()
    link.sock.close()
    print(f"(a) admin API while orders flow: {sent_during / elapsed:.0f} orders/s sent "
          f"during {elapsed:.1f} s of {len(health) + len(book)} sequential requests")
    for name, values in (("GET /health", health), ("GET /book (depth 10)", book)):
        print(f"    {name:22} p50 {pct(values, .5):6.2f} ms  p90 {pct(values, .9):6.2f} ms  "
              f"p99 {pct(values, .99):6.2f} ms  max {max(values):6.2f} ms")


def deep_book(args: argparse.Namespace, oes_port: int, admin: str) -> None:
    account, user = ACCOUNTS[1]
    link = OESLink(oes_port, account, user)
    frames = order_frames(args.resting, account, link.key, link.tsid)
    # distinct prices: one order per level (bench_oes spreads 2000 levels; spread more)
    from crmd_twisted.wire import Transaction

    for i in range(len(frames)):
        tx = decode(frames[i])
        assert isinstance(tx, Transaction)
        tx.price = 1000.0 + i * 0.5
        frames[i] = tx.encode()
    for start in range(0, len(frames), 500):
        link.sock.sendall(b"".join(frames[start:start + 500]))
        while link.received < start + 500:
            link.received += len(link.frames.feed(link.sock.recv(1 << 20)))
    _, status = get(f"{admin}/api/v1/accounts/{account}")
    resting = len(status["open_orders"])  # type: ignore[index]
    print(f"(b) GET /book with {resting} resting orders on BTCUSD:")
    for depth in (10, 1000):
        times = []
        for _ in range(args.samples):
            ms, body = get(f"{admin}/api/v1/book/BTCUSD?depth={depth}")
            times.append(ms)
        levels = len(body["bids"])  # type: ignore[index]
        print(f"    depth {depth:4}: {levels:4} levels  median {statistics.median(times):6.2f} ms"
              f"  max {max(times):6.2f} ms  ({args.samples} requests)")
    link.sock.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=500.0, help="orders/s during (a)")
    ap.add_argument("--seconds", type=float, default=10.0, help="duration of (a)")
    ap.add_argument("--resting", type=int, default=10_000, help="resting orders in (b)")
    ap.add_argument("--samples", type=int, default=30, help="GET /book requests in (b)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_accounts(folder / "accounts.toml")
        aes, oes, admin = free_port(), free_port(), free_port()
        log = folder / "exchange.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [*twistd(), "-n", "--pidfile=", "--logfile", str(log.with_suffix(".twistd")),
                 "crmd-exchange", "--accounts", str(folder / "accounts.toml"),
                 f"--aes-listen=tcp:{aes}:interface={HOST}",
                 f"--oes-listen=tcp:{oes}:interface={HOST}",
                 f"--admin=tcp:{admin}:interface={HOST}", "--md-listen="],
                cwd=folder, stdout=out, stderr=subprocess.STDOUT,
            )
        try:
            for port in (aes, oes, admin):
                wait_port(port, proc, log)
            url = f"http://{HOST}:{admin}"
            under_load(args, oes, url)
            deep_book(args, oes, url)
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
