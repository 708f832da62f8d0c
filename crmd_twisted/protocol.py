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
* :meth:`timeoutConnection` - no data for :attr:`idleTimeout` seconds;
* :meth:`logonTimedOut` - a logon expected with ``expectLogon`` did not complete;
* :meth:`outputStalled` - with back-pressure on, the peer did not read what was
  sent for too long (see below); the connection is aborted afterwards.

Back-pressure (:meth:`enableBackPressure`, servers switch it on): the protocol
registers itself as the transport's streaming producer.  When the transport's
unsent output goes over its buffer size it calls :meth:`pauseProducing`: the
protocol stops reading from the peer (what it sends waits in the kernel) and
stops dispatching what it already received; when the output drained,
:meth:`resumeProducing` carries on.  An output that stays paused longer than the
grace period, or grows by more than the unsent bound while paused
(:class:`~crmd_twisted.session.limits.OutputGuard`), closes the connection.

Outgoing messages go through :meth:`sendMessage`, which numbers them per
connection (``msg_seq_num``; ``last_seq_num`` of a logon) without changing
the message given, and logs them.

The rules themselves live in the sans-I/O
:class:`~crmd_twisted.session.Connection` (``self.connection``): this class only
feeds it the bytes and the clock, dispatches what it returns, writes what it
encodes and keeps one timer armed at its next deadline.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from twisted.internet.interfaces import IDelayedCall, IReactorTime, ITCPTransport
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from crmd_twisted.session import Event

from crmd_twisted.session import (
    DEFAULT_MAX_LENGTH,
    BufferOverflow,
    Connection,
    ConnectionEvent,
    IdleTimedOut,
    LogonDeadlinePassed,
    MalformedFrame,
    PartialFrameTimedOut,
    Role,
    UnframeableStream,
)
from crmd_twisted.backpressure import BackPressureMixin
from crmd_twisted.framelog import FrameLogMixin
from crmd_twisted.session.limits import Admission, ConnectionAdmission, OutputGuard
from crmd_twisted.session.ratelimit import IncidentKind, LogRateLimiter
from crmd_twisted.session.throttle import LogonThrottle
from crmd_twisted.wire import FrameLengthError, Message, WireError

if TYPE_CHECKING:
    from crmd_twisted.control.admin import ExchangeControl
    from crmd_twisted.control.shell import FaultInjection

__all__ = [
    "CRMDFactory",
    "CRMDProtocol",
    "RefusedConnection",
    "cancel_call",
    "held_back_note",
    "now_ns",
]

#: message NAME -> handler method name (the concatenation done once per type)
_HANDLER_NAMES: dict[str, str] = {}


def cancel_call(call: IDelayedCall | None) -> None:
    """Cancel *call* if it is still pending (the one place of that idiom)."""
    if call is not None and call.active():
        call.cancel()


def held_back_note(held_back: int) -> str:
    """The tail of a rate-limited log line: how many like it were not logged."""
    if not held_back:
        return ""
    return " ({held_back} more like this since the last line)"


def now_ns(clock: IReactorTime | None = None) -> int:
    """Nanoseconds since the epoch from *clock* (or the system clock)."""
    if clock is None:
        return time.time_ns()
    return int(clock.seconds() * 1_000_000_000)


class CRMDProtocol(BackPressureMixin, FrameLogMixin, Protocol):
    """Frames, decodes, dispatches and sends CRMD messages on one connection."""

    log: ClassVar[Logger] = Logger()

    #: Most bytes that may wait in the receive buffer (a frame is at most 65535).
    MAX_LENGTH: ClassVar[int] = DEFAULT_MAX_LENGTH
    #: Seconds a partial frame may wait for the rest; None waits forever.
    partialFrameTimeout: float | None = 30.0
    #: Seconds without any received data before :meth:`timeoutConnection`.
    idleTimeout: float | None = None
    #: Log hex and decoded fields of every frame (like the reference's "[lib]" lines).
    wireTrace: bool = False
    #: Disable Nagle's algorithm on TCP connections (frames are small and urgent).
    tcpNoDelay: bool = True
    #: Emit one structured log event per frame in and out (off by default: an event
    #: per frame costs more than handling the frame once an observer is attached;
    #: ``wireTrace`` switches it on too).
    logFrames: bool = False
    #: "client" or "server": decides what ``last_seq_num`` of a logon carries.
    role: ClassVar[str] = "client"

    factory: Any = None
    clock: IReactorTime
    #: The control plane's faults on this connection (servers with a control plane
    #: only, see :mod:`crmd_twisted.control.shell`); None: frames go straight through.
    faults: FaultInjection | None = None

    def __init__(self) -> None:
        #: The sans-I/O state of this connection (framing, deadlines, numbering).
        self.connection = Connection(
            Role(self.role),
            max_length=self.MAX_LENGTH,
            partial_frame_timeout=self.partialFrameTimeout,
            idle_timeout=self.idleTimeout,
        )
        self._closing = False
        self._timer: IDelayedCall | None = None
        self._timerDeadline: float | None = None
        self.peer = "?"
        self._frameLogFormats: dict[tuple[str, str, int], str] = {}
        #: Back-pressure state (None: off, see :meth:`enableBackPressure`).
        self.outputGuard: OutputGuard | None = None
        self._outputPaused = False
        # events received but not dispatched while the output is paused
        self._held: list[Event | bytes] | None = None
        self._abortCall: IDelayedCall | None = None
        self._aborted = False
        #: The source address the factory's admission counted this connection under.
        self.admittedFrom: str | None = None

    @property
    def sentSeqNum(self) -> int:
        """The sequence number of the last message sent on this connection."""
        return self.connection.sent_seq_num

    @property
    def receivedSeqNum(self) -> int:
        """The sequence number of the last message received on this connection."""
        return self.connection.received_seq_num

    # -- connection life -------------------------------------------------------------------

    def makeConnection(self, transport: Any) -> None:
        if not hasattr(self, "clock"):
            factory_clock = getattr(self.factory, "clock", None)
            if factory_clock is None:
                from twisted.internet import reactor

                factory_clock = reactor
            self.clock = factory_clock
        if self.factory is not None:
            self.wireTrace = getattr(self.factory, "wireTrace", self.wireTrace)
            self.logFrames = getattr(self.factory, "logFrames", self.logFrames)
        self.logFrames = self.logFrames or self.wireTrace  # the trace is a frame log
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
        conn = self.connection
        conn.max_length = self.MAX_LENGTH
        conn.partial_frame_timeout = self.partialFrameTimeout
        conn.idle_timeout = self.idleTimeout
        conn.start(self.clock.seconds())
        self._rearm()

    def connectionLost(self, reason: Failure | None = connectionDone) -> None:
        self._closing = True
        connections = getattr(self.factory, "connections", None)
        if connections is not None:
            connections.discard(self)
        if self.admittedFrom is not None:
            admission = getattr(self.factory, "admission", None)
            if admission is not None:
                admission.release(self.admittedFrom)
            self.admittedFrom = None
        self.connection.close()
        self._held = None
        cancel_call(self._abortCall)
        self._abortCall = None
        self._rearm()

    def loseConnection(self) -> None:
        """Stop dispatching what is still buffered and close once written.

        With back-pressure on and the output paused, the connection is aborted
        if what is buffered is not written within the grace period.
        """
        self._flushBatch()
        self._closing = True
        self._held = None
        self.connection.close()
        self._rearm()
        if self.faults is not None and self.faults.holds_close():
            return  # frames held back by a delay fault go first
        transport: Any = self.transport  # a consumer too (ITransport does not say so)
        if transport is None:
            return
        guard = self.outputGuard
        if guard is not None:
            transport.unregisterProducer()  # else the transport never closes
            if self._outputPaused and self._abortCall is None:
                self._abortCall = self.clock.callLater(guard.grace, self._abortUnread)
        transport.loseConnection()

    def abortConnection(self) -> None:
        """Cut the connection now (no logout, unsent data dropped)."""
        self._batch = None
        self._closing = True
        self.connection.close()
        self._rearm()
        transport = self.transport
        if transport is not None:
            abort = getattr(transport, "abortConnection", None)
            (abort if abort is not None else transport.loseConnection)()

    # -- deadlines: one timer at the earliest ----------------------------------------------

    def setTimeout(self, period: float | None) -> float | None:
        """Change the idle timeout (like ``TimeoutMixin.setTimeout``); returns the old one."""
        old = self.connection.idle_timeout
        self.idleTimeout = period
        self.connection.set_idle_timeout(period, self.clock.seconds())
        self._rearm()
        return old

    def expectLogon(self, timeout: float | None) -> None:
        """A logon must complete within *timeout* seconds (None: no deadline), else
        :meth:`logonTimedOut`."""
        if timeout is None:
            self.connection.logon_done()
        else:
            self.connection.expect_logon(self.clock.seconds(), timeout)
        self._rearm()

    def logonDone(self) -> None:
        """The logon this connection waited for completed: its deadline is gone."""
        self.connection.logon_done()
        self._rearm()

    def nextDeadline(self) -> float | None:
        """When the timer must fire next (subclasses add deadlines of their own)."""
        deadline = self.connection.next_deadline
        if self._outputPaused and self.outputGuard is not None:
            stall = self.outputGuard.deadline
            if stall is not None and (deadline is None or stall < deadline):
                return stall
        return deadline

    def deadlineReached(self, now: float) -> None:
        """The timer fired at *now*: report the connection's passed deadlines."""
        if self._outputPaused and self.outputGuard is not None:
            stall = self.outputGuard.check(now)
            if stall is not None:
                self._stalled(stall)
                return
        for event in self.connection.advance(now):
            if self._closing:
                return
            self._connectionEvent(event)

    def _rearm(self) -> None:
        deadline = None if self._closing else self.nextDeadline()
        if deadline == self._timerDeadline:
            return
        self._timerDeadline = deadline
        timer = self._timer
        if deadline is None:
            self._timer = None
            cancel_call(timer)
            return
        delay = max(deadline - self.clock.seconds(), 0.0)
        if timer is not None and timer.active():
            timer.reset(delay)
        else:
            self._timer = self.clock.callLater(delay, self._timerFired)

    def _timerFired(self) -> None:
        deadline = self._timerDeadline
        self._timer = self._timerDeadline = None
        if not self._closing:
            # the clock may read a hair before the deadline it fired for
            now = self.clock.seconds()
            self.deadlineReached(now if deadline is None else max(now, deadline))
        self._rearm()

    # -- receiving -------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self._closing:
            return
        events = self.connection.receive_data(data, self.clock.seconds())
        if self._outputPaused:  # (a TLS transport may still deliver what it decrypted)
            if self._held is None:
                self._held = events
            else:
                self._held.extend(events)  # after those received before
        elif self.batchWrites:
            self._batch = []
            try:
                self._dispatch(events)
            finally:
                self._flushBatch()
        else:
            self._dispatch(events)
        self._rearm()

    def _dispatch(self, events: list[Event | bytes]) -> None:
        """Hand *events* on in order; keep the rest once the output paused."""
        remaining = iter(events)
        for event in remaining:
            if self._closing:
                break
            if isinstance(event, Message):
                self._received(event)
            elif type(event) is bytes:
                self.rawFrameReceived(event)
            else:
                self._connectionEvent(event)  # type: ignore[arg-type]
            if self._outputPaused:
                held = list(remaining)
                if held and not self._closing:
                    self._held = held
                break

    def _received(self, message: Message) -> None:
        if self.logFrames:
            self._logFrame("in", message, None)
        if self.faults is None:
            self.messageReceived(message)
        else:
            self.faults.received(message)

    def rawFrameReceived(self, frame: bytes) -> None:
        """A frame of a type the connection leaves undecoded (``Connection.undecoded``:
        none unless a subclass asks for them).  By default it is decoded and handled
        as if it had arrived decoded; a fast path overrides this and calls it for the
        frames it does not take."""
        event = self.connection.decode_frame(frame)
        if isinstance(event, Message):
            self._received(event)
        else:
            self._connectionEvent(event)

    def _connectionEvent(self, event: ConnectionEvent) -> None:
        """Hand a stream or deadline event to its hook."""
        if isinstance(event, MalformedFrame):
            self.frameError(event.error, event.frame)
        elif isinstance(event, UnframeableStream):
            self.unrecoverableFrame(event.error)
            self.loseConnection()
        elif isinstance(event, BufferOverflow):
            self.bufferOverflow(event.pending)
            self.loseConnection()
        elif isinstance(event, PartialFrameTimedOut):
            self.partialFrameTimedOut()
        elif isinstance(event, IdleTimedOut):
            self.timeoutConnection()
        elif isinstance(event, LogonDeadlinePassed):
            self.logonTimedOut()

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
            pending=self.connection.pending_bytes,
            timeout=self.partialFrameTimeout,
        )
        self.loseConnection()

    def timeoutConnection(self) -> None:
        """Nothing was received for ``idleTimeout`` seconds; by default log and close."""
        self.log.info(
            "{peer}: closing, idle for {timeout}s", peer=self.peer, timeout=self.idleTimeout
        )
        self.loseConnection()

    def logonTimedOut(self) -> None:
        """The logon deadline set by :meth:`expectLogon` passed; by default log and close."""
        self.log.info(
            "{peer}: closing, no logon within {timeout}s",
            peer=self.peer,
            timeout=getattr(self, "logonTimeout", None),
        )
        self.loseConnection()

    # -- sending ---------------------------------------------------------------------------

    def sendMessage(self, message: Message) -> None:
        """Number, encode, log and write *message* (which stays as it was).

        Every message except a logon gets the next ``msg_seq_num`` of this
        connection (1 for the first).  A logon's ``last_seq_num`` carries, from a
        client, the last server number it processed and, from a server, its own
        current number.  The numbers go into the frame only, so one message may
        be sent on several connections.
        """
        if self.faults is not None:
            self.faults.send(message)
            return
        frame = self.connection.send(message)
        if self.logFrames:
            self._logFrame("out", message, frame)
        self.writeFrame(frame)

    def now(self) -> int:
        """This connection's clock in nanoseconds since the epoch (for ``sending_time``)."""
        return now_ns(self.clock)

    # -- logging ---------------------------------------------------------------------------

    def incident(self, kind: IncidentKind) -> int | None:
        """Whether an incident of *kind* gets a log line now (see the factory's
        ``logLimiter``): None for no line, else how many were held back before it."""
        limiter = getattr(self.factory, "logLimiter", None)
        if limiter is None:
            return 0
        held_back: int | None = limiter.allow(kind, self.clock.seconds())
        return held_back

class CRMDFactory(Factory):
    """Base factory: carries the clock and logging switches to its protocols."""

    protocol: type[CRMDProtocol] = CRMDProtocol
    #: Passed to every protocol: one log event per frame in and out (set on the
    #: class to switch it for every factory of a process).  Off by default: with a
    #: log file attached it costs more than the frame itself (see docs/performance.md).
    logFrames: bool = False
    #: The exchange's control plane (admin API, faults); server protocols register
    #: with it (see :mod:`crmd_twisted.control.shell`).  None: no control plane.
    control: ExchangeControl | None = None

    def __init__(self, *, clock: IReactorTime | None = None, wireTrace: bool = False) -> None:
        self.clock = clock
        self.wireTrace = wireTrace
        #: The factory's open connections (protocols add and remove themselves).
        self.connections: set[CRMDProtocol] = set()

    #: Resource limits (a ServerLimits) for the protocols of a server factory; None:
    #: no back-pressure, budget or idle timeout (the plugins set DEFAULT_LIMITS).
    limits: Any = None
    #: Caps on open connections (shared by the factories of one process), or None.
    admission: ConnectionAdmission | None = None
    #: Rate limit of the log lines of repeated incidents (shared), or None: every line.
    logLimiter: LogRateLimiter | None = None
    #: Failed-logon lock-out (shared by the AES and OES of one process), or None.
    logonThrottle: LogonThrottle | None = None

    def buildProtocol(self, addr: Any) -> Any:
        """A new connection, or a :class:`RefusedConnection` over the admission's caps."""
        admission = self.admission
        if admission is None:
            return super().buildProtocol(addr)
        host = str(getattr(addr, "host", addr))
        refused = admission.admit(host)
        if refused is not None:
            self.connectionRefused(host, refused)
            return RefusedConnection()
        proto = super().buildProtocol(addr)
        if isinstance(proto, CRMDProtocol):
            proto.admittedFrom = host
        else:  # pragma: no cover - a protocol class not of this package
            admission.release(host)
        return proto

    def connectionRefused(self, host: str, why: Admission) -> None:
        """A connection from *host* was refused; logs it (rate-limited)."""
        limiter = self.logLimiter
        held_back = 0
        if limiter is not None:
            now = (self.clock or _reactorClock()).seconds()
            allowed = limiter.allow(IncidentKind.CONNECTION_REFUSED, now)
            if allowed is None:
                return
            held_back = allowed
        admission = self.admission
        CRMDProtocol.log.warn(
            "refused a connection from {host}: {why} ({total} open, {from_address} from it)"
            + held_back_note(held_back),
            host=host,
            why=why.value,
            reason=why.name,
            total=0 if admission is None else admission.total,
            from_address=0 if admission is None else admission.from_address(host),
            held_back=held_back,
        )


class RefusedConnection(Protocol):
    """What a factory builds for a connection over its caps: closed at once."""

    def connectionMade(self) -> None:
        if self.transport is not None:
            self.transport.loseConnection()


def _reactorClock() -> IReactorTime:
    from twisted.internet import reactor

    return reactor
