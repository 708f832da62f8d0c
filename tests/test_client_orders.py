"""OrderTracker: the client's pure order state, driven by plain calls."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crmd_twisted.client.orders import OrderState, OrderTracker
from crmd_twisted.wire import Transaction
from crmd_twisted.wire.enums import RejectCode, TransactionType

ROOT = Path(__file__).resolve().parents[1]
T = TransactionType


def new(order_id: int, qty: float = 1.0, price: float = 100.0) -> Transaction:
    return Transaction(
        message_type=T.ORDER_NEW, order_id=order_id, order_qty=qty, price=price, symbol_enum=1
    )


def answer(mtype: TransactionType, order_id: int, **fields: object) -> Transaction:
    return Transaction(message_type=mtype, order_id=order_id, **fields)


def sent(tracker: OrderTracker, tx: Transaction) -> None:
    tracker.new(tx).sent = True


def test_ack_then_partial_and_full_fill() -> None:
    tracker = OrderTracker()
    sent(tracker, new(7, qty=2.0))
    assert tracker.in_flight() == 1
    order, answered = tracker.receive(answer(T.ORDER_ACK, 7))
    assert order is not None and answered is not None
    assert order.state is OrderState.NEW and tracker.in_flight() == 0
    order, answered = tracker.receive(answer(T.EXECUTION_PARTIAL, 7, exec_qty=0.5,
                                             remaining_qty=1.5))
    assert answered is None  # a fill after the ack answers no request
    assert order is not None and order.state is OrderState.PARTIALLY_FILLED
    assert (order.filled_qty, order.open_qty) == (0.5, 1.5)
    tracker.receive(answer(T.EXECUTION, 7, exec_qty=1.5, remaining_qty=0.0))
    assert order.state is OrderState.FILLED and order.state.final and len(order.fills) == 2


def test_reject_of_a_new_and_of_a_resent_duplicate() -> None:
    tracker = OrderTracker()
    sent(tracker, new(1))
    order, _ = tracker.receive(answer(T.REJECT, 1, reject_reason=RejectCode.SYMBOL_ENUM_INVALID))
    assert order is not None and order.state is OrderState.REJECTED
    assert order.reject_reason == RejectCode.SYMBOL_ENUM_INVALID and order.open_qty == 0.0
    pending = tracker.new(new(2))
    pending.sent = pending.resent = True  # sent again after a reconnect
    order, _ = tracker.receive(answer(T.REJECT, 2, reject_reason=RejectCode.DUPLICATE_ORDER_ID))
    assert order is not None and order.state is OrderState.GONE


def test_replace_gives_a_new_id_and_cancel_ends_the_order() -> None:
    tracker = OrderTracker()
    sent(tracker, new(10, qty=3.0))
    order, _ = tracker.receive(answer(T.ORDER_ACK, 10))
    assert order is not None
    tracker.amend(order, answer(T.CANCEL_REPLACE, 11, orig_order_id=10)).sent = True
    assert tracker.in_flight() == 1
    tracker.receive(answer(T.REPLACED, 11, orig_order_id=10, price=99.0, order_qty=2.0))
    assert (order.order_id, order.ids, order.price, order.open_qty) == (11, [10, 11], 99.0, 2.0)
    assert tracker[10] is tracker[11] is order and 10 in tracker and 11 in tracker
    tracker.amend(order, answer(T.ORDER_CANCEL, 12, orig_order_id=11)).sent = True
    _, answered = tracker.receive(answer(T.CANCELLED, 12, orig_order_id=11))
    assert answered is not None and order.state is OrderState.CANCELLED
    assert list(tracker) == [order] and len(tracker) == 1


def test_unknown_id_answers_the_oldest_sent_new() -> None:
    tracker = OrderTracker()
    sent(tracker, new(1))
    sent(tracker, new(2))
    order, answered = tracker.receive(answer(T.ORDER_ACK, 46832151))
    assert order is tracker[1] and answered is not None
    assert tracker.aliases == {46832151: 1}
    order, _ = tracker.receive(answer(T.ORDER_ACK, 46832151))  # the fixed id again
    assert order is tracker[2]
    order, answered = tracker.receive(answer(T.ORDER_ACK, 46832151))  # nothing waits now
    assert (order, answered) == (None, None)


def test_unknown_answers_are_ignored_when_matching_is_off() -> None:
    tracker = OrderTracker(match_unknown_answers=False)
    sent(tracker, new(1))
    assert tracker.receive(answer(T.ORDER_ACK, 99)) == (None, None)
    assert tracker[1].state is OrderState.PENDING_NEW


def test_reconcile_marks_missing_orders_gone_and_adopts_foreign_ones() -> None:
    tracker = OrderTracker()
    for oid in (1, 2):
        sent(tracker, new(oid))
        tracker.receive(answer(T.ORDER_ACK, oid))
    listing = [new(2, qty=0.4), new(50, qty=1.0)]
    gone = tracker.reconcile(listing)
    assert [o.order_id for o in gone] == [1] and tracker[1].state is OrderState.GONE
    assert tracker[2].open_qty == 0.4 and tracker[2].state is OrderState.NEW
    assert tracker[50].state is OrderState.NEW  # placed by another session of the account
    assert {o.order_id for o in tracker.live()} == {2, 50}


def test_lookup_of_an_unknown_id_names_it_and_repr_tells_what_is_there() -> None:
    tracker = OrderTracker()
    with pytest.raises(KeyError, match="unknown order id 5"):
        tracker[5]
    sent(tracker, new(5))
    text = repr(tracker)
    assert "1 orders" in text and "pending_new=1" in text and "1 requests unanswered" in text


def test_orders_module_imports_without_twisted() -> None:
    code = textwrap.dedent(
        """
        import sys
        import crmd_twisted.client.orders
        import crmd_twisted.client.queries, crmd_twisted.client.routing
        import crmd_twisted.client.events, crmd_twisted.client.order_requests
        import crmd_twisted.address
        bad = sorted(m for m in sys.modules if m == "twisted" or m.startswith("twisted."))
        assert not bad, bad
        from crmd_twisted.client import CRMDClient, CRMDClientProtocol, OrderTracker
        assert "twisted.internet" in sys.modules
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
