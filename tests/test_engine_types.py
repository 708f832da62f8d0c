"""Scenario tests of the engine's other order types (PROTOCOL.md 5.4, 7.5.1, 8.2)."""

from __future__ import annotations

import pytest

from crmd_twisted.engine import (
    Accepted,
    CancelOrder,
    CancelReason,
    Cancelled,
    DepthLevel,
    EngineRules,
    Fill,
    MatchingEngine,
    NewOrder,
    Rejected,
    ReplaceOrder,
    TrailingMode,
    TriggerSource,
    Triggered,
)
from crmd_twisted.wire.enums import OrderType as T
from crmd_twisted.wire.enums import RejectCode, Side, TimeInForce

BUY, SELL = Side.BUY, Side.SELL
GTC, IOC, FOK, DAY = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.DAY
S = 1  # BTCUSD, tick 0.5
HID = "NYNNNNNNNNNN"
DSP = "NNYNNNNNNNNN"


def order(
    acct: int, oid: int, side: int, otype: int, price: float, qty: float, **kw: object
) -> NewOrder:
    kw.setdefault("time_in_force", GTC)
    return NewOrder(acct, oid, S, side, otype, price, qty, **kw)  # type: ignore[arg-type]


def lmt(acct: int, oid: int, side: int, price: float, qty: float, **kw: object) -> NewOrder:
    return order(acct, oid, side, T.LMT, price, qty, **kw)


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


@pytest.fixture
def eng() -> MatchingEngine:
    return MatchingEngine(clock=lambda: 0)


def trade(eng: MatchingEngine, price: float, oid: int, qty: float = 0.1) -> list[object]:
    """Make one trade at ``price`` between accounts 8 and 9."""
    eng.submit(lmt(8, oid, SELL, price, qty))
    return eng.submit(lmt(9, oid, BUY, price, qty))  # type: ignore[return-value]


# ------------------------------------------------------------------ TIF / attribute rules per type


@pytest.mark.parametrize(
    "otype", [T.ICE, T.STOP_MKT, T.STOP_LMT, T.TSM, T.TSL, T.SNIPER_MKT, T.SNIPER_LMT]
)
@pytest.mark.parametrize("tif", [FOK, IOC, DAY])
def test_gtc_only_types(eng: MatchingEngine, otype: int, tif: int) -> None:
    cmd = order(1, 1, BUY, otype, 100.0, 1.0, time_in_force=tif, stop_limit_price=100.0)
    assert eng.submit(cmd) == [Rejected(1, 1, RejectCode.INVALID_FIELD_VALUE)]


@pytest.mark.parametrize(
    "otype", [T.STOP_MKT, T.STOP_LMT, T.TSM, T.TSL, T.SNIPER_MKT, T.SNIPER_LMT]
)
@pytest.mark.parametrize("attrs", [HID, DSP])
def test_no_attributes_on_conditional_types(eng: MatchingEngine, otype: int, attrs: str) -> None:
    cmd = order(1, 1, BUY, otype, 100.0, 1.0, stop_limit_price=100.0, attributes=attrs)
    assert eng.submit(cmd) == [Rejected(1, 1, RejectCode.INVALID_FIELD_VALUE)]


def test_ice_allows_hidden_only(eng: MatchingEngine) -> None:
    ice = dict(layers=2, size_increment=0.5, price_increment=1.0, price_offset=0.0)
    assert eng.submit(
        order(
            1, 1, BUY, T.ICE, 100.0, 1.0, attributes=DSP, display_size=0.1, refresh_size=0.1, **ice
        )
    ) == [Rejected(1, 1, RejectCode.INVALID_FIELD_VALUE)]
    assert kinds(eng.submit(order(1, 2, BUY, T.ICE, 100.0, 1.0, attributes=HID, **ice))) == [
        "Accepted"
    ]


def test_mkt_ignores_tif(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, SELL, 100.0, 1.0))
    ev = eng.submit(order(1, 1, BUY, T.MKT, 0.0, 1.0, time_in_force=TimeInForce.POO))
    assert kinds(ev) == ["Fill", "Fill"]


# ------------------------------------------------------------------ stop rejects 16


@pytest.mark.parametrize(
    ("otype", "stop"),
    [
        (T.OCO, 0.0),
        (T.OCO, -1.0),
        (T.STOP_LMT, 0.0),
        (T.STOP_LMT, 100.2),
        (T.TSL, 0.0),
        (T.TSL, 0.1),
    ],
)
def test_stop_price_invalid(eng: MatchingEngine, otype: int, stop: float) -> None:
    ev = eng.submit(order(1, 1, BUY, otype, 100.0, 1.0, stop_limit_price=stop))
    assert ev == [Rejected(1, 1, RejectCode.STOP_PRICE_INVALID)]


# ------------------------------------------------------------------ ICE rejects


@pytest.mark.parametrize(
    ("fields", "qty", "code"),
    [
        (dict(layers=11, size_increment=0.1), 1.1, RejectCode.EXCEEDED_MAX_LAYERS),
        (dict(layers=0, size_increment=0.1), 1.0, RejectCode.EXCEEDED_MAX_LAYERS),
        (dict(layers=2, size_increment=0.0), 1.0, RejectCode.SIZE_INCREMENT_INVALID),
        (
            dict(layers=2, size_increment=0.5, price_offset=-1.0),
            1.0,
            RejectCode.PRICE_OFFSET_INVALID,
        ),
        (
            dict(layers=2, size_increment=0.5, price_increment=-1.0),
            1.0,
            RejectCode.PRICE_INCREMENT_INVALID,
        ),
        (
            dict(layers=2, size_increment=0.5),
            1.5,
            RejectCode.ICE_SIZEINCREMENT_TIMES_LAYERS_NOT_EQUAL_ORDQTY,
        ),
    ],
)
def test_ice_rejects(
    eng: MatchingEngine, fields: dict[str, float], qty: float, code: RejectCode
) -> None:
    assert eng.submit(order(1, 1, BUY, T.ICE, 100.0, qty, **fields)) == [Rejected(1, 1, code)]


# ------------------------------------------------------------------ HIDDEN


@pytest.mark.parametrize(("otype", "attrs"), [(T.HIDDEN, "NNNNNNNNNNNN"), (T.LMT, HID)])
def test_hidden_never_visible_but_executes_after_shown(
    eng: MatchingEngine, otype: int, attrs: str
) -> None:
    eng.submit(order(1, 1, SELL, otype, 100.0, 1.0, attributes=attrs))
    assert eng.depth(S) == ([], [])
    eng.submit(lmt(2, 1, SELL, 100.0, 1.0))  # later, but displayed: goes first
    assert eng.depth(S)[1] == [DepthLevel(100.0, 1.0, 1)]
    ev = eng.submit(lmt(3, 1, BUY, 100.0, 1.5))
    resting = [(e.account, e.exec_qty) for e in ev if isinstance(e, Fill) and not e.aggressor]
    assert resting == [(2, 1.0), (1, 0.5)]
    assert eng.depth(S) == ([], [])
    assert eng.market_cost(S, BUY, 0.5) == 50.0


# ------------------------------------------------------------------ DISPLAY_SIZE


def test_display_size_slices_go_to_back(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, SELL, 100.0, 1.0, attributes=DSP, display_size=0.3, refresh_size=0.2))
    eng.submit(lmt(2, 1, SELL, 100.0, 0.5))
    assert eng.depth(S)[1] == [DepthLevel(100.0, 0.8, 2)]
    ev = eng.submit(lmt(3, 1, BUY, 100.0, 0.4))
    resting = [(e.account, e.exec_qty) for e in ev if isinstance(e, Fill) and not e.aggressor]
    # the 0.3 slice fills, the refreshed 0.2 slice queues behind account 2
    assert resting == [(1, 0.3), (2, pytest.approx(0.1))]
    assert eng.depth(S)[1] == [DepthLevel(100.0, pytest.approx(0.6), 2)]  # type: ignore[arg-type]
    ev = eng.submit(lmt(3, 2, BUY, 100.0, 2.0))
    resting = [(e.account, e.exec_qty) for e in ev if isinstance(e, Fill) and not e.aggressor]
    assert resting == [
        (2, pytest.approx(0.4)),
        (1, 0.2),
        (1, 0.2),
        (1, 0.2),
        (1, pytest.approx(0.1)),
    ]
    assert eng.order(1, 1) is None


# ------------------------------------------------------------------ STOP_MKT / STOP_LMT


def test_stop_market_triggers_on_last_trade(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, SELL, 105.0, 5.0))
    ev = eng.submit(order(1, 1, BUY, T.STOP_MKT, 102.0, 1.0))
    assert ev == [Accepted(1, 1, S, BUY, T.STOP_MKT, 102.0, 1.0)]
    assert eng.order(1, 1).triggered is False  # type: ignore[union-attr]
    trade(eng, 101.0, 50)
    assert eng.order(1, 1) is not None
    ev = trade(eng, 102.0, 51)
    assert kinds(ev)[-3:] == ["Triggered", "Fill", "Fill"]
    assert ev[-3] == Triggered(1, 1, S, BUY, T.STOP_MKT, 102.0)
    assert ev[-1].exec_price == 105.0 and ev[-1].aggressor  # type: ignore[union-attr]
    assert eng.order(1, 1) is None


def test_stop_market_remainder_cancelled(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, SELL, T.STOP_MKT, 99.0, 1.0))
    eng.submit(lmt(2, 1, BUY, 98.0, 0.25))
    ev = trade(eng, 99.0, 50)
    assert kinds(ev)[-4:] == ["Triggered", "Fill", "Fill", "Cancelled"]
    assert ev[-1] == Cancelled(1, 1, 1, S, SELL, 0.75, CancelReason.MARKET_REMAINDER)


def test_stop_limit_rests_at_its_limit_after_trigger(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, BUY, T.STOP_LMT, 102.0, 1.0, stop_limit_price=102.5))
    eng.submit(lmt(2, 1, SELL, 102.5, 0.4))
    trade(eng, 102.0, 50)
    v = eng.order(1, 1)
    assert v is not None and v.triggered and v.open_qty == pytest.approx(0.6)
    assert eng.depth(S)[0][0] == DepthLevel(102.5, pytest.approx(0.6), 1)  # type: ignore[arg-type]


def test_stop_trigger_on_opposite_best_rule() -> None:
    eng = MatchingEngine(
        rules=EngineRules(stop_trigger=TriggerSource.OPPOSITE_BEST), clock=lambda: 0
    )
    eng.submit(order(1, 1, BUY, T.STOP_MKT, 102.0, 1.0))
    ev = eng.submit(lmt(2, 1, SELL, 102.5, 1.0))
    assert kinds(ev) == ["Accepted", "Triggered", "Fill", "Fill"]


def test_dormant_stop_cancel_and_replace(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, BUY, T.STOP_MKT, 102.0, 1.0))
    ev = eng.submit(ReplaceOrder(1, 2, 1, 103.0, 2.0))
    assert ev[0].order_id == 2 and eng.order(1, 2).open_qty == 2.0  # type: ignore[union-attr]
    eng.submit(lmt(2, 1, SELL, 110.0, 5.0))
    trade(eng, 102.0, 50)
    assert eng.order(1, 2) is not None  # moved to 103
    ev = eng.submit(CancelOrder(1, 3, 2))
    assert ev == [Cancelled(1, 3, 2, S, BUY, 2.0, CancelReason.USER)]
    trade(eng, 104.0, 51)
    assert all(not isinstance(e, Triggered) for e in trade(eng, 104.0, 52))


# ------------------------------------------------------------------ OCO


def test_oco_limit_leg_fill_cancels_stop_leg(eng: MatchingEngine) -> None:
    ev = eng.submit(order(1, 1, SELL, T.OCO, 110.0, 1.0, stop_limit_price=90.0))
    assert kinds(ev) == ["Accepted"]
    assert eng.depth(S)[1] == [DepthLevel(110.0, 1.0, 1)]
    ev = eng.submit(lmt(2, 1, BUY, 110.0, 0.5))
    assert kinds(ev) == ["Fill", "Fill", "Cancelled"]
    assert ev[2] == Cancelled(1, 1, 1, S, SELL, 0.0, CancelReason.OCO_SIBLING)
    eng.submit(lmt(3, 1, BUY, 89.0, 1.0))
    trade(eng, 90.0, 50)
    assert eng.order(1, 1).open_qty == 0.5  # type: ignore[union-attr]  # stop leg is gone


def test_oco_stop_leg_trigger_cancels_limit_leg(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, SELL, T.OCO, 110.0, 1.0, stop_limit_price=90.0))
    eng.submit(lmt(3, 1, BUY, 89.0, 2.0))
    ev = trade(eng, 90.0, 50)
    assert kinds(ev)[-4:] == ["Triggered", "Cancelled", "Fill", "Fill"]
    assert ev[-3].reason == CancelReason.OCO_SIBLING  # type: ignore[union-attr]
    assert ev[-1].exec_price == 89.0  # type: ignore[union-attr]
    assert eng.depth(S)[1] == [] and eng.order(1, 1) is None


# ------------------------------------------------------------------ PEG / PEG_HIDDEN


def test_peg_follows_best_bid_within_limit(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    eng.submit(order(1, 1, BUY, T.PEG, 101.0, 1.0))
    assert eng.depth(S)[0] == [DepthLevel(100.0, 2.0, 2)]
    eng.submit(lmt(2, 2, BUY, 100.5, 1.0))
    assert eng.order(1, 1).resting_price == 100.5  # type: ignore[union-attr]
    eng.submit(lmt(2, 3, BUY, 102.0, 1.0))  # beyond the peg's limit
    assert eng.order(1, 1).resting_price == 101.0  # type: ignore[union-attr]
    eng.submit(CancelOrder(2, 4, 3))
    eng.submit(CancelOrder(2, 5, 2))
    assert eng.order(1, 1).resting_price == 100.0  # type: ignore[union-attr]


def test_peg_hidden_invisible_and_fills(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, SELL, 101.0, 1.0))
    eng.submit(lmt(2, 2, SELL, 102.0, 1.0))
    eng.submit(order(1, 1, SELL, T.PEG_HIDDEN, 100.0, 1.0))
    assert eng.depth(S)[1] == [DepthLevel(101.0, 1.0, 1), DepthLevel(102.0, 1.0, 1)]
    ev = eng.submit(lmt(3, 1, BUY, 101.0, 1.5))
    resting = [(e.account, e.exec_qty) for e in ev if isinstance(e, Fill) and not e.aggressor]
    assert resting == [(2, 1.0), (1, 0.5)]


def test_peg_ioc_and_fok(eng: MatchingEngine) -> None:
    ev = eng.submit(order(1, 1, BUY, T.PEG, 100.0, 1.0, time_in_force=IOC))
    assert ev == [Cancelled(1, 1, 1, S, BUY, 1.0, CancelReason.IOC_REMAINDER)]
    ev = eng.submit(order(1, 2, BUY, T.PEG, 100.0, 1.0, time_in_force=FOK))
    assert ev == [Rejected(1, 2, RejectCode.MATCHING_ENGINE_REJECTED)]


# ------------------------------------------------------------------ ICE


def test_ice_layers_follow_top_of_book(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    ice = dict(layers=3, size_increment=0.5, price_increment=2.0, price_offset=1.0)
    ev = eng.submit(order(1, 1, BUY, T.ICE, 100.0, 1.5, **ice))
    assert kinds(ev) == ["Accepted"]
    bids = eng.depth(S)[0]
    # offset 1 tick below 100, then every 2 ticks (tick 0.5)
    assert bids == [
        DepthLevel(100.0, 1.0, 1),
        DepthLevel(99.5, 0.5, 1),
        DepthLevel(98.5, 0.5, 1),
        DepthLevel(97.5, 0.5, 1),
    ]
    ev = eng.submit(lmt(2, 2, BUY, 99.0, 1.0))
    assert ev == [Accepted(2, 2, S, BUY, T.LMT, 99.0, 1.0)]  # no event for the layers
    eng.submit(CancelOrder(2, 3, 1))  # top moves to 99.0
    assert [b.price for b in eng.depth(S)[0]] == [99.0, 98.5, 97.5, 96.5]
    ev = eng.submit(lmt(3, 1, SELL, 98.5, 0.8))
    fills = [e for e in ev if isinstance(e, Fill) and not e.aggressor]
    assert [(f.account, f.exec_qty, f.remaining_qty) for f in fills] == [
        (2, 0.8, pytest.approx(0.2))
    ]
    ev = eng.submit(lmt(3, 2, SELL, 98.5, 0.6))
    fills = [e for e in ev if isinstance(e, Fill) and not e.aggressor]
    assert [(f.account, f.order_id) for f in fills] == [(2, 2), (1, 1)]
    assert fills[1].remaining_qty == pytest.approx(1.1)
    total_shown = sum(b.quantity for b in eng.depth(S)[0] if b.price < 99.0)
    assert total_shown <= 1.5


def test_ice_never_passes_its_limit(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    ice = dict(layers=2, size_increment=0.5, price_increment=1.0, price_offset=0.0)
    eng.submit(order(1, 1, BUY, T.ICE, 99.0, 1.0, **ice))
    assert [b.price for b in eng.depth(S)[0]] == [100.0, 99.0]
    assert eng.depth(S)[0][1].quantity == 1.0


# ------------------------------------------------------------------ SNIPER


def test_sniper_market_wakes_when_ask_reaches_price(eng: MatchingEngine) -> None:
    ev = eng.submit(order(1, 1, BUY, T.SNIPER_MKT, 100.0, 1.0))
    assert kinds(ev) == ["Accepted"] and eng.depth(S) == ([], [])
    eng.submit(lmt(2, 1, SELL, 101.0, 1.0))
    assert eng.order(1, 1) is not None
    ev = eng.submit(lmt(2, 2, SELL, 100.0, 0.5))
    assert kinds(ev) == ["Accepted", "Triggered", "Fill", "Fill", "Fill", "Fill"]
    assert [e.exec_price for e in ev if isinstance(e, Fill)] == [100.0, 100.0, 101.0, 101.0]


def test_sniper_limit_does_not_pass_price(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, BUY, T.SNIPER_LMT, 100.0, 1.0))
    eng.submit(lmt(2, 1, SELL, 101.0, 1.0))
    ev = eng.submit(lmt(2, 2, SELL, 100.0, 0.5))
    assert kinds(ev) == ["Accepted", "Triggered", "Fill", "Fill"]
    assert eng.depth(S)[0] == [DepthLevel(100.0, 0.5, 1)]


# ------------------------------------------------------------------ TSM / TSL


def test_trailing_stop_market_follows_the_market(eng: MatchingEngine) -> None:
    trade(eng, 100.0, 50)
    eng.submit(order(1, 1, SELL, T.TSM, 98.0, 1.0))  # distance 2.0
    trade(eng, 105.0, 51)  # stop -> 103
    trade(eng, 104.0, 52)  # stop stays
    eng.submit(lmt(3, 1, BUY, 90.0, 5.0))
    assert eng.order(1, 1) is not None
    ev = trade(eng, 103.0, 53)
    assert Triggered(1, 1, S, SELL, T.TSM, 103.0) in ev


def test_trailing_stop_limit_and_fixed_ticks() -> None:
    rules = EngineRules(
        trailing_mode=TrailingMode.FIXED_TICKS, trailing_ticks=4, tsl_limit_trails=True
    )
    eng = MatchingEngine(rules=rules, clock=lambda: 0)
    trade(eng, 100.0, 50)
    eng.submit(order(1, 1, BUY, T.TSL, 102.0, 1.0, stop_limit_price=102.5))
    trade(eng, 95.0, 51)  # stop -> 95 + 4 ticks = 97, limit 97.5
    ev = trade(eng, 97.0, 52)
    assert Triggered(1, 1, S, BUY, T.TSL, 97.0) in ev
    v = eng.order(1, 1)
    assert v is not None and v.resting_price == 97.5


# ------------------------------------------------------------------ DAY on other types


def test_day_peg_expires(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, BUY, T.PEG, 100.0, 1.0, time_in_force=DAY))
    ev = eng.expire_day()
    assert ev == [Cancelled(1, 1, 1, S, BUY, 1.0, CancelReason.DAY_EXPIRED)]
    assert eng.depth(S) == ([], [])


# ---------------------------------------------------------- replace / cancel of special types


def test_replace_peg_moves_it(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    eng.submit(order(1, 1, BUY, T.PEG, 101.0, 1.0))
    assert eng.order(1, 1).resting_price == 100.0  # type: ignore[union-attr]
    ev = eng.submit(ReplaceOrder(1, 2, 1, 99.0, 1.0))
    assert kinds(ev) == ["Replaced"]
    assert eng.order(1, 2).resting_price == 99.0  # type: ignore[union-attr]
    assert eng.depth(S)[0] == [DepthLevel(100.0, 1.0, 1), DepthLevel(99.0, 1.0, 1)]


def test_replace_ice_rebuilds_layers(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    ice = dict(layers=2, size_increment=0.5, price_increment=1.0, price_offset=1.0)
    eng.submit(order(1, 1, BUY, T.ICE, 100.0, 1.0, **ice))
    ev = eng.submit(ReplaceOrder(1, 2, 1, 100.0, 0.6, layers=3, size_increment=0.2,
                                 price_increment=0.0, price_offset=2.0))  # fmt: skip
    assert kinds(ev) == ["Replaced"]
    assert eng.depth(S)[0] == [DepthLevel(100.0, 1.0, 1), DepthLevel(99.0, pytest.approx(0.6), 3)]  # type: ignore[arg-type]
    ev = eng.submit(CancelOrder(1, 3, 2))
    assert ev == [Cancelled(1, 3, 2, S, BUY, pytest.approx(0.6), CancelReason.USER)]  # type: ignore[arg-type]
    assert eng.depth(S)[0] == [DepthLevel(100.0, 1.0, 1)]


def test_replace_resting_oco_moves_its_stop(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, SELL, T.OCO, 110.0, 1.0, stop_limit_price=90.0))
    eng.submit(ReplaceOrder(1, 2, 1, 110.0, 1.0, stop_limit_price=95.0))
    eng.submit(lmt(3, 1, BUY, 94.0, 2.0))
    ev = trade(eng, 95.0, 50)
    assert Triggered(1, 2, S, SELL, T.OCO, 95.0) in ev


def test_cancelled_oco_never_triggers(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, SELL, T.OCO, 110.0, 1.0, stop_limit_price=90.0))
    assert kinds(eng.submit(CancelOrder(1, 2, 1))) == ["Cancelled"]
    eng.submit(lmt(3, 1, BUY, 89.0, 2.0))
    assert not any(isinstance(e, Triggered) for e in trade(eng, 90.0, 50))


def test_day_oco_expires_with_its_stop_leg(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, SELL, T.OCO, 110.0, 1.0, stop_limit_price=90.0, time_in_force=DAY))
    assert kinds(eng.expire_day()) == ["Cancelled"]
    eng.submit(lmt(3, 1, BUY, 89.0, 2.0))
    assert not any(isinstance(e, Triggered) for e in trade(eng, 90.0, 50))


def test_sniper_on_last_trade_rule() -> None:
    eng = MatchingEngine(
        rules=EngineRules(sniper_trigger=TriggerSource.LAST_TRADE), clock=lambda: 0
    )
    eng.submit(order(1, 1, BUY, T.SNIPER_MKT, 100.0, 1.0))
    eng.submit(lmt(2, 1, SELL, 100.0, 5.0))
    assert eng.order(1, 1) is not None  # liquidity alone does not wake it
    ev = trade(eng, 100.0, 50)
    assert Triggered(1, 1, S, BUY, T.SNIPER_MKT, 100.0) in ev


def test_conditional_reserve_prices(eng: MatchingEngine) -> None:
    eng.submit(order(1, 1, BUY, T.STOP_LMT, 102.0, 1.0, stop_limit_price=103.0))
    eng.submit(order(1, 2, BUY, T.STOP_MKT, 104.0, 1.0))
    p = eng.position(1, S)
    assert (p.long_open_qty, p.long_open_cash) == (2.0, 207.0)


def test_cancel_all_with_pegs_and_stops(eng: MatchingEngine) -> None:
    eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    eng.submit(order(1, 1, BUY, T.PEG, 101.0, 1.0))
    eng.submit(order(1, 2, SELL, T.STOP_MKT, 90.0, 1.0))
    assert kinds(eng.cancel_all(1)) == ["Cancelled", "Cancelled"]
    assert eng.open_orders(1) == [] and eng.depth(S)[0] == [DepthLevel(100.0, 1.0, 1)]
