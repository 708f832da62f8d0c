"""Helpers of the client tests: a trial base class, waiting, fake endpoints and servers."""

from __future__ import annotations

from crmd_twisted.testing import ReactorSharingMixin

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.internet import defer, task
from twisted.internet.address import IPv4Address
from twisted.internet.error import ConnectionDone, ConnectionRefusedError
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.trial import unittest
from zope.interface import implementer

from crmd_twisted.wire import FrameBuffer, Message, decode

VECTOR_DIR = Path(__file__).resolve().parent / "vectors"


def vector_frame(message: str, description_start: str) -> bytes:
    """The frame of the golden vector of *message* whose description starts so."""
    doc = json.loads((VECTOR_DIR / f"{message}.json").read_text())
    found = [v for v in doc["vectors"] if v["description"].startswith(description_start)]
    assert len(found) == 1, (message, description_start, len(found))
    return bytes.fromhex(found[0]["hex"])


class TrialTestCase(ReactorSharingMixin, unittest.TestCase):
    """A trial TestCase that also runs under pytest after pytest-twisted took the reactor."""

    timeout = 30


def sleep(clock: Any, seconds: float) -> defer.Deferred[None]:
    return task.deferLater(clock, seconds, lambda: None)


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 5.0, clock: Any = None, step: float = 0.005
) -> float:
    """Poll *predicate* until true; returns the seconds it took (fails after *timeout*)."""
    if clock is None:
        from twisted.internet import reactor as clock
    start = clock.seconds()
    while not predicate():
        if clock.seconds() - start > timeout:
            raise AssertionError(f"condition not met within {timeout}s: {predicate}")
        await sleep(clock, step)
    return float(clock.seconds() - start)


# -- in-memory connections for the task.Clock tests ---------------------------------------


class _Pipe(StringTransport):
    """The client's transport: what it writes goes to a fake server, close is real."""

    def __init__(self, server: FakeServer, clock: task.Clock) -> None:
        super().__init__(peerAddress=IPv4Address("TCP", "127.0.0.1", 1))
        self.server = server
        self.clock = clock
        self.protocol: Protocol | None = None
        self.buffer = FrameBuffer()
        self.closed = False

    def write(self, data: bytes) -> None:
        super().write(data)
        if self.closed:
            return
        for frame in self.buffer.feed(data):
            self.server.received(self, decode(frame))

    def deliver(self, data: bytes) -> None:
        if not self.closed and self.protocol is not None:
            self.protocol.dataReceived(data)

    def loseConnection(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.disconnecting = True
        self.clock.callLater(0, self._lost)

    abortConnection = loseConnection

    def _lost(self) -> None:
        if self.protocol is not None:
            self.protocol.connectionLost(Failure(ConnectionDone()))


class FakeServer:
    """Behaviour of one fake address: ``received`` gets each frame the client sends."""

    def __init__(self, reply: Callable[[_Pipe, Message], bytes | None] | None = None) -> None:
        self.reply = reply
        self.connections: list[_Pipe] = []
        self.frames: list[Message] = []

    def received(self, pipe: _Pipe, message: Message) -> None:
        self.frames.append(message)
        if self.reply is not None:
            data = self.reply(pipe, message)
            if data:
                pipe.clock.callLater(0, pipe.deliver, data)


class FakeNetwork:
    """``endpoint_factory`` for :class:`CRMDClient` on a :class:`task.Clock`.

    Addresses with a :class:`FakeServer` connect (in memory); others refuse.
    Every attempt is recorded as ``(clock time, host, port)``.
    """

    def __init__(self, clock: task.Clock) -> None:
        self.clock = clock
        self.servers: dict[tuple[str, int], FakeServer] = {}
        self.attempts: list[tuple[float, str, int]] = []

    def endpoint(self, host: str, port: int) -> IStreamClientEndpoint:
        return _FakeEndpoint(self, host, port)


@implementer(IStreamClientEndpoint)
class _FakeEndpoint:
    def __init__(self, network: FakeNetwork, host: str, port: int) -> None:
        self.network = network
        self.host = host
        self.port = port

    def connect(self, factory: Factory) -> defer.Deferred[Any]:
        net = self.network
        net.attempts.append((net.clock.seconds(), self.host, self.port))
        server = net.servers.get((self.host, self.port))
        if server is None:
            return defer.fail(ConnectionRefusedError(f"{self.host}:{self.port}"))
        proto = factory.buildProtocol(IPv4Address("TCP", self.host, self.port))
        if proto is None:
            return defer.fail(ConnectionRefusedError("factory refused"))
        pipe = _Pipe(server, net.clock)
        pipe.protocol = proto
        server.connections.append(pipe)
        proto.makeConnection(pipe)
        return defer.succeed(proto)
