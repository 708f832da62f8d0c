"""Crash cycles: ``kill -9`` an OES with ``--state`` while two clients trade, restart, check.

Run::

    python benchmarks/crash_cycles.py                  # 25 cycles, seed 1
    python benchmarks/crash_cycles.py --cycles 40 --seed 7

Each cycle starts ``twistd -n --pidfile= crmd-oes --state FILE`` (the same file
every time) on a free loopback port, logs two clients on (alice rests orders of
every kind - limit, stop, iceberg, OCO, peg, trailing - and cancels them; bob
sends crossing limit and market orders), lets them trade for a random while and
kills the OES with SIGKILL at a random moment: in every other cycle while
requests are in flight, in the others once every request was answered.  The clients
read whatever reached them, the OES is restarted on the same state file, both
clients log on again and check:

* every order the client last saw live is listed with at most the open
  quantity it saw (a missing one is allowed only if a request was unanswered at
  the kill: a committed fill or cancel whose frame never left the process);
* nothing is listed that the client did not see acknowledged (or had in flight);
* the balances equal the opening balances plus the fills the client saw (exact
  after a quiet kill; otherwise both accounts together still hold what they
  started with - no fees - which is what a fill that was committed but not seen
  leaves);
* an id acknowledged in an earlier cycle is refused (DUPLICATE_ORDER_ID) and a
  fresh id is not (a probe with price 0 answers PRICE_INVALID).

The suite runs :func:`run` with 2 cycles (tests/test_oes_crash.py).  Every wait
is bounded; the OES process is always killed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
from crmd_twisted.wire import (
    ClientLogon,
    CollateralData,
    CollateralRequest,
    FrameBuffer,
    Message,
    OpenOrderRequest,
    Transaction,
    decode,
)
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
    TransactionType,
)

HOST = "127.0.0.1"
TT = TransactionType
OT = OrderType
KEYS = SessionKeys.from_text(DEFAULT_SECRET)
START_BALANCES = {"BTC": 100_000.0, "USD": 1e10}
FILLS = frozenset({TT.EXECUTION, TT.EXECUTION_PARTIAL, TT.QUOTE_FILL, TT.QUOTE_FILL_PARTIAL})
TIMEOUT = 10.0


class CrashCheckFailed(AssertionError):
    """A restarted OES lost or invented something."""


@dataclass
class Trader:
    """One client: its socket, what it sent and what it saw."""

    account: int
    user: str
    id_base: int
    rng: random.Random
    next_id: int = 0
    sock: socket.socket | None = None
    buffer: FrameBuffer = field(default_factory=FrameBuffer)
    key: int = 0
    tsid: int = 0
    seq: int = 0
    #: order id -> open quantity, for the orders the client saw acknowledged and live
    live: dict[int, float] = field(default_factory=dict)
    #: requests sent and not answered yet: order id -> request
    pending: dict[int, Transaction] = field(default_factory=dict)
    acked: list[int] = field(default_factory=list)
    balances: dict[str, float] = field(default_factory=lambda: dict(START_BALANCES))
    fills_seen: int = 0

    # -- connection --------------------------------------------------------------------

    def connect(self, port: int, session_id: int) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = FrameBuffer()
        self.sock.sendall(ClientLogon(
            logon_type=1, account=self.account, user_name=self.user, two_fa="000000",
            session_key=KEYS.aes_key(self.account, self.user, session_id),
            trading_session_id=0, sending_time=time.time_ns(),
        ).encode())
        (reply,) = self.read_until(lambda m: isinstance(m, ClientLogon))
        assert isinstance(reply, ClientLogon)
        if reply.login_status != 1:
            raise CrashCheckFailed(f"{self.user}: logon refused: {reply.reject_reason}")
        self.key, self.tsid = reply.session_key, reply.trading_session_id

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def read_until(self, done: object, timeout: float = TIMEOUT) -> list[Message]:
        """Messages up to and including the first for which *done* is true."""
        assert self.sock is not None and callable(done)
        got: list[Message] = []
        deadline = time.monotonic() + timeout
        while True:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = self.sock.recv(1 << 16)
            if not data:
                raise CrashCheckFailed(f"{self.user}: connection closed while waiting")
            for frame in self.buffer.feed(data):
                message = decode(frame)
                got.append(message)
                if done(message):
                    return got
            if time.monotonic() > deadline:
                raise CrashCheckFailed(f"{self.user}: no answer within {timeout} s")

    def poll(self) -> bool:
        """Apply what has arrived; False once the server closed the connection."""
        assert self.sock is not None
        self.sock.setblocking(False)
        try:
            while True:
                try:
                    data = self.sock.recv(1 << 16)
                except (BlockingIOError, InterruptedError):
                    return True
                except OSError:
                    return False
                if not data:
                    return False
                for frame in self.buffer.feed(data):
                    message = decode(frame)
                    if isinstance(message, Transaction):
                        self.apply(message)
        finally:
            self.sock.setblocking(True)

    # -- orders --------------------------------------------------------------------------

    def new_id(self) -> int:
        self.next_id += 1
        return self.id_base + self.next_id

    def request(self, **fields: object) -> Transaction:
        self.seq += 1
        base: dict[str, object] = dict(
            account=self.account, order_id=self.new_id(), symbol_enum=1, symbol="BTCUSD",
            symbol_type=1, trading_session_id=self.tsid, session_key=self.key,
            sending_time=time.time_ns(), attributes=NO_ATTRIBUTES, msg_seq_num=self.seq,
            message_type=TT.ORDER_NEW, order_type=OT.LMT, side=Side.BUY, order_qty=1.0,
            time_in_force=TimeInForce.GTC,
        )
        base.update(fields)
        return Transaction(**base)  # type: ignore[arg-type]

    def send(self, tx: Transaction) -> None:
        assert self.sock is not None
        self.pending[tx.order_id] = tx
        self.sock.sendall(tx.encode())

    def next_request(self, resting: bool) -> Transaction:
        rng = self.rng
        mid = 30000.0 + rng.randint(-5, 5)
        if self.live and rng.random() < 0.2:
            return self.request(message_type=TT.ORDER_CANCEL,
                                orig_order_id=rng.choice(sorted(self.live)))
        if not resting:  # bob: crossing limits, market orders, both sides
            side = rng.choice([Side.BUY, Side.SELL])
            away = 1 if side == Side.BUY else -1
            if rng.random() < 0.2:
                return self.request(order_type=OT.MKT, side=side, price=0.0,
                                    order_qty=float(rng.randint(1, 3)))
            return self.request(side=side, price=mid + away * rng.randint(0, 8),
                                order_qty=float(rng.randint(1, 3)),
                                time_in_force=rng.choice([TimeInForce.GTC, TimeInForce.IOC]))
        side = rng.choice([Side.BUY, Side.SELL])
        away = 1 if side == Side.BUY else -1
        kind = rng.choice([OT.LMT, OT.LMT, OT.STOP_LMT, OT.ICE, OT.OCO, OT.PEG, OT.TSL,
                           OT.STOP_MKT, OT.HIDDEN])
        price = mid - away * rng.randint(1, 6)
        extra: dict[str, object] = {}
        if kind in (OT.STOP_LMT, OT.STOP_MKT, OT.TSL):
            price = mid + away * rng.randint(1, 6)
            extra["stop_limit_price"] = price + away * 2.0
        elif kind == OT.OCO:
            extra["stop_limit_price"] = mid + away * rng.randint(3, 9)
        elif kind == OT.ICE:
            extra.update(layers=2, size_increment=1.0, price_increment=1, price_offset=0.0)
            return self.request(order_type=kind, side=side, price=price, order_qty=2.0, **extra)
        return self.request(order_type=kind, side=side, price=price,
                            order_qty=float(rng.randint(1, 3)), **extra)

    def apply(self, m: Transaction) -> None:
        mtype = m.message_type
        if mtype in FILLS:
            qty, price = m.exec_qty, m.exec_price
            sign = 1.0 if m.side == Side.BUY else -1.0
            self.balances["BTC"] += sign * qty
            self.balances["USD"] -= sign * qty * price
            self.fills_seen += 1
            if m.order_id in self.pending and mtype in (TT.QUOTE_FILL, TT.QUOTE_FILL_PARTIAL):
                # a NEW that traded at once: its first fill is its answer (no ORDER_ACK)
                self.pending.pop(m.order_id)
                self.acked.append(m.order_id)
                if m.order_type not in (OT.MKT, OT.STOP_MKT) and (
                    m.time_in_force != TimeInForce.IOC
                ):
                    self.live[m.order_id] = m.remaining_qty
            if m.remaining_qty <= 0:
                self.live.pop(m.order_id, None)
            elif m.order_id in self.live:
                self.live[m.order_id] = m.remaining_qty
            return
        request = self.pending.pop(m.order_id, None)
        if mtype == TT.ORDER_ACK:
            self.acked.append(m.order_id)
            if m.order_type != OT.MKT and m.time_in_force != TimeInForce.IOC:
                self.live[m.order_id] = m.order_qty
        elif mtype == TT.REPLACED:
            self.acked.append(m.order_id)
            self.live.pop(m.orig_order_id, None)
            self.live[m.order_id] = m.order_qty
        elif mtype == TT.CANCELLED:
            if request is not None:  # our cancel
                self.acked.append(m.order_id)
                self.live.pop(m.orig_order_id, None)
            else:  # the engine cancelled an order (IOC rest, market remainder, ...)
                self.live.pop(m.order_id, None)

    # -- after a restart ---------------------------------------------------------------

    def listing_and_balances(self) -> tuple[dict[int, float], dict[str, float]]:
        assert self.sock is not None
        self.sock.sendall(OpenOrderRequest(
            message_type=TT.OPEN_ORDER_REQUEST, account=self.account,
            trading_session_id=self.tsid, sending_time=time.time_ns(),
        ).encode())
        self.sock.sendall(CollateralRequest(
            message_type=TT.COLLATERAL_UPDATE_REQ, account=self.account, session_key=self.key,
            trading_session_id=self.tsid, sending_time=time.time_ns(),
        ).encode())
        got = self.read_until(lambda m: isinstance(m, CollateralData))
        listed = {m.order_id: m.order_qty for m in got if isinstance(m, Transaction)}
        data = got[-1]
        assert isinstance(data, CollateralData)
        return listed, {"BTC": data.btc_equity, "USD": data.usd_equity}

    def probe(self, order_id: int) -> int:
        """The reject code of a NEW reusing *order_id* with price 0 (45: id used; 14: not)."""
        tx = self.request(order_id=order_id, price=0.0)
        assert self.sock is not None
        self.sock.sendall(tx.encode())
        (answer,) = self.read_until(lambda m: isinstance(m, Transaction))[-1:]
        assert isinstance(answer, Transaction)
        return answer.reject_reason if answer.message_type == TT.REJECT else 0


@dataclass
class CycleReport:
    quiet: bool
    in_flight: int
    requests: int
    fills: int
    listed: int
    explained_missing: int


def start_oes(workdir: Path, port: int, state: Path, accounts: Path) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("twistd")
    twistd = [str(script)] if script.exists() else [sys.executable, "-m", "twisted"]
    log = (workdir / "oes.out").open("ab")
    proc = subprocess.Popen(
        [*twistd, "-n", "--pidfile=", "--logfile", str(workdir / "oes.log"), "crmd-oes",
         "--listen", f"tcp:{port}:interface={HOST}", "--state", str(state),
         "--accounts", str(accounts)],
        cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    log.close()
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise CrashCheckFailed(f"OES exited {proc.returncode}: "
                                   f"{(workdir / 'oes.out').read_text(errors='replace')}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise CrashCheckFailed("OES not listening after 30 s") from None
            time.sleep(0.05)


def kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def trade(traders: list[Trader], rng: random.Random, seconds: float, quiet: bool) -> int:
    """Send bursts from both traders for *seconds*; return how many requests were sent."""
    sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for index, trader in enumerate(traders):
            for _ in range(rng.randint(1, 8)):
                if len(trader.pending) < 50:
                    trader.send(trader.next_request(resting=index == 0))
                    sent += 1
            trader.poll()
        if rng.random() < 0.3:
            time.sleep(rng.random() * 0.01)
    if quiet:  # wait until every request was answered
        end = time.monotonic() + TIMEOUT
        while any(t.pending for t in traders):
            if time.monotonic() > end:
                raise CrashCheckFailed("requests unanswered for 10 s before a quiet kill")
            for trader in traders:
                trader.poll()
            time.sleep(0.002)
        time.sleep(0.05)
        for trader in traders:
            trader.poll()
    return sent


def drain(trader: Trader) -> None:
    """Read what reached the client before the connection died."""
    end = time.monotonic() + 5
    while trader.poll() and time.monotonic() < end:
        time.sleep(0.01)
    trader.close()


def check(traders: list[Trader], in_flight: int, quiet: bool, old_ids: dict[int, int]) -> int:
    """The checks after a restart (module docstring); return the explained missing orders."""
    explained = 0
    listings = []
    for trader in traders:
        listed, balances = trader.listing_and_balances()
        listings.append(balances)
        for oid, qty in trader.live.items():
            if oid in listed:
                if listed[oid] > qty + 1e-9:
                    raise CrashCheckFailed(f"{trader.user}: order {oid} open {listed[oid]} > "
                                           f"{qty} seen")
            elif in_flight:
                explained += 1
            else:
                raise CrashCheckFailed(f"{trader.user}: acknowledged order {oid} lost")
        for oid in listed:
            if oid not in trader.live and oid not in trader.pending and in_flight == 0:
                raise CrashCheckFailed(f"{trader.user}: order {oid} listed but never acked")
            if oid not in trader.live and oid not in trader.pending and oid not in trader.acked:
                raise CrashCheckFailed(f"{trader.user}: unknown order {oid} listed")
        if quiet and balances != trader.balances:
            raise CrashCheckFailed(f"{trader.user}: balances {balances} != {trader.balances} "
                                   "from the fills seen")
        if trader.account in old_ids:
            code = trader.probe(old_ids[trader.account])
            if code != RejectCode.DUPLICATE_ORDER_ID:
                raise CrashCheckFailed(f"{trader.user}: old id {old_ids[trader.account]} "
                                       f"answered {code}, not DUPLICATE_ORDER_ID")
        fresh = trader.probe(trader.new_id())
        if fresh != RejectCode.PRICE_INVALID:
            raise CrashCheckFailed(f"{trader.user}: fresh id probe answered {fresh}")
        # from here on the server's word is the client's view
        trader.live = dict(listed)
        trader.balances = balances
        trader.pending.clear()
    for currency, start in START_BALANCES.items():
        total = sum(b[currency] for b in listings)
        if abs(total - 2 * start) > 1e-6 * abs(start):
            raise CrashCheckFailed(f"{currency}: both accounts hold {total}, not {2 * start}")
    return explained


def run(cycles: int, seed: int, workdir: Path, verbose: bool = False) -> list[CycleReport]:
    """*cycles* kill -9 / restart / check cycles; raise CrashCheckFailed on a loss."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    accounts = workdir / "accounts.toml"
    accounts.write_text("".join(
        f'[[accounts]]\naccount = {a}\nuser = "{u}"\n'
        f"balances = {{ BTC = {START_BALANCES['BTC']}, USD = {START_BALANCES['USD']} }}\n"
        for a, u in ((1001, "alice"), (2002, "bob"))
    ))
    state = workdir / "oes-state.sqlite"
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = int(s.getsockname()[1])
    traders = [Trader(1001, "alice", 1 << 40, random.Random(rng.random())),
               Trader(2002, "bob", 2 << 40, random.Random(rng.random()))]
    old_ids: dict[int, int] = {}
    reports: list[CycleReport] = []
    proc = start_oes(workdir, port, state, accounts)
    try:
        for trader in traders:
            trader.connect(port, 100)
        for cycle in range(cycles):
            quiet = cycle % 2 == 0  # alternate: quiet kill, kill with requests in flight
            sent = trade(traders, rng, rng.uniform(0.2, 0.8), quiet)
            in_flight = sum(len(t.pending) for t in traders)
            kill(proc)
            for trader in traders:
                drain(trader)
            in_flight = max(in_flight, sum(len(t.pending) for t in traders))
            fills = sum(t.fills_seen for t in traders)
            proc = start_oes(workdir, port, state, accounts)
            for trader in traders:
                trader.connect(port, 100 + cycle + 1)
            explained = check(traders, in_flight, quiet and in_flight == 0, old_ids)
            for trader in traders:
                if trader.acked:
                    old_ids[trader.account] = rng.choice(trader.acked)
            report = CycleReport(quiet and in_flight == 0, in_flight, sent, fills,
                                 sum(len(t.live) for t in traders), explained)
            reports.append(report)
            if verbose:
                print(f"cycle {cycle + 1}: {report}", flush=True)
    finally:
        for trader in traders:
            trader.close()
        kill(proc)
    return reports


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    import tempfile

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="crash_cycles_"))
    start = time.monotonic()
    try:
        reports = run(args.cycles, args.seed, workdir, verbose=True)
    except CrashCheckFailed as e:
        raise SystemExit(f"crash_cycles: FAILED: {e} (see {workdir})") from None
    quiet = sum(r.quiet for r in reports)
    print(f"\n{len(reports)} crash cycles passed in {time.monotonic() - start:.0f} s "
          f"(seed {args.seed}): {quiet} quiet kills (exact balances), "
          f"{len(reports) - quiet} with requests in flight "
          f"({sum(r.in_flight for r in reports)} unanswered at the kills, "
          f"{sum(r.explained_missing for r in reports)} orders gone by unseen committed "
          f"fills/cancels); {sum(r.requests for r in reports)} requests, "
          f"{reports[-1].fills if reports else 0} fills seen; state file "
          f"{(workdir / 'oes-state.sqlite').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
