"""The pure market-data core: subscriptions, snapshots, change detection, conflation, trades."""

from __future__ import annotations

import pytest

from crmd_twisted.engine import CancelOrder
from crmd_twisted.mds import (
    Depth,
    Disconnect,
    Refused,
    Send,
    SkipReason,
    SlotSkipped,
    Subscribed,
    Unsubscribed,
    depth_for,
)
from crmd_twisted.mds.stats import NS_PER_DAY
from crmd_twisted.wire import (
    FiveLevelData,
    MdExecReport,
    TenLevelData,
    ThirtyLevelData,
    ThreeLevelData,
    TopOfBook,
    TwentyLevelData,
    decode,
)
from crmd_twisted.wire.enums import RejectCode, Side
from tests.md_helpers import (
    DISPLAY,
    HIDDEN,
    K1,
    SESSION,
    FakeClock,
    Orders,
    make_core,
    subscribe_frame,
)


def sent(decisions: list[object], sub: object) -> list[object]:
    return [m for d in decisions if isinstance(d, Send) and d.subscriber is sub for m in d.messages]


@pytest.mark.parametrize(
    ("layers", "depth"),
    [(0, 1), (1, 1), (2, 3), (3, 3), (4, 5), (5, 5), (6, 10), (10, 10), (11, 20), (20, 20),
     (25, 30), (30, 30), (31, 30), (65535, 30)],
)
def test_depth_mapping_serves_the_next_larger_depth(layers: int, depth: int) -> None:
    assert depth_for(layers) == depth


@pytest.mark.parametrize(
    ("layers", "cls"),
    [(1, TopOfBook), (3, ThreeLevelData), (5, FiveLevelData), (10, TenLevelData),
     (20, TwentyLevelData), (30, ThirtyLevelData)],
)
def test_each_depth_gets_its_message_as_a_snapshot_right_after_subscribing(
    layers: int, cls: type
) -> None:
    engine, core = make_core()
    o = Orders()
    core.on_events(engine.submit(o.limit(Side.BUY, 100.0, 2.0)))
    sub = core.connect("c")
    decisions = core.subscribe(sub, subscribe_frame((1, "BTCUSD", layers, "S")))
    assert decisions == [Subscribed(sub, 1, depth_for(layers), layers)]
    (frame,) = sent(core.flush(), sub)
    assert isinstance(frame, cls)
    decoded = decode(frame.encode())  # it encodes, and to the same message
    assert decoded == frame


def test_deep_entries_alternate_bid_and_offer_levels_with_empty_levels_zero() -> None:
    engine, core = make_core()
    o = Orders()
    for side, price, qty in [(1, 100.0, 1.0), (1, 99.5, 2.0), (2, 101.0, 3.0), (1, 99.0, 0.5)]:
        core.on_events(engine.submit(o.limit(side, price, qty)))
    sub = core.connect("c")
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 10, "S")))
    (frame,) = sent(core.flush(), sub)
    assert isinstance(frame, TenLevelData)
    assert frame.start_layer == 1
    entries = frame.entries
    assert entries[:6] == (
        (100.0, 1.0, Side.BUY), (101.0, 3.0, Side.SELL),
        (99.5, 2.0, Side.BUY), (0.0, 0.0, 0),
        (99.0, 0.5, Side.BUY), (0.0, 0.0, 0),
    )
    assert all(e == (0.0, 0.0, 0) for e in entries[6:])


def test_a_snapshot_follows_only_when_what_the_frame_shows_changes() -> None:
    engine, core = make_core()
    o = Orders()
    sub = core.connect("c")
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S")))
    core.flush()
    core.on_events(engine.submit(o.limit(Side.BUY, 100.0, 1.0)))
    (tob,) = sent(core.flush(), sub)
    assert (tob.buy_price, tob.buy_volume) == (100.0, 1.0)
    # a deeper bid does not change the top of book: nothing is sent
    core.on_events(engine.submit(o.limit(Side.BUY, 99.0, 1.0)))
    assert sent(core.flush(), sub) == []
    # nor does a hidden order at the top
    core.on_events(engine.submit(o.limit(Side.SELL, 101.0, 1.0, attributes=HIDDEN)))
    assert sent(core.flush(), sub) == []
    assert not core.due


def test_order_counts_and_sizes_show_only_visible_quantity() -> None:
    engine, core = make_core()
    o = Orders()
    core.on_events(engine.submit(o.limit(Side.BUY, 100.0, 1.0)))
    core.on_events(engine.submit(o.limit(Side.BUY, 100.0, 5.0, attributes=HIDDEN)))
    core.on_events(engine.submit(
        o.limit(Side.BUY, 100.0, 4.0, attributes=DISPLAY, display_size=0.5, refresh_size=0.5)
    ))
    sub = core.connect("c")
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 3, "S")))
    (frame,) = sent(core.flush(), sub)
    level = frame.levels[0]
    assert (level.buy_price, level.buy_volume, level.buy_orders) == (100.0, 1.5, 2)


def test_every_match_gives_one_exec_report_with_the_aggressor_side_then_a_snapshot() -> None:
    engine, core = make_core()
    o = Orders()
    sub = core.connect("c")
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 5, "S")))
    core.on_events(engine.submit(o.limit(Side.SELL, 100.0, 1.0)))
    core.on_events(engine.submit(o.limit(Side.SELL, 100.5, 1.0)))
    core.flush()
    core.on_events(engine.submit(o.limit(Side.BUY, 101.0, 1.5, account=1002)))
    frames = sent(core.flush(), sub)
    reports = [f for f in frames if isinstance(f, MdExecReport)]
    assert [(r.price, r.volume, r.side) for r in reports] == [
        (100.0, 1.0, Side.BUY), (100.5, 0.5, Side.BUY),
    ]
    assert isinstance(frames[-1], FiveLevelData)
    snap = frames[-1]
    assert (snap.last_trade_price, snap.last_24h_volume, snap.high, snap.low) == (
        100.5, 1.5, 100.5, 100.0,
    )
    assert (snap.levels[0].sell_price, snap.levels[0].sell_volume) == (100.5, 0.5)


def test_24h_statistics_forget_trades_older_than_a_day() -> None:
    clock = FakeClock()
    engine, core = make_core(clock=clock)
    o = Orders()
    core.on_events(engine.submit(o.limit(Side.SELL, 100.0, 1.0)))
    core.on_events(engine.submit(o.market(Side.BUY, 1.0)))
    sub = core.connect("c")
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S")))
    (first,) = sent(core.flush(), sub)
    assert first.last_24h_volume == 1.0
    clock.now += NS_PER_DAY + 1
    (later,) = sent(core.flush(), sub)
    assert (later.last_24h_volume, later.high, later.low) == (0.0, 0.0, 0.0)
    assert later.last_trade_price == 100.0


def test_bad_key_is_refused_with_invalid_key_and_wrong_session_with_6() -> None:
    _, core = make_core()
    sub = core.connect("c")
    assert core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S"), key=K1 ^ 1)) == [
        Refused(sub, RejectCode.INVALID_KEY)
    ]
    assert core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S"), account=1002)) == [
        Refused(sub, RejectCode.INVALID_KEY)
    ]
    assert core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S"), tsid=SESSION + 1)) == [
        Refused(sub, RejectCode.TRADING_SESSION_INVALID)
    ]
    decisions = core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S"), tsid=SESSION))
    assert isinstance(decisions[0], Subscribed)
    assert sub.trading_session_id == SESSION


def test_unknown_symbol_and_action_skip_their_slot_only() -> None:
    _, core = make_core()
    sub = core.connect("c")
    decisions = core.subscribe(
        sub,
        subscribe_frame(
            (99, "NOPE", 1, "S"), (1, "BTCUSD", 1, "X"), (0, "", 0, ""),
            (0, "USDUSDT", 3, "S"), (1, "USDUSDT", 1, "S"),
        ),
    )
    reasons = [(d.slot, d.reason) for d in decisions if isinstance(d, SlotSkipped)]
    assert reasons == [
        (1, SkipReason.UNKNOWN_SYMBOL), (2, SkipReason.UNKNOWN_ACTION),
        (5, SkipReason.UNKNOWN_SYMBOL),  # number and name disagree
    ]
    assert [d for d in decisions if isinstance(d, Subscribed)] == [
        Subscribed(sub, 2, Depth.THREE, 3)
    ]
    (frame,) = sent(core.flush(), sub)
    assert frame.symbol == "USDUSDT"


def test_unsubscribe_stops_snapshots_and_trades() -> None:
    engine, core = make_core()
    o = Orders()
    sub = core.connect("c")
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S"), (1, "BTCUSD", 30, "S")))
    core.flush()
    assert core.subscribe(sub, subscribe_frame((1, "BTCUSD", 30, "U"))) == [
        Unsubscribed(sub, 1, Depth.THIRTY)
    ]
    core.on_events(engine.submit(o.limit(Side.BUY, 100.0, 1.0)))
    assert [type(m) for m in sent(core.flush(), sub)] == [TopOfBook]
    assert core.subscribe(sub, subscribe_frame((1, "BTCUSD", 0, "U"))) == [
        Unsubscribed(sub, 1, Depth.TOP)
    ]
    core.on_events(engine.submit(o.market(Side.SELL, 1.0)))
    assert sent(core.flush(), sub) == []
    (skip,) = core.subscribe(sub, subscribe_frame((1, "BTCUSD", 0, "U")))
    assert isinstance(skip, SlotSkipped) and skip.reason is SkipReason.NOT_SUBSCRIBED


def test_a_paused_subscriber_gets_the_latest_book_once_and_every_trade_on_resume() -> None:
    engine, core = make_core()
    o = Orders()
    fast, slow = core.connect("fast"), core.connect("slow")
    for sub in (fast, slow):
        core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S")))
    core.flush()
    core.pause(slow)
    for i in range(20):
        core.on_events(engine.submit(o.limit(Side.SELL, 100.0 + i, 1.0)))
        core.on_events(engine.submit(o.market(Side.BUY, 0.5)))
        out = core.flush()
        assert sent(out, slow) == []
        assert len(sent(out, fast)) == 2  # one trade, one snapshot
    assert len(slow.trades) == 20
    core.resume(slow)
    frames = sent(core.flush(), slow)
    assert [type(f) for f in frames] == [MdExecReport] * 20 + [TopOfBook]
    assert (frames[-1].sell_price, frames[-1].sell_volume) == (110.0, 1.0)  # the book now
    assert slow.trades == type(slow.trades)()


def test_a_subscriber_too_many_trades_behind_is_disconnected() -> None:
    engine, core = make_core(max_trade_backlog=5)
    o = Orders()
    sub = core.connect("slow")
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S")))
    core.flush()
    core.pause(sub)
    decisions: list[object] = []
    for _ in range(6):
        core.on_events(engine.submit(o.limit(Side.SELL, 100.0, 1.0)))
        core.on_events(engine.submit(o.market(Side.BUY, 1.0)))
        decisions = core.flush()
        assert len(sub.trades) <= 6
    assert decisions == [Disconnect(sub, decisions[0].reason, 6)]  # type: ignore[union-attr]
    assert not sub.alive and sub not in core.subscribers and not sub.trades


def test_cancel_changes_the_book() -> None:
    engine, core = make_core()
    o = Orders()
    order = o.limit(Side.BUY, 100.0, 1.0)
    core.on_events(engine.submit(order))
    sub = core.connect("c")
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 1, "S")))
    core.flush()
    core.on_events(engine.submit(CancelOrder(order.account, 999, order.order_id)))
    (tob,) = sent(core.flush(), sub)
    assert (tob.buy_price, tob.buy_volume) == (0.0, 0.0)
