"""The OES hot path (issue 14): the engine's cheap risk check, stored frames, owned answers."""

from __future__ import annotations

from typing import Any

import pytest

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.engine import (
    DEFAULT_INSTRUMENTS,
    Accepted,
    MatchingEngine,
    NewOrder,
    Rejected,
    RiskQuery,
)
from crmd_twisted.keys import SessionKeys
from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.oes.stored import StoredOrders
from crmd_twisted.protocol import CRMDFactory, CRMDProtocol
from crmd_twisted.wire import ClientLogon, Transaction, decode
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
    TransactionType,
)

NOW = 1_800_000_000 * 10**9
KEYS = SessionKeys.from_text("hot-path-secret")


def lmt(oid: int, price: float = 30000.0, qty: float = 1.0, **kw: Any) -> NewOrder:
    return NewOrder(1, oid, 1, Side.BUY, OrderType.LMT, price, qty, TimeInForce.GTC, **kw)


class Calls:
    """A risk_check and a limit_risk that record their calls and answer *code*."""

    def __init__(self, code: RejectCode | None = None) -> None:
        self.code = code
        self.full: list[RiskQuery] = []
        self.cheap: list[tuple[int, int, int, float, float]] = []

    def risk_check(self, query: RiskQuery) -> RejectCode | None:
        self.full.append(query)
        return self.code

    def limit_risk(
        self, account: int, symbol_enum: int, side: int, price: float, qty: float
    ) -> RejectCode | None:
        self.cheap.append((account, symbol_enum, side, price, qty))
        return self.code


@pytest.fixture
def engine() -> MatchingEngine:
    eng = MatchingEngine(DEFAULT_INSTRUMENTS, clock=lambda: NOW)
    eng.submit(lmt(1))  # the account exists: its next plain orders take the hot path
    return eng


def test_a_plain_limit_order_asks_the_cheap_check_with_the_risk_query_values(
    engine: MatchingEngine,
) -> None:
    calls = Calls()
    (accepted,) = engine.submit(lmt(2, 30000.5, 0.25), calls.risk_check, calls.limit_risk)
    assert isinstance(accepted, Accepted) and accepted.open_qty == 0.25
    assert calls.full == []
    assert calls.cheap == [(1, 1, 1, 30000.5, 0.25)]


def test_the_cheap_check_gives_the_same_answer_as_the_full_one() -> None:
    fast = MatchingEngine(DEFAULT_INSTRUMENTS, clock=lambda: NOW)
    slow = MatchingEngine(DEFAULT_INSTRUMENTS, clock=lambda: NOW)
    for eng in (fast, slow):
        eng.submit(lmt(1))
    cheap, full = Calls(), Calls()
    fast.submit(lmt(2, 30000.5, 0.25), cheap.risk_check, cheap.limit_risk)
    slow.submit(lmt(2, 30000.5, 0.25), full.risk_check)
    (query,) = full.full
    assert cheap.cheap == [
        (query.account, query.symbol_enum, int(query.side), query.reserve_price, query.qty)
    ]


def test_a_cheap_reject_uses_no_id_and_changes_nothing(engine: MatchingEngine) -> None:
    calls = Calls(RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE)
    (rejected,) = engine.submit(lmt(2), calls.risk_check, calls.limit_risk)
    assert isinstance(rejected, Rejected)
    assert rejected.reason == RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE
    assert not engine.knows_order_id(1, 2)
    assert engine.order(1, 2) is None and len(engine.open_orders(1)) == 1


@pytest.mark.parametrize(
    ("price", "qty", "code"),
    [(30000.3, 1.0, RejectCode.PRICE_INVALID), (30000.0, 0.000001, RejectCode.SIZE_INVALID)],
)
def test_grid_rejects_come_before_any_risk_check(
    engine: MatchingEngine, price: float, qty: float, code: RejectCode
) -> None:
    calls = Calls(RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE)
    (rejected,) = engine.submit(lmt(2, price, qty), calls.risk_check, calls.limit_risk)
    assert isinstance(rejected, Rejected) and rejected.reason == code
    assert calls.full == [] and calls.cheap == []


def test_other_orders_get_the_full_check(engine: MatchingEngine) -> None:
    calls = Calls()
    engine.submit(lmt(2, attributes="YNNNNNNNNNNN"), calls.risk_check, calls.limit_risk)
    engine.submit(
        NewOrder(1, 3, 1, Side.BUY, OrderType.LMT, 30000.0, 1.0, TimeInForce.FOK),
        calls.risk_check, calls.limit_risk,
    )
    assert [q.command.order_id for q in calls.full] == [2, 3]
    assert calls.cheap == []


# -- the OES core ---------------------------------------------------------------------------


class Peer:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: Any) -> None:
        self.sent.append(message)


def logged_on(balances: dict[str, float] | None = None) -> tuple[OrderEntryCore, Session, Peer]:
    account = Account(1001, "alice", balances=balances or {"USD": 1e9, "BTC": 1e3})
    core = OrderEntryCore(
        AccountDirectory([account], open=False), KEYS, DEFAULT_INSTRUMENTS, clock=lambda: NOW
    )
    peer = Peer()
    session = core.logon(
        ClientLogon(logon_type=1, account=1001, user_name="alice", two_fa="000000",
                    session_key=KEYS.aes_key(1001, "alice", 7), sending_time=NOW),
        peer.send, lambda reason: None,
    )
    assert isinstance(session, Session)
    return core, session, peer


def order(session: Session, oid: int, price: float = 30000.0, qty: float = 1.0) -> Transaction:
    return Transaction(
        message_type=TransactionType.ORDER_NEW, account=session.account, order_id=oid,
        symbol_enum=1, symbol="BTCUSD", symbol_type=1, order_type=OrderType.LMT,
        price=price, side=Side.BUY, order_qty=qty, time_in_force=TimeInForce.GTC,
        trading_session_id=session.trading_session_id, session_key=session.key,
        sending_time=NOW, msg_seq_num=oid, trader_id="T1", attributes=NO_ATTRIBUTES,
    )


def test_an_owned_request_becomes_its_ack_and_its_frame_is_stored() -> None:
    core, session, peer = logged_on()
    req = order(session, 1)
    received = req.encode()
    core.transaction(session, req, owned=True)
    (ack,) = peer.sent
    assert ack is req  # no copy
    assert ack.message_type == TransactionType.ORDER_ACK and ack.sending_time == NOW
    assert core.orders.frame((1001, 1)) == received  # the request as it came
    stored = core.orders[(1001, 1)]
    assert stored.message_type == TransactionType.ORDER_NEW and stored.trader_id == "T1"
    assert stored is not core.orders[(1001, 1)]  # every read decodes a fresh copy


def test_a_request_not_handed_over_is_left_as_it_was() -> None:
    core, session, peer = logged_on()
    req = order(session, 1)
    before = req.replace()
    core.transaction(session, req)
    assert req == before
    (ack,) = peer.sent
    assert ack is not req and ack.message_type == TransactionType.ORDER_ACK


def test_an_owned_request_becomes_its_reject() -> None:
    core, session, peer = logged_on(balances={"USD": 100.0})
    req = order(session, 1)
    core.transaction(session, req, owned=True)
    (reject,) = peer.sent
    assert reject is req and reject.message_type == TransactionType.REJECT
    assert reject.reject_reason == RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE
    assert (1001, 1) not in core.orders


def test_the_outstanding_limit_still_applies_on_the_hot_path() -> None:
    core, session, peer = logged_on()
    core.limit_for = lambda s: 2
    core.transaction(session, order(session, 1), in_flight=3, owned=True)
    (reject,) = peer.sent
    assert reject.reject_reason == RejectCode.OUTSTANDING_OPEN_REQUESTS_EXCEEDED


def test_a_fill_echoes_the_stored_order() -> None:
    core, session, peer = logged_on()
    core.transaction(session, order(session, 1, qty=2.0), owned=True)
    sell = order(session, 2, qty=0.5)
    sell.side = Side.SELL
    core.transaction(session, sell, owned=True)
    fills = [m for m in peer.sent if m.message_type == TransactionType.EXECUTION_PARTIAL]
    (fill,) = fills
    assert fill.order_id == 1 and fill.trader_id == "T1" and fill.remaining_qty == 1.5


# -- StoredOrders and the logging default --------------------------------------------------


def test_stored_orders_is_a_mapping_of_transactions_kept_as_frames() -> None:
    store = StoredOrders()
    msg = Transaction(message_type=TransactionType.ORDER_NEW, account=5, order_id=9, price=1.5)
    store[(5, 9)] = msg
    assert (5, 9) in store and len(store) == 1 and list(store) == [(5, 9)]
    assert store[(5, 9)] == msg and store.get((5, 9)) == msg and store.get((5, 1)) is None
    assert isinstance(store.frame((5, 9)), bytes) and len(store.frame((5, 9)) or b"") == 250
    assert decode(store.frames[(5, 9)]) == msg
    store.discard((5, 9))
    store.discard((5, 9))
    assert len(store) == 0
    with pytest.raises(KeyError):
        store[(5, 9)]


def test_frame_log_events_are_off_unless_asked_for() -> None:
    assert CRMDFactory.logFrames is False and CRMDProtocol.logFrames is False
    proto = CRMDFactory(wireTrace=True).buildProtocol(None)
    assert proto is not None
    from twisted.internet.testing import StringTransport

    proto.makeConnection(StringTransport())
    assert proto.logFrames is True  # the wire trace is a frame log


# -- MatchingEngine.submit_limit: the hot path on plain values --------------------------------


def test_submit_limit_gives_the_events_submit_gives() -> None:
    fast = MatchingEngine(DEFAULT_INSTRUMENTS, clock=lambda: NOW)
    slow = MatchingEngine(DEFAULT_INSTRUMENTS, clock=lambda: NOW)
    for eng in (fast, slow):
        eng.submit(lmt(1))
        eng.submit(NewOrder(2, 1, 1, Side.SELL, OrderType.LMT, 30001.0, 0.5, TimeInForce.GTC))
    for oid, side, price, qty, tif in [
        (2, Side.BUY, 30000.5, 0.25, TimeInForce.GTC),
        (3, Side.BUY, 30001.0, 0.75, TimeInForce.DAY),  # trades 0.5, rests 0.25
        (4, Side.SELL, 29000.0, 0.1, TimeInForce.IOC),  # trades against the bids
    ]:
        got = fast.submit_limit(1, oid, 1, side, price, qty, tif)
        want = slow.submit(NewOrder(1, oid, 1, side, OrderType.LMT, price, qty, tif))
        assert got == want
    assert list(fast.open_orders(1, 0)) == list(slow.open_orders(1, 0))


@pytest.mark.parametrize(
    "account, oid, price, qty, tif",
    [
        (9, 5, 30000.0, 1.0, TimeInForce.GTC),  # an account the engine does not know yet
        (1, 1, 30000.0, 1.0, TimeInForce.GTC),  # a used order id
        (1, 5, 30000.3, 1.0, TimeInForce.GTC),  # off the price grid
        (1, 5, 30000.0, 1e-9, TimeInForce.GTC),  # below the lot size
        (1, 5, float("nan"), 1.0, TimeInForce.GTC),
        (1, 5, 30000.0, 1.0, TimeInForce.FOK),  # not a hot-path time in force
    ],
)
def test_submit_limit_declines_without_changing_anything(
    engine: MatchingEngine, account: int, oid: int, price: float, qty: float, tif: int
) -> None:
    before = list(engine.open_orders(1, 0))
    assert engine.submit_limit(account, oid, 1, Side.BUY, price, qty, tif) is None
    assert list(engine.open_orders(1, 0)) == before
    assert not engine.knows_order_id(account, oid) or oid == 1


def test_submit_limit_asks_the_cheap_check_and_its_reject_uses_no_id(
    engine: MatchingEngine,
) -> None:
    calls = Calls(RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE)
    (rejected,) = engine.submit_limit(1, 2, 1, Side.BUY, 30000.0, 1.0, TimeInForce.GTC,
                                      calls.limit_risk) or []
    assert isinstance(rejected, Rejected)
    assert rejected.reason == RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE
    assert calls.cheap == [(1, 1, 1, 30000.0, 1.0)]
    assert not engine.knows_order_id(1, 2)


def test_submit_limit_leaves_a_due_day_roll_to_submit() -> None:
    now = [NOW]
    eng = MatchingEngine(DEFAULT_INSTRUMENTS, clock=lambda: now[0])
    eng.submit(NewOrder(1, 1, 1, Side.BUY, OrderType.LMT, 30000.0, 1.0, TimeInForce.DAY))
    now[0] += 2 * 86_400 * 10**9  # the trading day of order 1 ended
    assert eng.submit_limit(1, 2, 1, Side.BUY, 30000.0, 1.0, TimeInForce.GTC) is None
    events = eng.submit(lmt(2))
    assert [type(e).__name__ for e in events] == ["Cancelled", "Accepted"]
