"""The order-entry API of :class:`~crmd_twisted.client.CRMDClient`: new, cancel, replace.

Transactions are built by :mod:`~crmd_twisted.client.order_requests`, ids come
from :class:`~crmd_twisted.client.order_ids.OrderIds`, and the session's
:class:`~crmd_twisted.client.order_desk.OrderDesk` sends them.  A request
made before the first AES grant (when no default id exists yet) waits for it
and gets its id then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred

from crmd_twisted.client.order_desk import OrderDesk
from crmd_twisted.client.order_ids import OrderIds
from crmd_twisted.client.order_requests import (
    cancel_request,
    new_order_request,
    replace_request,
    symbol_name,
)
from crmd_twisted.client.orders import OrderTracker, PendingRequest, TrackedOrder
from crmd_twisted.wire import InstrumentResponse, Transaction
from crmd_twisted.wire.enums import OrderType, TimeInForce

__all__ = ["OrderEntry"]


class OrderEntry:
    """Mixed into CRMDClient, which provides the attributes declared here."""

    user: str
    orders: OrderTracker
    instrument_list: list[InstrumentResponse]
    _desk: OrderDesk
    _ids: OrderIds
    _unnumbered: list[tuple[Callable[[int], PendingRequest], Deferred[Transaction]]]

    def _flush(self) -> None:
        raise NotImplementedError

    def next_order_id(self) -> int:
        """A fresh order id (see :mod:`crmd_twisted.client.order_ids` for the scheme).

        Raises RuntimeError before the first AES grant unless ``first_order_id`` was given.
        """
        return self._ids.next()

    def _numbered(self, build: Callable[[int], PendingRequest]) -> Deferred[Transaction]:
        """Submit the request *build* makes for a fresh id - now, or once ids exist."""
        if self._ids.ready:
            return self._submit(build(self.next_order_id()))
        d: Deferred[Transaction] = Deferred()
        self._unnumbered.append((build, d))
        return d

    def new_order(
        self,
        symbol_enum: int,
        side: int,
        order_qty: float,
        price: float = 0.0,
        order_type: int = OrderType.LMT,
        time_in_force: int = TimeInForce.GTC,
        **fields: Any,
    ) -> Deferred[Transaction]:
        """Send a new order; fires with its first answer (ORDER_ACK, a fill, CANCELLED).

        Fails with :class:`RequestRejected` naming the reject code.  Extra
        transaction fields (``stop_limit_price``, ``attributes``, ``display_size``,
        ``layers``, ...) pass through.  The order is tracked in ``self.orders``
        under its id (``result.order_id``).
        """
        order_id = fields.pop("order_id", None)

        def build(new_id: int) -> PendingRequest:
            tx = new_order_request(
                new_id, symbol_name(self.instrument_list, symbol_enum), self.user, fields,
                symbol_enum=symbol_enum, side=side, order_qty=order_qty, price=price,
                order_type=order_type, time_in_force=time_in_force,
            )
            return self.orders.new(tx)

        return self._submit(build(order_id)) if order_id else self._numbered(build)

    def cancel(self, order_id: int) -> Deferred[Transaction]:
        """Cancel an order (by any id it has had); fires with CANCELLED."""
        order = self.orders[order_id]
        return self._numbered(lambda oid: self.orders.amend(order, cancel_request(order, oid)))

    def replace(
        self,
        order_id: int,
        price: float | None = None,
        order_qty: float | None = None,
        **fields: Any,
    ) -> Deferred[Transaction]:
        """Cancel-replace an order with a new price and/or quantity; fires with REPLACED."""
        order = self.orders[order_id]
        return self._numbered(
            lambda new_id: self.orders.amend(
                order, replace_request(order, new_id, price, order_qty, fields)
            )
        )

    def _submit(self, pending: PendingRequest) -> Deferred[Transaction]:
        d = self._desk.submit(pending)
        self._flush()
        return d

    def when_final(self, order_id: int) -> Deferred[TrackedOrder]:
        """Fires with the tracked order once it is filled, cancelled, rejected or gone."""
        return self._desk.when_final(self.orders[order_id])

