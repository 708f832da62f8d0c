"""Market data's cost to order entry, and its fan-out, over loopback (issue 10, acceptance 4).

Run::

    python benchmarks/bench_md.py                 # 3 alternated runs of each (a few minutes)
    python benchmarks/bench_md.py --repeat 1      # one run of each

The OES runs as ``twistd -n crmd-oes --md-listen ...`` (its MDS in its process,
fed by its engine); every measurement gets a fresh server, a fresh order client
process and, where wanted, a subscriber process.  The order client and its
NEW -> ORDER_ACK pipelining (at most ``--window`` unanswered) are those of
``benchmarks/bench_oes.py`` (imported); the orders are non-crossing BUY limits
over the top ``--levels`` (10) price levels, so *every* order changes what a
depth-10/30 frame shows - the worst case for market data.

(a) NEW -> ACK orders/s with 0 subscribers and with ``--stalled`` (50) depth-30
    subscribers that never read (tiny receive buffers: their transports pause at
    once and their snapshots are conflated), alternated run by run; goal: ratio
    with/without >= 0.9.  Server RSS before and after each run is reported.
(b) the same orders with ``--readers`` (100) depth-10 subscribers that read
    everything (one process): market-data frames/s delivered, frames per order
    per subscriber (conflation: one snapshot per subscriber per reactor turn at
    most), and the cost per order of the fan-out = 1/with - 1/without (us).

Other processes share the cores: read the runs, not only the medians.
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_oes  # the load generator: run_client, servers, accounts
from bench_oes import (
    ACCOUNTS,
    HOST,
    SECRET_SESSION,
    free_port,
    median,
    run_client,
    start_server,
    stop,
    write_accounts,
)

SUBSCRIBER = ACCOUNTS[-1]  # (account, user) whose K1 the subscribers carry
#: the hidden options that make this script a subscriber process
STALLED, READING = "stalled-subscribers", "reading-subscribers"


# -- order client (child process) ---------------------------------------------------------------


def top_level_frames(count: int, account: int, key: int, tsid: int, levels: int) -> list[bytes]:
    """*count* BUY limits over the top *levels* prices: each one changes the visible book."""
    from crmd_twisted.wire import Transaction

    template = Transaction(
        message_type=1, account=account, symbol_enum=1, symbol="BTCUSD", symbol_type=1,
        order_type=1, side=1, order_qty=0.001, time_in_force=2, trading_session_id=tsid,
        session_key=key, sending_time=time.time_ns(), attributes="NNNNNNNNNNNN",
    )  # fmt: skip
    frames = []
    for i in range(count):
        template.order_id = i + 1
        template.msg_seq_num = i + 1
        template.price = 1000.0 + (i % levels) * 0.5
        frames.append(template.encode())
    return frames


def client_phase(args: argparse.Namespace) -> None:
    account, user = args.logon.split(":")

    def frames_for(key: int, tsid: int) -> list[bytes]:
        return top_level_frames(args.orders, int(account), key, tsid, args.levels)

    h = run_client(args.client_phase, frames_for, args.orders, args.window, 0,
                   (int(account), user))
    print(f"start={h.start}\nend={h.end}\nanswered={h.answered}\nacks={h.acks}")


def measure(args: argparse.Namespace, port: int, logon: tuple[int, str]) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--client-phase", str(port), "--orders", str(args.orders),
           "--window", str(args.window), "--levels", str(args.levels),
           "--logon", f"{logon[0]}:{logon[1]}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return {k: float(v) for k, v in values.items()}


# -- subscribers (child process) ----------------------------------------------------------------


def subscribe_frame(depth: int) -> bytes:
    from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
    from crmd_twisted.wire import MdSubscribe

    account, user = SUBSCRIBER
    key = SessionKeys.from_text(DEFAULT_SECRET).aes_key(account, user, SECRET_SESSION)
    return MdSubscribe(
        message_type=38, account=account, session_key=key, trading_session_id=0,
        sending_time=time.time_ns(), sub1_symbol_enum=1, sub1_symbol="BTCUSD",
        sub1_symbol_type=1, sub1_layers=depth, sub1_action="S",
    ).encode()  # fmt: skip


def stalled_subscribers(port: int, count: int, depth: int) -> None:
    """*count* subscribers that never read; they stay until stdin closes."""
    frame = subscribe_frame(depth)
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect((HOST, port))
        s.sendall(frame)
        socks.append(s)
    print("ready", flush=True)
    sys.stdin.read()
    for s in socks:
        s.close()


def reading_subscribers(port: int, count: int, depth: int) -> None:
    """*count* subscribers that read and count every frame; stdin: "mark" / "report"."""
    from twisted.internet import protocol, reactor, stdio
    from twisted.protocols.basic import LineReceiver

    from crmd_twisted.wire import FrameBuffer

    frame = subscribe_frame(depth)
    state = {"frames": 0, "first": 0.0, "last": 0.0, "connected": 0, "snapshots": 0}

    class Reader(protocol.Protocol):
        def connectionMade(self) -> None:
            self.buffer = FrameBuffer()
            self.first = True
            self.transport.write(frame)  # type: ignore[union-attr]

        def dataReceived(self, data: bytes) -> None:
            n = len(self.buffer.feed(data))
            if not n:
                return
            now = time.perf_counter()
            if self.first:
                self.first = False
                state["snapshots"] += 1
                if state["snapshots"] == count:
                    print("ready", flush=True)
            if not state["frames"]:
                state["first"] = now
            state["frames"] += n
            state["last"] = now

    class Control(LineReceiver):
        delimiter = b"\n"

        def lineReceived(self, line: bytes) -> None:
            if line == b"mark":
                state.update(frames=0, first=0.0, last=0.0)
                print("marked", flush=True)
            elif line == b"report":
                print(f"frames={state['frames']} first={state['first']} last={state['last']}",
                      flush=True)

        def connectionLost(self, reason: Any = None) -> None:
            reactor.stop()  # type: ignore[attr-defined]

    for _ in range(count):
        protocol.ClientCreator(reactor, Reader).connectTCP(HOST, port)
    stdio.StandardIO(Control())
    reactor.run()  # type: ignore[attr-defined]


class Subscribers:
    """A subscriber child process and its control lines."""

    def __init__(self, mode: str, port: int, count: int, depth: int) -> None:
        assert mode in (STALLED, READING), mode
        self.proc = subprocess.Popen(
            [sys.executable, __file__, f"--{mode}", str(port), "--count", str(count),
             "--depth", str(depth)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.expect("ready")

    def expect(self, word: str) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith(word):
            raise SystemExit(f"subscribers said {line!r}, expected {word!r}")
        return line

    def ask(self, command: str, answer: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.expect(answer)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the fan-out alone, in this process (no conflation: one flush per order) -----------------------


def fanout_cost(orders: int, subscribers: int, depth: int, levels: int) -> tuple[float, float]:
    """(us per order of market data, frames/s built) with one flush per order, in-process.

    The engine alone, then the engine + on_events + flush + encode_seq of every frame
    for *subscribers* (what each connection does before writing): the difference is
    the fan-out's CPU cost per order in its worst case, when nothing is conflated.
    """
    from crmd_twisted.accounts import AccountDirectory
    from crmd_twisted.engine import MatchingEngine, NewOrder
    from crmd_twisted.keys import SessionKeys
    from crmd_twisted.mds import DirectoryKeyCheck, MarketDataCore, Send
    from crmd_twisted.wire import MdSubscribe

    def orders_for() -> list[NewOrder]:
        return [NewOrder(1, i + 1, 1, 1, 1, 1000.0 + (i % levels) * 0.5, 0.001, 2)
                for i in range(orders)]

    engine = MatchingEngine()
    batch = orders_for()
    start = time.perf_counter()
    for order in batch:
        engine.submit(order)
    bare = time.perf_counter() - start

    engine = MatchingEngine()
    keys = SessionKeys.from_text("bench")
    core = MarketDataCore(engine, DirectoryKeyCheck(keys, AccountDirectory(), check_keys=False))
    frame = MdSubscribe(message_type=38, account=1, session_key=1, sub1_symbol_enum=1,
                        sub1_symbol="BTCUSD", sub1_symbol_type=1, sub1_layers=depth,
                        sub1_action="S")
    seqs = {}
    for n in range(subscribers):
        sub = core.connect(n)
        core.subscribe(sub, frame)
        seqs[sub] = 0
    core.flush()
    batch = orders_for()
    built = 0
    start = time.perf_counter()
    for order in batch:
        core.on_events(engine.submit(order))
        for decision in core.flush():
            if isinstance(decision, Send):
                for message in decision.messages:
                    seqs[decision.subscriber] += 1
                    message.encode_seq(seqs[decision.subscriber])
                    built += 1
    with_md = time.perf_counter() - start
    return (with_md - bare) / orders * 1e6, built / with_md


# -- the runs (this process) ----------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Server:
    """A fresh ``crmd-oes --md-listen`` process per run."""

    def __init__(self, tmp: Path, accounts: Path, run: int) -> None:
        self.port, self.md_port = free_port(), free_port()
        twistd = ["-n", "--pidfile=", "--logfile", str(tmp / f"oes{run}.log"), "crmd-oes",
                  "--listen", f"tcp:{self.port}:interface={HOST}",
                  "--md-listen", f"tcp:{self.md_port}:interface={HOST}",
                  "--accounts", str(accounts)]
        self.proc = start_server([sys.executable, bench_oes.__file__, "--serve-oes", *twistd],
                                 tmp, f"oes{run}", self.port)

    def stop(self) -> None:
        stop(self.proc)


def one_run(args: argparse.Namespace, tmp: Path, accounts: Path, run: int,
            subscribers: tuple[str, int, int] | None) -> dict[str, float]:
    server = Server(tmp, accounts, run)
    subs = None
    try:
        if subscribers is not None:
            mode, count, depth = subscribers
            subs = Subscribers(mode, server.md_port, count, depth)
            time.sleep(0.5)  # let the stalled transports fill up and pause
            if mode == READING:
                subs.ask("mark", "marked")
        rss_before = rss_kib(server.proc.pid)
        h = measure(args, server.port, ACCOUNTS[0])
        result = {"tput": h["answered"] / (h["end"] - h["start"]), "acks": h["acks"],
                  "answered": h["answered"], "rss_before": rss_before,
                  "rss_after": rss_kib(server.proc.pid)}
        if subs is not None and subscribers is not None and subscribers[0] == READING:
            time.sleep(1.0)  # the last conflated snapshots
            report = subs.ask("report", "frames=")
            fields = dict(part.split("=") for part in report.split())
            result["frames"] = float(fields["frames"])
            result["md_seconds"] = float(fields["last"]) - float(fields["first"])
            result["order_seconds"] = h["end"] - h["start"]
        return result
    finally:
        if subs is not None:
            subs.close()
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    ap.add_argument("--orders", type=int, default=30_000, help="orders per run")
    ap.add_argument("--window", type=int, default=1000, help="in-flight limit (pipelining)")
    ap.add_argument("--levels", type=int, default=10, help="price levels the orders go to")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median shown)")
    ap.add_argument("--stalled", type=int, default=50, help="non-reading depth-30 subscribers")
    ap.add_argument("--readers", type=int, default=100, help="reading depth-10 subscribers")
    ap.add_argument("--client-phase", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--logon", help=argparse.SUPPRESS)
    ap.add_argument("--stalled-subscribers", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--reading-subscribers", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--depth", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client_phase:
        client_phase(args)
        return
    if args.stalled_subscribers:
        stalled_subscribers(args.stalled_subscribers, args.count, args.depth)
        return
    if args.reading_subscribers:
        reading_subscribers(args.reading_subscribers, args.count, args.depth)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench_md_"))
    accounts = tmp / "accounts.toml"
    write_accounts(accounts)
    runs: dict[str, list[dict[str, float]]] = {"without": [], "stalled": [], "reading": []}
    plans = {"without": None, "stalled": (STALLED, args.stalled, 30),
             "reading": (READING, args.readers, 10)}
    n = 0
    for r in range(args.repeat):
        # alternate the order, so a slow spell of the host does not hit one kind only
        order = ["without", "stalled", "reading"] if r % 2 == 0 else ["stalled", "without",
                                                                       "reading"]
        for kind in order:
            n += 1
            plan = plans[kind]
            result = one_run(args, tmp, accounts, n, plan)
            runs[kind].append(result)
            print(f"run {n:2} {kind:8} {result['tput']:9,.0f} orders/s  RSS "
                  f"{result['rss_before'] / 1024:.1f} -> {result['rss_after'] / 1024:.1f} MiB",
                  flush=True)
            if result["acks"] != result["answered"]:
                print(f"WARNING: {result['answered'] - result['acks']:.0f} answers were not "
                      f"ORDER_ACK (see {tmp})")
    report(args, runs, os.cpu_count() or 0)
    costs = [fanout_cost(5000, args.readers, 10, args.levels) for _ in range(args.repeat)]
    cost = median([c[0] for c in costs])
    rate = median([c[1] for c in costs])
    print(f"(b) in-process, one flush per order (nothing conflated), {args.readers} depth-10 "
          f"subscribers: {cost:.0f} us of market data per order = {cost / args.readers:.2f} us "
          f"per subscriber; {rate:,.0f} frames/s built and numbered (runs: "
          + " ".join(f"{c[0]:.0f}" for c in costs) + " us)")


def report(args: argparse.Namespace, runs: dict[str, list[dict[str, float]]], cpus: int) -> None:
    t = {kind: median([x["tput"] for x in rs]) for kind, rs in runs.items()}
    growth = {kind: median([(x["rss_after"] - x["rss_before"]) / 1024 for x in rs])
              for kind, rs in runs.items()}
    print(f"\n{args.orders} NEW -> ORDER_ACK per run, window {args.window}, orders over the "
          f"top {args.levels} levels; median of {args.repeat} fresh-server runs; {cpus} CPUs")
    print(f"{'':34}{'orders/s':>10}{'RSS growth MiB':>16}   runs")
    labels = {"without": "(a) no subscribers",
              "stalled": f"(a) {args.stalled} stalled depth-30 subscribers",
              "reading": f"(b) {args.readers} reading depth-10 subscribers"}
    for kind, rs in runs.items():
        each = " ".join(f"{x['tput']:,.0f}" for x in rs)
        print(f"{labels[kind]:34}{t[kind]:10,.0f}{growth[kind]:16.1f}   {each}")
    ratio = t["stalled"] / t["without"]
    print(f"\n(a) throughput with/without stalled subscribers = {ratio:.3f} "
          f"(goal >= 0.9: {'met' if ratio >= 0.9 else 'MISSED'}); RSS growth over a run "
          f"{growth['stalled']:.1f} MiB with vs {growth['without']:.1f} MiB without")
    reading = runs["reading"]
    frames = median([x["frames"] for x in reading])
    fps = median([x["frames"] / x["md_seconds"] for x in reading if x["md_seconds"] > 0])
    per_order = frames / args.orders / args.readers
    cost = (1 / t["reading"] - 1 / t["without"]) * 1e6
    print(f"(b) {frames:,.0f} market-data frames delivered per run = {fps:,.0f} frames/s to "
          f"{args.readers} subscribers ({per_order:.3f} frames per order per subscriber: "
          f"conflated per reactor turn)")
    print(f"    fan-out cost per order = {cost:.1f} us (1/{t['reading']:,.0f} - "
          f"1/{t['without']:,.0f}), {cost * 1e3 / max(per_order * args.readers, 1e-9):.0f} ns "
          f"per frame; the readers' process shares the CPUs")


if __name__ == "__main__":
    main()
