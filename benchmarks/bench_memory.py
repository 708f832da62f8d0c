"""OES memory: per order with an empty book, per resting order, per one-off account.

Run::

    python benchmarks/bench_memory.py                 # 1,000,000 pairs, 100,000 resting
    python benchmarks/bench_memory.py --pairs 200000 --resting 20000
    python benchmarks/bench_memory.py --set-history   # the old id history (a set), to compare

Drives the OES core in this process (what the OES process holds per order; the
network shell keeps nothing per order) through :class:`OrderEntryCore.transaction`
with the ids the project client uses by default (``trading_session_id << 47 | n``):

(a) NEW + CANCEL pairs with an empty book: RSS before / after (goal: < 30 MB for
    1,000,000 pairs);
(b) resting limit orders: RSS and tracemalloc growth per order;
(c) 20,000 one-off accounts of the open directory (log on, log off): RSS growth.

Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.engine import DEFAULT_INSTRUMENTS
from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.wire import ClientLogon, Message, Transaction
from crmd_twisted.wire.enums import NO_ATTRIBUTES, RejectCode, TransactionType

KEYS = SessionKeys.from_text(DEFAULT_SECRET)
TSID = 4242


def rss_mb() -> float:
    gc.collect()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def ignore(_message: Message) -> None:
    pass


def ignore_logout(_reason: RejectCode) -> None:
    pass


def make_core() -> OrderEntryCore:
    return OrderEntryCore(AccountDirectory(open=True), KEYS, DEFAULT_INSTRUMENTS)


def logon(core: OrderEntryCore, account: int, user: str) -> Session:
    outcome = core.logon(
        ClientLogon(logon_type=1, account=account, user_name=user, sending_time=time.time_ns(),
                    trading_session_id=TSID, session_key=KEYS.aes_key(account, user, TSID)),
        ignore, ignore_logout,
    )
    assert isinstance(outcome, Session), outcome
    return outcome


def template(session: Session) -> Transaction:
    return Transaction(
        message_type=TransactionType.ORDER_NEW, account=session.account, symbol_enum=1,
        symbol="BTCUSD", symbol_type=1, order_type=1, side=1, price=1000.0, order_qty=0.001,
        time_in_force=2, trading_session_id=session.trading_session_id,
        session_key=session.key, sending_time=time.time_ns(), attributes=NO_ATTRIBUTES,
    )


def pairs(core: OrderEntryCore, session: Session, count: int, first: int) -> int:
    """*count* NEW + CANCEL pairs; return the next counter value."""
    new = template(session)
    cancel = new.replace(message_type=TransactionType.ORDER_CANCEL)
    prefix = TSID << 47
    n = first
    for _ in range(count):
        core.transaction(session, new.replace(order_id=prefix | n))
        core.transaction(session, cancel.replace(order_id=prefix | (n + 1),
                                                 orig_order_id=prefix | n))
        n += 2
    return n


def empty_book(args: argparse.Namespace) -> None:
    core = make_core()
    session = logon(core, 9001, "mem")
    n = pairs(core, session, 20_000, 1)  # warm up: caches, arenas
    before = rss_mb()
    start = time.perf_counter()
    pairs(core, session, args.pairs, n)
    took = time.perf_counter() - start
    after = rss_mb()
    assert not core.engine.open_orders(9001)
    print(f"(a) {args.pairs:,} NEW+CANCEL pairs, empty book: RSS {before:.1f} -> {after:.1f} MB "
          f"(+{after - before:.1f} MB, {(after - before) * 2**20 / args.pairs:.1f} bytes/pair; "
          f"goal < 30 MB) in {took:.0f} s")


def resting(args: argparse.Namespace) -> None:
    core = make_core()
    session = logon(core, 9002, "rest")
    order = template(session)
    prefix = TSID << 47
    count = args.resting
    before = rss_mb()
    tracemalloc.start()
    traced = tracemalloc.get_traced_memory()[0]
    for n in range(1, count + 1):
        core.transaction(session, order.replace(order_id=prefix | n,
                                                price=1000.0 + (n % 2000) * 0.5))
    traced = tracemalloc.get_traced_memory()[0] - traced
    tracemalloc.stop()
    after = rss_mb()
    assert len(core.engine.open_orders(9002)) == count
    print(f"(b) {count:,} resting limit orders: RSS +{after - before:.1f} MB "
          f"({(after - before) * 2**20 / count:.0f} bytes/order), tracemalloc "
          f"{traced / count:.0f} bytes/order")


def one_off_accounts(args: argparse.Namespace) -> None:
    core = make_core()
    for warm in range(1000):
        core.logout(logon(core, 100_000 + warm, "warm"))
    before = rss_mb()
    for n in range(args.accounts):
        core.logout(logon(core, 200_000 + n, "once"))
    after = rss_mb()
    print(f"(c) {args.accounts:,} one-off accounts (open directory, log on + off): RSS "
          f"{before:.1f} -> {after:.1f} MB (+{after - before:.1f} MB); accounts kept: "
          f"{len(core.ledger.balances)} in the ledger, {len(core.directory)} in the directory")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--resting", type=int, default=100_000)
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--set-history", action="store_true",
                    help="keep used ids in a set, as before (for comparison)")
    args = ap.parse_args()
    if args.set_history:
        import crmd_twisted.engine.engine as engine_module

        engine_module.OrderIdHistory = set  # type: ignore[misc, assignment]
    empty_book(args)
    resting(args)
    one_off_accounts(args)


if __name__ == "__main__":
    main()
