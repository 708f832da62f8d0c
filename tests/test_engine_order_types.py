"""The engine's one table of supported order types, and the risk query it builds.

The table (``crmd_twisted.engine.order_types``) is what validation reads; these
tests check that what a client sees agrees with it.
"""

from __future__ import annotations

import pytest

from crmd_twisted.engine import (
    MatchingEngine,
    NewOrder,
    Rejected,
    ReplaceOrder,
    RiskQuery,
)
from crmd_twisted.engine.order_types import ORDER_TYPE_RULES, SUPPORTED_ORDER_TYPES
from crmd_twisted.wire.enums import (
    UNIMPLEMENTED_ORDER_TYPES,
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
)

BTCUSD = 1
T_STOP_LMT = OrderType.STOP_LMT


def test_every_wire_order_type_is_supported_or_unimplemented() -> None:
    assert set(SUPPORTED_ORDER_TYPES) | set(UNIMPLEMENTED_ORDER_TYPES) == set(OrderType)
    assert not set(SUPPORTED_ORDER_TYPES) & set(UNIMPLEMENTED_ORDER_TYPES)


@pytest.mark.parametrize("otype", list(OrderType))
def test_order_type_rejected_exactly_when_unsupported(otype: OrderType) -> None:
    eng = MatchingEngine(clock=lambda: 0)
    ev = eng.submit(NewOrder(1, 1, BTCUSD, Side.BUY, otype, 100.0, 1.0, TimeInForce.GTC))
    reasons = [e.reason for e in ev if isinstance(e, Rejected)]
    assert (RejectCode.ORD_TYPE_INVALID in reasons) == (otype not in SUPPORTED_ORDER_TYPES)


@pytest.mark.parametrize("otype", SUPPORTED_ORDER_TYPES)
@pytest.mark.parametrize("tif", [TimeInForce.FOK, TimeInForce.IOC, TimeInForce.DAY])
def test_time_in_force_follows_the_table(otype: OrderType, tif: TimeInForce) -> None:
    """A non-GTC time in force is refused (INVALID_FIELD_VALUE) exactly by the types
    whose rule does not list it."""
    eng = MatchingEngine(clock=lambda: 0)
    ev = eng.submit(
        NewOrder(1, 1, BTCUSD, Side.BUY, otype, 100.0, 1.0, tif, stop_limit_price=100.0)
    )
    refused = [
        e for e in ev if isinstance(e, Rejected) and e.reason == RejectCode.INVALID_FIELD_VALUE
    ]
    tifs = ORDER_TYPE_RULES[otype].tifs
    assert bool(refused) == (tifs is not None and tif not in tifs)


def test_risk_query_of_new_order_and_replace() -> None:
    """The hook sees the same shape for a new order and for its replace, the replace
    naming the order it changes and its view before the change."""
    seen: list[RiskQuery] = []

    def hook(q: RiskQuery) -> RejectCode | None:
        seen.append(q)
        return None

    eng = MatchingEngine(clock=lambda: 0)
    new = NewOrder(7, 1, BTCUSD, Side.SELL, OrderType.STOP_LMT, 90.0, 2.0, TimeInForce.GTC,
                   stop_limit_price=89.5)  # fmt: skip
    eng.submit(new, risk_check=hook)
    rep = ReplaceOrder(7, 2, 1, 91.0, 3.0)
    eng.submit(rep, risk_check=hook)
    q_new, q_rep = seen
    assert (q_new.command, q_new.account, q_new.symbol_enum, q_new.side) == (
        new, 7, BTCUSD, Side.SELL,
    )  # fmt: skip
    assert (q_new.order_type, q_new.price, q_new.stop_limit_price) == (T_STOP_LMT, 90.0, 89.5)
    assert (q_new.reserve_price, q_new.qty) == (89.5, 2.0)
    assert q_new.replaces is None and q_new.existing is None
    assert (q_rep.command, q_rep.order_type, q_rep.price, q_rep.qty) == (
        rep, OrderType.STOP_LMT, 91.0, 3.0,
    )  # fmt: skip
    # a zero stop price in the replace keeps the order's own
    assert (q_rep.stop_limit_price, q_rep.reserve_price, q_rep.replaces) == (89.5, 89.5, 1)
    assert q_rep.existing is not None and q_rep.existing.order_qty == 2.0


def test_risk_reject_leaves_the_order_unchanged() -> None:
    eng = MatchingEngine(clock=lambda: 0)
    eng.submit(NewOrder(7, 1, BTCUSD, Side.BUY, OrderType.LMT, 90.0, 2.0, TimeInForce.GTC))
    ev = eng.submit(
        ReplaceOrder(7, 2, 1, 95.0, 5.0), risk_check=lambda q: RejectCode.INSTRUMENT_MARGIN_EXCEEDED
    )
    assert ev == [Rejected(7, 2, RejectCode.INSTRUMENT_MARGIN_EXCEEDED, 1)]
    view = eng.order(7, 1)
    assert view is not None and (view.price, view.order_qty) == (90.0, 2.0)
    assert eng.position(7, BTCUSD).long_open_qty == 2.0
