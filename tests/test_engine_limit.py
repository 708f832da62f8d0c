"""Scenario tests of the matching engine: LMT, MKT, cancel, replace, validation rejects."""

from __future__ import annotations

import pytest

from crmd_twisted.engine import (
    DEFAULT_INSTRUMENTS,
    Accepted,
    CancelOrder,
    CancelReason,
    Cancelled,
    DepthLevel,
    Fill,
    MatchingEngine,
    NewOrder,
    Rejected,
    ReplaceOrder,
    Replaced,
    RiskQuery,
)
from crmd_twisted.wire.enums import OrderType, RejectCode, Side, TimeInForce

BUY, SELL = Side.BUY, Side.SELL
GTC, IOC, FOK, DAY = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.DAY
BTCUSD = 1


def lmt(
    acct: int, oid: int, side: int, price: float, qty: float, tif: int = GTC, **kw: object
) -> NewOrder:
    return NewOrder(acct, oid, BTCUSD, side, OrderType.LMT, price, qty, tif, **kw)  # type: ignore[arg-type]


def mkt(acct: int, oid: int, side: int, qty: float) -> NewOrder:
    return NewOrder(acct, oid, BTCUSD, side, OrderType.MKT, 0.0, qty, GTC)


@pytest.fixture
def eng() -> MatchingEngine:
    return MatchingEngine(clock=lambda: 1_700_000_000_000_000_000)


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


# ------------------------------------------------------------------ instruments


def test_default_instruments_fit_binary16() -> None:
    import struct

    assert [i.symbol for i in DEFAULT_INSTRUMENTS] == ["BTCUSD", "USDUSDT", "FLYUSDT", "BTCUSDT"]
    for inst in DEFAULT_INSTRUMENTS:
        for v in (inst.price_increment, inst.min_size, inst.max_size):
            back = struct.unpack("<e", struct.pack("<e", v))[0]
            assert float(format(back, ".3g")) == v
            if v != 0.00001:  # the documented minimum is a binary16 subnormal
                assert abs(back - v) <= 1e-3 * v


# ------------------------------------------------------------------ LMT


def test_limit_rests_and_is_acknowledged(eng: MatchingEngine) -> None:
    ev = eng.submit(lmt(1, 10, BUY, 100.0, 1.0))
    assert ev == [Accepted(1, 10, BTCUSD, BUY, OrderType.LMT, 100.0, 1.0)]
    bids, asks = eng.depth(BTCUSD, 5)
    assert bids == [DepthLevel(100.0, 1.0, 1)] and asks == []
    view = eng.order(1, 10)
    assert view is not None and view.open_qty == 1.0 and not view.replaced


def test_full_fill_resting_first_same_exec_id(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, SELL, 100.0, 1.0))
    ev = eng.submit(lmt(2, 1, BUY, 100.5, 1.0))
    assert ev == [
        Fill(1, 1, 1, BTCUSD, SELL, 100.0, 100.0, 1.0, 0.0, False),
        Fill(1, 2, 1, BTCUSD, BUY, 100.5, 100.0, 1.0, 0.0, True),
    ]
    assert eng.depth(BTCUSD) == ([], [])
    assert eng.last_trade_price(BTCUSD) == 100.0
    assert eng.order(1, 1) is None and eng.order(2, 1) is None


def test_partial_fill_then_rest_ack_after_fills(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, SELL, 100.0, 0.4))
    ev = eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    assert kinds(ev) == ["Fill", "Fill", "Accepted"]
    assert ev[1].remaining_qty == pytest.approx(0.6)  # type: ignore[union-attr]
    assert ev[2] == Accepted(2, 1, BTCUSD, BUY, OrderType.LMT, 100.0, 0.6)
    assert eng.depth(BTCUSD)[0] == [DepthLevel(100.0, 0.6, 1)]


def test_price_time_priority_and_sweep(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, SELL, 101.0, 1.0))
    eng.submit(lmt(1, 2, SELL, 100.0, 1.0))
    eng.submit(lmt(2, 3, SELL, 100.0, 1.0))
    ev = eng.submit(lmt(3, 1, BUY, 101.0, 2.5))
    resting = [
        (e.account, e.order_id, e.exec_price) for e in ev if isinstance(e, Fill) and not e.aggressor
    ]
    assert resting == [(1, 2, 100.0), (2, 3, 100.0), (1, 1, 101.0)]
    exec_ids = [e.exec_id for e in ev if isinstance(e, Fill)]
    assert exec_ids == [1, 1, 2, 2, 3, 3]
    assert eng.depth(BTCUSD)[1] == [DepthLevel(101.0, 0.5, 1)]


def test_ioc_remainder_cancelled_without_ack(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, SELL, 100.0, 0.3))
    ev = eng.submit(lmt(2, 1, BUY, 100.0, 1.0, IOC))
    assert kinds(ev) == ["Fill", "Fill", "Cancelled"]
    c = ev[2]
    assert c == Cancelled(2, 1, 1, BTCUSD, BUY, 0.7, CancelReason.IOC_REMAINDER)
    assert eng.depth(BTCUSD) == ([], [])


def test_fok_all_or_nothing(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, SELL, 100.0, 0.5))
    eng.submit(lmt(1, 2, SELL, 101.0, 0.5))
    before = eng.depth(BTCUSD)
    ev = eng.submit(lmt(2, 1, BUY, 100.5, 1.0, FOK))
    assert ev == [Rejected(2, 1, RejectCode.MATCHING_ENGINE_REJECTED)]
    assert eng.depth(BTCUSD) == before and not eng.knows_order_id(2, 1)
    ev = eng.submit(lmt(2, 1, BUY, 101.0, 1.0, FOK))
    assert kinds(ev) == ["Fill"] * 4


def test_sellshort_trades_as_sell(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    ev = eng.submit(lmt(2, 1, Side.SELLSHORT, 100.0, 1.0))
    assert ev[1].side == Side.SELLSHORT and ev[1].exec_price == 100.0  # type: ignore[union-attr]


# ------------------------------------------------------------------ MKT


def test_market_no_ack_fills_and_remainder(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, SELL, 100.0, 1.0))
    ev = eng.submit(mkt(2, 1, BUY, 1.5))
    assert kinds(ev) == ["Fill", "Fill", "Cancelled"]
    assert ev[1].price == 0.0 and ev[1].exec_price == 100.0  # type: ignore[union-attr]
    assert ev[2] == Cancelled(2, 1, 1, BTCUSD, BUY, 0.5, CancelReason.MARKET_REMAINDER)


def test_market_rejected_57_on_empty_side(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    ev = eng.submit(mkt(2, 1, BUY, 1.0))
    assert ev == [Rejected(2, 1, RejectCode.NO_MARKET_MAKER_VOLUME)]


def test_market_cost(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, SELL, 100.0, 1.0))
    eng.submit(lmt(1, 2, SELL, 102.0, 1.0))
    assert eng.market_cost(BTCUSD, BUY, 1.5) == pytest.approx(151.0)
    assert eng.market_cost(BTCUSD, SELL, 1.0) == 0.0


# ------------------------------------------------------------------ cancel


def test_cancel(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    ev = eng.submit(CancelOrder(1, 2, 1))
    assert ev == [Cancelled(1, 2, 1, BTCUSD, BUY, 1.0, CancelReason.USER)]
    assert eng.depth(BTCUSD) == ([], []) and eng.open_orders(1) == []


def test_cancel_rejects(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    assert eng.submit(CancelOrder(1, 1, 1)) == [Rejected(1, 1, RejectCode.DUPLICATE_ORDER_ID, 1)]
    assert eng.submit(CancelOrder(1, 2, 0)) == [Rejected(1, 2, RejectCode.ORIG_ORDER_ID_INVALID, 0)]
    assert eng.submit(CancelOrder(1, 2, 99)) == [
        Rejected(1, 2, RejectCode.ORIG_ORDER_NOT_FOUND, 99)
    ]
    # another account cannot cancel it
    assert eng.submit(CancelOrder(2, 2, 1)) == [Rejected(2, 2, RejectCode.ORIG_ORDER_NOT_FOUND, 1)]
    eng.submit(CancelOrder(1, 3, 1))
    assert eng.submit(CancelOrder(1, 4, 1)) == [Rejected(1, 4, RejectCode.ORIG_ORDER_NOT_FOUND, 1)]


def test_partially_filled_cancel_reports_open_only(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    eng.submit(lmt(2, 1, SELL, 100.0, 0.25))
    ev = eng.submit(CancelOrder(1, 2, 1))
    assert ev[0].cancel_qty == 0.75  # type: ignore[union-attr]


# ------------------------------------------------------------------ replace


def test_replace_down_keeps_priority(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    ev = eng.submit(ReplaceOrder(1, 2, 1, 100.0, 0.5))
    assert ev == [Replaced(1, 2, 1, BTCUSD, BUY, 100.0, 0.5, 0.5)]
    assert eng.order(1, 1) is None and eng.order(1, 2).replaced  # type: ignore[union-attr]
    ev = eng.submit(lmt(3, 1, SELL, 100.0, 0.5))
    assert ev[0].account == 1 and ev[0].order_id == 2  # type: ignore[union-attr]


def test_replace_up_loses_priority(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    eng.submit(lmt(2, 1, BUY, 100.0, 1.0))
    eng.submit(ReplaceOrder(1, 2, 1, 100.0, 2.0))
    ev = eng.submit(lmt(3, 1, SELL, 100.0, 0.5))
    assert ev[0].account == 2  # type: ignore[union-attr]


def test_replace_price_change_loses_priority_and_can_cross(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    eng.submit(lmt(2, 1, SELL, 101.0, 0.4))
    ev = eng.submit(ReplaceOrder(1, 2, 1, 101.0, 1.0))
    assert kinds(ev) == ["Replaced", "Fill", "Fill"]
    assert ev[2].aggressor and ev[2].order_id == 2  # type: ignore[union-attr]
    assert eng.depth(BTCUSD)[0] == [DepthLevel(101.0, 0.6, 1)]


def test_replace_counts_filled_quantity(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    eng.submit(lmt(2, 1, SELL, 100.0, 0.6))
    ev = eng.submit(ReplaceOrder(1, 2, 1, 100.0, 0.6))
    assert ev == [Rejected(1, 2, RejectCode.SIZE_INVALID, 1)]
    ev = eng.submit(ReplaceOrder(1, 2, 1, 100.0, 0.8))
    assert ev == [Replaced(1, 2, 1, BTCUSD, BUY, 100.0, 0.8, 0.2)]


def test_replace_rejects(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    assert eng.submit(ReplaceOrder(1, 3, 2, 100.0, 1.0)) == [
        Rejected(1, 3, RejectCode.ORIG_ORDER_NOT_FOUND, 2)
    ]
    assert eng.submit(ReplaceOrder(1, 1, 1, 100.0, 1.0))[0].reason == RejectCode.DUPLICATE_ORDER_ID  # type: ignore[union-attr]
    assert eng.submit(ReplaceOrder(1, 3, 1, 100.2, 1.0))[0].reason == RejectCode.PRICE_INVALID  # type: ignore[union-attr]
    assert eng.submit(ReplaceOrder(1, 3, 1, 100.0, 0.0))[0].reason == RejectCode.SIZE_INVALID  # type: ignore[union-attr]
    assert eng.order(1, 1) is not None


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("cmd", "code"),
    [
        (NewOrder(1, 1, 1, BUY, 10, 100.0, 1.0, GTC), RejectCode.ORD_TYPE_INVALID),
        (NewOrder(1, 1, 1, BUY, 11, 100.0, 1.0, GTC), RejectCode.ORD_TYPE_INVALID),
        (NewOrder(1, 1, 1, BUY, 16, 100.0, 1.0, GTC), RejectCode.ORD_TYPE_INVALID),
        (NewOrder(1, 1, 1, BUY, 17, 100.0, 1.0, GTC), RejectCode.ORD_TYPE_INVALID),
        (NewOrder(1, 1, 1, BUY, 99, 100.0, 1.0, GTC), RejectCode.ORD_TYPE_INVALID),
        (NewOrder(1, 1, 9, BUY, 1, 100.0, 1.0, GTC), RejectCode.SYMBOL_ENUM_INVALID),
        (NewOrder(1, 1, 1, 7, 1, 100.0, 1.0, GTC), RejectCode.ORDER_SIDE_INVALID),
        (lmt(1, 1, BUY, 100.0, 1.0, attributes="NXNNNNNNNNNN"), RejectCode.INVALID_FIELD_VALUE),
        (lmt(1, 1, BUY, 100.0, 1.0, TimeInForce.POO), RejectCode.INVALID_FIELD_VALUE),
        (lmt(1, 1, BUY, 100.0, 1.0, TimeInForce.RED), RejectCode.INVALID_FIELD_VALUE),
        (lmt(1, 1, BUY, 100.0, 1.0, 0), RejectCode.INVALID_FIELD_VALUE),
        (lmt(1, 1, BUY, 0.0, 1.0), RejectCode.PRICE_INVALID),
        (lmt(1, 1, BUY, -1.0, 1.0), RejectCode.PRICE_INVALID),
        (lmt(1, 1, BUY, 100.25, 1.0), RejectCode.PRICE_INVALID),
        (lmt(1, 1, BUY, 100.0, 0.0), RejectCode.SIZE_INVALID),
        (lmt(1, 1, BUY, 100.0, 0.000001), RejectCode.SIZE_INVALID),
        (lmt(1, 1, BUY, 100.0, 1000.5), RejectCode.SIZE_INVALID),
        (lmt(1, 1, BUY, 100.0, 1.000005), RejectCode.SIZE_INVALID),
        (lmt(1, 1, BUY, 100.0, 1.0, attributes="NNYNNNNNNNNN"), RejectCode.DISPLAY_SIZE_INVALID),
        (
            lmt(1, 1, BUY, 100.0, 1.0, attributes="NNYNNNNNNNNN", display_size=0.1),
            RejectCode.REFRESH_SIZE_INVALID,
        ),
        (lmt(1, 1, BUY, 100.0, 1.0, attributes="NYYNNNNNNNNN"), RejectCode.INVALID_FIELD_VALUE),
        (
            NewOrder(1, 1, 1, BUY, 2, 0.0, 1.0, GTC, attributes="NYNNNNNNNNNN"),
            RejectCode.INVALID_FIELD_VALUE,
        ),
    ],
)
def test_new_order_rejects(eng: MatchingEngine, cmd: NewOrder, code: RejectCode) -> None:
    eng.submit(lmt(5, 1, SELL, 200.0, 1.0))
    assert eng.submit(cmd) == [Rejected(cmd.account, cmd.order_id, code)]
    assert eng.depth(BTCUSD)[0] == []


def test_duplicate_order_id(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    eng.submit(CancelOrder(1, 2, 1))
    assert eng.submit(lmt(1, 1, BUY, 100.0, 1.0)) == [Rejected(1, 1, RejectCode.DUPLICATE_ORDER_ID)]
    assert eng.submit(lmt(1, 2, BUY, 100.0, 1.0)) == [Rejected(1, 2, RejectCode.DUPLICATE_ORDER_ID)]
    # ids are per account
    assert kinds(eng.submit(lmt(2, 1, BUY, 100.0, 1.0))) == ["Accepted"]
    assert eng.knows_order_id(1, 2) and not eng.knows_order_id(3, 1)


def test_float_tolerance_on_grids(eng: MatchingEngine) -> None:
    # 0.1 + 0.2 style noise is accepted; the event carries the clean value
    ev = eng.submit(NewOrder(1, 1, 2, BUY, OrderType.LMT, 0.1 + 0.2, 0.1 + 0.2, GTC))
    assert ev[0].price == pytest.approx(0.3) and ev[0].open_qty == 0.3  # type: ignore[union-attr]
    ev = eng.submit(NewOrder(1, 2, 2, BUY, OrderType.LMT, 0.305, 1.0, GTC))
    assert ev == [Rejected(1, 2, RejectCode.PRICE_INVALID)]


def test_attributes_nul_and_empty_mean_none(eng: MatchingEngine) -> None:
    assert kinds(eng.submit(lmt(1, 1, BUY, 100.0, 1.0, attributes="\x00" * 12))) == ["Accepted"]
    assert kinds(eng.submit(lmt(1, 2, BUY, 100.0, 1.0, attributes=""))) == ["Accepted"]
    assert eng.depth(BTCUSD)[0] == [DepthLevel(100.0, 2.0, 2)]


# ------------------------------------------------------------------ risk hook


def test_risk_hook_43_and_47_change_nothing(eng: MatchingEngine) -> None:
    seen: list[RiskQuery] = []

    def hook(q: RiskQuery) -> RejectCode | None:
        seen.append(q)
        return RejectCode.OUTSTANDING_OPEN_REQUESTS_EXCEEDED if q.qty > 1 else None

    eng.submit(lmt(2, 1, SELL, 101.0, 5.0))
    ev = eng.submit(lmt(1, 1, BUY, 101.0, 2.0), risk_check=hook)
    assert ev == [Rejected(1, 1, RejectCode.OUTSTANDING_OPEN_REQUESTS_EXCEEDED)]
    assert not eng.knows_order_id(1, 1) and eng.depth(BTCUSD)[1][0].quantity == 5.0
    ev = eng.submit(
        mkt(1, 2, BUY, 1.0), risk_check=lambda q: RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE
    )
    assert ev == [Rejected(1, 2, RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE)]
    # the hook sees the MKT estimate and, for a replace, the existing order
    eng.submit(mkt(1, 3, BUY, 1.0), risk_check=hook)
    assert seen[-1].market_cost == pytest.approx(101.0)
    eng.submit(lmt(1, 4, BUY, 100.0, 1.0))
    ev = eng.submit(ReplaceOrder(1, 5, 4, 100.0, 3.0), risk_check=hook)
    assert ev == [Rejected(1, 5, RejectCode.OUTSTANDING_OPEN_REQUESTS_EXCEEDED, 4)]
    assert seen[-1].replaces == 4 and seen[-1].existing is not None
    assert seen[-1].existing.open_qty == 1.0


def test_field_errors_come_before_risk(eng: MatchingEngine) -> None:
    def hook(q: RiskQuery) -> RejectCode | None:
        raise AssertionError("risk must not run")

    ev = eng.submit(lmt(1, 1, BUY, 100.1, 1.0), risk_check=hook)
    assert ev == [Rejected(1, 1, RejectCode.PRICE_INVALID)]


# ------------------------------------------------------------------ views


def test_positions(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 2.0))
    eng.submit(lmt(2, 1, SELL, 100.0, 0.5))
    p = eng.position(1, BTCUSD)
    assert (p.long_open_qty, p.long_open_cash) == (1.5, 150.0)
    assert (p.executed_long_qty, p.executed_long_cash) == (0.5, 50.0)
    q = eng.position(2, BTCUSD)
    assert (q.executed_short_qty, q.executed_short_cash, q.short_open_qty) == (0.5, 50.0, 0.0)
    assert q.executed_short_position == 0.5 and p.long_position == 1.5


def test_open_orders_filter_and_depth_levels(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    eng.submit(NewOrder(1, 2, 2, BUY, OrderType.LMT, 1.0, 1.0, GTC))
    for i, px in enumerate([99.0, 98.5, 98.0]):
        eng.submit(lmt(3, i + 1, BUY, px, 1.0))
    assert [v.order_id for v in eng.open_orders(1)] == [1, 2]
    assert [v.order_id for v in eng.open_orders(1, 2)] == [2]
    bids, _ = eng.depth(BTCUSD, 2)
    assert [b.price for b in bids] == [100.0, 99.0]


def test_day_orders_expire(eng: MatchingEngine) -> None:
    now = [10]
    e = MatchingEngine(clock=lambda: now[0])
    e.submit(lmt(1, 1, BUY, 100.0, 1.0, DAY))
    e.submit(lmt(1, 2, BUY, 100.0, 1.0, GTC))
    assert e.advance_time() == []
    now[0] = 86_400_000_000_000 + 1
    ev = e.advance_time()
    assert ev == [Cancelled(1, 1, 1, BTCUSD, BUY, 1.0, CancelReason.DAY_EXPIRED)]
    e.submit(lmt(1, 3, BUY, 100.0, 1.0, DAY))
    assert kinds(e.expire_day()) == ["Cancelled"]
    assert [v.order_id for v in e.open_orders(1)] == [2]


def test_cancel_all(eng: MatchingEngine) -> None:
    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))
    eng.submit(lmt(1, 2, SELL, 101.0, 1.0))
    assert kinds(eng.cancel_all(1)) == ["Cancelled", "Cancelled"]
    assert eng.depth(BTCUSD) == ([], [])


def test_fast_paths_build_complete_objects(eng: MatchingEngine) -> None:
    """The inlined order construction of the LMT hot path sets every slot that
    ``_Order.__init__`` sets, and fast-built events equal their dataclass twins."""
    from crmd_twisted.engine import engine as engine_mod

    eng.submit(lmt(1, 1, BUY, 100.0, 1.0))  # first order of the account: slow path
    ev = eng.submit(lmt(1, 2, BUY, 100.0, 1.0))  # second one: the fast path
    assert ev == [Accepted(1, 2, BTCUSD, BUY, OrderType.LMT, 100.0, 1.0)]
    assert type(ev[0]) is Accepted and hash(ev[0]) == hash(ev[0])
    slow, fast = (eng._accounts[1].live[i] for i in (1, 2))
    for name in engine_mod._Order.__slots__:
        assert hasattr(fast, name) == hasattr(slow, name), name
    assert fast.x is engine_mod._NO_EXT  # shared special fields of a plain order
    with pytest.raises(AttributeError):
        engine_mod._NO_EXT.replaced = True
    ev = eng.submit(ReplaceOrder(1, 3, 2, 100.0, 2.0))  # the replace gets its own fields
    assert type(ev[0]) is Replaced and fast.x is not engine_mod._NO_EXT
    assert fast.x.replaced and not engine_mod._NO_EXT.replaced
    ev = eng.submit(lmt(2, 1, SELL, 100.0, 0.5))
    assert ev[0] == Fill(1, 1, 1, BTCUSD, BUY, 100.0, 100.0, 0.5, 0.5, False)
    with pytest.raises(AttributeError):
        ev[0].exec_qty = 1.0  # type: ignore[misc]
