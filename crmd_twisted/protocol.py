"""The Twisted protocol layer: a byte stream in, decoded messages out.

:class:`CRMDProtocol` frames the stream with the codec's
:class:`~crmd_twisted.wire.FrameBuffer`, decodes each frame and dispatches it to a
method named after the message, ``msg_<name>`` (``msg_client_logon``,
``msg_transaction``, ...), in the spirit of ``irc_<COMMAND>`` in
``twisted.words``.  Subclasses override the handlers they care about; anything
without a handler goes to :meth:`CRMDProtocol.unhandledMessage`.

Everything that can go wrong with the stream has one hook:

* :meth:`frameError` - a frame that does not decode (unknown type, wrong length
  for its type, bad text);
* :meth:`unrecoverableFrame` - a header whose length is below 4 (the stream cannot
  be resynchronised); the connection is closed afterwards;
* :meth:`bufferOverflow` - more than :attr:`MAX_LENGTH` bytes waiting;
* :meth:`partialFrameTimedOut` - part of a frame waited longer than
  :attr:`partialFrameTimeout`;
* :meth:`timeoutConnection` - no data for :attr:`idleTimeout` seconds
  (``TimeoutMixin``).

Outgoing messages go through :meth:`sendMessage`, which numbers them per
connection (``msg_seq_num``; ``last_seq_num`` of a logon) and logs them.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from twisted.internet.interfaces import IDelayedCall, IReactorTime, ITCPTransport
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.protocols.policies import TimeoutMixin
from twisted.python.failure import Failure

from crmd_twisted.wire import (
    ClientLogon,
    FrameBuffer,
    FrameLengthError,
    Message,
    WireError,
    decode,
)

__all__ = ["CRMDFactory", "CRMDProtocol", "now_ns"]

#: message NAME -> handler method name (the concatenation done once per type)
_HANDLER_NAMES: dict[str, str] = {}


def now_ns(clock: IReactorTime | None = None) -> int:
    """Nanoseconds since the epoch from *clock* (or the system clock)."""
    if clock is None:
        return time.time_ns()
    return int(clock.seconds() * 1_000_000_000)


class CRMDProtocol(Protocol, TimeoutMixin):
    """Frames, decodes, dispatches and sends CRMD messages on one connection."""

    log: ClassVar[Logger] = Logger()

    #: Most bytes that may wait in the receive buffer (a frame is at most 65535).
    MAX_LENGTH: ClassVar[int] = 65_536
    #: Seconds a partial frame may wait for the rest; None waits forever.
    partialFrameTimeout: float | None = 30.0
    #: Seconds without any received data before :meth:`timeoutConnection`.
    idleTimeout: float | None = None
    #: Log hex and decoded fields of every frame (like the reference's "[lib]" lines).
    wireTrace: bool = False
    #: Disable Nagle's algorithm on TCP connections (frames are small and urgent).
    tcpNoDelay: bool = True
    #: Emit one structured log event per frame in and out.
    logFrames: bool = True
    #: "client" or "server": decides what ``last_seq_num`` of a logon carries.
    role: ClassVar[str] = "client"

    factory: Any = None
    clock: IReactorTime

    def __init__(self) -> None:
        self._frames = FrameBuffer()
        self._partialTimer: IDelayedCall | None = None
        self._closing = False
        self.sentSeqNum = 0
        self.receivedSeqNum = 0
        self.peer = "?"
        self._frameLogFormats: dict[tuple[str, str, int], str] = {}

    # -- connection life -------------------------------------------------------------------

    def makeConnection(self, transport: Any) -> None:
        if not hasattr(self, "clock"):
            factory_clock = getattr(self.factory, "clock", None)
            if factory_clock is None:
                from twisted.internet import reactor

                factory_clock = reactor
            self.clock = factory_clock
        # TimeoutMixin schedules through this: replacing its (untyped) callLater method
        # is the hook Twisted provides, which mypy only sees as assigning to a method
        self.callLater = self.clock.callLater  # type: ignore[method-assign, assignment]
        if self.factory is not None:
            self.wireTrace = getattr(self.factory, "wireTrace", self.wireTrace)
            self.logFrames = getattr(self.factory, "logFrames", self.logFrames)
        super().makeConnection(transport)

    def connectionMade(self) -> None:
        if self.tcpNoDelay and ITCPTransport.providedBy(self.transport):
            # one frame per order: do not let Nagle hold a frame back for the next one
            self.transport.setTcpNoDelay(True)
        peer = self.transport.getPeer() if self.transport is not None else None
        host, port = getattr(peer, "host", None), getattr(peer, "port", None)
        self.peer = f"{host}:{port}" if host is not None else str(peer)
        self._frameLogFormats.clear()
        connections = getattr(self.factory, "connections", None)
        if connections is not None:
            connections.add(self)
        self.setTimeout(self.idleTimeout)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._closing = True
        connections = getattr(self.factory, "connections", None)
        if connections is not None:
            connections.discard(self)
        self.setTimeout(None)
        self._cancelPartialTimer()

    def loseConnection(self) -> None:
        """Stop dispatching what is still buffered and close once written."""
        self._closing = True
        self._cancelPartialTimer()
        if self.transport is not None:
            self.transport.loseConnection()

    # -- receiving -------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self._closing:
            return
        self.resetTimeout()
        buffer = self._frames
        try:
            frames = buffer.feed(data)
        except FrameLengthError as error:
            self._unframeable(error)
            return
        for frame in frames:
            if self._closing:
                return
            self.frameReceived(frame)
        if self._closing:
            return
        pending = buffer.pending
        if pending > self.MAX_LENGTH:
            self.bufferOverflow(pending)
            self.loseConnection()
        elif pending:
            if frames:
                # The partial frame now waiting is a new one: its own deadline.
                self._cancelPartialTimer()
            if self._partialTimer is None and self.partialFrameTimeout is not None:
                self._partialTimer = self.clock.callLater(
                    self.partialFrameTimeout, self._partialExpired
                )
        elif self._partialTimer is not None:
            self._cancelPartialTimer()

    def _unframeable(self, error: FrameLengthError) -> None:
        """A header declared a length below 4: dispatch the complete frames that
        preceded it (carried by the error), then :meth:`unrecoverableFrame` and close.
        """
        for frame in error.frames:
            if self._closing:
                return
            self.frameReceived(frame)
        if self._closing:
            return
        self.unrecoverableFrame(error)
        self.loseConnection()

    def frameReceived(self, frame: bytes) -> None:
        """Decode one complete frame and hand it on; decoding errors go to :meth:`frameError`."""
        try:
            message = decode(frame)
        except WireError as error:
            self.frameError(error, frame)
            return
        if self.logFrames:
            self._logFrame("in", message, frame)
        seq = getattr(message, "msg_seq_num", None)
        if seq is not None:
            self.receivedSeqNum = seq
        self.messageReceived(message)

    def messageReceived(self, message: Message) -> None:
        """Dispatch *message* to ``msg_<name>`` or :meth:`unhandledMessage`."""
        name = _HANDLER_NAMES.get(message.NAME)
        if name is None:
            name = _HANDLER_NAMES[message.NAME] = "msg_" + message.NAME
        handler = getattr(self, name, None)
        if handler is None:
            self.unhandledMessage(message)
        else:
            handler(message)

    def unhandledMessage(self, message: Message) -> None:
        self.log.info(
            "{peer}: no handler for {name} ({type_char!r}); ignored",
            peer=self.peer,
            name=message.NAME,
            type_char=message.TYPE_CHAR,
        )

    # -- error hooks -----------------------------------------------------------------------

    def frameError(self, error: WireError, frame: bytes) -> None:
        """A complete frame did not decode; by default log it and go on."""
        self.log.warn(
            "{peer}: skipped malformed frame: {error}",
            peer=self.peer,
            error=str(error),
            error_class=type(error).__name__,
            frame_hex=frame[:64].hex(),
        )

    def unrecoverableFrame(self, error: FrameLengthError) -> None:
        """The stream cannot be framed any more; the connection closes after this."""
        self.log.error(
            "{peer}: closing, unframeable stream: {error}", peer=self.peer, error=str(error)
        )

    def bufferOverflow(self, pending: int) -> None:
        """More than MAX_LENGTH bytes wait unframed; the connection closes after this."""
        self.log.error(
            "{peer}: closing, {pending} bytes buffered exceed {limit}",
            peer=self.peer,
            pending=pending,
            limit=self.MAX_LENGTH,
        )

    def partialFrameTimedOut(self) -> None:
        """A partial frame waited too long; by default log and close."""
        self.log.warn(
            "{peer}: closing, partial frame of {pending} bytes waited {timeout}s",
            peer=self.peer,
            pending=self._frames.pending,
            timeout=self.partialFrameTimeout,
        )
        self.loseConnection()

    def timeoutConnection(self) -> None:
        """Nothing was received for ``idleTimeout`` seconds; by default log and close."""
        self.log.info(
            "{peer}: closing, idle for {timeout}s", peer=self.peer, timeout=self.idleTimeout
        )
        self.loseConnection()

    def _partialExpired(self) -> None:
        self._partialTimer = None
        if not self._closing and self._frames.pending:
            self.partialFrameTimedOut()

    def _cancelPartialTimer(self) -> None:
        if self._partialTimer is not None:
            if self._partialTimer.active():
                self._partialTimer.cancel()
            self._partialTimer = None

    # -- sending ---------------------------------------------------------------------------

    def sendMessage(self, message: Message) -> None:
        """Number, encode, log and write *message*.

        Every message except a logon gets the next ``msg_seq_num`` of this
        connection (1 for the first).  A logon's ``last_seq_num`` carries, from a
        client, the last server number it processed and, from a server, its own
        current number.
        """
        if isinstance(message, ClientLogon):
            message.last_seq_num = self.receivedSeqNum if self.role == "client" else self.sentSeqNum
        else:
            self.sentSeqNum += 1
            # Message declares no msg_seq_num: ThreeLevelData/FiveLevelData have none
            message.msg_seq_num = self.sentSeqNum  # type: ignore[attr-defined]
        frame = message.encode()
        if self.logFrames:
            self._logFrame("out", message, frame)
        if self.transport is not None:
            self.transport.write(frame)

    def now(self) -> int:
        """This connection's clock in nanoseconds since the epoch (for ``sending_time``)."""
        return now_ns(self.clock)

    # -- logging ---------------------------------------------------------------------------

    def _logFrame(self, direction: str, message: Message, frame: bytes) -> None:
        if self.wireTrace:
            self.log.info(
                "[wire] {direction} {peer} {type_char} {name} len={length} {hex} {fields}",
                direction=direction,
                peer=self.peer,
                type_char=message.TYPE_CHAR,
                name=message.NAME,
                length=len(frame),
                hex=frame.hex().upper(),
                fields=message.to_fields(),
            )
        else:
            # The text is fixed per (direction, type, length) on a connection, so it is
            # the format string itself: observers that render the event (twistd's log
            # file) then substitute no field, which halves their cost per frame.  The
            # fields stay in the event for observers that read them.
            key = (direction, message.TYPE_CHAR, len(frame))
            text = self._frameLogFormats.get(key)
            if text is None:
                text = (
                    f"{direction} {self.peer} {message.TYPE_CHAR} {message.NAME} len={len(frame)}"
                )
                text = text.replace("{", "{{").replace("}", "}}")
                self._frameLogFormats[key] = text
            self.log.debug(
                text,
                direction=direction,
                peer=self.peer,
                type_char=message.TYPE_CHAR,
                name=message.NAME,
                length=len(frame),
            )


class CRMDFactory(Factory):
    """Base factory: carries the clock and logging switches to its protocols."""

    protocol: type[CRMDProtocol] = CRMDProtocol
    #: Passed to every protocol: one log event per frame in and out (set on the
    #: class to switch it for every factory of a process, e.g. a benchmark).
    logFrames: bool = True

    def __init__(self, *, clock: IReactorTime | None = None, wireTrace: bool = False) -> None:
        self.clock = clock
        self.wireTrace = wireTrace
        #: The factory's open connections (protocols add and remove themselves).
        self.connections: set[CRMDProtocol] = set()
