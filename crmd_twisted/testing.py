"""Run the simulators inside your own tests.

:class:`SimulatedExchange` starts an AES and an OES (optionally a secondary OES
on the same order book), each OES with its market-data server
(:meth:`SimulatedExchange.mds_address`; the AES grant names them), on
ephemeral loopback ports in the running reactor::

    exchange = SimulatedExchange(secondary=True)
    await exchange.start()
    client = exchange.client(account=1001, user="alice")
    await client_ready(client)          # started, logged on, reconciled
    ack = await client.new_order(1, Side.BUY, 1.0, price=30000.0)
    book = await client.subscribe(1, depth=5)   # the first snapshot; client.books[1]
    with exchange.faults.add("delay", seconds=0.5, account=1001):
        ...                             # the OES answers account 1001 late
    exchange.admin_url                  # "http://127.0.0.1:PORT" (the admin API)
    await exchange.stop()

For trial there is :class:`ExchangeTestMixin`; for pytest (with pytest-twisted)
the fixtures ``crmd_exchange`` and ``crmd_client`` come from
:mod:`crmd_twisted.pytest_plugin`, which pytest loads automatically once this
package is installed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, cast

from twisted.internet import defer
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IListeningPort, IReactorTCP, IReactorTime, ITCPTransport

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.aes import AdminCore, AESFactory
from crmd_twisted.client.session import CRMDClient
from crmd_twisted.control.admin import ExchangeControl, admin_site
from crmd_twisted.control.faults import FaultRegistry
from crmd_twisted.engine import DEFAULT_INSTRUMENTS, Instrument
from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
from crmd_twisted.mds import MDSFactory, market_data_for
from crmd_twisted.oes.core import OrderEntryCore
from crmd_twisted.oes.protocol import OESFactory
from crmd_twisted.wire.enums import RejectCode

__all__ = ["ExchangeTestMixin", "ReactorSharingMixin", "SimulatedExchange", "client_ready"]

HOST = "127.0.0.1"
#: Listen backlog of the simulated servers (Twisted's default of 50 drops bursts).
BACKLOG = 1024


class SimulatedExchange:
    """An in-process AES + OES (+ secondary OES) on loopback ports chosen by the OS."""

    def __init__(
        self,
        *,
        accounts: AccountDirectory | None = None,
        instruments: Iterable[Instrument] = DEFAULT_INSTRUMENTS,
        secret: str = DEFAULT_SECRET,
        secondary: bool = False,
        match_delay: float = 0.0,
        strict: bool = False,
        check_keys: bool = True,
        reactor: IReactorTCP | None = None,
        admin: bool = True,
        admin_token: str | None = None,
        cancel_on_disconnect: bool = False,
    ) -> None:
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = global_reactor
        self.reactor: IReactorTCP = reactor
        #: The reactor's timers (a reactor provides IReactorTime too; typing has no
        #: intersection of interfaces).
        self.clock: IReactorTime = cast(IReactorTime, reactor)
        self.directory = accounts if accounts is not None else AccountDirectory(open=True)
        keys = SessionKeys.from_text(secret)
        self.oes_core = OrderEntryCore(
            self.directory, keys, instruments, check_keys=check_keys, strict=strict
        )
        self.aes_core = AdminCore(self.directory, keys, primary_oes="")
        self.aes_factory = AESFactory(self.aes_core, clock=self.clock)
        self.oes_factories = [
            OESFactory(self.oes_core, clock=self.clock, matchDelay=match_delay)
        ]
        if secondary:
            self.oes_factories.append(
                OESFactory(self.oes_core, clock=self.clock, matchDelay=match_delay)
            )
        self.aes_port: IListeningPort | None = None
        self.oes_ports: list[IListeningPort | None] = [None] * len(self.oes_factories)
        self._oes_port_numbers: list[int] = [0] * len(self.oes_factories)
        #: One market-data server per OES listener (it lives in the OES process),
        #: fed by the shared engine; started and stopped with its OES.
        self.mds_factories: list[MDSFactory] = [
            market_data_for(self.oes_core, clock=self.clock) for _ in self.oes_factories
        ]
        self.mds_ports: list[IListeningPort | None] = [None] * len(self.oes_factories)
        self._mds_port_numbers: list[int] = [0] * len(self.oes_factories)
        self.oes_core.cancel_on_disconnect = cancel_on_disconnect
        #: The control plane: sessions, faults, trade tape, mass cancel (admin API).
        self.control = ExchangeControl.for_core(self.oes_core, clock=self.clock.seconds)
        self.aes_factory.control = self.control
        for factory in (*self.oes_factories, *self.mds_factories):
            factory.control = self.control
        #: Serve the admin API on a loopback port (:attr:`admin_url`) while started.
        self.admin = admin
        self.admin_token = admin_token
        self.admin_port: IListeningPort | None = None

    @property
    def faults(self) -> FaultRegistry:
        """The exchange's faults: ``faults.add(kind, **params)`` returns a handle that
        removes the fault (``.remove()``, or use it as a context manager)."""
        return self.control.faults

    @property
    def admin_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the admin API (``/api/v1/...``)."""
        assert self.admin_port is not None, "not started, or started with admin=False"
        return f"http://{HOST}:{_port_number(self.admin_port)}"

    # -- addresses -------------------------------------------------------------------------

    @property
    def aes_address(self) -> tuple[str, int]:
        assert self.aes_port is not None, "not started"
        return HOST, _port_number(self.aes_port)

    def oes_address(self, index: int = 0) -> tuple[str, int]:
        return HOST, self._oes_port_numbers[index]

    def mds_address(self, index: int = 0) -> tuple[str, int]:
        """The market-data server of OES *index* (0 primary, 1 secondary)."""
        return HOST, self._mds_port_numbers[index]

    # -- life --------------------------------------------------------------------------------

    async def start(self) -> SimulatedExchange:
        for index in range(len(self.oes_factories)):
            await self.start_oes(index)
        self.aes_port = await TCP4ServerEndpoint(
            self.reactor, 0, backlog=BACKLOG, interface=HOST
        ).listen(self.aes_factory)
        if self.admin:
            self.admin_port = await TCP4ServerEndpoint(self.reactor, 0, interface=HOST).listen(
                admin_site(self.control, self.admin_token)
            )
        return self

    async def start_oes(self, index: int = 0) -> None:
        """(Re)start OES listener *index* (0 primary, 1 secondary) on its old port."""
        port = await TCP4ServerEndpoint(
            self.reactor, self._oes_port_numbers[index], backlog=BACKLOG, interface=HOST
        ).listen(self.oes_factories[index])
        self.oes_ports[index] = port
        self._oes_port_numbers[index] = _port_number(port)
        host, number = self.oes_address(index)
        if index == 0:
            self.aes_core.primary_oes = f"{host}:{number}"
        else:
            self.aes_core.secondary_oes = f"{host}:{number}"
        md_port = await TCP4ServerEndpoint(
            self.reactor, self._mds_port_numbers[index], interface=HOST
        ).listen(self.mds_factories[index])
        self.mds_ports[index] = md_port
        self._mds_port_numbers[index] = _port_number(md_port)
        md_address = "{}:{}".format(*self.mds_address(index))
        if index == 0:
            self.aes_core.primary_mds = md_address
        else:
            self.aes_core.secondary_mds = md_address

    async def stop_oes(
        self,
        index: int = 0,
        reason: RejectCode | None = RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED,
    ) -> None:
        """Take OES listener *index* (and its MDS) down: stop listening, drop its clients.

        With a *reason* the clients get a server logout first; with None the
        connections are simply cut (like a crash).
        """
        port = self.oes_ports[index]
        self.oes_ports[index] = None
        md_port = self.mds_ports[index]
        self.mds_ports[index] = None
        for listening in (port, md_port):
            if listening is not None:
                stopped = listening.stopListening()
                if stopped is not None:
                    await stopped
        self.mds_factories[index].disconnectAll(reason)
        factory = self.oes_factories[index]
        if reason is not None:
            factory.disconnectAll(reason)
        else:
            for proto in list(factory.connections):
                if ITCPTransport.providedBy(proto.transport):
                    proto.transport.abortConnection()
        await _settle(self.clock)

    async def stop(self) -> None:
        """Stop every listener and drop every connection."""
        for index in range(len(self.oes_factories)):
            if self.oes_ports[index] is not None:
                await self.stop_oes(index)
        if self.aes_port is not None:
            port, self.aes_port = self.aes_port, None
            stopped = port.stopListening()
            if stopped is not None:
                await stopped
        for proto in list(self.aes_factory.connections):
            proto.loseConnection()
        if self.admin_port is not None:
            port, self.admin_port = self.admin_port, None
            stopped = port.stopListening()
            if stopped is not None:
                await stopped
        self.faults.clear()
        await _settle(self.clock)

    # -- clients -------------------------------------------------------------------------------

    def client(
        self, account: int = 1001, user: str = "trader", api_key: str = "key", **kw: Any
    ) -> CRMDClient:
        """A :class:`CRMDClient` pointed at this exchange's AES (not started)."""
        kw.setdefault("reactor", self.reactor)
        kw.setdefault("retry_policy", lambda attempt: 0.05)
        return CRMDClient(self.aes_address, account, user, api_key, **kw)


async def client_ready(client: CRMDClient) -> CRMDClient:
    """Start *client* and wait until it is logged on and reconciled."""
    client.startService()
    return await client.when_ready()


def _port_number(port: IListeningPort) -> int:
    """The TCP port number a loopback listener got."""
    address = port.getHost()
    assert isinstance(address, IPv4Address), address
    return address.port


async def _settle(clock: IReactorTime, delay: float = 0.01) -> None:
    """Give the reactor a moment to run close notifications."""
    d: defer.Deferred[None] = defer.Deferred()
    clock.callLater(delay, d.callback, None)
    await d


def _pytest_twisted_greenlet() -> Any:
    """The greenlet pytest-twisted runs the reactor in, if it has started one."""
    module = sys.modules.get("pytest_twisted")
    instances = getattr(module, "_instances", None)
    greenlet = getattr(instances, "gr_twisted", None)
    if greenlet is None or greenlet.dead:
        return None
    return greenlet


class ReactorSharingMixin:
    """Lets a trial ``TestCase`` run under pytest after pytest-twisted started the reactor.

    pytest-twisted (which this package's pytest fixtures need) runs the reactor
    in a greenlet for the whole session once any of its tests ran; trial's own
    wait would then try to run the reactor a second time and the test fails
    with a dirty reactor.  This mixin waits through ``pytest_twisted.blockon``
    in that case and leaves trial's behaviour alone everywhere else (under
    ``trial``, or before any pytest-twisted test).  It overrides trial's
    private ``_wait``; there is no public hook for this.
    """

    def _wait(self, d: defer.Deferred[Any], running: Any = None) -> None:
        if _pytest_twisted_greenlet() is None:
            # trial's TestCase._wait, next in the test class's MRO (mypy sees only object)
            super()._wait(d)  # type: ignore[misc]
            return
        import pytest_twisted

        done: defer.Deferred[None] = defer.Deferred()
        d.addBoth(lambda _: done.callback(None))
        pytest_twisted.blockon(done)


class ExchangeTestMixin(ReactorSharingMixin):
    """For ``twisted.trial.unittest.TestCase``: ``self.exchange`` runs during each test.

    Override :meth:`makeExchange` to configure it; call :meth:`readyClient` for a
    logged-on client that is stopped (logged out) at the end of the test.
    """

    exchange: SimulatedExchange

    def makeExchange(self) -> SimulatedExchange:
        return SimulatedExchange()

    def setUp(self) -> defer.Deferred[Any]:
        self.exchange = self.makeExchange()
        # addCleanup: from the trial TestCase this mixin is combined with
        self.addCleanup(lambda: defer.ensureDeferred(self.exchange.stop()))  # type: ignore[attr-defined]
        return defer.ensureDeferred(self.exchange.start())

    def readyClient(self, **kw: Any) -> defer.Deferred[CRMDClient]:
        client = self.exchange.client(**kw)
        self.addCleanup(client.stopService)  # type: ignore[attr-defined]  # trial TestCase's
        return defer.ensureDeferred(client_ready(client))
