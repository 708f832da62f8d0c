"""Property tests of the matching engine over random mixes of every supported type and TIF.

What is checked after every command (see ``check_*`` below for the exact statements):

* the book is never crossed: best bid < best ask, hidden liquidity included, and the
  visible depth is uncrossed too;
* per order (followed across replaces): filled + open + cancelled == its current total
  quantity, and open never goes negative;
* fills come in pairs sharing ``exec_id``: resting side first (aggressor False), then
  the incoming side, opposite sides, same quantity and price; a static resting order
  (LMT/HIDDEN/OCO limit leg) executes at exactly its own price; an incoming limit never
  executes beyond its limit; exec ids strictly increase;
* price-time priority: among *plain* displayed orders (LMT, no attributes) resting at one
  price level before a command, the ones that receive resting fills during the command
  form a prefix of that level's time queue taken before the command, and every one of
  them except the last is completely filled;
* hidden quantity never reaches the visible depth: every level's visible quantity is the
  sum of the displayed slices of its non-hidden entries, no hidden entry is queued with
  the displayed ones, and the depth view reports exactly those levels;
* an OCO is never triggered after its limit leg executed, and never executes as a
  resting order after its stop leg triggered;
* an ICE order never has more live layers than ``layers``, no layer holds more than
  ``size_increment``, and its layers hold exactly its open quantity;
* replaying the same command list in a fresh engine gives the same events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmd_twisted.engine import (
    CancelOrder,
    CancelReason,
    Cancelled,
    Fill,
    MatchingEngine,
    NewOrder,
    Rejected,
    ReplaceOrder,
    Replaced,
    Triggered,
)
from crmd_twisted.engine.engine import _Order
from crmd_twisted.wire.enums import OrderType as T

S = 1  # BTCUSD, tick 0.5, lot 0.00001
TICK = 0.5
GTC, IOC, FOK, DAY = 2, 3, 1, 6
HID = "NYNNNNNNNNNN"
DSP = "NNYNNNNNNNNN"
EPS = 1e-9

price_t = st.integers(194, 206)
qty_u = st.integers(1, 20)  # x 0.1

new_cmd = st.one_of(
    st.tuples(
        st.just("lmt"), st.integers(1, 3), st.sampled_from([1, 2, 3]), price_t, qty_u,
        st.sampled_from([GTC, GTC, IOC, FOK, DAY]), st.sampled_from(["", "hid", "dsp"]),
        st.integers(1, 5), st.integers(1, 3),
    ),
    st.tuples(st.just("mkt"), st.integers(1, 3), st.sampled_from([1, 2]), qty_u),
    st.tuples(
        st.just("stop"), st.integers(1, 3), st.sampled_from([1, 2]),
        st.sampled_from([T.STOP_MKT, T.STOP_LMT, T.TSM, T.TSL, T.SNIPER_MKT, T.SNIPER_LMT]),
        price_t, price_t, qty_u,
    ),
    st.tuples(
        st.just("peg"), st.integers(1, 3), st.sampled_from([1, 2]),
        st.sampled_from([T.PEG, T.PEG_HIDDEN, T.HIDDEN]), price_t, qty_u,
        st.sampled_from([GTC, GTC, IOC, DAY]),
    ),
    st.tuples(st.just("oco"), st.integers(1, 3), st.sampled_from([1, 2]), price_t, price_t, qty_u),
    st.tuples(
        st.just("ice"), st.integers(1, 3), st.sampled_from([1, 2]), price_t,
        st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2),
        st.booleans(),
    ),
)  # fmt: skip
other_cmd = st.one_of(
    st.tuples(st.just("cancel"), st.integers(0, 1000)),
    st.tuples(st.just("replace"), st.integers(0, 1000), price_t, qty_u),
    st.tuples(st.just("expire")),
)
scripts = st.lists(st.one_of(new_cmd, new_cmd, other_cmd), min_size=8, max_size=80)


def build(script: list[tuple[object, ...]]) -> list[NewOrder | CancelOrder | ReplaceOrder | None]:
    """Turn a script into commands; cancels/replaces refer to earlier orders (None = expire)."""
    out: list[NewOrder | CancelOrder | ReplaceOrder | None] = []
    ids: list[tuple[int, int]] = []  # (account, current id) of every new order
    nxt = [0, 0, 0, 0]

    def nid(a: int) -> int:
        nxt[a] += 1
        return nxt[a]

    for s in script:
        kind = s[0]
        if kind == "lmt":
            _, a, side, p, q, tif, at, d, r = s
            attrs = {"": "NNNNNNNNNNNN", "hid": HID, "dsp": DSP}[at]  # type: ignore[index]
            extra = {"display_size": d / 10, "refresh_size": r / 10} if at == "dsp" else {}
            cmd = NewOrder(
                a, nid(a), S, side, T.LMT, p * TICK, q / 10, tif, attributes=attrs, **extra
            )  # type: ignore[arg-type]
        elif kind == "mkt":
            _, a, side, q = s
            cmd = NewOrder(a, nid(a), S, side, T.MKT, 0.0, q / 10, GTC)  # type: ignore[arg-type]
        elif kind == "stop":
            _, a, side, ot, p, lp, q = s
            cmd = NewOrder(
                a, nid(a), S, side, ot, p * TICK, q / 10, GTC, stop_limit_price=lp * TICK
            )  # type: ignore[arg-type]
        elif kind == "peg":
            _, a, side, ot, p, q, tif = s
            cmd = NewOrder(a, nid(a), S, side, ot, p * TICK, q / 10, tif)  # type: ignore[arg-type]
        elif kind == "oco":
            _, a, side, p, sp, q = s
            cmd = NewOrder(
                a, nid(a), S, side, T.OCO, p * TICK, q / 10, GTC, stop_limit_price=sp * TICK
            )  # type: ignore[arg-type]
        elif kind == "ice":
            _, a, side, p, layers, size, pinc, poff, hidden = s
            cmd = NewOrder(
                a, nid(a), S, side, T.ICE, p * TICK, layers * size / 10, GTC,  # type: ignore[arg-type, operator]
                attributes=HID if hidden else "NNNNNNNNNNNN", layers=layers,  # type: ignore[arg-type]
                size_increment=size / 10, price_increment=pinc, price_offset=poff,  # type: ignore[operator]
            )  # fmt: skip
        elif kind == "cancel":
            if not ids:
                continue
            a, oid = ids[s[1] % len(ids)]  # type: ignore[operator]
            cmd = CancelOrder(a, nid(a), oid)
        elif kind == "replace":
            if not ids:
                continue
            i = s[1] % len(ids)  # type: ignore[operator]
            a, oid = ids[i]
            new = nid(a)
            cmd = ReplaceOrder(a, new, oid, s[2] * TICK, s[3] / 10)  # type: ignore[operator]
            ids[i] = (a, new)
        else:
            out.append(None)
            continue
        if isinstance(cmd, NewOrder):
            ids.append((cmd.account, cmd.order_id))
        out.append(cmd)
    return out


# ------------------------------------------------------------------ bookkeeping from events


@dataclass
class Track:
    """What the events say about one order (followed across replaces)."""

    otype: int
    side: int
    limit: float
    total: float
    filled: float = 0.0
    cancelled: float = 0.0
    oco_filled: bool = False
    oco_triggered: bool = False
    done: bool = False
    ids: list[int] = field(default_factory=list)


def level_queues(eng: MatchingEngine) -> dict[tuple[int, int], list[_Order]]:
    """Live displayed entries per (side, price), in time priority."""
    out: dict[tuple[int, int], list[_Order]] = {}
    book = eng._books[S]
    for side_no, side in ((1, book.bids), (2, book.asks)):
        for lvl in side.levels.values():
            out[(side_no, lvl.price)] = [o for o in lvl.q if o.level is lvl]
    return out


def check_book(eng: MatchingEngine) -> None:
    book = eng._books[S]
    b, a = book.bids.best(), book.asks.best()
    assert b is None or a is None or b < a, "crossed book"
    bids, asks = eng.depth(S, 1000)
    if bids and asks:
        assert bids[0].price < asks[0].price
    for side in (book.bids, book.asks):
        assert side.keys == sorted(side.keys) and len(side.keys) == len(side.levels)
        shown = []
        for k in reversed(side.keys):
            lvl = side.levels[k]
            live_q = [o for o in lvl.q if o.level is lvl]
            live_h = [o for o in lvl.h if o.level is lvl]
            assert all(not o.hidden for o in live_q) and all(o.hidden for o in live_h)
            assert lvl.n == len(live_q) + len(live_h) > 0
            assert lvl.nhid == len(live_h)
            vis = sum(o.avail for o in live_q)
            assert lvl.vis == vis
            assert lvl.tot == sum(o.open for o in live_q + live_h)
            if vis:
                shown.append((lvl.price * TICK, vis * book.inst.lot_size))
        view = bids if side is book.bids else asks
        assert [(d.price, round(d.quantity, 9)) for d in view] == [
            (p, round(q, 9)) for p, q in shown
        ]


def check_ice(eng: MatchingEngine) -> None:
    for acct in eng._accounts.values():
        for o in acct.live.values():
            if o.children is not None:
                kids = [c for c in o.children if c.level is not None]
                assert len(kids) <= o.x.layers
                assert all(0 < c.open <= o.x.sinc for c in kids)
                assert sum(c.open for c in kids) == o.open


Resting = dict[tuple[int, int], list[tuple[tuple[int, int], float, float]]]


def check_fill_pair(r: Fill, f2: object, tracks: dict[tuple[int, int], Track],
                    last_exec: int, resting_by_level: Resting) -> int:
    """The two sides of one match: paired, priced right, counted; the new exec id."""
    assert isinstance(f2, Fill)
    assert r.exec_id == f2.exec_id > last_exec
    assert not r.aggressor and f2.aggressor
    assert r.exec_qty == f2.exec_qty > 0 and r.exec_price == f2.exec_price
    rs, is_ = (1 if r.side == 1 else 2), (1 if f2.side == 1 else 2)
    assert rs != is_
    rt = tracks[(r.account, r.order_id)]
    if rt.otype in (T.LMT, T.HIDDEN, T.OCO):
        assert abs(r.exec_price - r.price) < EPS
    it = tracks[(f2.account, f2.order_id)]
    if it.otype in (T.LMT, T.HIDDEN) and f2.price:
        if is_ == 1:
            assert f2.exec_price <= f2.price + EPS
        else:
            assert f2.exec_price >= f2.price - EPS
    resting_by_level.setdefault((rs, round(r.exec_price / TICK)), []).append(
        ((r.account, r.order_id), r.exec_qty, r.remaining_qty)
    )
    for f, t in ((r, rt), (f2, it)):
        t.filled += f.exec_qty
        if t.otype == T.OCO and not f.aggressor:
            assert not t.oco_triggered, "OCO limit leg executed after its stop fired"
            t.oco_filled = True
    return r.exec_id


def track_event(e: object, cmd: object, tracks: dict[tuple[int, int], Track]) -> None:
    """Follow a non-fill event in the per-order tracks."""
    if isinstance(e, Replaced):
        t = tracks.pop((e.account, e.orig_order_id))
        t.total = e.order_qty
        t.ids.append(e.order_id)
        tracks[(e.account, e.order_id)] = t
    elif isinstance(e, Cancelled):
        t = tracks[(e.account, e.orig_order_id)]
        if e.reason == CancelReason.OCO_SIBLING:
            assert e.cancel_qty == 0
        else:
            t.cancelled += e.cancel_qty
    elif isinstance(e, Triggered):
        t = tracks[(e.account, e.order_id)]
        if t.otype == T.OCO:
            assert not t.oco_filled, "OCO stop leg fired after its limit leg executed"
            t.oco_triggered = True
    elif isinstance(e, Rejected) and isinstance(cmd, NewOrder):
        tracks.pop((e.account, e.order_id), None)


def check_priority(before: dict[tuple[int, int], list[_Order]], resting_by_level: Resting) -> None:
    """Among plain displayed orders of a level, the older one fills first."""
    for key, hits in resting_by_level.items():
        queue = [
            o for o in before.get(key, []) if o.otype == T.LMT and o.x.attrs == "NNNNNNNNNNNN"
        ]
        keys = [(o.account, o.oid) for o in queue]
        plain = [h for h in hits if h[0] in keys]
        order_ids: list[tuple[int, int]] = []
        for h in plain:
            if not order_ids or order_ids[-1] != h[0]:
                order_ids.append(h[0])
        assert order_ids == keys[: len(order_ids)], "priority violated"
        for oid in order_ids[:-1]:
            assert [h for h in plain if h[0] == oid][-1][2] == 0


def check_quantities(eng: MatchingEngine, tracks: dict[tuple[int, int], Track]) -> None:
    """filled + open + cancelled = entered, per order."""
    for (acct, oid), t in tracks.items():
        view = eng.order(acct, oid)
        open_ = view.open_qty if view is not None else 0.0
        assert open_ >= 0
        assert abs(t.filled + open_ + t.cancelled - t.total) < 1e-7, (t, view)
        if view is not None:
            assert abs(view.filled_qty - t.filled) < 1e-7


def run(cmds: list[NewOrder | CancelOrder | ReplaceOrder | None]) -> list[object]:
    eng = MatchingEngine(clock=lambda: 0)
    tracks: dict[tuple[int, int], Track] = {}
    all_events: list[object] = []
    last_exec = 0
    for cmd in cmds:
        before = level_queues(eng)
        if cmd is None:
            ev: list[object] = eng.expire_day()  # type: ignore[assignment]
        else:
            if isinstance(cmd, NewOrder):
                tracks[(cmd.account, cmd.order_id)] = Track(
                    cmd.order_type, 1 if cmd.side == 1 else 2, cmd.price, cmd.order_qty,
                    ids=[cmd.order_id],
                )  # fmt: skip
            ev = eng.submit(cmd)  # type: ignore[assignment]
        all_events.extend(ev)
        # events in order; fills pair up
        resting_by_level: Resting = {}
        i = 0
        while i < len(ev):
            e = ev[i]
            i += 1
            if isinstance(e, Fill):
                last_exec = check_fill_pair(e, ev[i], tracks, last_exec, resting_by_level)
                i += 1
            else:
                track_event(e, cmd, tracks)
        check_priority(before, resting_by_level)
        check_quantities(eng, tracks)
        check_book(eng)
        check_ice(eng)
    return all_events


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts)
def test_random_mixes_keep_invariants(script: list[tuple[object, ...]]) -> None:
    run(build(script))


@settings(max_examples=60, deadline=None)
@given(scripts)
def test_replay_is_deterministic(script: list[tuple[object, ...]]) -> None:
    cmds = build(script)
    assert run(cmds) == run(cmds)


hidden_only = st.lists(
    st.tuples(
        st.integers(1, 3), st.sampled_from([1, 2]),
        st.sampled_from(["lmt", "hidden", "hid_attr", "peg_hidden", "mkt"]), price_t, qty_u,
    ),
    min_size=1,
    max_size=40,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(hidden_only)
def test_hidden_quantity_never_in_depth(script: list[tuple[int, int, str, int, int]]) -> None:
    """The visible depth equals exactly the open quantity of live plain LMT orders per price."""
    eng = MatchingEngine(clock=lambda: 0)
    for n, (a, side, kind, p, q) in enumerate(script, 1):
        ot = {
            "lmt": T.LMT,
            "hidden": T.HIDDEN,
            "hid_attr": T.LMT,
            "peg_hidden": T.PEG_HIDDEN,
            "mkt": T.MKT,
        }[kind]
        eng.submit(
            NewOrder(
                a,
                n,
                S,
                side,
                ot,
                p * TICK,
                q / 10,
                GTC,
                attributes=HID if kind == "hid_attr" else "NNNNNNNNNNNN",
            )
        )
        expected: dict[tuple[int, float], float] = {}
        for acct in (1, 2, 3):
            for v in eng.open_orders(acct, S):
                if v.order_type == T.LMT and v.attributes == "NNNNNNNNNNNN":
                    k = (v.side, v.resting_price)  # type: ignore[assignment]
                    expected[k] = expected.get(k, 0.0) + v.open_qty  # type: ignore[index]
        bids, asks = eng.depth(S, 1000)
        got = {(1, d.price): d.quantity for d in bids} | {(2, d.price): d.quantity for d in asks}
        assert got.keys() == expected.keys()
        for k, v in got.items():
            assert abs(v - expected[k]) < 1e-9


def random_script(rng: random.Random, n: int) -> list[tuple[object, ...]]:
    """A long script with the same shapes as the hypothesis strategy."""
    out: list[tuple[object, ...]] = []
    for _ in range(n):
        a, side, p, q = (
            rng.randint(1, 3),
            rng.choice([1, 2]),
            rng.randint(194, 206),
            rng.randint(1, 20),
        )
        r = rng.random()
        if r < 0.35:
            tif = rng.choice([GTC, GTC, IOC, FOK, DAY])
            out.append(("lmt", a, side, p, q, tif, rng.choice(["", "", "hid", "dsp"]), 2, 1))
        elif r < 0.42:
            out.append(("mkt", a, side, q))
        elif r < 0.52:
            ot = rng.choice([T.STOP_MKT, T.STOP_LMT, T.TSM, T.TSL, T.SNIPER_MKT, T.SNIPER_LMT])
            out.append(("stop", a, side, ot, p, rng.randint(194, 206), q))
        elif r < 0.60:
            ot = rng.choice([T.PEG, T.PEG_HIDDEN, T.HIDDEN])
            out.append(("peg", a, side, ot, p, q, rng.choice([GTC, IOC, DAY])))
        elif r < 0.66:
            out.append(("oco", a, side, p, rng.randint(194, 206), q))
        elif r < 0.72:
            out.append(("ice", a, side, p, rng.randint(1, 4), rng.randint(1, 3),
                        rng.randint(0, 2), rng.randint(0, 2), rng.random() < 0.3))  # fmt: skip
        elif r < 0.86:
            out.append(("cancel", rng.randint(0, 1000)))
        elif r < 0.995:
            out.append(("replace", rng.randint(0, 1000), p, q))
        else:
            out.append(("expire",))
    return out


def test_long_random_scripts() -> None:
    """Seeded long runs (hypothesis keeps its lists short): same invariants, 10 x 400 commands."""
    for seed in range(10):
        cmds = build(random_script(random.Random(seed), 400))
        assert run(cmds) == run(cmds)


wild_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.5, 0.5, 97.0, 100.25, 1e-5, 1e300, 0.1 + 0.2]),
)
wild_new = st.builds(
    NewOrder,
    account=st.integers(1, 2),
    order_id=st.integers(1, 5),
    symbol_enum=st.integers(0, 5),
    side=st.integers(0, 4),
    order_type=st.integers(0, 18),
    price=wild_float,
    order_qty=wild_float,
    time_in_force=st.integers(0, 7),
    stop_limit_price=wild_float,
    attributes=st.sampled_from(["", "\x00" * 12, "NNNNNNNNNNNN", HID, DSP, "NYY", "xx", "N" * 13]),
    display_size=wild_float,
    refresh_size=wild_float,
    layers=st.integers(-2, 12),
    size_increment=wild_float,
    price_increment=wild_float,
    price_offset=wild_float,
)
wild_other = st.one_of(
    st.builds(CancelOrder, st.integers(1, 2), st.integers(1, 8), st.integers(-1, 8)),
    st.builds(
        ReplaceOrder, st.integers(1, 2), st.integers(1, 8), st.integers(-1, 8), wild_float,
        wild_float, wild_float, wild_float, wild_float, st.integers(-2, 12),
    ),
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(wild_new, wild_new, wild_other), min_size=1, max_size=25))
def test_garbage_fields_are_rejected_never_raise(
    cmds: list[NewOrder | CancelOrder | ReplaceOrder],
) -> None:
    """NaN, infinities, negative and huge values, unknown enums: a Rejected, never an exception."""
    eng = MatchingEngine(clock=lambda: 0)
    for cmd in cmds:
        ev = eng.submit(cmd)
        assert ev
        check_book(eng)
        check_ice(eng)
