"""The console's live stream: Server-Sent Events from ``twisted.web``, conflated.

:class:`ConsoleHub` owns the console's :class:`~crmd_twisted.webconsole.state.ConsoleState`
and one timer.  While at least one browser is connected it refreshes the state
``rate`` times a second and offers each browser the topics that changed since
what that browser last got.  Each browser's stream is a streaming
:class:`~twisted.internet.interfaces.IPushProducer` registered with its HTTP
connection: while the connection's send buffer is full Twisted pauses it and it
skips its turns; once resumed it gets the newest state of every topic that
changed meanwhile in one write.  So the exchange does the same work for a slow
browser as for a fast one, never buffers more than one batch for it, and never
waits for it.

The stream answers ``GET /api/v1/stream``; with an admin token it takes
``Authorization: Bearer T`` like every path, or ``?token=T`` (EventSource cannot
send headers).
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IPushProducer, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request
from zope.interface import implementer

from crmd_twisted.webconsole.board import ConsoleEvent, encode_payload
from crmd_twisted.webconsole.sse import CONTENT_TYPE, event_frame, retry_frame
from crmd_twisted.webconsole.state import CONSOLE_DEPTH, CONSOLE_TRADES, ConsoleState

if TYPE_CHECKING:
    from crmd_twisted.control.admin import ExchangeControl

__all__ = ["DEFAULT_RATE", "RETRY_MS", "ConsoleHub", "StreamClient", "StreamResource"]

log = Logger()

#: Pushes per second to each browser, at most.
DEFAULT_RATE = 4.0
#: How long a browser waits before it reconnects a lost stream (ms).
RETRY_MS = 1000


@implementer(IPushProducer)
class StreamClient:
    """One browser's stream: its cursor on the board and whether it can take more."""

    def __init__(self, hub: ConsoleHub, request: Request) -> None:
        self.hub = hub
        self.request = request
        self.cursor = 0
        self.paused = False
        self.finished = False
        #: turns skipped because the connection could not take more
        self.skipped = 0
        #: bytes written to this browser
        self.sent = 0

    def push(self) -> None:
        """Write every topic that changed since the last push, if the browser can take it."""
        if self.finished:
            return
        if self.paused:
            self.skipped += 1
            return
        postings, self.cursor = self.hub.state.board.changed_after(self.cursor)
        if postings:
            data = b"".join(event_frame(p.event, p.data) for p in postings)
            self.sent += len(data)
            self.request.write(data)

    # IPushProducer: the HTTP connection says when its buffer is full or drained

    def pauseProducing(self) -> None:
        self.paused = True

    def resumeProducing(self) -> None:
        self.paused = False

    def stopProducing(self) -> None:
        self.finished = True
        self.hub.detach(self)

    def close(self) -> None:
        """End the stream from this side (the browser reconnects after RETRY_MS)."""
        if self.finished:
            return
        self.finished = True
        request = self.request
        request.unregisterProducer()
        if not request.finished and not getattr(request, "_disconnected", False):
            request.finish()


class ConsoleHub:
    """The console state of one exchange and the browsers that watch it."""

    def __init__(
        self,
        control: ExchangeControl,
        *,
        clock: IReactorTime | None = None,
        rate: float = DEFAULT_RATE,
        depth: int = CONSOLE_DEPTH,
        trades: int = CONSOLE_TRADES,
        boot: str | None = None,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.state = ConsoleState(control, depth=depth, trades=trades, boot=boot)
        self.rate = rate
        self._clock = clock
        self.clients: list[StreamClient] = []
        self._loop: LoopingCall | None = None

    @property
    def clock(self) -> IReactorTime:
        if self._clock is None:
            from twisted.internet import reactor

            self._clock = reactor
        assert self._clock is not None
        return self._clock

    def attach(self, request: Request) -> StreamClient:
        """A browser opened the stream: it gets the whole state now, then changes."""
        client = StreamClient(self, request)
        request.registerProducer(client, True)
        request.notifyFinish().addBoth(lambda _: self.detach(client))
        if not self.clients:
            self._refresh()
        self.clients.append(client)
        client.push()
        self._start()
        return client

    def detach(self, client: StreamClient) -> None:
        """A browser's stream ended (idempotent)."""
        client.finished = True
        if client in self.clients:
            self.clients.remove(client)
        if not self.clients:
            self._stop()

    def tick(self) -> None:
        """One turn: refresh the state and offer each browser what changed."""
        self._refresh()
        for client in list(self.clients):
            client.push()

    def close_all(self) -> None:
        """End every stream (e.g. before the exchange stops); browsers reconnect."""
        for client in list(self.clients):
            client.close()
            self.detach(client)
        self._stop()

    def _refresh(self) -> None:
        try:
            self.state.refresh()
        except Exception:
            # a view failing must not end the timer nor reach the exchange
            log.failure("console: reading the exchange state failed")

    def _start(self) -> None:
        if self._loop is None:
            loop = LoopingCall(self.tick)
            loop.clock = self.clock
            loop.start(1.0 / self.rate, now=False).addErrback(
                lambda failure: log.failure("console: timer stopped", failure)
            )
            self._loop = loop

    def _stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None and loop.running:
            loop.stop()


def _json_error(request: Request, status: int, message: str) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json; charset=utf-8")
    request.setHeader(b"cache-control", b"no-store")
    return json.dumps({"error": message}).encode() + b"\n"


class StreamResource(Resource):
    """``GET /api/v1/stream``: the console's event stream."""

    isLeaf = True

    def __init__(self, hub: ConsoleHub, token: str | None = None) -> None:
        super().__init__()
        self.hub = hub
        self._token = token.encode() if token else None

    def authorized(self, request: Request) -> bool:
        if self._token is None:
            return True
        header = request.getHeader(b"authorization") or b""
        if hmac.compare_digest(header, b"Bearer " + self._token):
            return True
        args: dict[bytes, list[bytes]] = request.args or {}
        given = (args.get(b"token") or [b""])[-1]
        return hmac.compare_digest(given, self._token)

    def render(self, request: Request) -> Any:
        if [p for p in request.postpath or () if p]:
            return _json_error(request, 404, "no such path: the stream is /api/v1/stream")
        if request.method != b"GET":
            request.setHeader(b"allow", b"GET")
            return _json_error(request, 405, "use GET for the stream")
        if not self.authorized(request):
            request.setHeader(b"www-authenticate", b'Bearer realm="crmd-admin"')
            return _json_error(
                request, 401, "missing or wrong token (Authorization: Bearer T or ?token=T)"
            )
        request.setHeader(b"content-type", CONTENT_TYPE)
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"x-accel-buffering", b"no")
        hub = self.hub
        hello = {"boot": hub.state.boot, "rate": hub.rate}
        request.write(retry_frame(RETRY_MS) + event_frame(ConsoleEvent.HELLO,
                                                          encode_payload(hello)))
        hub.attach(request)
        return NOT_DONE_YET
