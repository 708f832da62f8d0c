"""Where the server CPU time of one order goes: NEW -> ORDER_ACK, in process.

Run ``python benchmarks/bench_stages.py`` (about 30 s).  The same plain BUY limit
orders as ``bench_oes.py`` (GTC, never crossing, 2000 price levels, a huge
balance) go through each stage alone, timed with ``time.process_time`` (CPU
time of this process: what another busy process on the host does not change
much); each stage is run ``--rounds`` times in alternation with the others and
the table shows the median and the spread (min-max) in microseconds per order:

* decode - ``wire.decode(frame)``;
* engine - ``MatchingEngine.submit(NewOrder)`` alone, no risk hook;
* core - ``OrderEntryCore.transaction`` on decoded frames (validation, command,
  engine with the OES's risk checks, reservation, ACK built), ``send`` a no-op;
* core + send - the same with every answer numbered and encoded by a
  :class:`~crmd_twisted.session.Connection` (what the protocol writes);
* shell - ``OESProtocol.dataReceived`` of the raw frames in 25 kB chunks on a
  ``StringTransport`` (framing, decode, dispatch, pacer, core, encode, write;
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


STAGES: dict[str, Callable[[int], float]] = {
    "decode": stage_decode,
    "engine (no risk hook)": stage_engine,
    "core (send a no-op)": lambda n: stage_core(n, False),
    "core + send (number, encode)": lambda n: stage_core(n, True),
    "shell (StringTransport)": stage_shell,
    "floor OES (StringTransport)": stage_floor,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-gc", action="store_true", help="gc.disable() while timing")
    args = ap.parse_args()
    if args.no_gc:
        gc.disable()
    results: dict[str, list[float]] = {name: [] for name in STAGES}
    for _ in range(args.rounds):
        for name, stage in STAGES.items():
            results[name].append(stage(args.orders))
    print(f"Python {sys.version.split()[0]}; {args.orders} orders x {args.rounds} rounds, "
          f"GC {'off' if args.no_gc else 'on'}; CPU us per order")
    print(f"{'stage':<32}{'median':>8}{'min':>8}{'max':>8}")
    for name, values in results.items():
        s = sorted(values)
        print(f"{name:<32}{s[len(s) // 2]:8.2f}{s[0]:8.2f}{s[-1]:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
