"""An in-process exchange with its admin site and web console, for the console tests.

:class:`ConsoleExchange` is a ``SimulatedExchange`` whose control plane (sessions
registered by the protocol shells, faults on the wire, the trade tape fed by the
core) is served by an admin site with the console on a loopback port this module
can close and reopen.
"""

from __future__ import annotations


from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.interfaces import IListeningPort, IReactorTime
from twisted.protocols.policies import WrappingFactory

from crmd_twisted.control.admin import ExchangeControl, admin_site
from crmd_twisted.testing import HOST, SimulatedExchange
from crmd_twisted.webconsole.stream import ConsoleHub

TOKEN = "console-token"


class ConsoleExchange:
    """A SimulatedExchange, an ExchangeControl over its core and the admin site on loopback."""

    def __init__(self, *, token: str | None = None, rate: float = 10.0) -> None:
        # the admin listener is this class's own (it closes and reopens it)
        self.exchange = SimulatedExchange(admin=False)
        self.control: ExchangeControl = self.exchange.control
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
