"""Engine events as CRMD frames: who hears what after an order changed.

:class:`EventPublisher` turns the :mod:`~crmd_twisted.engine` events of one
request (or of a time tick) into frames that echo the request, or the order as
last accepted, and keeps the ledger's reservations in step:

* answers to the request - ORDER_ACK, REJECT, REPLACED, the CANCELLED of a user
  cancel - go to the requesting session;
* fills and engine-initiated cancels go to every live session of the account
  that owns the order, each with that session's own key and session id.

Pure code: it sends through each session's ``send`` callable and reports what is
worth logging as :mod:`~crmd_twisted.oes.notices`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from crmd_twisted.engine import (
    Accepted,
    Cancelled,
    CancelReason,
    Event,
    Fill,
    Instrument,
    MatchingEngine,
    Rejected,
    Replaced,
)
from crmd_twisted.oes.ledger import Ledger, Reservation
from crmd_twisted.oes.notices import (
    EngineEventIgnored,
    Notice,
    TransactionRejected,
    UnknownOrderFill,
)
from crmd_twisted.engine.types import fast_constructor
from crmd_twisted.oes.stored import OrderKey, StoredOrders
from crmd_twisted.wire import Transaction
from crmd_twisted.wire.enums import OrderType, RejectCode, Side, TransactionType

if TYPE_CHECKING:
    from crmd_twisted.oes.core import Session

__all__ = ["EventPublisher", "OrderKey"]

# Orders whose reservation must be recomputed after a batch of events.  The value
# is the Accepted event when that is the only event about the order (its
# reservation then follows from the event), None when the engine's view is needed.
_Touched = dict[OrderKey, Accepted | None]

_AGGRESSOR_FILL = {True: TransactionType.QUOTE_FILL, False: TransactionType.QUOTE_FILL_PARTIAL}
_RESTING_FILL = {True: TransactionType.EXECUTION, False: TransactionType.EXECUTION_PARTIAL}
_LIMIT_AFTER_TRIGGER = frozenset({OrderType.STOP_LMT, OrderType.TSL})
# plain ints for the hot path (an IntEnum comparison costs more than an int one)
_BUY = int(Side.BUY)
_LMT = int(OrderType.LMT)
_ORDER_NEW = int(TransactionType.ORDER_NEW)
_ORDER_ACK = int(TransactionType.ORDER_ACK)
_REJECT = int(TransactionType.REJECT)
#: ``Reservation(...)`` without the frozen dataclass's per-field ``object.__setattr__``
_reservation = fast_constructor(Reservation)


class EventPublisher:
    """Frames and reservations from engine events, for one OES core."""

    def __init__(
        self,
        engine: MatchingEngine,
        instruments: Mapping[int, Instrument],
        ledger: Ledger,
        by_account: Mapping[int, list[Session]],
        clock: Callable[[], int],
        notices: list[Notice],
    ) -> None:
        self.engine = engine
        self.instruments = instruments
        self.ledger = ledger
        self.by_account = by_account
        self.clock = clock
        #: Where notices go (the core's list, drained by its request methods).
        self.notices = notices
        #: The last accepted message of every live order: what fills and listings echo
        #: (kept as frames, decoded when read).
        self.orders = StoredOrders()
        #: Called with every published list of engine events (see OrderEntryCore.observers).
        self.observers: list[Callable[[list[Event]], object]] = []

    # -- sending -------------------------------------------------------------------------

    def reject(
        self, session: Session, req: Transaction, reason: RejectCode, owned: bool = False
    ) -> None:
        """Answer *req* with REJECT and *reason*.

        *owned*: *req* was handed over, so it becomes the REJECT itself (no copy).
        """
        self.notices.append(TransactionRejected(req.order_id, req.account, reason))
        if owned:
            req.message_type = _REJECT
            req.reject_reason = reason
            req.sending_time = self.clock()
            session.send(req)
            return
        session.send(
            req.replace(
                message_type=TransactionType.REJECT,
                reject_reason=reason,
                sending_time=self.clock(),
            )
        )

    def _deliver(self, account: int, message: Transaction) -> None:
        """Send an unsolicited order event to every live session of *account*.

        Each session gets it with its own ``session_key`` and ``trading_session_id``
        (the stored request carries those of the session that entered the order);
        the session the message already fits gets it as it is, without a copy.
        """
        key = message.session_key
        tsid = message.trading_session_id
        for session in self.by_account.get(account, ()):
            if session.key == key and session.trading_session_id == tsid:
                session.send(message)
            else:
                session.send(
                    message.replace(
                        session_key=session.key, trading_session_id=session.trading_session_id
                    )
                )

    # -- events --------------------------------------------------------------------------

    def publish(
        self,
        session: Session | None,
        req: Transaction | None,
        events: list[Event],
        owned: bool = False,
    ) -> None:
        """Send what *events* (the outcome of *req* from *session*, or of a tick) mean.

        *owned*: *req* was handed over (a freshly decoded frame), so its answer
        (ORDER_ACK, REJECT) may be *req* itself, changed, instead of a copy.
        """
        if owned and len(events) == 1 and session is not None and req is not None:
            event = events[0]
            if (
                type(event) is Accepted
                and event.order_type == _LMT
                and event.open_qty > 0
                and event.order_id == req.order_id
                and event.account == req.account
                and req.message_type == _ORDER_NEW
            ):
                self._acked(event, session, req)
                for observer in self.observers:
                    observer(events)
                return
        now = self.clock()
        touched: _Touched = {}
        for event in events:
            if isinstance(event, Accepted):
                self._accepted(event, session, req, owned, now, touched)
            elif isinstance(event, Fill):
                self._fill(event, req, now, touched)
            elif isinstance(event, Cancelled):
                self._cancelled(event, session, req, now, touched)
            elif isinstance(event, Rejected):
                if session is not None and req is not None:
                    self.reject(session, req, RejectCode(event.reason), owned)
            elif isinstance(event, Replaced) and session is not None and req is not None:
                self._replaced(event, session, req, now, touched)
            else:
                self.notices.append(EngineEventIgnored(event))
        self._reserve(touched)
        for observer in self.observers:
            observer(events)

    def _acked(self, event: Accepted, session: Session, req: Transaction) -> None:
        """The hot path of :meth:`publish`: a plain limit order was accepted and rests
        untouched.  What the general path does for it, without its bookkeeping."""
        key = (event.account, event.order_id)
        self.orders.frames[key] = req.encode()  # the stored ORDER_NEW, as received
        req.message_type = _ORDER_ACK  # the request, handed over, becomes the ACK
        req.sending_time = self.clock()
        session.send(req)
        self.hold_accepted(key, event)

    def hold_accepted(self, key: OrderKey, event: Accepted) -> None:
        """Book what a new order, accepted and untouched, holds (``reservation()``
        of the event, inlined: the hot path's)."""
        inst = self.instruments[event.symbol_enum]
        if event.side == _BUY:
            self.ledger.hold_new(key, inst.quote, event.price * event.open_qty)
        else:
            self.ledger.hold_new(key, inst.base, event.open_qty)

    def _accepted(
        self,
        event: Accepted,
        session: Session | None,
        req: Transaction | None,
        owned: bool,
        now: int,
        touched: _Touched,
    ) -> None:
        key = (event.account, event.order_id)
        if (
            session is not None and req is not None
            and event.order_id == req.order_id and event.account == req.account
        ):
            # The stored frame echoes the request as ORDER_NEW.  A request handed
            # over (owned) that already is one is encoded as it is and then becomes
            # the ORDER_ACK itself: no copy of its fifty fields.
            if owned and req.message_type == _ORDER_NEW:
                self.orders.keep_frame(key, req.encode())
                req.message_type = _ORDER_ACK
                req.sending_time = now
                session.send(req)
            else:
                self.orders[key] = req.replace(message_type=_ORDER_NEW)
                session.send(req.replace(message_type=_ORDER_ACK, sending_time=now))
        touched[key] = event if key not in touched else None

    def _fill(self, event: Fill, req: Transaction | None, now: int, touched: _Touched) -> None:
        key = (event.account, event.order_id)
        base = self.orders.get(key)
        if base is None:
            if req is None:
                self.notices.append(UnknownOrderFill(event.account, event.order_id))
                return
            base = self.orders[key] = req.replace(message_type=TransactionType.ORDER_NEW)
        done = event.remaining_qty <= 0
        mtype = _AGGRESSOR_FILL[done] if event.aggressor else _RESTING_FILL[done]
        self._deliver(
            event.account,
            base.replace(
                message_type=mtype,
                order_qty=event.remaining_qty,
                exec_id=event.exec_id,
                exec_qty=event.exec_qty,
                remaining_qty=event.remaining_qty,
                exec_price=event.exec_price,
                exec_fee=0.0,
                sending_time=now,
            ),
        )
        inst = self.instruments[event.symbol_enum]
        self.ledger.apply_fill(
            event.account, event.side == Side.BUY, inst.base, inst.quote, event.exec_qty,
            event.exec_price,
        )
        touched[key] = None

    def _cancelled(
        self,
        event: Cancelled,
        session: Session | None,
        req: Transaction | None,
        now: int,
        touched: _Touched,
    ) -> None:
        key = (event.account, event.orig_order_id or event.order_id)
        touched[key] = None
        if event.reason == CancelReason.OCO_SIBLING:
            return  # the other leg goes silently (documented choice)
        if event.reason == CancelReason.USER and session is not None and req is not None:
            session.send(
                req.replace(
                    message_type=TransactionType.CANCELLED,
                    cancel_qty=event.cancel_qty,
                    sending_time=now,
                )
            )
            return
        base = self.orders.get(key) or req
        if base is not None:
            self._deliver(
                event.account,
                base.replace(
                    message_type=TransactionType.CANCELLED,
                    cancel_qty=event.cancel_qty,
                    sending_time=now,
                ),
            )

    def _replaced(
        self, event: Replaced, session: Session, req: Transaction, now: int, touched: _Touched
    ) -> None:
        old_key = (event.account, event.orig_order_id)
        new_key = (event.account, event.order_id)
        self.ledger.move_reservation(old_key, new_key)
        self.orders.discard(old_key)
        self.orders[new_key] = req.replace(message_type=TransactionType.REPLACED)
        session.send(req.replace(message_type=TransactionType.REPLACED, sending_time=now))
        touched[new_key] = None

    # -- reservations --------------------------------------------------------------------

    def reservation(
        self, symbol_enum: int, side: int, unit_price: float, open_qty: float
    ) -> Reservation:
        """What an order holds back: quote cash for a BUY, base quantity for a SELL."""
        inst = self.instruments[symbol_enum]
        if side == _BUY:
            return _reservation(inst.quote, unit_price * open_qty)
        return _reservation(inst.base, open_qty)

    def _reserve(self, touched: _Touched) -> None:
        set_reservation = self.ledger.set_reservation
        for key, accepted in touched.items():
            if accepted is not None and accepted.order_type == _LMT and accepted.open_qty > 0:
                # A plain limit order just accepted and untouched since: it holds what
                # the engine's view would say (price x open, or open), no view needed.
                set_reservation(
                    key,
                    self.reservation(
                        accepted.symbol_enum, accepted.side, accepted.price, accepted.open_qty
                    ),
                )
            else:
                self._refresh_reservation(key)

    def _refresh_reservation(self, key: OrderKey) -> None:
        view = self.engine.order(*key)
        if view is None or view.open_qty <= 0:
            self.ledger.set_reservation(key, None)
            self.orders.discard(key)
            return
        unit = view.price
        if view.order_type in _LIMIT_AFTER_TRIGGER and view.stop_limit_price > 0:
            unit = view.stop_limit_price
        self.ledger.set_reservation(
            key, self.reservation(view.symbol_enum, view.side, unit, view.open_qty)
        )
