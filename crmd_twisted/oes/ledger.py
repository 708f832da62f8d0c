"""Balances and reservations of the OES's accounts (the equity rule).

Every instrument is spot and names a base and a quote currency.  A live BUY
reserves ``price x open quantity`` of the quote currency, a live SELL its open
quantity of the base currency.  *Available* is balance minus reservations; an
order that would reserve more than is available is refused with
NOT_ENOUGH_EQUITY_TO_COMPLETE.  Fills move both counterparties' balances at the
execution price.

The ledger keeps one reservation per live order and a running total per
(account, currency), so a check costs O(1) however many orders an account has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from crmd_twisted.engine.types import fast_constructor

__all__ = ["Ledger", "Reservation"]

_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Reservation:
    """What one live order holds back: *amount* of *currency*."""

    currency: str
    amount: float


#: ``Reservation(...)`` without the frozen dataclass's per-field ``object.__setattr__``
_reservation = fast_constructor(Reservation)


class Ledger:
    """Per-account balances, per-order reservations and their totals."""

    def __init__(self) -> None:
        self.balances: dict[int, dict[str, float]] = {}
        self._reserved: dict[int, defaultdict[str, float]] = {}
        self._orders: dict[tuple[int, int], Reservation] = {}

    def open_account(self, account: int, balances: Mapping[str, float]) -> None:
        """Create *account* with *balances* unless it already exists."""
        if account not in self.balances:
            self.balances[account] = {k.upper(): float(v) for k, v in balances.items()}
            self._reserved[account] = defaultdict(float)

    def close_account(self, account: int) -> bool:
        """Forget *account* if it holds no reservation; True if it is gone."""
        totals = self._reserved.get(account)
        if totals is not None and any(totals.values()):
            return False
        self.balances.pop(account, None)
        self._reserved.pop(account, None)
        return True

    def balance(self, account: int, currency: str) -> float:
        bal = self.balances.get(account)
        return 0.0 if bal is None else bal.get(currency, 0.0)

    def reserved(self, account: int, currency: str) -> float:
        totals = self._reserved.get(account)
        return 0.0 if totals is None else totals.get(currency, 0.0)

    def available(self, account: int, currency: str) -> float:
        return self.balance(account, currency) - self.reserved(account, currency)

    def can_reserve(
        self, account: int, wanted: Reservation, replacing: tuple[int, int] | None = None
    ) -> bool:
        """True if *account* can hold *wanted* (after releasing *replacing*'s share)."""
        # Hot path (every NEW): the lookups of balance() and reserved() inlined.
        currency = wanted.currency
        bal = self.balances.get(account)
        totals = self._reserved.get(account)
        free = (0.0 if bal is None else bal.get(currency, 0.0)) - (
            0.0 if totals is None else totals.get(currency, 0.0)
        )
        if replacing is not None:
            old = self._orders.get(replacing)
            if old is not None and old.currency == currency:
                free += old.amount
        amount = wanted.amount
        return amount <= free + _EPSILON * max(1.0, abs(amount))

    def can_spend(self, account: int, currency: str, amount: float) -> bool:
        """``can_reserve(account, Reservation(currency, amount))`` without building
        the Reservation (the hot path of a new limit order)."""
        bal = self.balances.get(account)
        totals = self._reserved.get(account)
        free = (0.0 if bal is None else bal.get(currency, 0.0)) - (
            0.0 if totals is None else totals.get(currency, 0.0)
        )
        # _EPSILON * max(1.0, abs(amount)) without the two builtin calls
        size = amount if amount >= 0.0 else -amount
        return amount <= free + _EPSILON * (size if size > 1.0 else 1.0)

    def set_reservation(self, key: tuple[int, int], reservation: Reservation | None) -> None:
        """Record what order *key* (account, order id) holds; None releases it."""
        totals = self._reserved.get(key[0])
        if totals is None:
            totals = self._reserved[key[0]] = defaultdict(float)
        orders = self._orders
        old = orders.pop(key, None)
        if old is not None:
            currency = old.currency
            left = totals[currency] - old.amount
            totals[currency] = 0.0 if abs(left) < _EPSILON else left
        if reservation is not None and reservation.amount > 0:
            orders[key] = reservation
            totals[reservation.currency] += reservation.amount

    def hold_new(self, key: tuple[int, int], currency: str, amount: float) -> None:
        """``set_reservation(key, Reservation(currency, amount))`` for an order that
        holds nothing yet (a new order's: the hot path's one call)."""
        orders = self._orders
        if key in orders:
            self.set_reservation(key, Reservation(currency, amount))
            return
        if amount > 0:
            totals = self._reserved.get(key[0])
            if totals is None:
                totals = self._reserved[key[0]] = defaultdict(float)
            orders[key] = _reservation(currency, amount)
            totals[currency] += amount

    def move_reservation(self, old_key: tuple[int, int], new_key: tuple[int, int]) -> None:
        """An order changed id (replace): its reservation follows."""
        res = self._orders.pop(old_key, None)
        if res is not None:
            self._orders[new_key] = res

    def apply_fill(
        self,
        account: int,
        bought: bool,
        base: str,
        quote: str,
        quantity: float,
        price: float,
        fee: float = 0.0,
    ) -> None:
        """One side of an execution: *account* bought (or sold) *quantity* at *price*."""
        bal = self.balances.setdefault(account, {})
        cash = quantity * price
        sign = 1.0 if bought else -1.0
        bal[base] = bal.get(base, 0.0) + sign * quantity
        bal[quote] = bal.get(quote, 0.0) - sign * cash - fee
