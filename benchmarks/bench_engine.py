"""Throughput of the matching engine (a script; pytest does not collect it).

    python benchmarks/bench_engine.py [--commands N] [--seed S] [--depths 1000,10000,...]

1. A seeded mixed workload (adds near the touch, cancels, marketable orders,
   replaces) -> commands/s and events/s.
2. The LMT-and-cancel-only subset of the same stream through ours and through a
   minimal price-time book written below (heap of price levels with lazy
   deletion, deque per level, dict of orders, nothing else; like ours it drops
   the unfilled rest of an IOC order) -> ours / minimal, median of N
   alternating runs per side, with the garbage collector on and then off.
3. Cost per command against a book already holding 1k ... 1M resting orders.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import random
import statistics
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crmd_twisted.engine import (
    CancelOrder,
    MatchingEngine,
    NewOrder,
    ReplaceOrder,
)

SYM = 1  # BTCUSD, tick 0.5, lot 0.00001
TICK = 0.5
LOT = 0.00001
MID = 200_000  # ticks (price 100000.0)
Command = NewOrder | CancelOrder | ReplaceOrder


# ---------------------------------------------------------------------- workload


def workload(n: int, seed: int, mix: tuple[float, float, float, float]) -> list[Command]:
    """``n`` commands: fractions (add, cancel, marketable, replace) of ``mix``."""
    rng = random.Random(seed)
    out: list[Command] = []
    live: list[tuple[int, int, int, int, int]] = []  # (account, id, side, ticks, lots)
    next_id: dict[int, int] = {}
    mid = MID
    a_add, a_can, a_mkt, _ = mix
    c1, c2, c3 = a_add, a_add + a_can, a_add + a_can + a_mkt

    def nid(acct: int) -> int:
        v = next_id.get(acct, 0) + 1
        next_id[acct] = v
        return v

    for _ in range(n):
        r = rng.random()
        acct = rng.randint(1, 50)
        if rng.random() < 0.01:
            mid += rng.choice((-1, 1))
        if r < c1 or not live:
            side = 1 if rng.random() < 0.5 else 2
            off = int(rng.expovariate(0.25)) + 1
            ticks = mid - off if side == 1 else mid + off
            lots = rng.randint(1, 100) * 1000
            oid = nid(acct)
            out.append(NewOrder(acct, oid, SYM, side, 1, ticks * TICK, lots * LOT, 2))
            live.append((acct, oid, side, ticks, lots))
        elif r < c2:
            i = rng.randrange(len(live))
            live[i], live[-1] = live[-1], live[i]
            a, oid, *_ = live.pop()
            out.append(CancelOrder(a, nid(a), oid))
        elif r < c3:
            side = 1 if rng.random() < 0.5 else 2
            lots = rng.randint(1, 200) * 1000
            if rng.random() < 0.5:
                out.append(NewOrder(acct, nid(acct), SYM, side, 2, 0.0, lots * LOT, 3))
            else:
                ticks = mid + 3 if side == 1 else mid - 3
                out.append(NewOrder(acct, nid(acct), SYM, side, 1, ticks * TICK, lots * LOT, 3))
        else:
            i = rng.randrange(len(live))
            a, oid, side, ticks, lots = live[i]
            new = nid(a)
            if rng.random() < 0.5:
                ticks += -1 if side == 1 else 1
            else:
                lots = max(1000, lots - 1000)
            out.append(ReplaceOrder(a, new, oid, ticks * TICK, lots * LOT))
            live[i] = (a, new, side, ticks, lots)
    return out


# ---------------------------------------------------------------------- minimal book


class MinimalBook:
    """The smallest honest price-time book: heaps of levels, deque per level, dict of orders."""

    def __init__(self) -> None:
        self.bids: list[int] = []  # heap of -price
        self.asks: list[int] = []  # heap of price
        self.levels: tuple[dict[int, deque[list[int]]], dict[int, deque[list[int]]]] = ({}, {})
        self.orders: dict[tuple[int, int], list[int]] = {}
        self.fills: list[tuple[int, int, int, int]] = []

    def add(self, acct: int, oid: int, side: int, price: int, qty: int, tif: int) -> None:
        """Match then rest the remainder (GTC/DAY limit) or drop it (IOC, tif 3)."""
        if side == 1:
            heap, levels, sgn = self.asks, self.levels[1], 1
        else:
            heap, levels, sgn = self.bids, self.levels[0], -1
        fills = self.fills
        while qty and heap:
            best = heap[0] * sgn
            if (best > price) if side == 1 else (best < price):
                break
            q = levels.get(best)
            if not q:
                heapq.heappop(heap)
                levels.pop(best, None)
                continue
            e = q[0]
            if e[0] == 0:
                q.popleft()
                continue
            x = e[0] if e[0] < qty else qty
            e[0] -= x
            qty -= x
            fills.append((e[1], oid, best, x))
            if e[0] == 0:
                q.popleft()
                del self.orders[(e[2], e[1])]
        if qty and tif != 3:
            own = self.levels[0] if side == 1 else self.levels[1]
            q = own.get(price)
            if q is None:
                q = own[price] = deque()
                heapq.heappush(
                    self.bids if side == 1 else self.asks, -price if side == 1 else price
                )
            e = [qty, oid, acct]
            q.append(e)
            self.orders[(acct, oid)] = e

    def cancel(self, acct: int, oid: int) -> None:
        """Lazy cancel: zero the entry, the matcher skips it."""
        e = self.orders.pop((acct, oid), None)
        if e is not None:
            e[0] = 0


def run_minimal(cmds: list[Command]) -> float:
    book = MinimalBook()
    add, cancel = book.add, book.cancel
    t0 = time.perf_counter()
    for c in cmds:
        if type(c) is NewOrder:
            add(
                c.account,
                c.order_id,
                c.side,
                round(c.price / TICK),
                round(c.order_qty / LOT),
                c.time_in_force,
            )
        else:
            cancel(c.account, c.orig_order_id)  # type: ignore[union-attr]
    return time.perf_counter() - t0


def run_ours(cmds: list[Command], engine: MatchingEngine | None = None) -> tuple[float, int]:
    eng = engine if engine is not None else MatchingEngine(clock=lambda: 0)
    submit = eng.submit
    n_ev = 0
    t0 = time.perf_counter()
    for c in cmds:
        n_ev += len(submit(c))
    return time.perf_counter() - t0, n_ev


# ---------------------------------------------------------------------- depth scaling


def deep_book(d: int, seed: int) -> MatchingEngine:
    """An engine holding ``d`` resting orders over 2*max(d/50, 50) levels, never crossing."""
    rng = random.Random(seed)
    eng = MatchingEngine(clock=lambda: 0)
    spread = max(d // 50, 50)
    submit = eng.submit
    for i in range(d):
        side = 1 if i % 2 else 2
        off = rng.randint(5, spread)
        ticks = MID - off if side == 1 else MID + off
        submit(NewOrder(1 + i % 100, 10_000_000 + i, SYM, side, 1, ticks * TICK, 0.01, 2))
    return eng


def depth_scaling(depths: list[int], seed: int, batch: int) -> None:
    print(
        "\ncost per command vs resting orders (adds near touch / cancels / marketable / replaces;"
        "\nthe same batch on two identical books, one with the gc on, one with it off)"
    )
    cmds = workload(batch, seed + 1, (0.5, 0.3, 0.1, 0.1))
    for d in depths:
        res: list[tuple[float, int]] = []
        for gc_on in (True, False):
            eng = deep_book(d, seed)
            gc.collect()
            if not gc_on:
                gc.disable()
            try:
                res.append(run_ours(cmds, eng))
            finally:
                gc.enable()
            del eng
            gc.collect()
        (el_on, nev), (el_off, _) = res
        print(
            f"  {d:>9,} resting: {el_on / batch * 1e6:6.2f} us/command gc on, "
            f"{el_off / batch * 1e6:6.2f} gc off ({nev / el_on:,.0f} events/s gc on)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--commands", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--depths", default="1000,10000,100000,1000000")
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=7, help="runs per side for the subset")
    args = ap.parse_args()

    cmds = workload(args.commands, args.seed, (0.55, 0.25, 0.1, 0.1))
    gc.collect()
    el, nev = run_ours(cmds)
    print(f"mixed workload: {len(cmds):,} commands in {el:.2f} s")
    print(f"  {len(cmds) / el:,.0f} commands/s, {nev / el:,.0f} events/s ({nev:,} events)")

    sub = [c for c in cmds if type(c) is CancelOrder or (type(c) is NewOrder and c.order_type == 1)]
    n = args.repeat
    print(
        f"\nLMT+cancel subset: {len(sub):,} commands; ours and minimal alternate, "
        f"{n} runs each, same GC setting for both; median (best)"
    )
    for label, gc_on in (("gc enabled (as deployed)", True), ("gc disabled (as timeit)", False)):
        t_ours: list[float] = []
        t_min: list[float] = []
        for _ in range(n):
            for runner, out in (
                (lambda: run_ours(sub)[0], t_ours),
                (lambda: run_minimal(sub), t_min),
            ):
                gc.collect()
                if not gc_on:
                    gc.disable()
                try:
                    out.append(runner())
                finally:
                    gc.enable()
        med_o, med_m = statistics.median(t_ours), statistics.median(t_min)
        print(f"  {label}:")
        print(f"    ours    {len(sub) / med_o:12,.0f} ({len(sub) / min(t_ours):,.0f}) commands/s")
        print(f"    minimal {len(sub) / med_m:12,.0f} ({len(sub) / min(t_min):,.0f}) commands/s")
        print(
            f"    ours / minimal = {med_m / med_o:.2f} median "
            f"({min(t_min) / min(t_ours):.2f} best/best)"
        )

    depth_scaling([int(x) for x in args.depths.split(",") if x], args.seed, args.batch)


if __name__ == "__main__":
    main()
