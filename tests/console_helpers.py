"""An in-process exchange with its admin site and web console, for the console tests.

The control-plane wiring of the protocol shells (sessions registry, faults on the
wire, the trade tape fed by the core) is another helper's work and not on main
yet, so this module stands in for it with the seams the control plane documents:
:class:`WatchedOESProtocol` registers each OES connection, counts its frames and
answers transactions with the REJECT of a ``reject`` fault; the core's observer
hook feeds the trade tape.  Once the wiring lands, :class:`ConsoleExchange` is a
``SimulatedExchange`` with an admin listener (its ``admin_url``) and this stand-in
goes away.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.interfaces import IListeningPort, IReactorTime
from twisted.protocols.policies import WrappingFactory
from twisted.python.failure import Failure

from crmd_twisted.control import InboundAction, ServerKind, SessionEntry
from crmd_twisted.control.admin import ExchangeControl, admin_site
from crmd_twisted.oes.protocol import OESFactory, OESProtocol, coreLog, log_notices
from crmd_twisted.testing import HOST, SimulatedExchange
from crmd_twisted.webconsole.stream import ConsoleHub
from crmd_twisted.wire import ClientLogon, Message, Transaction
from crmd_twisted.wire.enums import RejectCode

TOKEN = "console-token"


class WatchedOESProtocol(OESProtocol):
    """An OES connection the control plane sees (stand-in for the wiring step)."""

    factory: WatchedOESFactory
    entry: SessionEntry

    def connectionMade(self) -> None:
        super().connectionMade()
        transport = self.transport
        self.entry = self.factory.control.sessions.register(
            ServerKind.OES, self.peer, self.now(),
            lambda code: self.serverLogout(RejectCode(code)),
            lambda: transport.abortConnection() if transport is not None else None,
        )

    def acceptLogon(self, request: ClientLogon, trading_session_id: int, session_key: int,
                    **fields: object) -> None:
        self.entry.logged_on(request.account, request.user_name, trading_session_id)
        super().acceptLogon(request, trading_session_id, session_key, **fields)

    def messageReceived(self, message: Message) -> None:
        self.entry.frames_in += 1
        if isinstance(message, Transaction) and self.session is not None:
            verdict = self.factory.control.faults.inbound(self.entry.identity, transaction=True)
            if verdict.action is InboundAction.REJECT:
                notices = self.factory.core.reject(
                    self.session, message, RejectCode(verdict.code)
                )
                if notices:
                    log_notices(coreLog, notices)
                return
        super().messageReceived(message)

    def sendMessage(self, message: Message) -> None:
        self.entry.frames_out += 1
        super().sendMessage(message)

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.factory.control.sessions.unregister(self.entry)
        super().connectionLost(reason)


class WatchedOESFactory(OESFactory):
    protocol = WatchedOESProtocol

    def __init__(self, *args: Any, control: ExchangeControl, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.control = control


class ConsoleExchange:
    """A SimulatedExchange, an ExchangeControl over its core and the admin site on loopback."""

    def __init__(self, *, token: str | None = None, rate: float = 10.0) -> None:
        self.exchange = SimulatedExchange()
        core = self.exchange.oes_core
        self.control = ExchangeControl.for_core(core)
        core.observers.append(self.control.tape.record)
        self.exchange.oes_factories[0] = WatchedOESFactory(
            core, clock=self.exchange.clock, control=self.control
        )
        self.hub = ConsoleHub(self.control, rate=rate)
        self.token = token
        self.site = admin_site(self.control, token, console=self.hub)
        self.admin_port: IListeningPort | None = None
        self.admin_port_number = 0
        # keeps the admin site's connections (a keep-alive one outlives stopListening)
        self.connections = WrappingFactory(self.site)

    @property
    def clock(self) -> IReactorTime:
        return self.exchange.clock

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.admin_port_number}"

    async def start(self) -> ConsoleExchange:
        await self.exchange.start()
        await self.start_admin()
        return self

    async def start_admin(self) -> None:
        """(Re)open the admin listener on its old port (a new one the first time)."""
        self.admin_port = await TCP4ServerEndpoint(
            reactor, self.admin_port_number, interface=HOST
        ).listen(self.connections)
        self.admin_port_number = self.admin_port.getHost().port  # type: ignore[attr-defined]

    async def stop_admin(self) -> None:
        """Close the admin listener and its connections (as a process exit would)."""
        self.hub.close_all()
        port, self.admin_port = self.admin_port, None
        if port is not None:
            await port.stopListening()
        for connection in list(self.connections.protocols):
            connection.transport.abortConnection()

    async def stop(self) -> None:
        await self.stop_admin()
        await self.exchange.stop()
