"""The Twisted pieces a :class:`~crmd_twisted.client.CRMDClient` connects with.

:class:`SessionProtocol` feeds everything a connection receives to its client;
:class:`RouteEndpoint` is the endpoint ``ClientService`` reconnects through,
which decides per attempt where to connect (``CRMDClient._route``);
:class:`Handle` is what ``ClientService`` holds for a connection that is
logged on and ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet import defer
from twisted.internet.interfaces import (
    IProtocol,
    IProtocolFactory,
    IReactorTime,
    IStreamClientEndpoint,
)
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.python.failure import Failure
from zope.interface import implementer

from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.wire import ClientLogon, Message

if TYPE_CHECKING:
    from crmd_twisted.client.session import CRMDClient

__all__ = ["Handle", "RouteEndpoint", "SessionFactory", "SessionProtocol"]


class SessionProtocol(CRMDClientProtocol):
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


class Handle(Protocol):
    """The stand-in ClientService gets for a connection that is logged on and ready.

    ClientService's ``prepareConnection`` cannot be used: when preparing fails
    (logon refused or timed out) the connection closes while ClientService is
    already waiting to retry, and its state machine has no transition for that
    (``NoTransition: _clientDisconnected in Waiting``).  So ``CRMDClient._route``
    logs on and reconciles on its own connection and only then gives ClientService
    this handle; the real protocol forwards its connection loss to it.
    """


class SessionFactory(Factory[SessionProtocol]):
    """Carries the session's clock and logging switches to its protocols."""

    clock: IReactorTime
    wireTrace = False
    logFrames = True


@implementer(IStreamClientEndpoint)
class RouteEndpoint:
    """Connects wherever the session should be now (see ``crmd_twisted.client.routing``)."""

    def __init__(self, client: CRMDClient) -> None:
        self.client = client

    def connect(self, factory: IProtocolFactory) -> defer.Deferred[IProtocol]:
        d = defer.ensureDeferred(self.client._route(factory))
        d.addCallbacks(self.client._attempt_succeeded, self.client._attempt_failed)
        return d
