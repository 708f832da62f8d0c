"""OES throughput and latency over loopback, beside a bare Twisted echo server.

Run::

    python benchmarks/bench_oes.py                 # the table (a few minutes)
    python benchmarks/bench_oes.py --repeat 1      # one run of each (about a minute)
    python benchmarks/bench_oes.py --log-frames    # OES with per-frame log events
    python benchmarks/bench_oes.py --profile oes.prof   # + cProfile of the OES process
    python benchmarks/bench_oes.py --state         # + an OES with --state (SQLite journal)

Five processes: this one starts the servers and a fresh client process per
measurement.  The OES runs as ``twistd -n crmd-oes`` (logging to a file, as
deployed; per-frame log events off unless ``--log-frames``, the plugin's
default).  The baseline is the *floor* (:mod:`floor_oes`): the least a CPython
OES does per order - one Twisted protocol, the same framing, a struct unpack,
a dozen validity checks, a reservation, a heap-and-deque book and a packed
ACK.  Beside it a bare Twisted echo of the same 250-byte frames (it cuts the
stream into frames and writes each one back: per-frame work, no decoding) and
a "chunk echo" that writes whole socket reads back, the transport ceiling.
Every server is measured by the same client code on the same frames:

(a) throughput - non-crossing limit orders (BUY only, spread over 2000 price levels,
    distinct order ids, accounts with huge balances) pipelined with at most
    ``--window`` (1000, the outstanding-request limit) unanswered; orders/s of
    NEW -> ORDER_ACK (echo: frame -> same frame);
(b) latency - the same orders at a fixed ``--rate`` (2000/s); p50/p99 of
    send -> answer, after a warm-up.

Each measurement runs ``--repeat`` times (3), alternating across the servers;
the table shows the medians and the ratios (and the ratio of every run).  With
``--state`` a second OES process runs with ``--state FILE`` (every accepted order
committed to SQLite before its ORDER_ACK is written) and is measured in the same
interleaved runs; goal: its throughput >= 0.7 x the in-memory OES.
Goals: throughput oes/floor >= 0.5, p99 oes/floor <= 1.5.  (Echo's throughput
is mostly the client's own speed: no CPython OES comes near it - the floor
itself is a fraction of it.)
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from twisted.internet import protocol, task

FRAME = 250
ORDER_ID_OFFSET = 12  # transaction.order_id, uint32 LE
MESSAGE_TYPE_OFFSET = 4  # transaction.message_type, uint16 LE
ORDER_ACK = 14
HOST = "127.0.0.1"
STATE_ROW = "oes --state"
SECRET_SESSION = 4242  # AES session id the benchmark derives its K1 from
ACCOUNTS = [(9001 + i, f"bench{i:x}") for i in range(16)]  # user: 1..6 chars


# -- servers (child processes) ----------------------------------------------------------------


def serve_echo(port: int, per_frame: bool) -> None:
    """A bare Twisted echo server of 250-byte frames.

    *per_frame* (the baseline): cut the stream into 250-byte frames and write each
    one back - the least work any frame server must do (no decoding).  Otherwise
    (the "transport ceiling" line): write back every complete run of frames of a
    socket read in one call, no per-frame work at all.
    """
    from twisted.internet import protocol, reactor

    class ChunkEcho(protocol.Protocol):
        buf = b""

        def connectionMade(self) -> None:
            self.transport.setTcpNoDelay(True)

        def dataReceived(self, data: bytes) -> None:
            buf = self.buf + data if self.buf else data
            n = len(buf) - len(buf) % FRAME
            if n:
                self.transport.write(buf[:n])
            self.buf = buf[n:]

    class FrameEcho(ChunkEcho):
        def dataReceived(self, data: bytes) -> None:
            buf = self.buf + data if self.buf else data
            n = len(buf) - len(buf) % FRAME
            write = self.transport.write
            for off in range(0, n, FRAME):
                write(buf[off : off + FRAME])
            self.buf = buf[n:]

    factory = protocol.Factory.forProtocol(FrameEcho if per_frame else ChunkEcho)
    reactor.listenTCP(port, factory, interface=HOST)  # type: ignore[attr-defined]
    print(f"echo listening on {port}", flush=True)
    reactor.run()  # type: ignore[attr-defined]


def serve_oes(argv: list[str]) -> None:
    """``twistd`` in this process (``run`` reads ``sys.argv``)."""
    from twisted.scripts.twistd import run

    sys.argv = ["twistd", *argv]
    run()


def write_accounts(path: Path) -> None:
    lines = []
    for account, user in ACCOUNTS:
        lines += [
            "[[accounts]]",
            f"account = {account}",
            f'user = "{user}"',
            "balances = { BTC = 1e12, USD = 1e15, USDT = 1e15 }",
            "",
        ]
    path.write_text("\n".join(lines))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"server not listening on {port}:\n{log.read_text()}") from None
            time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- client harness (this process) --------------------------------------------------------------


def logon_frame(account: int, user: str) -> bytes:
    from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
    from crmd_twisted.wire import ClientLogon

    k1 = SessionKeys.from_text(DEFAULT_SECRET).aes_key(account, user, SECRET_SESSION)
    return ClientLogon(
        logon_type=1,
        account=account,
        user_name=user,
        two_fa="000000",
        session_key=k1,
        trading_session_id=0,
        sending_time=time.time_ns(),
    ).encode()


def order_frames(count: int, account: int, key: int, tsid: int) -> list[bytes]:
    """*count* BUY limit orders that never cross (no SELL ever rests)."""
    from crmd_twisted.wire import Transaction

    template = Transaction(
        message_type=1,
        account=account,
        symbol_enum=1,
        symbol="BTCUSD",
        symbol_type=1,
        order_type=1,
        side=1,
        order_qty=0.001,
        time_in_force=2,  # GTC: rests
        trading_session_id=tsid,
        session_key=key,
        sending_time=time.time_ns(),
        attributes="NNNNNNNNNNNN",
    )
    frames = []
    for i in range(count):
        template.order_id = i + 1
        template.msg_seq_num = i + 1
        template.price = 1000.0 + (i % 2000) * 0.5
        frames.append(template.encode())
    return frames


class Harness:
    """One connection, driven by the reactor: window-pipelined or fixed-rate sending."""

    def __init__(self, frames: list[bytes], window: int, rate: float, warmup: int) -> None:
        self.frames = frames
        self.window = window
        self.rate = rate
        self.warmup = warmup
        self.sent = 0
        self.answered = 0
        self.acks = 0
        self.other = 0
        self.sentAt = [0] * (len(frames) + 1)
        self.latencies: list[int] = []
        self.buf = b""
        self.start = 0.0
        self.end = 0.0


_unpack_id = struct.Struct("<I").unpack_from
_unpack_type = struct.Struct("<H").unpack_from


class LoadClient(protocol.Protocol):
    """Logs on (optionally), sends the orders pipelined or at a rate, times the answers."""

    h: Harness
    loggedOn = False
    loop: Any = None

    def __init__(self, count: int, window: int, rate: float,
                 logon: tuple[int, str] | None, frames_for: Any, finished: Any) -> None:
        self.count, self.window, self.rate = count, window, rate
        self.logon, self.frames_for, self.finished = logon, frames_for, finished
        self.buf = b""

    def connectionMade(self) -> None:
        self.transport.setTcpNoDelay(True)
        if self.logon is not None:
            self.transport.write(logon_frame(*self.logon))
        else:
            self.begin(self.frames_for(0, 0))

    def begin(self, frames: list[bytes]) -> None:
        self.loggedOn = True
        count = self.count
        self.h = h = Harness(frames, self.window, self.rate, warmup=min(count // 10, 2000))
        h.start = time.perf_counter()
        if self.rate > 0:
            self.loop = task.LoopingCall(self.tick)
            self.loop.start(0.001)
        else:
            self.sendUpTo(min(self.window, count))

    def sendUpTo(self, n: int) -> None:
        h = self.h
        if n <= h.sent:
            return
        now = time.perf_counter_ns()
        for i in range(h.sent, n):
            h.sentAt[i + 1] = now
        self.transport.write(b"".join(h.frames[h.sent : n]))
        h.sent = n

    def tick(self) -> None:
        h = self.h
        due = min(self.count, int((time.perf_counter() - h.start) * h.rate) + 1)
        self.sendUpTo(due)
        if h.sent >= self.count and self.loop is not None and self.loop.running:
            self.loop.stop()

    def dataReceived(self, data: bytes) -> None:
        if self.loggedOn:
            self.answers(data)
        else:
            self.logonReply(data)

    def logonReply(self, data: bytes) -> None:
        from crmd_twisted.wire import decode

        self.buf += data
        if len(self.buf) < 143:
            return
        reply = decode(self.buf[:143])
        rest = self.buf[143:]
        if reply.login_status != 1:  # type: ignore[attr-defined]
            raise SystemExit(f"logon refused: {reply}")
        self.begin(
            self.frames_for(reply.session_key, reply.trading_session_id)  # type: ignore[attr-defined]
        )
        if rest:
            self.answers(rest)

    def answers(self, data: bytes) -> None:
        h = self.h
        buf = h.buf + data if h.buf else data
        end = len(buf) - len(buf) % FRAME
        now = time.perf_counter_ns()
        sent_at = h.sentAt
        lat = h.latencies
        warm = h.warmup
        n = 0
        for off in range(0, end, FRAME):
            oid = _unpack_id(buf, off + ORDER_ID_OFFSET)[0]
            if _unpack_type(buf, off + MESSAGE_TYPE_OFFSET)[0] == ORDER_ACK:
                h.acks += 1
            else:
                h.other += 1
            if oid > warm:
                lat.append(now - sent_at[oid])
            n += 1
        h.buf = buf[end:]
        h.answered += n
        if h.answered >= self.count:
            h.end = time.perf_counter()
            self.transport.loseConnection()
            self.finished.callback(h)
        elif h.rate <= 0:
            self.sendUpTo(min(self.count, h.answered + h.window))



def run_client(
    port: int, frames_for: Any, count: int, window: int, rate: float, logon: tuple[int, str] | None
) -> Harness:
    """Connect, (log on,) send *count* orders, wait for every answer; return the stats."""
    from twisted.internet import defer, reactor

    finished: defer.Deferred[Harness] = defer.Deferred()
    protocol.ClientCreator(reactor, LoadClient, count, window, rate, logon, frames_for,
                           finished).connectTCP(HOST, port)
    result: list[Harness] = []

    def done(h: Harness) -> None:
        result.append(h)
        reactor.stop()  # type: ignore[attr-defined]

    def failed(f: Any) -> None:
        print(f, file=sys.stderr)
        reactor.stop()  # type: ignore[attr-defined]

    finished.addCallbacks(done, failed)
    reactor.callLater(120, lambda: finished.called or finished.errback(TimeoutError("120 s")))  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]
    if not result:
        raise SystemExit("client failed")
    return result[0]


def measure(
    args: argparse.Namespace, port: int, logon: tuple[int, str] | None, rate: float
) -> Harness:
    """One phase in a fresh client process (the reactor cannot be restarted)."""
    cmd = [
        sys.executable,
        __file__,
        "--client-phase",
        str(port),
        "--orders",
        str(args.latency_orders if rate > 0 else args.orders),
        "--window",
        str(args.window),
        "--rate",
        str(rate),
    ]
    if logon is not None:
        cmd += ["--logon", f"{logon[0]}:{logon[1]}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=150)
    h = Harness([], 0, rate, 0)
    for line in out.stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "lat":
            h.latencies = [int(x) for x in value.split(",") if x]
        elif key in ("start", "end"):
            setattr(h, key, float(value))
        elif key in ("answered", "acks", "other", "sent"):
            setattr(h, key, int(value))
    return h


def client_phase(args: argparse.Namespace) -> None:
    logon = None
    if args.logon:
        acct, user = args.logon.split(":")
        logon = (int(acct), user)
    count = args.orders

    def frames_for(key: int, tsid: int) -> list[bytes]:
        account = logon[0] if logon else 1
        return order_frames(count, account, key, tsid)

    h = run_client(args.client_phase, frames_for, count, args.window, args.rate, logon)
    print(f"start={h.start}\nend={h.end}\nanswered={h.answered}\nacks={h.acks}")
    print(f"other={h.other}\nsent={h.sent}")
    print("lat=" + ",".join(map(str, h.latencies)))


def pct(values: list[int], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] / 1000.0  # microseconds


def median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def start_server(cmd: list[str], tmp: Path, name: str, port: int) -> subprocess.Popen[bytes]:
    out = tmp / f"{name}.out"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with out.open("wb") as o:
        proc = subprocess.Popen(cmd, cwd=tmp, stdout=o, stderr=subprocess.STDOUT, env=env)
    wait_port(port, proc, out)
    return proc


def serve_role(args: argparse.Namespace) -> bool:
    """Run this process as a server or a client phase if asked to; whether it did."""
    if args.serve_echo:
        serve_echo(args.serve_echo, per_frame=not args.chunks)
        return True
    if args.serve_floor:
        from floor_oes import serve_floor

        serve_floor(args.serve_floor)
        return True
    if args.serve_oes is not None:
        serve_oes(args.serve_oes)
        return True
    if args.client_phase:
        client_phase(args)
        return True
    return False


def report(
    args: argparse.Namespace,
    tput: dict[str, list[float]],
    lat: dict[str, list[tuple[float, float, float]]],
) -> None:
    """Print the table of medians and the ratios (oes/floor first)."""
    mode = "on (twistd log file)" if args.log_frames else "off (plugin default)"
    print(f"\nOES vs bare Twisted echo, 250-byte frames, loopback; OES frame logging {mode}")
    print(f"median of {args.repeat} runs each (runs: orders/s | p99 us)")
    print(f"{'':12}{'orders/s':>12}{'p50 us':>9}{'p99 us':>9}{'max us':>9}   runs")
    med: dict[str, tuple[float, float, float, float]] = {}
    for who in ("echo", "floor", "oes", *([STATE_ROW] if args.state else []), "chunk echo"):
        t = median(tput[who])
        p50, p99, pmax = (median([x[i] for x in lat[who]]) for i in range(3))
        med[who] = (t, p50, p99, pmax)
        runs = " ".join(f"{x:,.0f}" for x in tput[who]) + " | " + " ".join(
            f"{x[1]:.0f}" for x in lat[who]
        )
        print(f"{who:12}{t:12,.0f}{p50:9.0f}{p99:9.0f}{pmax:9.0f}   {runs}")
    print("(floor: benchmarks/floor_oes.py, the least a CPython OES does per order - the "
          "baseline;\n echo: per-frame echo; chunk echo: whole reads written back, the "
          "transport ceiling)")
    f_t = med["oes"][0] / med["floor"][0]
    f99 = med["oes"][2] / med["floor"][2]
    spread_t = " ".join(f"{o / f:.2f}" for o, f in zip(tput["oes"], tput["floor"], strict=True))
    spread_99 = " ".join(
        f"{o[1] / f[1]:.2f}" for o, f in zip(lat["oes"], lat["floor"], strict=True)
    )
    print(f"\nthroughput oes/floor = {f_t:.2f}   (goal >= 0.5: {'met' if f_t >= 0.5 else 'MISSED'};"
          f" per run {spread_t})")
    print(f"p99 oes/floor        = {f99:.2f}   (goal <= 1.5: {'met' if f99 <= 1.5 else 'MISSED'};"
          f" per run {spread_99})")
    print(f"p50 oes/floor        = {med['oes'][1] / med['floor'][1]:.2f}")
    print(f"throughput floor/echo = {med['floor'][0] / med['echo'][0]:.3f}")
    r_t = med["oes"][0] / med["echo"][0]
    r50 = med["oes"][1] / med["echo"][1]
    r99 = med["oes"][2] / med["echo"][2]
    print(f"throughput oes/echo = {r_t:.3f}")
    print(f"p50 oes/echo        = {r50:.2f}")
    print(f"p99 oes/echo        = {r99:.2f}")
    print(f"throughput oes/chunk echo = {med['oes'][0] / med['chunk echo'][0]:.3f}")
    if args.state:
        r_s = med[STATE_ROW][0] / med["oes"][0]
        runs = " ".join(f"{a / b:.2f}" for a, b in zip(tput[STATE_ROW], tput["oes"], strict=True))
        print(f"throughput oes --state / oes = {r_s:.3f}   (goal >= 0.7: "
              f"{'met' if r_s >= 0.7 else 'MISSED'}; per run: {runs})")
        print(f"p99 oes --state / oes        = {med[STATE_ROW][2] / med['oes'][2]:.2f}")
    print(
        f"(window {args.window}, {args.orders} orders; latency at {args.rate:.0f}/s, "
        f"{args.latency_orders} orders, first 10% skipped)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=100_000, help="orders of the throughput runs")
    ap.add_argument("--latency-orders", type=int, default=16_000, help="orders at --rate")
    ap.add_argument("--window", type=int, default=1000, help="in-flight limit (pipelining)")
    ap.add_argument("--rate", type=float, default=2000.0, help="orders/s of the latency run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median shown)")
    ap.add_argument(
        "--log-frames", action="store_true", help="OES with per-frame log events (twistd log file)"
    )
    ap.add_argument("--profile", metavar="FILE", help="cProfile the OES process into FILE")
    ap.add_argument(
        "--state", action="store_true", help="also measure an OES with --state (SQLite journal)"
    )
    ap.add_argument("--client-phase", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--logon", help=argparse.SUPPRESS)
    ap.add_argument("--serve-echo", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--serve-floor", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--chunks", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--serve-oes", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if serve_role(args):
        return
    if not 1 <= args.repeat <= len(ACCOUNTS) // 2:
        ap.error(f"--repeat must be 1..{len(ACCOUNTS) // 2}")

    tmp = Path(tempfile.mkdtemp(prefix="bench_oes_"))
    accounts = tmp / "accounts.toml"
    write_accounts(accounts)
    ports = {
        "echo": free_port(), "floor": free_port(), "chunk echo": free_port(), "oes": free_port()
    }
    if args.state:
        ports[STATE_ROW] = free_port()
    twistd_args = ["-n", "--pidfile=", "--logfile", str(tmp / "oes.log")]
    if args.profile:
        twistd_args += [
            "--profile",
            str(Path(args.profile).resolve()),
            "--profiler",
            "cprofile",
            "--savestats",
        ]
    twistd_args += [
        "crmd-oes",
        "--listen",
        f"tcp:{ports['oes']}:interface={HOST}",
        "--accounts",
        str(accounts),
    ]
    if args.log_frames:
        twistd_args.append("--log-frames")
    me = [sys.executable, __file__]
    procs = []
    try:
        procs.append(start_server([*me, "--serve-oes", *twistd_args], tmp, "oes", ports["oes"]))
        if args.state:
            durable = [a.replace(str(tmp / "oes.log"), str(tmp / "oes-state.log")).replace(
                f"tcp:{ports['oes']}:", f"tcp:{ports[STATE_ROW]}:") for a in twistd_args]
            durable += ["--state", str(tmp / "bench-state.sqlite")]
            procs.append(start_server([*me, "--serve-oes", *durable], tmp, "oes-state",
                                      ports[STATE_ROW]))
        procs.append(start_server([*me, "--serve-echo", str(ports["echo"])], tmp, "echo",
                                  ports["echo"]))
        procs.append(start_server([*me, "--serve-floor", str(ports["floor"])], tmp, "floor",
                                  ports["floor"]))
        procs.append(start_server([*me, "--serve-echo", str(ports["chunk echo"]), "--chunks"],
                                  tmp, "chunk", ports["chunk echo"]))
        tput: dict[str, list[float]] = {k: [] for k in ports}
        lat: dict[str, list[tuple[float, float, float]]] = {k: [] for k in ports}
        warnings = []
        # Interleaved, so a slow spell of the host hits every server alike.  Each OES
        # run logs on to an account of its own (order ids restart at 1 every run); the
        # OES book keeps every resting order, so later runs meet a bigger book.
        for r in range(args.repeat):
            for who, port in ports.items():
                is_oes = who.startswith("oes")
                logon = None if not is_oes else ACCOUNTS[2 * r]
                h = measure(args, port, logon, 0)
                tput[who].append(h.answered / (h.end - h.start))
                if (is_oes or who == "floor") and h.acks != h.answered:
                    warnings.append(f"{who} tput run {r}: {h.answered - h.acks} not ORDER_ACK")
                logon = None if not is_oes else ACCOUNTS[2 * r + 1]
                h = measure(args, port, logon, args.rate)
                lat[who].append(
                    (pct(h.latencies, 50), pct(h.latencies, 99), pct(h.latencies, 100))
                )
                if (is_oes or who == "floor") and h.acks != h.answered:
                    warnings.append(f"{who} lat run {r}: {h.answered - h.acks} not ORDER_ACK")
    finally:
        for proc in procs:
            stop(proc)

    for w in warnings:
        print(f"WARNING {w} (see {tmp / 'oes.log'})")
    report(args, tput, lat)
    if args.profile:
        import pstats

        print(f"\nOES profile ({args.profile}), top 25 by own time:")
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
