"""Memory per resting order in the OES, and per logged-on session.

Run ``python benchmarks/bench_resting.py`` (about a minute; ``--orders`` to
change the 300,000).  One :class:`~crmd_twisted.oes.core.OrderEntryCore` takes
plain BUY limit orders (GTC, never crossing, 2000 price levels - the orders of
``bench_oes.py``) as frames cut from one received blob, through its frame lane
as the OES protocol hands them over; every one rests.  Reported per resting
order:

* tracemalloc - bytes allocated and still held after the orders (the frame
  the core keeps is cut inside the measurement, as the framing does);
* the same through the general path (each frame decoded and handed to
  ``transaction``, which keeps an encoded copy);
* RSS - growth of the process's resident set (``/proc/self/statm``) over the
  same run without tracemalloc (what the host pays, allocator slack included);
* engine alone - the same orders as ``NewOrder`` commands straight into a
  :class:`~crmd_twisted.engine.MatchingEngine` (tracemalloc).

Then the memory of one more logged-on session (core state only: the
protocol, transport and Connection objects of a live socket come on top, shown
separately).  Goal: <= 1 KB per resting order in the OES at 300k orders.
Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stages import ACCOUNT, frames, logged_on, logon_request, new_core

from crmd_twisted.engine import DEFAULT_INSTRUMENTS, MatchingEngine, NewOrder
from crmd_twisted.wire import Transaction, decode


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(run: Callable[[], object], trace: bool) -> tuple[int, object]:
    gc.collect()
    if trace:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = rss()
    kept = run()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0] if trace else rss()
    if trace:
        tracemalloc.stop()
    return after - before, kept


def oes_orders(n: int, trace: bool, lane: bool = True) -> float:
    """Bytes per resting order: the frames cut from one received blob inside the
    measurement (as the framing does), then taken by the core's frame lane (what
    the OES protocol does with a plain limit ORDER_NEW) or, *lane* False, decoded
    and handed to ``transaction`` (the general path)."""
    core = new_core()
    session = logged_on(core, lambda message: None)
    session.send_frame = lambda frame: None
    session.next_seq = lambda: 1
    blob = b"".join(frames(n, session.key, session.trading_session_id))
    size = len(blob) // n

    def run() -> object:
        transaction = core.transaction
        new_order = core.lane.new_order
        for at in range(0, len(blob), size):
            frame = blob[at : at + size]
            if lane and new_order(session, frame, 1) is not None:
                continue
            m = decode(frame)  # (the first order: its account is not in the engine yet)
            assert isinstance(m, Transaction)
            transaction(session, m, 1, owned=True)
        return core

    used, kept = measure(run, trace)
    assert len(core.orders) == n and len(core.engine.open_orders(ACCOUNT)) == n
    del kept
    return used / n


def engine_orders(n: int) -> float:
    engine = MatchingEngine(DEFAULT_INSTRUMENTS)
    cmds = [
        NewOrder(ACCOUNT, i + 1, 1, 1, 1, 1000.0 + (i % 2000) * 0.5, 0.001, 2) for i in range(n)
    ]

    def run() -> object:
        submit = engine.submit
        for i in range(n):
            c = cmds[i]
            cmds[i] = None  # type: ignore[call-overload]
            submit(c)
        return engine

    used, _ = measure(run, True)
    return used / n


def session_bytes(count: int) -> tuple[float, float]:
    """(core bytes, protocol-side bytes) per logged-on session."""
    from twisted.internet.task import Clock
    from twisted.internet.testing import StringTransport

    from crmd_twisted.accounts import Account, AccountDirectory
    from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
    from crmd_twisted.oes.core import OrderEntryCore
    from crmd_twisted.oes.protocol import OESFactory
    from crmd_twisted.wire import ClientLogon

    keys = SessionKeys.from_text(DEFAULT_SECRET)
    users = [(ACCOUNT + i, f"u{i}") for i in range(count)]
    directory = AccountDirectory([Account(a, u) for a, u in users], open=False)
    core = OrderEntryCore(directory, keys, DEFAULT_INSTRUMENTS)
    factory = OESFactory(core, clock=Clock())
    requests = [
        ClientLogon(logon_type=1, account=a, user_name=u, two_fa="000000",
                    session_key=keys.aes_key(a, u, 7), sending_time=logon_request().sending_time)
        for a, u in users
    ]
    protos = [factory.buildProtocol(None) for _ in users]
    transports = [StringTransport() for _ in users]

    def run_core() -> object:
        return [core.logon(r, lambda m: None, lambda c: None) for r in requests]

    core_used, kept = measure(run_core, True)
    for s in kept:  # type: ignore[attr-defined]
        core.logout(s)

    def run_shell() -> object:
        for p, t, r in zip(protos, transports, requests, strict=True):
            p.makeConnection(t)
            p.dataReceived(r.encode())
            t.clear()
        return protos

    shell_used, _ = measure(run_shell, True)
    return core_used / count, (shell_used - core_used) / count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=300_000)
    ap.add_argument("--sessions", type=int, default=1000)
    args = ap.parse_args()
    n = args.orders
    rss_per = oes_orders(n, trace=False)
    traced = oes_orders(n, trace=True)
    general = oes_orders(n, trace=True, lane=False)
    engine = engine_orders(n)
    core_s, shell_s = session_bytes(args.sessions)
    print(f"Python {sys.version.split()[0]}; {n:,} resting orders")
    print(f"OES, bytes per resting order   tracemalloc {traced:7.0f}   RSS {rss_per:7.0f}   "
          f"(goal <= 1024: {'met' if max(traced, rss_per) <= 1024 else 'MISSED'})")
    print(f"OES, general path (decoded)    tracemalloc {general:7.0f}")
    print(f"engine alone, bytes per order  tracemalloc {engine:7.0f}")
    print(f"per logged-on session ({args.sessions:,}): core {core_s:,.0f} B, "
          f"protocol + Connection + log-on on a StringTransport {shell_s:,.0f} B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
