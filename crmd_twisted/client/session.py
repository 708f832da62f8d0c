"""A client session that stays logged on: AES logon, OES redirect, reconnect, fail-over.

:class:`CRMDClient` is a Twisted service.  Underneath, a
:class:`~twisted.application.internet.ClientService` owns the connection and
its reconnection (with an injectable retry policy and clock); what it connects
*to* is decided per attempt by :mod:`~crmd_twisted.client.connector` under the
rules of :mod:`~crmd_twisted.client.routing`: AES logon when there is no grant,
primary OES then secondary (secondary first after a logout with 9 / 10), back
to the AES when neither answers.

After each OES logon the session fetches the instruments (once), reconciles
its orders with an open-order listing, re-sends every request that was not
answered before the connection dropped (same ids: a repeated id is refused
with DUPLICATE_ORDER_ID, so nothing executes twice; see
:mod:`~crmd_twisted.client.order_desk`), and becomes ready.  Requests made
while disconnected wait and go out then.  If the listing does not complete
within ``request_timeout`` the connection is dropped and retried;
``reconcile=False`` skips instruments and listing.

Every failed connection attempt is logged with its reason; after
``max_attempts`` in a row the session stops and :meth:`CRMDClient.when_ready`
fails with :class:`~crmd_twisted.client.errors.ConnectionFailed`.  A logon
refused by the AES (or by the OES right after a fresh AES logon) stops it
too, with :class:`~crmd_twisted.client.errors.LogonRejected` naming the code.
Default order ids: :mod:`~crmd_twisted.client.order_ids`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from twisted.application.internet import ClientService, backoffPolicy
from twisted.application.service import Service
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint
from twisted.internet.interfaces import (
    IProtocol,
    IProtocolFactory,
    IReactorTCP,
    IReactorTime,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory
from twisted.logger import Logger
from twisted.python.failure import Failure

from crmd_twisted.address import parse_address_or_none
from crmd_twisted.client.connector import Connector
from crmd_twisted.client.connection import Handle, RouteEndpoint, SessionFactory, SessionProtocol
from crmd_twisted.client.arguments import check_all
from crmd_twisted.client.errors import ConnectionFailed
from crmd_twisted.client.liveness import DEFAULT_PROBE_TIMEOUT, LivenessProbe, probe_session
from crmd_twisted.client.market_data import MarketData, MarketDataSession, check_mds
from crmd_twisted.client.order_entry import OrderEntry
from crmd_twisted.client.order_ids import OrderIds
from crmd_twisted.client.errors import NotConnected
from crmd_twisted.client.events import ClientEvent, EventKind, SessionState
from crmd_twisted.client.order_desk import OrderDesk
from crmd_twisted.client.orders import OrderTracker, PendingRequest, TrackedOrder
from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.client.queries import QueryKind
from crmd_twisted.client.query_desk import QueryDesk
from crmd_twisted.client.routing import (
    Grant,
)
from crmd_twisted.wire import (
    ClientLogon,
    CollateralData,
    InstrumentResponse,
    Message,
    RiskUserSymbol,
    Transaction,
)

__all__ = ["CRMDClient", "ClientEvent", "parse_address"]

log = Logger()


#: Kept for existing callers: None where :func:`crmd_twisted.address.parse_address` raises.
parse_address = parse_address_or_none


class CRMDClient(OrderEntry, MarketData, Service):
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
    :param connect_timeout: seconds a TCP connect may take before the attempt fails.
    :param max_attempts: give up after this many failed connection attempts in a
        row: :meth:`when_ready` (and every request waiting) fails with
        :class:`~crmd_twisted.client.errors.ConnectionFailed`; None: retry forever.
    :param first_order_id: count order ids from here instead of the default
        scheme (unique per account and restart, see :mod:`~crmd_twisted.client.order_ids`).
    :param mds, secondary_mds: market-data servers for :meth:`subscribe`
        (``(host, port)`` or ``"host:port"``); default: those of the AES grant.
        See :mod:`~crmd_twisted.client.market_data`.
    :param probe_interval: when the ready connection received nothing for this many
        seconds, send a cheap request (collateral); None (default): never.
    :param probe_timeout: drop and reconnect when nothing arrives within this many
        seconds of a probe (a silent OES; see :mod:`~crmd_twisted.client.liveness`).

    Bad arguments raise :class:`ValueError` naming the argument and the limit.
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
        connect_timeout: float = 10.0,
        max_attempts: int | None = None,
        open_order_limit: int = 1000,
        first_order_id: int | None = None,
        reconcile: bool = True,
        mds: tuple[str, int] | str | None = None,
        secondary_mds: tuple[str, int] | str | None = None,
        probe_interval: float | None = None,
        probe_timeout: float = DEFAULT_PROBE_TIMEOUT,
    ) -> None:
        probes = {} if probe_interval is None else {"probe_interval": probe_interval}
        aes = check_all(
            aes, account, user, api_key,
            timeouts={"request_timeout": request_timeout, "logon_timeout": logon_timeout,
                      "connect_timeout": connect_timeout, "probe_timeout": probe_timeout,
                      **probes},
            open_order_limit=open_order_limit, first_order_id=first_order_id,
            max_attempts=max_attempts,
        )
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
        self.connect_timeout = connect_timeout
        self.max_attempts = max_attempts
        self.open_order_limit = open_order_limit
        #: Liveness probe (:mod:`crmd_twisted.client.liveness`): seconds of silence
        #: before a probe request (None: no probe), seconds it may go unanswered.
        self.probe_interval = probe_interval
        self.probe_timeout = probe_timeout
        self._liveness: LivenessProbe | None = None
        self._endpoint_factory = endpoint_factory or self._tcp_endpoint
        self._protocol_class: type[SessionProtocol] = type(
            "SessionProtocol", (SessionProtocol, protocol), {"client": self}
        )
        # what Factory.forProtocol does (its annotation returns Factory, not the subclass)
        self._factory = SessionFactory()
        self._factory.protocol = self._protocol_class
        self._factory.clock = self.clock
        self._service = ClientService(
            RouteEndpoint(self),
            Factory.forProtocol(Handle),
            retryPolicy=retry_policy or backoffPolicy(initialDelay=0.5, maxDelay=30.0),
            clock=self.clock,
        )
        #: Every order of this session; see :class:`OrderTracker`.
        self.orders = OrderTracker()
        self._desk = OrderDesk(self.clock, self.orders, request_timeout, self._order_changed)
        self._queries = QueryDesk(self.clock, request_timeout, self._limit_told)
        self.state = SessionState.STOPPED
        self.fatal: Failure | None = None
        self.connection: SessionProtocol | None = None
        self._connecting: SessionProtocol | None = None
        self.logons = 0
        self.aes_logons = 0
        self.failed_attempts = 0
        #: Failed connection attempts since the last successful one.
        self.attempts_in_a_row = 0
        #: Why the last connection attempt (AES, OES, logon, reconciliation) failed.
        self.last_error: Failure | None = None
        self.disconnects = 0
        self._connector = Connector(self)
        self._ready = False
        self._ready_waiters: list[defer.Deferred[CRMDClient]] = []
        self._observers: list[Callable[[ClientEvent], None]] = []
        self._ids = OrderIds(first_order_id)
        #: Requests made before the first grant: they get their ids when it comes.
        self._unnumbered: list[tuple[Callable[[int], PendingRequest], Deferred[Transaction]]] = []
        self.market_data = MarketDataSession(
            self, check_mds("mds", mds), check_mds("secondary_mds", secondary_mds),
            retry_policy=retry_policy,
        )

    def _tcp_endpoint(self, host: str, port: int) -> IStreamClientEndpoint:
        endpoint = TCP6ClientEndpoint if ":" in host else TCP4ClientEndpoint
        return endpoint(self.reactor, host, port, timeout=self.connect_timeout)

    @property
    def instrument_list(self) -> list[InstrumentResponse]:
        """The OES's instruments as last fetched (after logon, or by :meth:`instruments`)."""
        return self._queries.instruments

    @instrument_list.setter
    def instrument_list(self, value: list[InstrumentResponse]) -> None:
        self._queries.instruments = value

    # -- service life ----------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self.fatal = None
        self._set_state(SessionState.CONNECTING)
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
        self._stop_probe()
        self._set_state(SessionState.STOPPED)
        d: defer.Deferred[None] = self._service.stopService()
        self._fail_all(NotConnected("session stopped"))
        stopped = defer.gatherResults([d, self.market_data.stop()])
        return stopped.addCallback(lambda _: None)

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
        """Hook: the session moved to *state* (a :class:`SessionState`)."""

    def serverLoggedOut(self, reason: int) -> None:
        """Hook: the OES logged this session out with *reason*."""

    def _set_state(self, state: SessionState) -> None:
        if state == self.state:
            return
        self.state = state
        log.info("session {account}/{user}: {state}", account=self.account, user=self.user,
                 state=state.value)
        self.stateChanged(state)
        self._emit(ClientEvent(EventKind.STATE, state=state))

    def _limit_told(self, limit: int) -> None:
        self.open_order_limit = limit  # the OES tells the in-flight limit in replies

    def _order_changed(self, order: TrackedOrder, message: Transaction) -> None:
        self.orderUpdated(order, message)
        self._emit(ClientEvent(EventKind.ORDER, order=order, message=message))

    # -- connection attempts (crmd_twisted.client.connector) -------------------------------

    async def _route(self, factory: IProtocolFactory) -> IProtocol:
        return await self._connector.attempt(factory)

    def _attempt_succeeded(self, handle: IProtocol) -> IProtocol:
        self.attempts_in_a_row = 0
        return handle

    def _attempt_failed(self, failure: Failure) -> Failure:
        self.last_error = failure
        self.failed_attempts += 1
        if not self.running or self.fatal is not None or failure.check(defer.CancelledError):
            return failure
        self.attempts_in_a_row += 1
        address = self._connector.last_address
        where = "{}:{}".format(*address) if address else "?"
        log.warn("session {account}/{user}: connection attempt {n} to {where} failed: {why}",
                 account=self.account, user=self.user, n=self.attempts_in_a_row, where=where,
                 why=failure.getErrorMessage())
        if self.max_attempts is not None and self.attempts_in_a_row >= self.max_attempts:
            error = ConnectionFailed(address, self.attempts_in_a_row, failure.value)
            self.fatal = Failure(error)  # no further attempt
            # not from inside ClientService's handling of this failure: waiters'
            # code may stop the service, which its state machine cannot take here
            self.clock.callLater(0, self._give_up, self.fatal)
        else:
            self._set_state(SessionState.RETRYING)
        return failure

    def _give_up(self, failure: Failure) -> None:
        self._stop_fatally(failure)
        self._fail_all(failure.value)

    def _granted(self, grant: Grant) -> None:
        """The AES granted a trading session: requests waiting for an id get one."""
        self._ids.session_granted(grant.trading_session_id)
        self.market_data.granted(grant)
        unnumbered, self._unnumbered = self._unnumbered, []
        for build, d in unnumbered:
            self._submit(build(self.next_order_id())).chainDeferred(d)

    def _logged_on(self, proto: SessionProtocol) -> None:
        """An OES logon succeeded on *proto*: reconcile on it, then become ready."""
        self.connection = proto
        self.logons += 1
        self._set_state(SessionState.RECONCILING)
        self._queries.restart_all()
        self._desk.logged_on()

    def _reconciled(self, listing: list[Transaction], proto: SessionProtocol) -> None:
        if proto is not self.connection:
            return
        self._desk.reconciled(listing, self.reconcile)
        self._liveness = probe_session(self, proto)
        self._ready = True
        self._set_state(SessionState.READY)
        waiters, self._ready_waiters = self._ready_waiters, []
        for w in waiters:
            w.callback(self)
        self._queries.send_unsent(proto)
        self._flush()

    def _stop_probe(self) -> None:
        live, self._liveness = self._liveness, None
        if live is not None:
            live.stop()

    def _stop_fatally(self, failure: Failure) -> None:
        self.fatal = failure
        log.error("session {account}/{user} stopped: {error}", account=self.account,
                  user=self.user, error=failure.getErrorMessage())
        self._set_state(SessionState.FAILED)
        waiters, self._ready_waiters = self._ready_waiters, []
        for w in waiters:
            w.errback(failure)
        self.clock.callLater(0, self._service.stopService)

    def _connectionLost(self, proto: SessionProtocol) -> None:
        if self._connecting is proto:
            self._connecting = None
        if proto is not self.connection:
            return
        self.connection = None
        self.disconnects += 1
        self._ready = False
        self._stop_probe()
        self._desk.connection_lost()
        self._queries.connection_lost()
        if self.running and self.fatal is None:
            self._set_state(SessionState.DISCONNECTED)

    def _serverLoggedOut(self, proto: SessionProtocol, reason: int, message: ClientLogon) -> None:
        self._connector.server_logged_out(reason)
        self.serverLoggedOut(reason)
        self._emit(ClientEvent(EventKind.LOGOUT, message=message))

    def _fail_all(self, error: Exception) -> None:
        unnumbered, self._unnumbered = self._unnumbered, []
        for _build, d in unnumbered:
            d.errback(Failure(error))
        self._queries.fail_all(error)
        self._desk.fail_all(error)
        waiters, self._ready_waiters = self._ready_waiters, []
        for w in waiters:
            w.errback(Failure(error))

    # -- queries -------------------------------------------------------------------------------

    def _ask(self, kind: QueryKind, symbol_enum: int) -> defer.Deferred[Any]:
        ready = self.connection if self._ready else None
        return self._queries.ask(kind, symbol_enum, ready)

    def instruments(self) -> defer.Deferred[list[InstrumentResponse]]:
        """Every instrument of the OES."""
        return self._ask(QueryKind.INSTRUMENTS, 0)

    def risk(self, symbol_enum: int = 0) -> defer.Deferred[list[RiskUserSymbol]]:
        """Risk (positions, balances, limits) per instrument, or for one."""
        return self._ask(QueryKind.RISK, symbol_enum)

    def open_orders(self, symbol_enum: int = 0) -> defer.Deferred[list[Transaction]]:
        """The account's open orders as the OES lists them."""
        return self._ask(QueryKind.OPEN_ORDERS, symbol_enum)

    def collateral(self, symbol_enum: int = 0) -> defer.Deferred[CollateralData]:
        """The account's balances (and positions in *symbol_enum*, if given)."""
        return self._ask(QueryKind.COLLATERAL, symbol_enum)

    # -- orders ---------------------------------------------------------------------------------

    def _flush(self) -> None:
        if self._ready and self.connection is not None:
            self._desk.flush(self.connection, self.open_order_limit)

    # -- everything the OES sends -------------------------------------------------------------

    def _received(self, proto: SessionProtocol, message: Message) -> None:
        if proto is not self.connection and self.connection is not None:
            return
        if self._liveness is not None:
            self._liveness.heard()
        if self._queries.received(message):
            return
        if isinstance(message, Transaction):
            order, answered = self._desk.received(message)
            if order is None:
                self._emit(ClientEvent(EventKind.MESSAGE, message=message))
            if answered:
                self._flush()
        elif not isinstance(message, ClientLogon):
            self._emit(ClientEvent(EventKind.MESSAGE, message=message))
