"""The Twisted side of a session's orders: outbox, in-flight limit, Deferreds, deadlines.

The order state itself lives in the pure
:class:`~crmd_twisted.client.orders.OrderTracker`; this desk sends requests
when the session is ready (at most ``open_order_limit`` NEW / CANCEL_REPLACE
in flight), fires the requesters' Deferreds with the first answer, and runs each
request's deadline while it is out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

from crmd_twisted.client.errors import RequestRejected, RequestTimeout
from crmd_twisted.client.orders import OrderTracker, PendingRequest, TrackedOrder
from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.wire import Transaction
from crmd_twisted.wire.enums import REJECT_TRANSACTION_TYPES, TransactionType, coerce

__all__ = ["OrderDesk"]

#: Called with an order and the message that changed it.
OrderChanged = Callable[[TrackedOrder, Transaction], None]


def _stop_timer(pending: PendingRequest) -> None:
    if pending.timer is not None:
        if pending.timer.active():
            pending.timer.cancel()
        pending.timer = None


class OrderDesk:
    """The order requests of one session."""

    def __init__(
        self,
        clock: IReactorTime,
        tracker: OrderTracker,
        request_timeout: float,
        changed: OrderChanged,
    ) -> None:
        self.clock = clock
        self.tracker = tracker
        self.request_timeout = request_timeout
        self.changed = changed
        self.outbox: deque[PendingRequest] = deque()
        self._final_waiters: dict[int, list[defer.Deferred[TrackedOrder]]] = {}

    # -- sending -----------------------------------------------------------------------------

    def submit(self, pending: PendingRequest) -> defer.Deferred[Transaction]:
        d: defer.Deferred[Transaction] = defer.Deferred()
        pending.waiter = d
        self.outbox.append(pending)
        return d

    def flush(self, proto: CRMDClientProtocol, open_order_limit: int) -> None:
        """Send what waits on *proto* (a ready connection), within the in-flight limit."""
        tracker = self.tracker
        # requests that were sent but never answered before a reconnect go first
        for pending in reversed(list(tracker.pending.values())):  # keep their order
            if not pending.sent and pending not in self.outbox:
                self.outbox.appendleft(pending)
        while self.outbox:
            pending = self.outbox[0]
            if pending.counted and tracker.in_flight() >= open_order_limit:
                return  # wait for an answer to free a slot
            self.outbox.popleft()
            if pending.request.order_id not in tracker.pending:
                continue  # answered meanwhile (e.g. found in the reconcile listing)
            pending.sent = True
            proto.sendTransaction(pending.request)
            if pending.waiter is not None and pending.timer is None:
                pending.timer = self.clock.callLater(
                    self.request_timeout, self._timed_out, pending
                )

    def _timed_out(self, pending: PendingRequest) -> None:
        """No answer within ``request_timeout`` of sending: fail the caller's Deferred.

        The request stays tracked: an answer that comes later still updates the order.
        """
        pending.timer = None
        waiter, pending.waiter = pending.waiter, None
        if waiter is not None and not waiter.called:
            kind = coerce(TransactionType, pending.request.message_type)
            waiter.errback(
                RequestTimeout(
                    f"no answer to {getattr(kind, 'name', kind)} {pending.request.order_id} "
                    f"within {self.request_timeout}s"
                )
            )

    @staticmethod
    def answer(pending: PendingRequest, result: Transaction | Failure) -> None:
        _stop_timer(pending)
        waiter, pending.waiter = pending.waiter, None
        if waiter is not None and not waiter.called:
            if isinstance(result, Failure):
                waiter.errback(result)
            else:
                waiter.callback(result)

    # -- answers -----------------------------------------------------------------------------

    def received(self, tx: Transaction) -> tuple[TrackedOrder | None, bool]:
        """Apply an OES transaction; the order it changed and whether it answered a request."""
        order, answered = self.tracker.receive(tx)
        # hooks and observers see the change before the requester's code resumes
        if order is not None:
            self.order_changed(order, tx)
        if answered is not None:
            if tx.message_type in REJECT_TRANSACTION_TYPES:
                self.answer(answered, Failure(RequestRejected(tx.reject_reason, tx)))
            else:
                self.answer(answered, tx)
        return order, answered is not None

    def order_changed(self, order: TrackedOrder, message: Transaction) -> None:
        self.changed(order, message)
        if order.state.final:
            for d in self._final_waiters.pop(id(order), []):
                d.callback(order)

    def when_final(self, order: TrackedOrder) -> defer.Deferred[TrackedOrder]:
        if order.state.final:
            return defer.succeed(order)
        d: defer.Deferred[TrackedOrder] = defer.Deferred()
        self._final_waiters.setdefault(id(order), []).append(d)
        return d

    def reconciled(self, listing: list[Transaction], align: bool) -> None:
        """Answer the requests an open-order listing shows went through before a drop.

        A NEW found in the listing is answered by its entry; a CANCEL_REPLACE found
        there is applied as REPLACED.  With *align*, orders live before and missing
        from the listing become GONE.
        """
        listed = {tx.order_id: tx for tx in listing}
        for order_id, pending in list(self.tracker.pending.items()):
            entry = listed.get(order_id)
            if entry is None:
                continue
            mtype = pending.request.message_type
            if mtype == TransactionType.ORDER_NEW:
                del self.tracker.pending[order_id]
                self.answer(pending, entry)
            elif mtype == TransactionType.CANCEL_REPLACE:
                self.received(
                    entry.replace(
                        message_type=TransactionType.REPLACED,
                        orig_order_id=pending.request.orig_order_id,
                    )
                )
        if align:
            for order in self.tracker.reconcile(listing):
                self.order_changed(order, order.last_message or order.request)

    # -- connection life ---------------------------------------------------------------------

    def logged_on(self) -> None:
        """A new connection: everything unanswered goes out again (same ids)."""
        for pending in self.tracker.pending.values():
            if pending.sent:
                pending.resent = True
            pending.sent = False

    def connection_lost(self) -> None:
        """Unanswered requests go out again after the reconnect: their deadline restarts then."""
        for pending in self.tracker.pending.values():
            _stop_timer(pending)

    def fail_all(self, error: Exception) -> None:
        for pending in list(self.tracker.pending.values()):
            self.answer(pending, Failure(error))
        self.outbox.clear()
