"""CRMDProtocol over real loopback TCP: Nagle is off unless a subclass asks otherwise."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint, connectProtocol

from crmd_twisted.protocol import CRMDFactory, CRMDProtocol


class Nagle(CRMDProtocol):
    tcpNoDelay = False


@pytest.mark.parametrize(("cls", "expected"), [(CRMDProtocol, True), (Nagle, False)])
@pytest_twisted.ensureDeferred
async def test_tcp_nodelay_on_both_ends(cls: type[CRMDProtocol], expected: bool) -> None:
    factory = CRMDFactory()
    factory.protocol = cls
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(factory)
    try:
        client = await connectProtocol(
            TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port), cls()
        )
        d: defer.Deferred[None] = defer.Deferred()
        reactor.callLater(0.05, d.callback, None)
        await d
        (server,) = factory.connections
        assert bool(client.transport.getTcpNoDelay()) is expected
        assert bool(server.transport.getTcpNoDelay()) is expected
        client.transport.loseConnection()
        server.transport.loseConnection()
    finally:
        await port.stopListening()
