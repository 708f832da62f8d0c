"""Order entry with and without 20 console viewers on the exchange.

Run ``python benchmarks/bench_console.py`` (about 3 minutes; ``--seconds`` per
measurement, ``--repeat`` interleaved measurements of each phase, medians shown).

Three kinds of processes: the exchange (AES + OES + admin site with the web
console, pushing 4 times a second), one order client (the project's
``CRMDClient``), and one viewer process holding ``--viewers`` (20) plain HTTP
clients that read ``/api/v1/stream`` like EventSource does (plus ``--browsers``
real headless Chromium pages, 1 by default if chromium is installed).  For each
phase (no viewers, then viewers) the client measures:

(a) a steady flow of 500 orders/s (``--rate``) for ``--seconds``: the rate it
    achieved and the p50/p99 of NEW -> first answer;
(b) throughput: as many orders as the OES takes, ``--window`` unanswered at most,
    for ``--seconds``: orders/s.

Orders alternate BUY/SELL around one price so about half of them trade (the
book, the tape and the chart all change every push).  Goal: throughput with
viewers within 10% of without.  Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

HOST = "127.0.0.1"


# -- the exchange --------------------------------------------------------------------------


def serve(rate: float) -> None:
    from twisted.internet import defer, task

    from console_helpers import ConsoleExchange

    async def main(reactor: Any) -> None:
        exchange = ConsoleExchange(rate=rate)
        await exchange.start()
        aes = exchange.exchange.aes_address[1]
        print(json.dumps({"aes": aes, "admin": exchange.admin_port_number}), flush=True)
        await defer.Deferred()  # until killed

    task.react(lambda reactor: defer.ensureDeferred(main(reactor)))


# -- the viewers -----------------------------------------------------------------------------


def view(admin: int, viewers: int, browsers: int, seconds: float) -> None:
    from twisted.internet import defer, protocol, task, threads
    from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

    class Reader(protocol.Protocol):
        def __init__(self) -> None:
            self.bytes = 0
            self.events = 0

        def connectionMade(self) -> None:
            self.transport.write(  # type: ignore[union-attr]
                b"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")

        def dataReceived(self, data: bytes) -> None:
            self.bytes += len(data)
            self.events += data.count(b"\nevent: ") + data.startswith(b"event: ")

    def open_browser() -> Any:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        options = Options()
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync"):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='crmd-bench-')}")
        driver = webdriver.Chrome(options=options,
                                  service=Service(shutil.which("chromedriver") or "chromedriver"))
        driver.get(f"http://{HOST}:{admin}/")
        return driver

    async def main(reactor: Any) -> None:
        endpoint = TCP4ClientEndpoint(reactor, HOST, admin)
        readers = [await connectProtocol(endpoint, Reader()) for _ in range(viewers)]
        drivers = [await threads.deferToThread(open_browser) for _ in range(browsers)]
        print(json.dumps({"ready": True}), flush=True)
        await task.deferLater(reactor, seconds, lambda: None)
        for driver in drivers:
            await threads.deferToThread(driver.quit)
        print(json.dumps({"events": sum(r.events for r in readers),
                          "bytes": sum(r.bytes for r in readers)}), flush=True)
        for r in readers:
            r.transport.loseConnection()  # type: ignore[union-attr]

    task.react(lambda reactor: defer.ensureDeferred(main(reactor)))


# -- the order client ---------------------------------------------------------------------------


def trade(aes: int, rate: float, seconds: float, window: int) -> None:
    from twisted.internet import defer, task

    from crmd_twisted.client.session import CRMDClient
    from crmd_twisted.testing import client_ready
    from crmd_twisted.wire.enums import Side

    rnd = random.Random(1)

    def order(client: CRMDClient, n: int) -> defer.Deferred[Any]:
        side = Side.BUY if n % 2 else Side.SELL
        price = 30000.0 + 0.5 * rnd.randint(-4, 4)
        d = client.new_order(1, side, 0.001, price=price)
        d.addErrback(lambda f: None)  # a reject is an answer too
        return d

    async def steady(reactor: Any, client: CRMDClient) -> dict[str, float]:
        latencies: list[float] = []
        pending: list[defer.Deferred[Any]] = []
        start = time.perf_counter()
        n = 0
        while time.perf_counter() - start < seconds:
            due = start + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                await task.deferLater(reactor, wait, lambda: None)
            sent = time.perf_counter()
            d = order(client, n)
            d.addBoth(lambda _, sent=sent: latencies.append(time.perf_counter() - sent))
            pending.append(d)
            n += 1
        await defer.DeferredList(pending)
        elapsed = time.perf_counter() - start
        latencies.sort()
        return {"rate": n / elapsed, "p50_ms": 1e3 * statistics.median(latencies),
                "p99_ms": 1e3 * latencies[int(0.99 * (len(latencies) - 1))]}

    async def burst(reactor: Any, client: CRMDClient) -> float:
        start = time.perf_counter()
        sem = defer.DeferredSemaphore(window)
        n = 0
        pending = []
        while time.perf_counter() - start < seconds:
            await sem.acquire()
            d = order(client, n)
            d.addBoth(lambda _: sem.release())
            pending.append(d)
            n += 1
            if n % 200 == 0:
                await task.deferLater(reactor, 0, lambda: None)
        await defer.DeferredList(pending)
        return n / (time.perf_counter() - start)

    async def main(reactor: Any) -> None:
        client = CRMDClient((HOST, aes), 1001, "bench", "key", reactor=reactor)
        await client_ready(client)
        print(json.dumps({"steady": await steady(reactor, client),
                          "throughput": await burst(reactor, client)}), flush=True)
        await client.stopService()

    task.react(lambda reactor: defer.ensureDeferred(main(reactor)))


# -- the driver ----------------------------------------------------------------------------------


def child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)


def line(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    text = proc.stdout.readline()
    if not text:
        raise SystemExit(f"bench_console: a child process ended early ({proc.args})")
    return dict(json.loads(text))


def phase(aes: int, admin: int, args: argparse.Namespace, viewers: int,
          browsers: int) -> dict[str, Any]:
    watcher = None
    if viewers or browsers:
        watcher = child("--view", str(admin), str(viewers), str(browsers),
                        str(2 * args.seconds + 5))
        line(watcher)
    trader = child("--trade", str(aes), str(args.rate), str(args.seconds), str(args.window))
    result = line(trader)
    trader.wait(60)
    if watcher is not None:
        result["viewed"] = line(watcher)
        watcher.wait(60)
    return result


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure's median over the runs."""
    out: dict[str, Any] = {
        "steady": {key: statistics.median(r["steady"][key] for r in runs)
                   for key in runs[0]["steady"]},
        "throughput": statistics.median(r["throughput"] for r in runs),
    }
    if "viewed" in runs[0]:
        out["viewed"] = {key: statistics.median(r["viewed"][key] for r in runs)
                         for key in runs[0]["viewed"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--browsers", type=int,
                        default=1 if shutil.which("chromium") and shutil.which("chromedriver")
                        else 0)
    parser.add_argument("--push-rate", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=3,
                        help="measurements of each phase, interleaved; medians shown")
    args = parser.parse_args()
    server = child("--serve", str(args.push_rate))
    try:
        ports = line(server)
        print(f"exchange: AES {ports['aes']}, console http://{HOST}:{ports['admin']}/; "
              f"{args.seconds:g} s per measurement")
        quiets, watcheds = [], []
        for _ in range(args.repeat):
            quiets.append(phase(ports["aes"], ports["admin"], args, 0, 0))
            watcheds.append(phase(ports["aes"], ports["admin"], args, args.viewers,
                                  args.browsers))
    finally:
        server.terminate()
        server.wait(10)
    quiet, watched = median_of(quiets), median_of(watcheds)
    print("throughput runs (orders/s): no viewers "
          + " ".join(f"{r['throughput']:.0f}" for r in quiets)
          + "; viewers " + " ".join(f"{r['throughput']:.0f}" for r in watcheds))
    print(f"{'':28} {'no viewers':>12} {'viewers':>12}")
    for key, unit in (("rate", "orders/s"), ("p50_ms", "ms"), ("p99_ms", "ms")):
        print(f"steady {key:>8} ({unit:>8})    {quiet['steady'][key]:12.1f} "
              f"{watched['steady'][key]:12.1f}")
    ratio = watched["throughput"] / quiet["throughput"]
    print(f"throughput      (orders/s)    {quiet['throughput']:12.0f} "
          f"{watched['throughput']:12.0f}   ratio {ratio:.3f} (goal >= 0.90)")
    viewed = watched["viewed"]
    print(f"viewers: {args.viewers} SSE clients + {args.browsers} headless Chromium; "
          f"{viewed['events']:.0f} events, {viewed['bytes'] / 1e6:.1f} MB read per run")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(float(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--view":
        view(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--trade":
        trade(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
