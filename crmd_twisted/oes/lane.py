"""The OES's hot path: a plain limit ORDER_NEW from its frame to its ORDER_ACK frame.

Most of what an OES receives under load is one kind of request: ORDER_NEW of a
plain limit order (no attributes, GTC/DAY/IOC) that passes every check.  For it,
:meth:`FrameLane.new_order` skips the general machinery of
:meth:`OrderEntryCore.transaction <crmd_twisted.oes.core.OrderEntryCore.transaction>`
- the decoded :class:`~crmd_twisted.wire.Transaction`, the engine command, the
closures, the stored frame encoded anew, the ACK encoded anew:

* the frame is read as one flat tuple (:class:`~crmd_twisted.wire.record.FrameRecord`:
  only frames that decode and re-encode to themselves);
* the session rows of the validation order are checked on the tuple;
* the engine's hot path takes the order's values
  (:meth:`MatchingEngine.submit_limit <crmd_twisted.engine.MatchingEngine.submit_limit>`)
  with the equity check of a limit order;
* the frame itself is stored as the order's ORDER_NEW, and the ORDER_ACK is the
  frame with its type, sending time and number changed.

It gives exactly the frames, state and events the general path gives (the
tests compare both).  It *declines* - returns None having changed nothing -
any frame it does not take, and whenever any check of the validation order
would fail: the caller then decodes the frame and goes the general way, which
gives the documented reject in the documented order.  An order that the engine
took but that did not simply rest (it traded, or was an IOC) is answered by the
general publisher from the decoded frame.  A core whose ``transaction`` is
overridden (the journal's) or an engine that is not exactly a
:class:`~crmd_twisted.engine.MatchingEngine` (a wrapper, a test double) turns
the lane off, so what they see never changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from crmd_twisted.engine import Accepted, MatchingEngine
from crmd_twisted.oes.notices import NO_NOTICES, Notices
from crmd_twisted.session import sending_time_ok
from crmd_twisted.wire import Transaction, decode
from crmd_twisted.wire.enums import NO_ATTRIBUTES, OrderType, RejectCode, Side, TransactionType
from crmd_twisted.wire.record import FrameRecord

if TYPE_CHECKING:
    from crmd_twisted.oes.core import OrderEntryCore, Session

__all__ = ["TRANSACTION_TYPE", "FrameLane"]

#: The type byte of the frames the lane reads (a ``Connection.undecoded`` entry).
TRANSACTION_TYPE = ord(Transaction.TYPE_CHAR)

_NAMES = (
    "message_type", "account", "order_id", "symbol_enum", "order_type", "price", "side",
    "order_qty", "time_in_force", "sending_time", "trading_session_id", "session_key",
    "msg_seq_num", "attributes",
)  # fmt: skip
_RECORD = FrameRecord(Transaction.LAYOUT, _NAMES)
_read = _RECORD.read
#: What new_order unpacks a read frame into, in tuple order ("_" for what it skips:
#: the length, which read checked, and the text runs but the attributes).
_UNPACKED = (
    "_", "_", "message_type", "account", "order_id", "symbol_enum", "order_type", "price",
    "side", "order_qty", "time_in_force", "_", "_", "sending_time", "trading_session_id",
    "session_key", "msg_seq_num", "attributes",
)  # fmt: skip
assert all(
    name == "_" or _RECORD.index[name] == at for at, name in enumerate(_UNPACKED)
) and len(_UNPACKED) == 1 + max(_RECORD.index.values()), "the record's order changed"
_ack = _RECORD.patcher("message_type", "sending_time", "msg_seq_num")

_ORDER_NEW = int(TransactionType.ORDER_NEW)
_ORDER_ACK = int(TransactionType.ORDER_ACK)
_LMT = int(OrderType.LMT)
_BUY = int(Side.BUY)
_PLAIN = NO_ATTRIBUTES.encode("ascii")  # the attributes field of a plain order, as sent
_NO_EQUITY = RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE


class FrameLane:
    """The hot path of one :class:`~crmd_twisted.oes.core.OrderEntryCore`."""

    __slots__ = ("_limit_equity", "core", "open")

    def __init__(self, core: OrderEntryCore) -> None:
        from crmd_twisted.oes.core import OrderEntryCore  # (it imports this module)

        self.core = core
        #: Whether the lane takes orders at all: not for a core whose
        #: ``transaction`` is overridden (see the module docstring).
        self.open = type(core).transaction is OrderEntryCore.transaction
        self._limit_equity = self.limit_equity  # (bound once, not per order)

    def limit_equity(
        self, account: int, symbol_enum: int, side: int, price: float, qty: float
    ) -> RejectCode | None:
        """The equity rule for a plain limit order (the engine's ``limit_risk``)."""
        core = self.core
        inst = core.instruments[symbol_enum]
        if side == _BUY:
            ok = core.ledger.can_spend(account, inst.quote, price * qty)
        else:
            ok = core.ledger.can_spend(account, inst.base, qty)
        return None if ok else _NO_EQUITY

    def new_order(self, session: Session, frame: bytes, in_flight: int) -> Notices | None:
        """Take *frame* (a whole transaction frame from *session*) if it is a plain
        limit ORDER_NEW that passes every check; None if not (nothing changed).

        *in_flight* as for ``transaction``.  The answer goes out through the
        session's ``send_frame`` numbered by its ``next_seq`` (or, for an order
        that traded, through its ``send``); the notices to log are returned.
        """
        write = session.send_frame
        number = session.next_seq
        if write is None or number is None:
            return None
        v = _read(frame)
        if v is None:
            return None
        (_, _, mtype, account, order_id, symbol_enum, order_type, price, side, qty, tif,
         _, _, sent, tsid, session_key, seq, attributes) = v  # fmt: skip
        core = self.core
        if (
            mtype != _ORDER_NEW
            or order_type != _LMT
            or attributes != _PLAIN
            or (core.check_keys and session_key != session.key)
            or symbol_enum not in core.instruments
            or tsid != session.trading_session_id
            or account != session.account  # (a session's account is > 0)
            or order_id <= 0
            or not sending_time_ok(sent, core.clock())
            or (core.strict and seq <= session.last_seq)
        ):
            return None
        limit = session.open_order_limit if core.limit_for is None else core.limit_for(session)
        if in_flight > limit:
            return None
        engine = core.engine
        if type(engine) is not MatchingEngine:
            return None
        events = engine.submit_limit(
            account, order_id, symbol_enum, side, price, qty, tif, self._limit_equity
        )
        if events is None:  # not the engine's hot path: nothing happened
            return None
        session.last_seq = seq
        publisher = core.publisher
        if len(events) == 1:
            event = events[0]
            if type(event) is Accepted and event.open_qty > 0:
                # rests untouched: EventPublisher._acked, from the frame
                key = (account, order_id)
                publisher.orders.frames[key] = frame  # the stored ORDER_NEW, as received
                write(_ack(frame, _ORDER_ACK, core.clock(), number()))
                publisher.hold_accepted(key, event)
                for observer in publisher.observers:
                    observer(events)
                return core._drained() if core._notices else NO_NOTICES
        # traded, an IOC remainder, a reject of the equity rule: the general publisher
        publisher.publish(session, cast(Transaction, decode(frame)), events, owned=True)
        return core._drained()
