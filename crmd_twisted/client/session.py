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

The rules live in pure modules: :mod:`~crmd_twisted.client.routing` (grant,
targets, fail-over, stale grant), :mod:`~crmd_twisted.client.queries` (reply
matching), :mod:`~crmd_twisted.client.orders` (order state); the Twisted side
of requests in :mod:`~crmd_twisted.client.order_desk` and
:mod:`~crmd_twisted.client.query_desk`.

A logon refused by the AES (or by the OES right after a fresh AES logon) stops
the session: :meth:`CRMDClient.when_ready` fails with
:class:`~crmd_twisted.client.errors.LogonRejected` naming the code.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any, cast

from twisted.application.internet import ClientService, backoffPolicy
from twisted.application.service import Service
from twisted.internet import defer
from twisted.internet.endpoints import TCP4ClientEndpoint
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
from crmd_twisted.client.errors import NotConnected
from crmd_twisted.client.events import ClientEvent, EventKind, SessionState
from crmd_twisted.client.order_desk import OrderDesk
from crmd_twisted.client.order_requests import (
    cancel_request,
    new_order_request,
    replace_request,
    symbol_name,
)
from crmd_twisted.client.orders import OrderTracker, TrackedOrder
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
from crmd_twisted.wire.enums import (
    OrderType,
    TimeInForce,
)

__all__ = ["CRMDClient", "ClientEvent", "parse_address"]

log = Logger()


def parse_address(text: str) -> tuple[str, int] | None:
    """A logon reply's "host:port" text as ``(host, port)``; None if it does not parse.

    Kept for existing callers; :func:`crmd_twisted.address.parse_address` raises
    a ValueError saying what is wrong instead.
    """
    return parse_address_or_none(text)


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
        #: Why the last connection attempt (AES, OES, logon, reconciliation) failed.
        self.last_error: Failure | None = None
        self.disconnects = 0
        self._connector = Connector(self)
        self._ready = False
        self._ready_waiters: list[defer.Deferred[CRMDClient]] = []
        self._observers: list[Callable[[ClientEvent], None]] = []
        if first_order_id is None:
            first_order_id = time.time_ns() // 1_000_000 * 1000
        self._ids = itertools.count(first_order_id)

    def _tcp_endpoint(self, host: str, port: int) -> IStreamClientEndpoint:
        return TCP4ClientEndpoint(self.reactor, host, port, timeout=self.logon_timeout)

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
        self._set_state(SessionState.STOPPED)
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
        return handle

    def _attempt_failed(self, failure: Failure) -> Failure:
        self.last_error = failure
        self.failed_attempts += 1
        if self.running and self.fatal is None:
            self._set_state(SessionState.RETRYING)
        return failure

    def _granted(self, grant: Grant) -> None:
        """The AES granted a trading session."""

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
        self._ready = True
        self._set_state(SessionState.READY)
        waiters, self._ready_waiters = self._ready_waiters, []
        for w in waiters:
            w.callback(self)
        self._queries.send_unsent(proto)
        self._flush()

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
        self._desk.connection_lost()
        self._queries.connection_lost()
        if self.running and self.fatal is None:
            self._set_state(SessionState.DISCONNECTED)

    def _serverLoggedOut(self, proto: SessionProtocol, reason: int, message: ClientLogon) -> None:
        self._connector.server_logged_out(reason)
        self.serverLoggedOut(reason)
        self._emit(ClientEvent(EventKind.LOGOUT, message=message))

    def _fail_all(self, error: Exception) -> None:
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

    def next_order_id(self) -> int:
        return next(self._ids)

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
        tx = new_order_request(
            fields.pop("order_id", None) or self.next_order_id(),
            symbol_name(self.instrument_list, symbol_enum),
            self.user,
            fields,
            symbol_enum=symbol_enum,
            side=side,
            order_qty=order_qty,
            price=price,
            order_type=order_type,
            time_in_force=time_in_force,
        )
        return self._submit(self.orders.new(tx))

    def cancel(self, order_id: int) -> defer.Deferred[Transaction]:
        """Cancel an order (by any id it has had); fires with CANCELLED."""
        order = self.orders[order_id]
        return self._submit(self.orders.amend(order, cancel_request(order, self.next_order_id())))

    def replace(
        self,
        order_id: int,
        price: float | None = None,
        order_qty: float | None = None,
        **fields: Any,
    ) -> defer.Deferred[Transaction]:
        """Cancel-replace an order with a new price and/or quantity; fires with REPLACED."""
        order = self.orders[order_id]
        tx = replace_request(order, self.next_order_id(), price, order_qty, fields)
        return self._submit(self.orders.amend(order, tx))

    def _submit(self, pending: Any) -> defer.Deferred[Transaction]:
        d = self._desk.submit(pending)
        self._flush()
        return d

    def _flush(self) -> None:
        if self._ready and self.connection is not None:
            self._desk.flush(self.connection, self.open_order_limit)

    def when_final(self, order_id: int) -> defer.Deferred[TrackedOrder]:
        """Fires with the tracked order once it is filled, cancelled, rejected or gone."""
        return self._desk.when_final(self.orders[order_id])

    # -- everything the OES sends -------------------------------------------------------------

    def _received(self, proto: SessionProtocol, message: Message) -> None:
        if proto is not self.connection and self.connection is not None:
            return
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
