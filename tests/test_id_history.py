"""OrderIdHistory: the same answers as a set of used ids, in a few runs."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from crmd_twisted.engine import MatchingEngine
from crmd_twisted.engine.id_history import MERGE_BATCH, OrderIdHistory


def test_counter_ids_are_one_run() -> None:
    history = OrderIdHistory()
    prefix = 7 << 47
    for n in range(1, 10_001):
        history.add(prefix | n)
    assert history.runs == 1 and len(history) == 10_000
    assert (prefix | 1) in history and (prefix | 10_000) in history
    assert (prefix | 10_001) not in history and prefix not in history


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_a_set(seed: int) -> None:
    rng = random.Random(seed)
    history = OrderIdHistory()
    used: set[int] = set()
    counter = 1000
    for _ in range(3 * MERGE_BATCH):
        roll = rng.random()
        if roll < 0.6:
            counter += 1
            oid = counter  # the next id of a counter
        elif roll < 0.8:
            counter += rng.randint(2, 50)
            oid = counter  # a gap
        elif roll < 0.97:
            oid = rng.randint(1, counter)  # an old id, maybe used
        else:
            oid = rng.choice([0, -5, 2**64 - 1, 2**64 + 3])  # edges outside the runs
        history.add(oid)
        used.add(oid)
    probes = list(used) + [rng.randint(-10, counter + 100) for _ in range(5000)]
    assert [p in history for p in probes] == [p in used for p in probes]
    assert len(history) == len(used)
    assert set(history) == used


def test_out_of_order_ids_merge_into_runs() -> None:
    history = OrderIdHistory()
    ids = list(range(1, 3 * MERGE_BATCH + 1))
    for oid in reversed(ids):  # descending: every id arrives out of order
        history.add(oid)
    assert all(oid in history for oid in ids)
    assert 0 not in history and len(ids) + 1 not in history
    assert history.runs <= MERGE_BATCH  # merged, not one entry per id


def test_engine_memory_per_cancelled_order_is_flat() -> None:
    """NEW + CANCEL pairs with an empty book: the id history does not grow per order."""
    from crmd_twisted.engine import CancelOrder, NewOrder

    engine = MatchingEngine(clock=lambda: 1_700_000_000_000_000_000)
    prefix = 3 << 47

    def pairs(start: int, count: int) -> None:
        for n in range(start, start + 2 * count, 2):
            engine.submit(NewOrder(account=1, order_id=prefix | n, symbol_enum=1, side=1,
                                   order_type=1, price=100.0, order_qty=1.0, time_in_force=2))
            engine.submit(CancelOrder(account=1, order_id=prefix | (n + 1),
                                      orig_order_id=prefix | n))

    pairs(1, 1000)  # warm up
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    pairs(2001, 20_000)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 20_000  # bytes for 20k orders (a set of ids: > 1 MB)
    assert engine.knows_order_id(1, prefix | 2001) and engine.knows_order_id(1, prefix | 42_000)
    assert not engine.knows_order_id(1, prefix | 42_001)
