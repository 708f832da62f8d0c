"""A client session that stays logged on: AES logon, OES redirect, reconnect, fail-over.

:class:`CRMDClient` is a Twisted service.  Underneath, a
:class:`~twisted.application.internet.ClientService` owns the connection and
its reconnection (with an injectable retry policy and clock); what it connects
*to* is decided per attempt by a routing endpoint:

1. without a valid AES grant, log on to the AES first (a short connection that
   logs out again) to get the OES addresses, key K1 and trading session id;
2. connect to the primary OES, or to the secondary when the primary is
   unreachable or logged us out with 9 / 10;
3. with neither reachable, forget the grant: the next attempt goes back
   through the AES.

After each OES logon the session fetches the instruments (once), reconciles
its orders with an open-order listing, re-sends every request that was not
answered before the connection dropped (same ids: the OES refuses a repeated
order id with DUPLICATE_ORDER_ID, so nothing executes twice), and becomes
ready.  Requests made while disconnected wait and go out then.

Requests sent before a drop are re-sent with their ids: a NEW found in the
listing is answered by its listing entry, a CANCEL_REPLACE found there is applied
as REPLACED, and a re-sent NEW refused with DUPLICATE_ORDER_ID marks the order
GONE (it reached the OES, and is not open any more).  An ORDER_ACK / REJECT
carrying an order id the session never used answers the oldest NEW still
waiting (replies are ordered; the reference example OES acks with a fixed id).
If the listing does not complete within ``request_timeout`` the connection is
dropped and retried; ``reconcile=False`` skips instruments and listing.

A logon refused by the AES (or by the OES right after a fresh AES logon) stops
the session: :meth:`CRMDClient.when_ready` fails with
:class:`~crmd_twisted.client.errors.LogonRejected` naming the code.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from twisted.application.internet import ClientService, backoffPolicy
from twisted.application.service import Service
from twisted.internet import defer
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.interfaces import (
    IProtocol,
    IProtocolFactory,
    IReactorTCP,
    IReactorTime,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from crmd_twisted.client.errors import (
    LogonRejected,
    NotConnected,
    RequestRejected,
    RequestTimeout,
)
from crmd_twisted.client.orders import OrderTracker, PendingRequest, TrackedOrder
from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.wire import (
    ClientLogon,
    CollateralData,
    InstrumentRequest,
    InstrumentResponse,
    Message,
    RiskUserSymbol,
    Transaction,
)
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    REJECT_TRANSACTION_TYPES,
    OrderType,
    RejectCode,
    ResponseType,
    SymbolEnum,
    SymbolType,
    TimeInForce,
    TransactionType,
    coerce,
)

__all__ = ["CRMDClient", "ClientEvent", "parse_address"]

log = Logger()

#: OES logout reasons that mean "go to the secondary OES".
FAILOVER_REASONS = frozenset(
    {RejectCode.MES_NOT_AVAILABLE_TRADING_DISABLED, RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED}
)
#: OES logon refusals that a fresh AES logon may cure.
STALE_GRANT_REASONS = frozenset(
    {RejectCode.INVALID_KEY, RejectCode.KEY_INVALID, RejectCode.TRADING_SESSION_INVALID}
)


def parse_address(text: str) -> tuple[str, int] | None:
    """Split a logon reply's "host:port" text; None if it does not parse."""
    host, sep, port = text.strip("\x00").partition(":")
    if not sep or not host or ":" in port or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


@dataclass(frozen=True, slots=True)
class ClientEvent:
    """What observers of a :class:`CRMDClient` receive.

    ``kind`` is one of ``"state"`` (``state`` says which), ``"order"`` (an order
    changed: ``order`` and the ``message`` that changed it), ``"logout"`` (the
    server logged us out; ``message`` is the logout) or ``"message"`` (any other
    unsolicited frame).
    """

    kind: str
    state: str | None = None
    order: TrackedOrder | None = None
    message: Message | None = None


@dataclass(slots=True)
class _Grant:
    primary: tuple[str, int]
    secondary: tuple[str, int] | None
    key: int
    trading_session_id: int


@dataclass(eq=False, slots=True)
class _Query:
    """A non-order request: how to send it and how to recognise its replies."""

    kind: str  # "instruments" | "risk" | "open_orders" | "collateral"
    symbol_enum: int
    deferred: defer.Deferred[Any]
    replies: list[Message]
    sent: bool = False
    internal: bool = False
    #: Deadline for the reply while the request is out (user queries only).
    timer: Any = None

    def stop_timer(self) -> None:
        if self.timer is not None:
            if self.timer.active():
                self.timer.cancel()
            self.timer = None


class _SessionProtocol(CRMDClientProtocol):
    """Routes everything the OES sends into the owning :class:`CRMDClient`."""

    client: CRMDClient
    #: What ClientService holds for this connection once it is logged on and reconciled.
    handle: IProtocol | None = None

    def connectionMade(self) -> None:
        super().connectionMade()
        self.client._connecting = self

    def messageReceived(self, message: Message) -> None:
        self.client._received(self, message)
        super().messageReceived(message)

    def serverLoggedOut(self, reason: int, message: ClientLogon) -> None:
        super().serverLoggedOut(reason, message)
        self.client._serverLoggedOut(self, reason, message)

    def connectionLost(self, reason: Failure | None = None) -> None:
        super().connectionLost(reason)
        self.client._connectionLost(self)
        handle, self.handle = self.handle, None
        if handle is not None:
            # tells ClientService: reconnect
            handle.connectionLost(reason if reason is not None else connectionDone)


class _Handle(Protocol):
    """The stand-in ClientService gets for a connection that is logged on and ready.

    ClientService's ``prepareConnection`` cannot be used: when preparing fails
    (logon refused or timed out) the connection closes while ClientService is
    already waiting to retry, and its state machine has no transition for that
    (``NoTransition: _clientDisconnected in Waiting``).  So :meth:`CRMDClient._route`
    logs on and reconciles on its own connection and only then gives ClientService
    this handle; the real protocol forwards its connection loss to it.
    """


class _SessionFactory(Factory[_SessionProtocol]):
    """Carries the session's clock and logging switches to its protocols."""

    clock: IReactorTime
    wireTrace = False
    logFrames = True


@implementer(IStreamClientEndpoint)
class _RouteEndpoint:
    """Connects wherever the session should be now (see the module docstring)."""

    def __init__(self, client: CRMDClient) -> None:
        self.client = client

    def connect(self, factory: IProtocolFactory) -> defer.Deferred[IProtocol]:
        d = defer.ensureDeferred(self.client._route(factory))
        d.addErrback(self.client._attempt_failed)
        return d


class CRMDClient(Service):
    """A logged-on CRMD session with a Deferred API.

    :param aes: AES address as ``(host, port)``.
    :param account, user, api_key: the identity; the 2FA code derives from the key.
    :param reactor: for TCP (and timers unless *clock* is given).
    :param clock: an ``IReactorTime`` for retries and timeouts (``task.Clock`` in tests).
    :param reconcile: fetch instruments and the open-order listing after each
        OES logon before becoming ready (default); False: ready right after logon.
    :param retry_policy: seconds to wait after *n* failed attempts in a row
        (``twisted.application.internet.backoffPolicy`` by default).
    :param endpoint_factory: builds the client endpoint of a ``(host, port)``;
        TCP by default.
    :param protocol: a :class:`CRMDClientProtocol` subclass whose handlers also
        see every message.
    """

    def __init__(
        self,
        aes: tuple[str, int],
        account: int,
        user: str,
        api_key: str,
        *,
        reactor: IReactorTCP | None = None,
        clock: IReactorTime | None = None,
        retry_policy: Callable[[int], float] | None = None,
        endpoint_factory: Callable[[str, int], IStreamClientEndpoint] | None = None,
        protocol: type[CRMDClientProtocol] = CRMDClientProtocol,
        request_timeout: float = 30.0,
        logon_timeout: float = 10.0,
        open_order_limit: int = 1000,
        first_order_id: int | None = None,
        reconcile: bool = True,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = global_reactor
        self.reactor: IReactorTCP = reactor
        #: Timers (retries, logon and request timeouts); the reactor unless given.
        # (a reactor provides IReactorTime as well; typing has no intersection of interfaces)
        self.clock: IReactorTime = clock if clock is not None else cast(IReactorTime, reactor)
        self.reconcile = reconcile
        self.aes = aes
        self.account = account
        self.user = user
        self.api_key = api_key
        self.request_timeout = request_timeout
        self.logon_timeout = logon_timeout
        self.open_order_limit = open_order_limit
        self._endpoint_factory = endpoint_factory or self._tcp_endpoint
        self._protocol_class: type[_SessionProtocol] = type(
            "SessionProtocol", (_SessionProtocol, protocol), {"client": self}
        )
        # what Factory.forProtocol does (its annotation returns Factory, not the subclass)
        self._factory = _SessionFactory()
        self._factory.protocol = self._protocol_class
        self._factory.clock = self.clock
        self._service = ClientService(
            _RouteEndpoint(self),
            Factory.forProtocol(_Handle),
            retryPolicy=retry_policy or backoffPolicy(initialDelay=0.5, maxDelay=30.0),
            clock=self.clock,
        )
        self.orders = OrderTracker()
        self.instrument_list: list[InstrumentResponse] = []
        self.state = "stopped"
        self.fatal: Failure | None = None
        self.connection: _SessionProtocol | None = None
        self._connecting: _SessionProtocol | None = None
        self.logons = 0
        self.aes_logons = 0
        self.failed_attempts = 0
        #: Why the last connection attempt (AES, OES, logon, reconciliation) failed.
        self.last_error: Failure | None = None
        self.disconnects = 0
        self._grant: _Grant | None = None
        self._fresh_grant = False
        self._prefer_secondary = False
        self._ready = False
        self._ready_waiters: list[defer.Deferred[CRMDClient]] = []
        self._queries: deque[_Query] = deque()
        self._outbox: deque[PendingRequest] = deque()
        self._observers: list[Callable[[ClientEvent], None]] = []
        self._final_waiters: dict[int, list[defer.Deferred[TrackedOrder]]] = {}
        if first_order_id is None:
            first_order_id = time.time_ns() // 1_000_000 * 1000
        self._ids = itertools.count(first_order_id)

    def _tcp_endpoint(self, host: str, port: int) -> IStreamClientEndpoint:
        return TCP4ClientEndpoint(self.reactor, host, port, timeout=self.logon_timeout)

    # -- service life ----------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self.fatal = None
        self._set_state("connecting")
        self._service.startService()

    def stopService(self) -> defer.Deferred[None]:
        super().stopService()
        if self.connection is not None and self._ready:
            self.connection.logOut()
        else:
            # a connection still logging on or reconciling: ClientService would leave it open
            for proto in (self._connecting, self.connection):
                if proto is not None and proto.connected and proto.transport is not None:
                    proto.transport.loseConnection()
        self._ready = False
        self._set_state("stopped")
        d: defer.Deferred[None] = self._service.stopService()
        self._fail_all(NotConnected("session stopped"))
        return d

    def when_ready(self) -> defer.Deferred[CRMDClient]:
        """Fires with this client once logged on to an OES and reconciled."""
        if self.fatal is not None:
            return defer.fail(self.fatal)
        if self._ready:
            return defer.succeed(self)
        d: defer.Deferred[CRMDClient] = defer.Deferred()
        self._ready_waiters.append(d)
        return d

    @property
    def ready(self) -> bool:
        return self._ready

    # -- observers and hooks -----------------------------------------------------------------

    def add_observer(self, observer: Callable[[ClientEvent], None]) -> None:
        """Call *observer* with a :class:`ClientEvent` for everything unsolicited."""
        self._observers.append(observer)

    def remove_observer(self, observer: Callable[[ClientEvent], None]) -> None:
        self._observers.remove(observer)

    def _emit(self, event: ClientEvent) -> None:
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:
                log.failure("observer {observer!r} failed", observer=observer)

    def orderUpdated(self, order: TrackedOrder, message: Transaction) -> None:
        """Hook: *order* changed because of *message* (fills, cancels, acks...)."""

    def stateChanged(self, state: str) -> None:
        """Hook: the session moved to *state* (connecting, ready, disconnected, ...)."""

    def serverLoggedOut(self, reason: int) -> None:
        """Hook: the OES logged this session out with *reason*."""

    def _set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        log.info("session {account}/{user}: {state}", account=self.account, user=self.user,
                 state=state)
        self.stateChanged(state)
        self._emit(ClientEvent("state", state=state))

    # -- routing a connection attempt --------------------------------------------------------

    async def _route(self, factory: IProtocolFactory) -> IProtocol:
        if self.fatal is not None:  # stopped for good: no further connection attempt
            raise self.fatal.value
        if self._grant is None:
            self._set_state("aes_logon")
            self._grant = await self._aes_logon()
            self._fresh_grant = True
        grant = self._grant
        targets = [grant.primary]
        if grant.secondary is not None:
            targets.append(grant.secondary)
            if self._prefer_secondary:
                targets.reverse()
        error: BaseException | None = None
        for host, port in targets:
            self._set_state("connecting")
            try:
                proto = await self._endpoint_factory(host, port).connect(self._factory)
            except defer.CancelledError:
                raise
            except Exception as e:
                log.info("OES {host}:{port} unreachable: {error}", host=host, port=port, error=e)
                error = e
                continue
            if not isinstance(proto, _SessionProtocol):  # what self._factory built
                raise TypeError(f"endpoint connected {proto!r}, not a session protocol")
            self._prefer_secondary = (host, port) != grant.primary
            await self._prepare(proto)
            transport = proto.transport
            assert transport is not None  # connected
            handle = factory.buildProtocol(transport.getPeer())
            assert handle is not None  # ClientService's factory never refuses
            handle.makeConnection(transport)
            proto.handle = handle
            return handle
        self._grant = None  # neither OES: go back through the AES next time
        assert error is not None
        raise error

    async def _aes_logon(self) -> _Grant:
        host, port = self.aes
        proto = CRMDClientProtocol()
        proto.clock = self.clock
        proto.logonTimeout = self.logon_timeout
        await connectProtocol(self._endpoint_factory(host, port), proto)
        try:
            reply = await proto.logOn(self.account, self.user, api_key=self.api_key)
        except BaseException as e:
            if isinstance(e, LogonRejected):
                self._stop_fatally(Failure(e))
            if proto.connected and proto.transport is not None:
                proto.transport.loseConnection()
            raise
        proto.logOut()  # done with the AES: give the session back (PROTOCOL.md 7.2.5)
        primary = parse_address(reply.primary_oes_address)
        if primary is None:
            error = LogonRejected(RejectCode.INVALID_FIELD_VALUE, reply)
            self._stop_fatally(Failure(error))
            raise error
        secondary = parse_address(reply.secondary_oes_address)
        self.aes_logons += 1
        return _Grant(primary, secondary, reply.session_key, reply.trading_session_id)

    async def _prepare(self, proto: _SessionProtocol) -> None:
        """OES logon, then (unless ``reconcile=False``) instruments and the listing."""
        try:
            await self._oes_logon(proto)
            if self.reconcile:
                await self._fetch_listing(proto)
            else:
                self._reconciled([], proto)
        except BaseException:
            if proto.connected and proto.transport is not None:
                proto.transport.loseConnection()
            raise

    def _attempt_failed(self, failure: Failure) -> Failure:
        self.last_error = failure
        self.failed_attempts += 1
        if self.running and self.fatal is None:
            self._set_state("retrying")
        return failure

    async def _oes_logon(self, proto: _SessionProtocol) -> None:
        grant = self._grant
        assert grant is not None
        self._set_state("oes_logon")
        proto.logonTimeout = self.logon_timeout
        try:
            await proto.logOn(
                self.account,
                self.user,
                api_key=self.api_key,
                session_key=grant.key,
                trading_session_id=grant.trading_session_id,
            )
        except LogonRejected as e:
            if e.code in STALE_GRANT_REASONS and not self._fresh_grant:
                self._grant = None  # try the AES once more
            elif e.code == RejectCode.USER_ALREADY_LGGGED_IN and self.logons:
                pass  # our previous connection is not gone yet at the OES: retry
            else:
                self._stop_fatally(Failure(e))
            raise
        self._fresh_grant = False
        self.connection = proto
        self.logons += 1
        self._set_state("reconciling")
        for query in self._queries:
            query.sent = False
        for pending in self.orders.pending.values():
            if pending.sent:
                pending.resent = True
            pending.sent = False

    async def _fetch_listing(self, proto: _SessionProtocol) -> None:
        """Instruments (once) and the open-order listing; fails after request_timeout."""
        internal = []
        if not self.instrument_list:
            instruments = self._query("instruments", 0, internal=True)
            instruments.deferred.addErrback(lambda f: None)  # nobody else waits for it
            internal.append(instruments)
            self._send_query(instruments, proto)
        listing = self._query("open_orders", 0, internal=True)
        internal.append(listing)
        self._send_query(listing, proto)
        listing.deferred.addTimeout(self.request_timeout, self.clock)
        try:
            entries = await listing.deferred
        except defer.TimeoutError:
            log.warn("session {account}/{user}: no open-order listing within {t}s; reconnecting",
                     account=self.account, user=self.user, t=self.request_timeout)
            raise RequestTimeout("no open-order listing after logon") from None
        finally:
            for query in internal:
                if query in self._queries:
                    self._queries.remove(query)
                if not query.deferred.called:
                    query.deferred.cancel()
        self._reconciled(entries, proto)

    def _reconciled(self, listing: list[Transaction], proto: _SessionProtocol) -> None:
        if proto is not self.connection:
            return
        listed = {tx.order_id: tx for tx in listing}
        for order_id, pending in list(self.orders.pending.items()):
            if order_id not in listed:
                continue
            mtype = pending.request.message_type
            if mtype == TransactionType.ORDER_NEW:
                # it reached the OES before the connection dropped: the listing answers it
                del self.orders.pending[order_id]
                self._answer(pending, listed[order_id])
            elif mtype == TransactionType.CANCEL_REPLACE:
                # the replace went through before the drop: apply it as its REPLACED
                replaced = listed[order_id].replace(
                    message_type=TransactionType.REPLACED,
                    orig_order_id=pending.request.orig_order_id,
                )
                order, answered = self.orders.receive(replaced)
                if order is not None:
                    self._order_changed(order, replaced)
                if answered is not None:
                    self._answer(answered, replaced)
        if self.reconcile:
            for order in self.orders.reconcile(listing):
                self._order_changed(order, order.last_message or order.request)
        self._ready = True
        self._set_state("ready")
        waiters, self._ready_waiters = self._ready_waiters, []
        for w in waiters:
            w.callback(self)
        for query in list(self._queries):
            if not query.sent:
                self._send_query(query, proto)
        self._flush()

    def _stop_fatally(self, failure: Failure) -> None:
        self.fatal = failure
        log.error("session {account}/{user} stopped: {error}", account=self.account,
                  user=self.user, error=failure.getErrorMessage())
        self._set_state("failed")
        waiters, self._ready_waiters = self._ready_waiters, []
        for w in waiters:
            w.errback(failure)
        self.clock.callLater(0, self._service.stopService)

    def _connectionLost(self, proto: _SessionProtocol) -> None:
        if self._connecting is proto:
            self._connecting = None
        if proto is not self.connection:
            return
        self.connection = None
        self.disconnects += 1
        self._ready = False
        # unanswered requests go out again after the reconnect: their deadline restarts then
        for pending in self.orders.pending.values():
            if pending.timer is not None:
                if pending.timer.active():
                    pending.timer.cancel()
                pending.timer = None
        # user queries are asked again after the reconnect: their deadline restarts then
        for query in self._queries:
            query.stop_timer()
        # the internal queries of that connection die with it
        for query in [q for q in self._queries if q.internal]:
            self._queries.remove(query)
            if not query.deferred.called:
                query.deferred.errback(Failure(NotConnected("connection lost while reconciling")))
        if self.running and self.fatal is None:
            self._set_state("disconnected")

    def _serverLoggedOut(self, proto: _SessionProtocol, reason: int, message: ClientLogon) -> None:
        if reason in FAILOVER_REASONS:
            self._prefer_secondary = self._grant is not None and not self._prefer_secondary
        self.serverLoggedOut(reason)
        self._emit(ClientEvent("logout", message=message))

    def _fail_all(self, error: Exception) -> None:
        queries, self._queries = self._queries, deque()
        for q in queries:
            if not q.deferred.called:
                q.deferred.errback(Failure(error))
        for pending in list(self.orders.pending.values()):
            self._answer(pending, Failure(error))
        self._outbox.clear()
        waiters, self._ready_waiters = self._ready_waiters, []
        for w in waiters:
            w.errback(Failure(error))

    # -- queries -------------------------------------------------------------------------------

    def _query(self, kind: str, symbol_enum: int, *, internal: bool = False) -> _Query:
        query = _Query(kind, symbol_enum, defer.Deferred(), [], internal=internal)
        self._queries.append(query)
        return query

    def _send_query(self, query: _Query, proto: _SessionProtocol) -> None:
        query.sent = True
        query.replies.clear()
        if not query.internal:
            query.stop_timer()
            query.timer = self.clock.callLater(self.request_timeout, self._query_timed_out, query)
        if query.kind == "instruments":
            proto.requestInstruments(query.symbol_enum)
        elif query.kind == "collateral":
            proto.requestCollateral(query.symbol_enum)
        else:
            if query.kind == "risk":
                proto.requestRisk(query.symbol_enum)
            else:
                proto.requestOpenOrders(query.symbol_enum)
            proto.requestCollateral(0)  # its reply marks the end of the list (no end marker)

    def _ask(self, kind: str, symbol_enum: int) -> defer.Deferred[Any]:
        query = self._query(kind, symbol_enum)
        query.deferred.addBoth(self._query_settled, query)
        if self._ready and self.connection is not None:
            self._send_query(query, self.connection)
        return query.deferred

    def _query_settled(self, result: Any, query: _Query) -> Any:
        query.stop_timer()
        if query in self._queries:
            self._queries.remove(query)
        return result

    def _query_timed_out(self, query: _Query) -> None:
        """No reply within ``request_timeout`` of sending (time spent waiting for a
        reconnect does not count)."""
        query.timer = None
        if not query.deferred.called:
            query.deferred.errback(
                RequestTimeout(
                    f"no reply to the {query.kind} request within {self.request_timeout}s"
                )
            )

    def instruments(self) -> defer.Deferred[list[InstrumentResponse]]:
        """Every instrument of the OES."""
        return self._ask("instruments", 0)

    def risk(self, symbol_enum: int = 0) -> defer.Deferred[list[RiskUserSymbol]]:
        """Risk (positions, balances, limits) per instrument, or for one."""
        return self._ask("risk", symbol_enum)

    def open_orders(self, symbol_enum: int = 0) -> defer.Deferred[list[Transaction]]:
        """The account's open orders as the OES lists them."""
        return self._ask("open_orders", symbol_enum)

    def collateral(self, symbol_enum: int = 0) -> defer.Deferred[CollateralData]:
        """The account's balances (and positions in *symbol_enum*, if given)."""
        return self._ask("collateral", symbol_enum)

    def _query_reply(self, message: Message) -> bool:
        """Give *message* to the oldest sent query; True if it was one of its replies."""
        query = next((q for q in self._queries if q.sent), None)
        if query is None:
            return False
        kind = query.kind
        done = False
        if isinstance(message, InstrumentRequest) and kind == "instruments":
            self._queries.remove(query)
            query.deferred.errback(RequestRejected(message.reject_reason, message))
            return True
        if isinstance(message, InstrumentResponse) and kind == "instruments":
            query.replies.append(message)
            done = message.response_type in (ResponseType.SNAPSHOT, ResponseType.SNAPSHOT_FINISH)
        elif isinstance(message, RiskUserSymbol) and kind == "risk":
            query.replies.append(message)
        elif isinstance(message, Transaction) and kind == "open_orders":
            is_listing = message.message_type == TransactionType.ORDER_NEW or (
                message.message_type == TransactionType.REPLACED and message.orig_order_id == 0
            )
            if not is_listing:
                return False
            query.replies.append(message)
        elif isinstance(message, CollateralData):
            done = True
            if message.open_order_request_limit:  # the OES tells the in-flight limit here too
                self.open_order_limit = message.open_order_request_limit
            if kind == "collateral":
                query.replies.append(message)
        else:
            return False
        if done:
            self._queries.remove(query)
            if kind == "instruments":
                self.instrument_list = [
                    r for r in query.replies if isinstance(r, InstrumentResponse)
                ]
                result: Any = list(query.replies)
            elif kind == "collateral":
                result = query.replies[0]
            else:
                result = list(query.replies)
            if kind == "risk":
                for risk in query.replies:
                    limit = getattr(risk, "open_order_request_limit", 0)
                    if limit:
                        self.open_order_limit = limit
            if not query.deferred.called:
                query.deferred.callback(result)
        return True

    # -- orders ---------------------------------------------------------------------------------

    def next_order_id(self) -> int:
        return next(self._ids)

    def _symbol_name(self, symbol_enum: int) -> str:
        for inst in self.instrument_list:
            if inst.symbol_enum == symbol_enum:
                return inst.symbol
        member = coerce(SymbolEnum, symbol_enum)
        return member.name if isinstance(member, SymbolEnum) else ""

    def new_order(
        self,
        symbol_enum: int,
        side: int,
        order_qty: float,
        price: float = 0.0,
        order_type: int = OrderType.LMT,
        time_in_force: int = TimeInForce.GTC,
        **fields: Any,
    ) -> defer.Deferred[Transaction]:
        """Send a new order; fires with its first answer (ORDER_ACK, a fill, CANCELLED).

        Fails with :class:`RequestRejected` naming the reject code.  Extra
        transaction fields (``stop_limit_price``, ``attributes``, ``display_size``,
        ``layers``, ...) pass through.  The order is tracked in ``self.orders``
        under its id (``result.order_id``).
        """
        tx = Transaction(
            message_type=TransactionType.ORDER_NEW,
            order_id=fields.pop("order_id", None) or self.next_order_id(),
            symbol_enum=symbol_enum,
            symbol=self._symbol_name(symbol_enum),
            symbol_type=SymbolType.SPOT,
            order_type=order_type,
            side=side,
            price=price,
            order_qty=order_qty,
            time_in_force=time_in_force,
            attributes=fields.pop("attributes", NO_ATTRIBUTES),
            trader_id=self.user,
        )
        for name, value in fields.items():
            setattr(tx, name, value)
        return self._submit(self.orders.new(tx))

    def _live(self, order_id: int) -> TrackedOrder:
        order = self.orders.by_id.get(order_id)
        if order is None:
            raise KeyError(f"unknown order id {order_id}")
        return order

    def cancel(self, order_id: int) -> defer.Deferred[Transaction]:
        """Cancel an order (by any id it has had); fires with CANCELLED."""
        order = self._live(order_id)
        tx = order.request.replace(
            message_type=TransactionType.ORDER_CANCEL,
            order_id=self.next_order_id(),
            orig_order_id=order.order_id,
            orig_price=order.price,
            order_qty=order.open_qty,
            reject_reason=0,
        )
        return self._submit(self.orders.amend(order, tx))

    def replace(
        self,
        order_id: int,
        price: float | None = None,
        order_qty: float | None = None,
        **fields: Any,
    ) -> defer.Deferred[Transaction]:
        """Cancel-replace an order with a new price and/or quantity; fires with REPLACED."""
        order = self._live(order_id)
        tx = order.request.replace(
            message_type=TransactionType.CANCEL_REPLACE,
            order_id=self.next_order_id(),
            orig_order_id=order.order_id,
            orig_price=order.price,
            price=order.price if price is None else price,
            order_qty=order.open_qty if order_qty is None else order_qty,
            reject_reason=0,
            **fields,
        )
        return self._submit(self.orders.amend(order, tx))

    def _submit(self, pending: PendingRequest) -> defer.Deferred[Transaction]:
        d: defer.Deferred[Transaction] = defer.Deferred()
        pending.waiter = d
        self._outbox.append(pending)
        self._flush()
        return d

    def _flush(self) -> None:
        proto = self.connection
        if not self._ready or proto is None:
            return
        # requests that were sent but never answered before a reconnect go first
        for pending in reversed(list(self.orders.pending.values())):  # keep their order
            if not pending.sent and pending not in self._outbox:
                self._outbox.appendleft(pending)
        while self._outbox:
            pending = self._outbox[0]
            if pending.counted and self.orders.in_flight() >= self.open_order_limit:
                return  # wait for an answer to free a slot
            self._outbox.popleft()
            if pending.request.order_id not in self.orders.pending:
                continue  # answered meanwhile (e.g. found in the reconcile listing)
            pending.sent = True
            proto.sendTransaction(pending.request)
            if pending.waiter is not None and pending.timer is None:
                pending.timer = self.clock.callLater(
                    self.request_timeout, self._request_timed_out, pending
                )

    def _request_timed_out(self, pending: PendingRequest) -> None:
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
    def _answer(pending: PendingRequest, result: Transaction | Failure) -> None:
        if pending.timer is not None:
            if pending.timer.active():
                pending.timer.cancel()
            pending.timer = None
        waiter, pending.waiter = pending.waiter, None
        if waiter is not None and not waiter.called:
            if isinstance(result, Failure):
                waiter.errback(result)
            else:
                waiter.callback(result)

    def when_final(self, order_id: int) -> defer.Deferred[TrackedOrder]:
        """Fires with the tracked order once it is filled, cancelled, rejected or gone."""
        order = self._live(order_id)
        if order.state.final:
            return defer.succeed(order)
        d: defer.Deferred[TrackedOrder] = defer.Deferred()
        self._final_waiters.setdefault(id(order), []).append(d)
        return d

    def _order_changed(self, order: TrackedOrder, message: Transaction) -> None:
        self.orderUpdated(order, message)
        self._emit(ClientEvent("order", order=order, message=message))
        if order.state.final:
            for d in self._final_waiters.pop(id(order), []):
                d.callback(order)

    # -- everything the OES sends -------------------------------------------------------------

    def _received(self, proto: _SessionProtocol, message: Message) -> None:
        if proto is not self.connection and self.connection is not None:
            return
        if self._query_reply(message):
            return
        if isinstance(message, Transaction):
            order, answered = self.orders.receive(message)
            # hooks and observers see the change before the requester's code resumes
            if order is not None:
                self._order_changed(order, message)
            else:
                self._emit(ClientEvent("message", message=message))
            if answered is not None:
                if message.message_type in REJECT_TRANSACTION_TYPES:
                    self._answer(
                        answered, Failure(RequestRejected(message.reject_reason, message))
                    )
                else:
                    self._answer(answered, message)
                self._flush()
        elif not isinstance(message, ClientLogon):
            self._emit(ClientEvent("message", message=message))

