"""The Order Entry Server's rules and state, free of I/O.

:class:`OrderEntryCore` takes decoded requests from logged-on :class:`Session`
objects and answers through each session's ``send`` callable: logon with the
AES key, the instrument / risk / open-order / collateral requests, and
transactions validated in the documented order before they reach the
:class:`~crmd_twisted.engine.MatchingEngine`.  Engine events become ORDER_ACK,
REPLACED, CANCELLED, REJECT and execution frames that echo the request (or the
order as last accepted) and are routed to every connection of the account they
concern (:mod:`crmd_twisted.oes.publish`).  The ledger keeps balances and
reservations for the equity rule.

The core logs nothing: its request methods return
:mod:`~crmd_twisted.oes.notices` for the shell to log.  It imports no Twisted.

Several listeners (a primary and a secondary OES) may share one core: that is
how orders survive a fail-over.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.engine import (
    CancelOrder,
    Cancelled,
    CancelReason,
    Event,
    Instrument,
    MatchingEngine,
    NewOrder,
    ReplaceOrder,
    RiskQuery,
)
from crmd_twisted.engine.types import fast_constructor
from crmd_twisted.keys import SessionKeys
from crmd_twisted.oes.lane import FrameLane
from crmd_twisted.oes.ledger import Ledger, Reservation
from crmd_twisted.oes.notices import (
    NO_NOTICES,
    CancelledOnDisconnect,
    ClientRefused,
    Notice,
    Notices,
    RequestRefused,
    UnknownSymbol,
)
from crmd_twisted.oes.publish import EventPublisher
from crmd_twisted.oes.replies import instrument_responses, listing, risk_fields
from crmd_twisted.oes.stored import StoredOrders
from crmd_twisted.session import COUNTED_TRANSACTIONS, check_logon, sending_time_ok
from crmd_twisted.wire import (
    ClientLogon,
    CollateralData,
    CollateralRequest,
    InstrumentRequest,
    Message,
    OpenOrderRequest,
    RiskUpdateRequest,
    RiskUserSymbol,
    Transaction,
)
from crmd_twisted.wire.enums import (
    OrderType,
    RejectCode,
    RequestType,
    Side,
    TransactionType,
    UNIMPLEMENTED_ORDER_TYPES,
)

__all__ = ["OrderEntryCore", "Session"]

_CLIENT_TRANSACTIONS = frozenset(
    {TransactionType.ORDER_NEW, TransactionType.CANCEL_REPLACE, TransactionType.ORDER_CANCEL}
)
# plain ints for the hot path (an IntEnum comparison costs more than an int one)
_BUY = int(Side.BUY)
_MKT = int(OrderType.MKT)
_SIDES = frozenset({int(Side.BUY), int(Side.SELL), int(Side.SELLSHORT)})
_ORDER_NEW = int(TransactionType.ORDER_NEW)
_ORDER_CANCEL = int(TransactionType.ORDER_CANCEL)
_OUTSTANDING = RejectCode.OUTSTANDING_OPEN_REQUESTS_EXCEEDED
#: ``NewOrder(...)`` without the frozen dataclass's per-field ``object.__setattr__``
_new_order = fast_constructor(NewOrder)


@dataclass(eq=False, slots=True)
class Session:
    """One logged-on connection as the OES core sees it."""

    account: int
    user: str
    trading_session_id: int
    key: int
    open_order_limit: int
    send: Callable[[Message], None]
    logout: Callable[[RejectCode], None]
    last_seq: int = 0
    in_flight: int = 0
    alive: bool = True
    extra: dict[str, object] = field(default_factory=dict)
    #: The account's own cancel-on-disconnect setting (None: the core's default).
    cancel_on_disconnect: bool | None = None
    #: Writes a frame already encoded and numbered (the hot path's answers,
    #: :mod:`crmd_twisted.oes.lane`); None: the session takes no frames.
    send_frame: Callable[[bytes], None] | None = None
    #: Takes the number of the next frame sent to the session (with ``send_frame``).
    next_seq: Callable[[], int] | None = None


def _takes_limit_risk(engine: object) -> bool:
    """Whether ``engine.submit`` takes the cheap ``limit_risk`` check (3rd argument)."""
    try:
        params = list(inspect.signature(engine.submit).parameters.values())  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return False
    return (len(params) >= 3 and params[2].name == "limit_risk") or any(
        p.kind is p.VAR_POSITIONAL for p in params
    )


class OrderEntryCore:
    """Everything the OES decides, with sessions as callables instead of sockets."""

    def __init__(
        self,
        directory: AccountDirectory,
        keys: SessionKeys,
        instruments: Iterable[Instrument],
        *,
        clock: Callable[[], int] = time.time_ns,
        check_keys: bool = True,
        strict: bool = False,
        engine: MatchingEngine | None = None,
    ) -> None:
        self.directory = directory
        self.keys = keys
        self.instruments: dict[int, Instrument] = {i.symbol_enum: i for i in instruments}
        self.clock = clock
        self.check_keys = check_keys
        self.strict = strict
        self.engine = engine if engine is not None else MatchingEngine(
            list(self.instruments.values()), clock=clock
        )
        self.ledger = Ledger()
        self.sessions: dict[tuple[int, str], Session] = {}
        self.by_account: dict[int, list[Session]] = {}
        self._notices: list[Notice] = []
        self.publisher = EventPublisher(
            self.engine, self.instruments, self.ledger, self.by_account, clock, self._notices
        )
        #: The last accepted message of every live order: what fills and listings echo
        #: (a mapping of (account, order id) to Transaction, kept as frames).
        self.orders: StoredOrders = self.publisher.orders
        self._session_counter = 0
        self._limits: dict[int, int] = {}
        #: Overrides a session's outstanding-request limit (the control plane's
        #: ``throttle`` fault); None keeps each session's own limit.
        self.limit_for: Callable[[Session], int] | None = None
        #: Cancel an account's open orders when its last session is lost without a
        #: logout (:meth:`disconnected`); accounts may say otherwise for themselves.
        self.cancel_on_disconnect = False
        self._checked_engine: object = None
        self._engine_takes_limit_risk = False
        #: The hot path of plain limit ORDER_NEW frames (:mod:`crmd_twisted.oes.lane`).
        self.lane = FrameLane(self)

    @property
    def observers(self) -> list[Callable[[list[Event]], object]]:
        """Called with every list of engine events the core publishes, in order
        (market data, trade tapes): after the engine answered a transaction, a tick
        or a mass cancel, once the owners' frames are sent."""
        return self.publisher.observers

    def reject(self, session: Session, req: Transaction, reason: RejectCode) -> Notices:
        """Answer *req* with REJECT *reason* without letting it reach the engine."""
        self.publisher.reject(session, req, reason)
        return self._drained()

    def cancel_all(self, account: int | None = None, symbol_enum: int = 0) -> list[Event]:
        """Cancel the live orders of *account* (None: every account) on *symbol_enum*
        (0: every instrument) through the engine; the owners get CANCELLED."""
        if account is None:
            accounts = sorted({a for a, _ in self.orders} | set(self.ledger.balances))
        else:
            accounts = [account]
        events: list[Event] = []
        for number in accounts:
            done = self.engine.cancel_all(number, symbol_enum)
            if done:
                self.publisher.publish(None, None, done)
                events.extend(done)
        return events

    def _drained(self) -> Notices:
        """The notices gathered since the last call (what a request method returns)."""
        notices = self._notices
        if not notices:
            return NO_NOTICES
        taken = list(notices)
        notices.clear()
        return taken

    # -- logon / logout --------------------------------------------------------------------

    def logon(
        self,
        request: ClientLogon,
        send: Callable[[Message], None],
        logout: Callable[[RejectCode], None],
    ) -> RejectCode | Session:
        """Check an OES logon (AES key, session id); on success register the session."""
        checked = check_logon(self.directory, request, self.clock())
        if isinstance(checked, RejectCode):
            return checked
        sid = self.keys.session_of(checked.account, checked.user, request.session_key)
        if self.check_keys and sid is None:
            return RejectCode.INVALID_KEY
        if sid is None:
            sid = request.trading_session_id or 1
        if request.trading_session_id not in (0, sid):
            return RejectCode.TRADING_SESSION_INVALID
        ident = (checked.account, checked.user)
        if ident in self.sessions and self.sessions[ident].alive:
            return RejectCode.USER_ALREADY_LGGGED_IN
        self._session_counter += 1
        key = self.keys.oes_key(checked.account, checked.user, sid, self._session_counter)
        self.ledger.open_account(checked.account, checked.balances)
        self._limits[checked.account] = checked.open_order_limit
        session = Session(
            account=checked.account,
            user=checked.user,
            trading_session_id=sid,
            key=key,
            open_order_limit=checked.open_order_limit,
            send=send,
            logout=logout,
            cancel_on_disconnect=checked.cancel_on_disconnect,
        )
        self.sessions[ident] = session
        self.by_account.setdefault(checked.account, []).append(session)
        return session

    def logout(self, session: Session) -> None:
        """Forget *session* (logout or lost connection); its orders stay on the book."""
        if not session.alive:
            return
        session.alive = False
        ident = (session.account, session.user)
        if self.sessions.get(ident) is session:
            del self.sessions[ident]
        peers = self.by_account.get(session.account, [])
        if session in peers:
            peers.remove(session)
        if not peers:
            self._release_if_unused(session.account)

    def _release_if_unused(self, account: int) -> bool:
        """Forget an account nobody is logged on to that never had an order accepted
        (its balances are still the opening ones: a later logon opens it afresh)."""
        if self.by_account.get(account) or not self.engine.forget_account(account):
            return False
        if not self.ledger.close_account(account):
            return False
        self.by_account.pop(account, None)
        self._limits.pop(account, None)
        self.directory.forget(account)
        return True

    def release_unused_accounts(self) -> int:
        """Release every unused account without a session (after a replay); how many."""
        return sum(self._release_if_unused(a) for a in list(self.ledger.balances))

    def disconnected(self, session: Session) -> Notices:
        """*session*'s connection was lost without a logout (either side's).

        Forgets the session; with cancel-on-disconnect on for its account (its own
        setting, else :attr:`cancel_on_disconnect`) and no other live session of the
        account left, its open orders are cancelled through the engine (the CANCELLED
        frames find no session to go to; the engine events reach the observers).
        """
        was_alive = session.alive
        self.logout(session)
        wanted = session.cancel_on_disconnect
        if wanted is None:
            wanted = self.cancel_on_disconnect
        if not was_alive or not wanted or self.by_account.get(session.account):
            return NO_NOTICES
        events = self.cancel_all(session.account)
        cancelled = sum(
            1 for e in events if type(e) is Cancelled and e.reason == CancelReason.USER
        )
        self._notices.append(CancelledOnDisconnect(session.account, session.user, cancelled))
        return self._drained()

    def shutdown(self, reason: RejectCode = RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED) -> None:
        """Log every session out with *reason* (the OES is going away)."""
        for session in list(self.sessions.values()):
            session.logout(reason)
            self.logout(session)

    # -- shared request checks --------------------------------------------------------------

    def _seq_ok(self, session: Session, seq: int) -> bool:
        ok = not self.strict or seq > session.last_seq
        if ok:
            session.last_seq = seq
        return ok

    def _request_problem(
        self, session: Session, account: int, tsid: int, key: int | None, sending_time: int
    ) -> RejectCode | None:
        if key is not None and self.check_keys and key != session.key:
            return RejectCode.INVALID_KEY
        if account != session.account:
            return RejectCode.ACCOUNT_INVALID
        if tsid != session.trading_session_id:
            return RejectCode.TRADING_SESSION_INVALID
        if not sending_time_ok(sending_time, self.clock(), zero_ok=True):
            return RejectCode.SENDING_TIME_INVALID
        return None

    def _selected(self, request_type: int, symbol_enum: int) -> list[Instrument] | None:
        """Instruments a request names: all of them, one, or None if unknown."""
        if request_type == RequestType.SYMBOL_ENUM and symbol_enum:
            inst = self.instruments.get(symbol_enum)
            return None if inst is None else [inst]
        if symbol_enum and request_type != RequestType.ALL:
            inst = self.instruments.get(symbol_enum)
            return None if inst is None else [inst]
        return sorted(self.instruments.values(), key=lambda i: i.symbol_enum)

    # -- instrument / risk / open orders / collateral --------------------------------------

    def instrument_request(self, session: Session, request: InstrumentRequest) -> Notices:
        problem = self._request_problem(
            session, request.account, request.trading_session_id, request.session_key,
            request.sending_time,
        )
        if problem == RejectCode.ACCOUNT_INVALID:
            problem = RejectCode.ACCOUNT_NOT_FOUND  # the echo's documented code for this
        if problem is None and not self._seq_ok(session, request.msg_seq_num):
            problem = RejectCode.MSG_SEQ_NUM_INVALID
        selected = None
        if problem is None:
            if request.request_type == RequestType.SYMBOL_ENUM:
                inst = self.instruments.get(request.symbol_enum)
                selected = None if inst is None else [inst]
            else:
                selected = self._selected(RequestType.ALL, 0)
            if not selected:
                problem = RejectCode.SYMBOL_ENUM_INVALID
        if problem is not None or not selected:
            reason = problem if problem is not None else RejectCode.SYMBOL_ENUM_INVALID
            self._notices.append(RequestRefused(request.NAME, request.account, reason))
            session.send(request.replace(reject_reason=reason, sending_time=self.clock()))
            return self._drained()
        now = self.clock()
        for response in instrument_responses(selected, now):
            session.send(response)
        return NO_NOTICES

    def _refuse(self, session: Session, what: str, reason: RejectCode) -> None:
        self._notices.append(ClientRefused(what, session.account, reason))
        session.logout(reason)
        self.logout(session)

    def _risk_fields(self, session: Session, symbol_enum: int) -> dict[str, Any]:
        return risk_fields(self.ledger, self.engine, self.instruments, session, symbol_enum)

    def _admitted(
        self,
        session: Session,
        request: RiskUpdateRequest | CollateralRequest | OpenOrderRequest,
        symbol_matters: bool = True,
    ) -> bool:
        """The checks the risk, collateral and open-order requests share.

        These requests have no reject carrier: a failed check logs the client out
        with the reason, and an unknown instrument gets no reply (both logged).
        """
        problem = self._request_problem(
            session, request.account, request.trading_session_id,
            getattr(request, "session_key", None),  # open_order_request has no key
            request.sending_time,
        )
        if problem is None and not self._seq_ok(session, request.msg_seq_num):
            problem = RejectCode.MSG_SEQ_NUM_INVALID
        if problem is not None:
            self._refuse(session, request.NAME, problem)
            return False
        symbol = request.symbol_enum
        if symbol_matters and symbol and symbol not in self.instruments:
            self._notices.append(UnknownSymbol(request.NAME, symbol))
            return False
        return True

    def risk_update_request(self, session: Session, request: RiskUpdateRequest) -> Notices:
        if not self._admitted(session, request, request.request_type != RequestType.ALL):
            return self._drained()
        selected = self._selected(request.request_type, request.symbol_enum)
        for inst in selected or ():
            session.send(
                RiskUserSymbol(
                    message_type=TransactionType.RISK_USER_SYMBOL,
                    **self._risk_fields(session, inst.symbol_enum),
                )
            )
        return NO_NOTICES

    def collateral_request(self, session: Session, request: CollateralRequest) -> Notices:
        if not self._admitted(session, request):
            return self._drained()
        session.send(
            CollateralData(
                message_type=TransactionType.COLLATERAL_DATA,
                **self._risk_fields(session, request.symbol_enum),
            )
        )
        return NO_NOTICES

    def open_order_request(self, session: Session, request: OpenOrderRequest) -> Notices:
        if not self._admitted(session, request):
            return self._drained()
        for view in self.engine.open_orders(session.account, request.symbol_enum):
            base = self.orders.get((view.account, view.order_id))
            session.send(listing(view, base, self.instruments, session, self.clock()))
        return NO_NOTICES

    # -- transactions --------------------------------------------------------------------------

    def is_counted(self, request: Transaction) -> bool:
        """Whether *request* takes an outstanding-request slot (NEW and CANCEL_REPLACE)."""
        return request.message_type in COUNTED_TRANSACTIONS

    def _session_rows(self, session: Session, req: Transaction) -> RejectCode | None:
        """The session-level checks of the validation order (rows 2-12)."""
        # Hot path (every transaction): fields read once, ints compared as ints.
        if self.check_keys and req.session_key != session.key:
            return RejectCode.INVALID_KEY
        if req.message_type not in _CLIENT_TRANSACTIONS:
            return RejectCode.MSG_TYPE_INVALID
        order_type = req.order_type
        if not 1 <= order_type <= 17 or order_type in UNIMPLEMENTED_ORDER_TYPES:
            return RejectCode.ORD_TYPE_INVALID
        if req.symbol_enum not in self.instruments:
            return RejectCode.SYMBOL_ENUM_INVALID
        if req.trading_session_id != session.trading_session_id:
            return RejectCode.TRADING_SESSION_INVALID
        if req.side not in _SIDES:
            return RejectCode.ORDER_SIDE_INVALID
        account = req.account
        if account <= 0 or account != session.account:
            return RejectCode.ACCOUNT_INVALID
        order_id = req.order_id
        if order_id <= 0:
            return RejectCode.ORDERID_INVALID
        if self.engine.knows_order_id(account, order_id):
            return RejectCode.DUPLICATE_ORDER_ID
        if not sending_time_ok(req.sending_time, self.clock()):
            return RejectCode.SENDING_TIME_INVALID
        seq = req.msg_seq_num
        if self.strict and seq <= session.last_seq:
            return RejectCode.MSG_SEQ_NUM_INVALID
        session.last_seq = seq  # _seq_ok
        return None

    def transaction(
        self, session: Session, req: Transaction, in_flight: int = 1, *, owned: bool = False
    ) -> Notices:
        """Validate and execute one client transaction, answering every party.

        *in_flight* is how many NEW / CANCEL_REPLACE requests of this session were
        unanswered when this one arrived, itself included.  *owned*: the caller hands
        *req* over and never touches it again (a freshly decoded frame), so the core
        may make it its answer (the ORDER_ACK or REJECT is *req* itself, changed)
        instead of copying it.
        """
        problem = self._session_rows(session, req)
        if problem is not None:
            self.publisher.reject(session, req, problem, owned)
            return self._drained()
        mtype = req.message_type
        if mtype == _ORDER_NEW:
            command: NewOrder | CancelOrder | ReplaceOrder = _new_order(
                req.account, req.order_id, req.symbol_enum, req.side, req.order_type,
                req.price, req.order_qty, req.time_in_force, req.stop_limit_price,
                req.attributes, req.display_size, req.refresh_size, req.layers,
                req.size_increment, req.price_increment, req.price_offset,
            )  # fmt: skip
        elif mtype == _ORDER_CANCEL:
            command = CancelOrder(
                account=req.account, order_id=req.order_id, orig_order_id=req.orig_order_id
            )
        else:  # CANCEL_REPLACE (_session_rows let no other type through)
            command = ReplaceOrder(
                account=req.account,
                order_id=req.order_id,
                orig_order_id=req.orig_order_id,
                price=req.price,
                order_qty=req.order_qty,
                stop_limit_price=req.stop_limit_price,
                display_size=req.display_size,
                refresh_size=req.refresh_size,
                layers=req.layers,
                size_increment=req.size_increment,
                price_increment=req.price_increment,
                price_offset=req.price_offset,
            )
        limit = session.open_order_limit if self.limit_for is None else self.limit_for(session)
        # NEW and CANCEL_REPLACE beyond the outstanding limit (CANCEL is not counted)
        over_limit = in_flight > limit and mtype in COUNTED_TRANSACTIONS
        account = session.account
        limit_equity = self.lane.limit_equity

        def risk_check(query: RiskQuery) -> RejectCode | None:
            if over_limit:
                return _OUTSTANDING
            return self._equity_problem(account, query)

        def limit_risk(
            _account: int, symbol_enum: int, side: int, price: float, qty: float
        ) -> RejectCode | None:
            # risk_check for a plain limit order, without a RiskQuery or Reservation
            if over_limit:
                return _OUTSTANDING
            return limit_equity(account, symbol_enum, side, price, qty)

        engine = self.engine
        if engine is not self._checked_engine:  # the engine may be swapped (tests, tapes)
            self._checked_engine = engine
            self._engine_takes_limit_risk = _takes_limit_risk(engine)
        if self._engine_takes_limit_risk:
            events = engine.submit(command, risk_check, limit_risk)
        else:  # a wrapper with the older signature: every order takes the full check
            events = engine.submit(command, risk_check=risk_check)
        self.publisher.publish(session, req, events, owned)
        return self._drained() if self._notices else NO_NOTICES

    # -- equity --------------------------------------------------------------------------------

    def _equity_problem(self, account: int, query: RiskQuery) -> RejectCode | None:
        inst = self.instruments[query.symbol_enum]
        if query.side == _BUY:
            if query.order_type == _MKT:
                wanted = Reservation(inst.quote, query.market_cost or 0.0)
            else:
                wanted = Reservation(inst.quote, query.reserve_price * query.qty)
        else:
            wanted = Reservation(inst.base, query.qty)
        replacing = None if query.replaces is None else (account, query.replaces)
        if self.ledger.can_reserve(account, wanted, replacing):
            return None
        return RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE

    # -- time ----------------------------------------------------------------------------------

    def tick(self) -> Notices:
        """Let time-driven engine events happen (DAY expiry) and send them out."""
        events = self.engine.advance_time()
        if events:
            self.publisher.publish(None, None, events)
        return self._drained()
