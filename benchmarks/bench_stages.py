"""Where the server CPU time of one order goes: NEW -> ORDER_ACK, in process.

Run ``python benchmarks/bench_stages.py`` (about 30 s).  The same plain BUY limit
orders as ``bench_oes.py`` (GTC, never crossing, 2000 price levels, a huge
balance) go through each stage alone, timed with ``time.process_time`` (CPU
time of this process: what another busy process on the host does not change
much); each stage is run ``--rounds`` times in alternation with the others and
the table shows the median and the spread (min-max) in microseconds per order:

* decode - ``wire.decode(frame)``;
* engine - ``MatchingEngine.submit(NewOrder)`` alone, no risk hook;
* core - the general path: ``OrderEntryCore.transaction`` on decoded frames
  (validation, command, engine with the OES's risk checks, reservation, ACK
  built), ``send`` a no-op;
* core + send - the same with every answer numbered and encoded by a
  :class:`~crmd_twisted.session.Connection` (the general path's writes);
* lane - the core's frame lane (``core.lane.new_order``) on each raw frame,
  the ACK frame written to a no-op (what the protocol does for these orders);
* shell - ``OESProtocol.dataReceived`` of the raw frames in 25 kB chunks on a
  ``StringTransport`` (framing, dispatch, the lane, one write per chunk;
  per-frame log events off, the library default);
* floor OES - the same for the CPython floor of ``floor_oes.py`` (the baseline
  of ``bench_oes.py``).

The rest of a loopback order (the reactor, the socket system calls) is what
``bench_oes.py`` adds.  Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.engine import DEFAULT_INSTRUMENTS, MatchingEngine, NewOrder
from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.oes.protocol import OESFactory
from crmd_twisted.session import Connection, Role
from crmd_twisted.wire import ClientLogon, Message, Transaction, decode

ACCOUNT, USER, SID = 9001, "bench", 4242
BALANCES = {"BTC": 1e12, "USD": 1e15, "USDT": 1e15}
KEYS = SessionKeys.from_text(DEFAULT_SECRET)


def frames(count: int, key: int, tsid: int) -> list[bytes]:
    template = Transaction(
        message_type=1, account=ACCOUNT, symbol_enum=1, symbol="BTCUSD", symbol_type=1,
        order_type=1, side=1, order_qty=0.001, time_in_force=2, trading_session_id=tsid,
        session_key=key, sending_time=time.time_ns(), attributes="NNNNNNNNNNNN",
    )
    out = []
    for i in range(count):
        template.order_id = i + 1
        template.msg_seq_num = i + 1
        template.price = 1000.0 + (i % 2000) * 0.5
        out.append(template.encode())
    return out


def new_core() -> OrderEntryCore:
    directory = AccountDirectory([Account(ACCOUNT, USER, balances=BALANCES)], open=False)
    return OrderEntryCore(directory, KEYS, DEFAULT_INSTRUMENTS)


def logon_request() -> ClientLogon:
    return ClientLogon(
        logon_type=1, account=ACCOUNT, user_name=USER, two_fa="000000",
        session_key=KEYS.aes_key(ACCOUNT, USER, SID), trading_session_id=0,
        sending_time=time.time_ns(),
    )


def logged_on(core: OrderEntryCore, send: Callable[[Message], None]) -> Session:
    session = core.logon(logon_request(), send, lambda reason: None)
    assert isinstance(session, Session), session
    return session


def cpu(run: Callable[[], None], n: int) -> float:
    """Microseconds of CPU per order of *run* (which handles *n* orders)."""
    gc.collect()
    start = time.process_time()
    run()
    return (time.process_time() - start) / n * 1e6


def stage_decode(n: int) -> float:
    raw = frames(n, 1, SID)
    return cpu(lambda: [decode(f) for f in raw] and None, n)


def stage_engine(n: int) -> float:
    engine = MatchingEngine(DEFAULT_INSTRUMENTS)
    cmds = [
        NewOrder(ACCOUNT, i + 1, 1, 1, 1, 1000.0 + (i % 2000) * 0.5, 0.001, 2) for i in range(n)
    ]
    submit = engine.submit
    return cpu(lambda: [submit(c) for c in cmds] and None, n)


def stage_core(n: int, encode: bool) -> float:
    core = new_core()
    if encode:
        conn = Connection(Role.SERVER)
        send: Callable[[Message], None] = conn.send  # type: ignore[assignment]
    else:
        def send(message: Message) -> None:
            pass
    session = logged_on(core, send)
    msgs = [decode(f) for f in frames(n, session.key, session.trading_session_id)]
    transaction = core.transaction

    def run() -> None:
        for m in msgs:
            transaction(session, m, 1, owned=True)  # type: ignore[arg-type]

    us = cpu(run, n)
    assert len(core.orders) == n, len(core.orders)
    return us


def stage_lane(n: int) -> float:
    """The core's frame lane alone: ``core.lane.new_order`` on each frame, the ACK
    frame written to a no-op."""
    core = new_core()
    session = logged_on(core, lambda message: None)
    session.send_frame = lambda frame: None
    counter = iter(range(1, 10**9))
    session.next_seq = counter.__next__
    raw = frames(n + 1, session.key, session.trading_session_id)
    core.transaction(session, decode(raw[0]), 1)  # type: ignore[arg-type]  # the account
    raw = raw[1:]
    new_order = core.lane.new_order

    def run() -> None:
        for f in raw:
            new_order(session, f, 1)

    us = cpu(run, n)
    assert len(core.orders) == n + 1, len(core.orders)
    return us


def stage_shell(n: int) -> float:
    core = new_core()
    factory = OESFactory(core, clock=Clock())
    proto = factory.buildProtocol(None)
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(logon_request().encode())
    session = proto.session
    assert session is not None
    raw = b"".join(frames(n, session.key, session.trading_session_id))
    chunks = [raw[i : i + 25_000] for i in range(0, len(raw), 25_000)]
    transport.clear()

    def run() -> None:
        for c in chunks:
            proto.dataReceived(c)
            transport.clear()

    us = cpu(run, n)
    assert len(core.orders) == n, len(core.orders)
    return us


def stage_floor(n: int) -> float:
    from floor_oes import floor_protocol

    proto = floor_protocol()()
    transport = StringTransport()
    proto.makeConnection(transport)
    raw = b"".join(frames(n, 0, 0))
    chunks = [raw[i : i + 25_000] for i in range(0, len(raw), 25_000)]

    def run() -> None:
        for c in chunks:
            proto.dataReceived(c)
            transport.clear()

    us = cpu(run, n)
    assert len(proto.reserved) == n, len(proto.reserved)
    return us


def lane_steps(n: int) -> dict[str, float]:
    """CPU us per order of each step of the lane, each timed alone on the same orders."""
    from crmd_twisted.oes import lane as lane_module

    core = new_core()
    session = logged_on(core, lambda message: None)
    raw = frames(n, session.key, session.trading_session_id)
    read = lane_module._read
    values = [read(f) for f in raw]
    assert all(v is not None for v in values)
    limit_equity = core.lane.limit_equity
    ack = lane_module._ack
    price_at, qty_at = lane_module._RECORD.index["price"], lane_module._RECORD.index["order_qty"]

    def engine_run(risk: bool) -> float:
        engine = MatchingEngine(DEFAULT_INSTRUMENTS)
        engine.submit(NewOrder(ACCOUNT, 10**9, 1, 1, 1, 1000.0, 0.001, 2))  # the account
        submit_limit = engine.submit_limit
        check = limit_equity if risk else None

        def run() -> None:
            for i, v in enumerate(values):
                submit_limit(ACCOUNT, i + 1, 1, 1, v[price_at], v[qty_at], 2, check)

        return cpu(run, n)

    ledger = core.ledger
    keys = [(ACCOUNT, 10**8 + i) for i in range(n)]
    return {
        "read the frame (FrameRecord.read)": cpu(lambda: [read(f) for f in raw] and None, n),
        "engine submit_limit, no risk": engine_run(False),
        "engine submit_limit + equity check": engine_run(True),
        "equity check alone (limit_equity)": cpu(
            lambda: [limit_equity(ACCOUNT, 1, 1, 1000.0, 0.001) for _ in raw] and None, n
        ),
        "reservation (Ledger.hold_new)": cpu(
            lambda: [ledger.hold_new(k, "USD", 1.0) for k in keys] and None, n
        ),
        "ACK: the frame patched (type, time, number)": cpu(
            lambda: [ack(f, 14, 1, 2) for f in raw] and None, n
        ),
    }


STAGES: dict[str, Callable[[int], float]] = {
    "decode": stage_decode,
    "engine (no risk hook)": stage_engine,
    "core (send a no-op)": lambda n: stage_core(n, False),
    "core + send (number, encode)": lambda n: stage_core(n, True),
    "lane (core.lane.new_order)": stage_lane,
    "shell (StringTransport)": stage_shell,
    "floor OES (StringTransport)": stage_floor,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--gc", choices=("tuned", "default", "off"), default="tuned",
        help="the collector as twistd's OES tunes it (tune_gc, the default), "
             "Python's defaults, or disabled",
    )
    ap.add_argument("--lane-steps", action="store_true",
                    help="also time each step of the lane alone")
    args = ap.parse_args()
    if args.gc == "off":
        gc.disable()
    elif args.gc == "tuned":
        from crmd_twisted.tap.oes import tune_gc

        tune_gc()
    results: dict[str, list[float]] = {name: [] for name in STAGES}
    for _ in range(args.rounds):
        for name, stage in STAGES.items():
            results[name].append(stage(args.orders))
    print(f"Python {sys.version.split()[0]}; {args.orders} orders x {args.rounds} rounds, "
          f"GC {args.gc}; CPU us per order")
    print(f"{'stage':<32}{'median':>8}{'min':>8}{'max':>8}")
    for name, values in results.items():
        s = sorted(values)
        print(f"{name:<32}{s[len(s) // 2]:8.2f}{s[0]:8.2f}{s[-1]:8.2f}")
    if args.lane_steps:
        steps: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for name, us in lane_steps(args.orders).items():
                steps.setdefault(name, []).append(us)
        print(f"\n{'lane step':<46}{'median':>8}{'min':>8}")
        for name, values in steps.items():
            s = sorted(values)
            print(f"{name:<46}{s[len(s) // 2]:8.2f}{s[0]:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
