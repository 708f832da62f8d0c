"""Client-side order state, free of I/O.

:class:`OrderTracker` follows each order the client sends through the answers
the OES gives, keyed by every id the order has had (a replace gives it a new
one).  It knows which request ids still wait for their first answer, which is
what the outstanding-request limit counts and what a reconnect must re-send.

States::

    PENDING_NEW --ORDER_ACK--> NEW --fill--> PARTIALLY_FILLED --fill--> FILLED
         |                      |  \\--CANCELLED--> CANCELLED
         |--REJECT--> REJECTED   \\--REPLACED--> NEW (new id)
         \\--fills / CANCELLED (MKT, IOC, FOK) as above

``GONE`` marks an order that was live before a disconnect and is missing from
the open-order listing after it: it was filled or cancelled meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from collections.abc import Iterator
from typing import Any

from crmd_twisted.wire import Transaction
from crmd_twisted.wire.enums import REJECT_TRANSACTION_TYPES, RejectCode, TransactionType

__all__ = ["OrderState", "OrderTracker", "PendingRequest", "TrackedOrder"]

_EPS = 1e-12


class OrderState(Enum):
    PENDING_NEW = "pending_new"
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    GONE = "gone"

    @property
    def live(self) -> bool:
        return self in (OrderState.NEW, OrderState.PARTIALLY_FILLED)

    @property
    def final(self) -> bool:
        return self in (
            OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED, OrderState.GONE
        )


_FILLS = {
    TransactionType.EXECUTION,
    TransactionType.EXECUTION_PARTIAL,
    TransactionType.QUOTE_FILL,
    TransactionType.QUOTE_FILL_PARTIAL,
    TransactionType.MARGIN_EXECUTION,
    TransactionType.MARGIN_PARTIAL_EXECUTION,
    TransactionType.MARGIN_EXECUTE,
}
#: What may be the first answer to a NEW whose id the OES did not echo.
_FIRST_ANSWERS = {TransactionType.ORDER_ACK, *REJECT_TRANSACTION_TYPES}
_CANCELS = {TransactionType.CANCELLED, TransactionType.MARGIN_CANCEL}
_REPLACES = {
    TransactionType.REPLACED,
    TransactionType.MARGIN_REPLACED,
    TransactionType.MARGIN_CANCEL_REPLACE,
}


@dataclass(eq=False, slots=True)
class TrackedOrder:
    """One order as the client knows it."""

    order_id: int
    request: Transaction
    state: OrderState = OrderState.PENDING_NEW
    order_qty: float = 0.0
    price: float = 0.0
    filled_qty: float = 0.0
    open_qty: float = 0.0
    ids: list[int] = field(default_factory=list)
    fills: list[Transaction] = field(default_factory=list)
    reject_reason: int = 0
    last_message: Transaction | None = None

    @property
    def first_id(self) -> int:
        return self.ids[0] if self.ids else self.order_id


@dataclass(eq=False, slots=True)
class PendingRequest:
    """A NEW / CANCEL_REPLACE / ORDER_CANCEL waiting for its first answer."""

    request: Transaction
    order: TrackedOrder
    sent: bool = False
    #: Sent on a connection that dropped before the answer came: sent again since.
    resent: bool = False
    #: Whoever waits for the answer (the session keeps a Deferred here).
    waiter: Any = None
    #: The session's deadline for the first answer while the request is out.
    timer: Any = None

    @property
    def counted(self) -> bool:
        return self.request.message_type in (
            TransactionType.ORDER_NEW, TransactionType.CANCEL_REPLACE
        )


def _apply_reject(order: TrackedOrder, tx: Transaction, answered: PendingRequest | None) -> None:
    if answered is not None and answered.request.message_type == TransactionType.ORDER_NEW:
        if answered.resent and tx.reject_reason == RejectCode.DUPLICATE_ORDER_ID:
            # the first copy reached the OES before the connection dropped and
            # is no longer open: it executed or was cancelled meanwhile
            order.state = OrderState.GONE
        else:
            order.state = OrderState.REJECTED
        order.open_qty = 0.0
    order.reject_reason = tx.reject_reason


def _apply_fill(order: TrackedOrder, tx: Transaction) -> None:
    order.fills.append(tx)
    order.filled_qty += tx.exec_qty
    order.open_qty = max(tx.remaining_qty, 0.0)
    order.state = OrderState.FILLED if order.open_qty <= _EPS else OrderState.PARTIALLY_FILLED


class OrderTracker:
    """Every order of one client session and the requests still unanswered.

    ``client.orders`` is one.  Look an order up by any id it has had (a replace
    gives it a new one; the first stays in ``order.ids``)::

        order = client.orders[order_id]      # KeyError naming the id if unknown
        order_id in client.orders            # True for any id the order has had
        for order in client.orders: ...      # each order once, oldest first
        len(client.orders)                   # how many orders
        client.orders.by_id                  # the dict behind it: id -> TrackedOrder
        client.orders.live()                 # the orders still open
        client.orders.pending                # requests without an answer yet

    Each :class:`TrackedOrder` has ``state`` (an :class:`OrderState`),
    ``order_id`` (its current id), ``ids``, ``filled_qty``, ``open_qty``,
    ``price``, ``fills`` and ``last_message``.
    """

    def __init__(self, *, match_unknown_answers: bool = True) -> None:
        self.by_id: dict[int, TrackedOrder] = {}
        self.pending: dict[int, PendingRequest] = {}
        #: Answer an ORDER_ACK / REJECT carrying an unknown id with the oldest sent NEW.
        self.match_unknown_answers = match_unknown_answers
        #: Foreign ids such answers carried -> the id of the order they were taken for.
        self.aliases: dict[int, int] = {}

    def __getitem__(self, order_id: int) -> TrackedOrder:
        order = self.by_id.get(order_id)
        if order is None:
            raise KeyError(f"unknown order id {order_id}")
        return order

    def __contains__(self, order_id: object) -> bool:
        return order_id in self.by_id

    def __iter__(self) -> Iterator[TrackedOrder]:
        """Each order once (an order is under several ids after a replace), oldest first."""
        seen: set[int] = set()
        for order in self.by_id.values():
            if id(order) not in seen:
                seen.add(id(order))
                yield order

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def live(self) -> list[TrackedOrder]:
        """The orders still open (NEW or PARTIALLY_FILLED)."""
        return [order for order in self if order.state.live]

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for order in self:
            counts[order.state.value] = counts.get(order.state.value, 0) + 1
        states = ", ".join(f"{name}={n}" for name, n in sorted(counts.items()))
        return (
            f"<OrderTracker {len(self)} orders ({states or 'none'}), "
            f"{len(self.pending)} requests unanswered; by_id[...], live(), pending>"
        )

    # -- outgoing ---------------------------------------------------------------------------

    def new(self, request: Transaction) -> PendingRequest:
        order = TrackedOrder(
            order_id=request.order_id,
            request=request,
            order_qty=request.order_qty,
            price=request.price,
            open_qty=request.order_qty,
            ids=[request.order_id],
        )
        self.by_id[request.order_id] = order
        pending = PendingRequest(request, order)
        self.pending[request.order_id] = pending
        return pending

    def amend(self, order: TrackedOrder, request: Transaction) -> PendingRequest:
        """Register a cancel or replace of *order* (its own new id in *request*)."""
        pending = PendingRequest(request, order)
        self.pending[request.order_id] = pending
        return pending

    def _oldest_sent_new(self) -> PendingRequest | None:
        for pending in self.pending.values():
            if pending.sent and pending.request.message_type == TransactionType.ORDER_NEW:
                return pending
        return None

    def in_flight(self) -> int:
        """Sent NEW / CANCEL_REPLACE requests without an answer yet."""
        return sum(1 for p in self.pending.values() if p.sent and p.counted)

    # -- incoming --------------------------------------------------------------------------

    def _take_for_oldest_new(
        self, tx: Transaction, order: TrackedOrder | None, answered: PendingRequest | None
    ) -> tuple[TrackedOrder | None, PendingRequest | None]:
        """An ORDER_ACK / REJECT for an id this session never used.

        Replies come in request order (PROTOCOL.md 7.1), so it answers the oldest
        NEW still waiting.  The reference example OES acks everything with one
        fixed id.
        """
        waiting = self._oldest_sent_new()
        if waiting is not None:
            del self.pending[waiting.request.order_id]
            self.aliases[tx.order_id] = waiting.order.order_id
            self.by_id[tx.order_id] = waiting.order
            return waiting.order, waiting
        if tx.order_id in self.aliases:
            return None, answered  # a stray repeat of a foreign id: not news about that order
        return order, answered

    def _find(self, tx: Transaction) -> tuple[TrackedOrder | None, PendingRequest | None]:
        """The order *tx* concerns and the request it answers (either may be None)."""
        answered = self.pending.pop(tx.order_id, None)
        order = answered.order if answered is not None else self.by_id.get(tx.order_id)
        if order is None and tx.orig_order_id:
            order = self.by_id.get(tx.orig_order_id)
        foreign = order is None or (answered is None and tx.order_id in self.aliases)
        if foreign and self.match_unknown_answers and tx.message_type in _FIRST_ANSWERS:
            return self._take_for_oldest_new(tx, order, answered)
        return order, answered

    def receive(self, tx: Transaction) -> tuple[TrackedOrder | None, PendingRequest | None]:
        """Apply one answer; returns the order it concerns and the request it answers."""
        order, answered = self._find(tx)
        if order is None:
            return None, answered
        order.last_message = tx
        mtype = tx.message_type
        if mtype in REJECT_TRANSACTION_TYPES:
            _apply_reject(order, tx, answered)
        elif mtype == TransactionType.ORDER_ACK:
            if order.state == OrderState.PENDING_NEW:
                order.state = OrderState.NEW
        elif mtype in _FILLS:
            _apply_fill(order, tx)
        elif mtype in _CANCELS:
            order.open_qty = 0.0
            if order.state != OrderState.FILLED:
                order.state = OrderState.CANCELLED
        elif mtype in _REPLACES:
            self._apply_replace(order, tx)
        return order, answered

    def _apply_replace(self, order: TrackedOrder, tx: Transaction) -> None:
        new_id = tx.order_id
        if new_id not in order.ids:
            order.ids.append(new_id)
        order.order_id = new_id
        self.by_id[new_id] = order
        order.price = tx.price
        order.order_qty = tx.order_qty + order.filled_qty
        order.open_qty = tx.order_qty
        order.request = tx
        if order.state == OrderState.PENDING_NEW:
            order.state = OrderState.NEW

    def reconcile(self, listing: list[Transaction]) -> list[TrackedOrder]:
        """Align with an open-order listing; returns the orders found GONE."""
        listed = {tx.order_id: tx for tx in listing}
        for order_id, tx in listed.items():
            order = self.by_id.get(order_id)
            if order is None:  # placed by another session of the account
                order = TrackedOrder(order_id=order_id, request=tx, ids=[order_id])
                self.by_id[order_id] = order
            order.open_qty = tx.order_qty
            order.price = tx.price
            order.state = (
                OrderState.PARTIALLY_FILLED if order.filled_qty > _EPS else OrderState.NEW
            )
            self.pending.pop(order_id, None)
        gone = []
        for order in set(self.by_id.values()):
            if order.state.live and order.order_id not in listed:
                order.state = OrderState.GONE
                order.open_qty = 0.0
                gone.append(order)
        return gone
