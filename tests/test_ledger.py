"""Unit tests of the OES Ledger: balances, reservations and their running totals."""

from __future__ import annotations

import pytest

from crmd_twisted.oes import Ledger, Reservation


@pytest.fixture
def ledger() -> Ledger:
    book = Ledger()
    book.open_account(1, {"usd": 1000, "BTC": 2})
    return book


def test_open_account_uppercases_and_keeps_an_existing_account(ledger: Ledger) -> None:
    assert ledger.balance(1, "USD") == 1000.0
    ledger.open_account(1, {"USD": 5})
    assert ledger.balance(1, "USD") == 1000.0
    assert ledger.balance(2, "USD") == 0.0 and ledger.available(2, "USD") == 0.0


def test_reservations_reduce_what_is_available(ledger: Ledger) -> None:
    ledger.set_reservation((1, 10), Reservation("USD", 600.0))
    assert ledger.reserved(1, "USD") == 600.0
    assert ledger.available(1, "USD") == 400.0
    assert ledger.can_reserve(1, Reservation("USD", 400.0))
    assert not ledger.can_reserve(1, Reservation("USD", 400.01))
    assert ledger.can_reserve(1, Reservation("BTC", 2.0))  # another currency is untouched


def test_an_order_holds_one_reservation_replaced_or_released(ledger: Ledger) -> None:
    ledger.set_reservation((1, 10), Reservation("USD", 600.0))
    ledger.set_reservation((1, 10), Reservation("USD", 100.0))  # e.g. after a partial fill
    assert ledger.reserved(1, "USD") == 100.0
    ledger.set_reservation((1, 10), None)
    assert ledger.reserved(1, "USD") == 0.0
    ledger.set_reservation((1, 11), Reservation("USD", 0.0))  # nothing to hold
    assert ledger.reserved(1, "USD") == 0.0


def test_a_replace_may_reuse_what_the_replaced_order_holds(ledger: Ledger) -> None:
    ledger.set_reservation((1, 10), Reservation("USD", 900.0))
    wanted = Reservation("USD", 1000.0)
    assert not ledger.can_reserve(1, wanted)
    assert ledger.can_reserve(1, wanted, replacing=(1, 10))
    assert not ledger.can_reserve(1, Reservation("USD", 1000.5), replacing=(1, 10))
    # a reservation in another currency frees nothing
    assert not ledger.can_reserve(1, Reservation("BTC", 3.0), replacing=(1, 10))


def test_move_reservation_follows_a_new_order_id(ledger: Ledger) -> None:
    ledger.set_reservation((1, 10), Reservation("USD", 300.0))
    ledger.move_reservation((1, 10), (1, 11))
    ledger.set_reservation((1, 10), None)  # the old id holds nothing any more
    assert ledger.reserved(1, "USD") == 300.0
    ledger.set_reservation((1, 11), None)
    assert ledger.reserved(1, "USD") == 0.0


def test_fills_move_both_currencies(ledger: Ledger) -> None:
    ledger.apply_fill(1, True, "BTC", "USD", 0.5, 1000.0)
    assert ledger.balance(1, "BTC") == 2.5
    assert ledger.balance(1, "USD") == 500.0
    ledger.apply_fill(1, False, "BTC", "USD", 1.0, 200.0, fee=1.0)
    assert ledger.balance(1, "BTC") == 1.5
    assert ledger.balance(1, "USD") == 699.0
    ledger.apply_fill(7, False, "BTC", "USD", 1.0, 10.0)  # an account never opened
    assert ledger.balance(7, "BTC") == -1.0 and ledger.balance(7, "USD") == 10.0


def test_hold_new_is_set_reservation_for_a_new_order(ledger: Ledger) -> None:
    other = Ledger()
    other.open_account(1, {"usd": 1000, "BTC": 2})
    for key, currency, amount in [((1, 10), "USD", 600.0), ((1, 11), "BTC", 0.5),
                                  ((1, 12), "USD", 0.0), ((2, 1), "USD", 5.0),
                                  ((1, 10), "USD", 100.0)]:  # (one that held something)
        ledger.hold_new(key, currency, amount)
        other.set_reservation(key, Reservation(currency, amount))
        assert ledger._orders == other._orders
        assert ledger._reserved == other._reserved
    assert ledger.reserved(1, "USD") == 100.0 and ledger.reserved(2, "USD") == 5.0


@pytest.mark.parametrize("amount", [0.5, 1.0, 400.0, -3.0])
def test_can_spend_is_can_reserve_without_the_reservation(ledger: Ledger, amount: float) -> None:
    ledger.set_reservation((1, 10), Reservation("USD", 600.0))
    for have in (amount, amount * (1 + 1e-10), amount + 1e-6, 400.0 - amount):
        assert ledger.can_spend(1, "USD", have) == ledger.can_reserve(1, Reservation("USD", have))
