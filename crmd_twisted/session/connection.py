"""One CRMD connection as a state machine, free of I/O (in the style of h11).

A :class:`Connection` takes the bytes a socket delivered and returns what they
mean; it turns a message into the bytes to write; it keeps the connection's
deadlines as plain numbers.  The caller (a Twisted protocol, a test, another
framework) does the I/O::

    conn = Connection(Role.SERVER)
    conn.start(now)
    conn.expect_logon(now, 30.0)
    for event in conn.receive_data(data, now):
        ...                       # a Message, or one of the event classes below
    transport.write(conn.send(reply))
    deadline = conn.next_deadline # arm one timer for it; when it fires:
    for event in conn.advance(deadline):
        ...

What it decides, once for clients and servers alike:

* framing: complete frames are decoded; a frame that does not decode is a
  :class:`MalformedFrame`; a header declaring a length below 4 is an
  :class:`UnframeableStream` and more than ``max_length`` unframed bytes a
  :class:`BufferOverflow` - after either, nothing more is received;
* the partial-frame timeout: a frame begun but not finished within
  ``partial_frame_timeout`` seconds is a :class:`PartialFrameTimedOut`;
* the logon deadline (:meth:`Connection.expect_logon` /
  :meth:`Connection.logon_done`) and the idle timeout (no data for
  ``idle_timeout`` seconds, once);
* sequence numbers (PROTOCOL.md section 7.7): every sent message but a logon
  gets the next ``msg_seq_num`` of the connection; a logon's ``last_seq_num``
  carries, from a client, the last number it received and, from a server, its
  own current number.  Sending never changes the message given, so one message
  may be sent on several connections.

Times are seconds on any monotonic-enough clock the caller chooses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crmd_twisted.session.numbering import encode_numbered
from crmd_twisted.wire import (
    ClientLogon,
    FrameBuffer,
    FrameLengthError,
    Message,
    WireError,
    decode,
)

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "BufferOverflow",
    "Connection",
    "ConnectionEvent",
    "Event",
    "IdleTimedOut",
    "LogonDeadlinePassed",
    "MalformedFrame",
    "PartialFrameTimedOut",
    "Role",
    "UnframeableStream",
]

#: Most bytes that may wait unframed by default (a frame is at most 65535).
DEFAULT_MAX_LENGTH = 65_536


class Role(StrEnum):
    """Which end of the connection this is (decides a logon's ``last_seq_num``)."""

    CLIENT = "client"
    SERVER = "server"


@dataclass(frozen=True, slots=True)
class MalformedFrame:
    """A complete frame that does not decode (unknown type, wrong length, bad text)."""

    error: WireError
    frame: bytes


@dataclass(frozen=True, slots=True)
class UnframeableStream:
    """A header declared a length below 4: the stream cannot be framed any more."""

    error: FrameLengthError


@dataclass(frozen=True, slots=True)
class BufferOverflow:
    """More than *limit* bytes wait without forming a frame; receiving stopped."""

    pending: int
    limit: int


@dataclass(frozen=True, slots=True)
class PartialFrameTimedOut:
    """*pending* bytes of a frame waited *timeout* seconds for the rest."""

    pending: int
    timeout: float


@dataclass(frozen=True, slots=True)
class LogonDeadlinePassed:
    """The logon expected within *timeout* seconds did not complete."""

    timeout: float


@dataclass(frozen=True, slots=True)
class IdleTimedOut:
    """Nothing was received for *timeout* seconds."""

    timeout: float


ConnectionEvent = (
    MalformedFrame
    | UnframeableStream
    | BufferOverflow
    | PartialFrameTimedOut
    | LogonDeadlinePassed
    | IdleTimedOut
)
#: What :meth:`Connection.advance` returns, and :meth:`Connection.receive_data` too
#: (which also returns the complete frames of :attr:`Connection.undecoded` types as
#: ``bytes``; see there).
Event = Message | ConnectionEvent


class Connection:
    """Framing, deadlines and sequence numbers of one CRMD connection."""

    __slots__ = (
        "_frames",
        "_idle_deadline",
        "_logon_deadline",
        "_logon_timeout",
        "_partial_deadline",
        "_receiving",
        "idle_timeout",
        "max_length",
        "partial_frame_timeout",
        "received_seq_num",
        "role",
        "sent_seq_num",
        "undecoded",
    )

    def __init__(
        self,
        role: Role = Role.CLIENT,
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
        partial_frame_timeout: float | None = 30.0,
        idle_timeout: float | None = None,
        undecoded: frozenset[int] = frozenset(),
    ) -> None:
        self.role = Role(role)
        #: Type bytes (``ord("T")``) whose complete frames :meth:`receive_data`
        #: returns as they are, undecoded (``bytes``), for a caller with a fast
        #: path that reads frames itself; it hands any it does not take to
        #: :meth:`decode_frame`.  Empty by default: every frame is decoded.
        self.undecoded = undecoded
        #: Most bytes that may wait unframed before :class:`BufferOverflow`.
        self.max_length = max_length
        #: Seconds a begun frame may wait for the rest; None waits forever.
        self.partial_frame_timeout = partial_frame_timeout
        #: Seconds without data before :class:`IdleTimedOut`; None never.
        self.idle_timeout = idle_timeout
        #: The number of the last message sent (0 before the first).
        self.sent_seq_num = 0
        #: The sequence number of the last message received.
        self.received_seq_num = 0
        self._frames = FrameBuffer()
        self._receiving = True
        self._partial_deadline: float | None = None
        self._idle_deadline: float | None = None
        self._logon_deadline: float | None = None
        self._logon_timeout = 0.0

    # -- state -----------------------------------------------------------------------------

    @property
    def pending_bytes(self) -> int:
        """Bytes received that do not form a complete frame yet."""
        return self._frames.pending

    @property
    def receiving(self) -> bool:
        """False once the stream broke (unframeable, overflow) or :meth:`close` ran."""
        return self._receiving

    @property
    def next_deadline(self) -> float | None:
        """The earliest time :meth:`advance` has something to report, or None."""
        soonest = self._partial_deadline
        for deadline in (self._idle_deadline, self._logon_deadline):
            if deadline is not None and (soonest is None or deadline < soonest):
                soonest = deadline
        return soonest

    def start(self, now: float) -> None:
        """The connection opened at *now*: the idle timeout starts counting."""
        self.set_idle_timeout(self.idle_timeout, now)

    def set_idle_timeout(self, timeout: float | None, now: float) -> None:
        """Expect data at least every *timeout* seconds from *now* on (None: never)."""
        self.idle_timeout = timeout
        self._idle_deadline = None if timeout is None else now + timeout

    def expect_logon(self, now: float, timeout: float) -> None:
        """A logon must complete within *timeout* seconds of *now*."""
        self._logon_timeout = timeout
        self._logon_deadline = now + timeout

    def logon_done(self) -> None:
        """The expected logon completed (or failed): its deadline is gone."""
        self._logon_deadline = None

    def close(self) -> None:
        """Stop receiving and drop every deadline (sending still works)."""
        self._receiving = False
        self._partial_deadline = self._idle_deadline = self._logon_deadline = None

    # -- receiving -------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[Event | bytes]:
        """What *data*, received at *now*, completes: messages and stream events in order
        (and the frames of :attr:`undecoded` types as ``bytes``)."""
        if not self._receiving:
            return []
        idle = self.idle_timeout
        if idle is not None and self._idle_deadline is not None:
            self._idle_deadline = now + idle
        buffer = self._frames
        try:
            frames = buffer.feed(data)
        except FrameLengthError as error:
            error.__traceback__ = None  # see decode_frame
            events = self._decode(error.frames)
            events.append(UnframeableStream(error))
            self._stop_receiving()
            return events
        events = self._decode(frames)
        pending = buffer.pending
        if pending > self.max_length:
            events.append(BufferOverflow(pending, self.max_length))
            self._stop_receiving()
        elif not pending:
            self._partial_deadline = None
        elif frames or self._partial_deadline is None:
            # the partial frame now waiting is a new one: its own deadline
            timeout = self.partial_frame_timeout
            self._partial_deadline = None if timeout is None else now + timeout
        return events

    def _decode(self, frames: list[bytes]) -> list[Event | bytes]:
        events: list[Event | bytes] = []
        append = events.append
        undecoded = self.undecoded
        decode_frame = self.decode_frame
        for frame in frames:
            if undecoded and frame[0] in undecoded:
                append(frame)
            else:
                append(decode_frame(frame))
        return events

    def decode_frame(self, frame: bytes) -> Message | MalformedFrame:
        """*frame* (one :meth:`receive_data` returned undecoded) as it would have
        been returned decoded: its message, or a :class:`MalformedFrame`."""
        try:
            message = decode(frame)
        except WireError as error:
            # The traceback holds this frame, whose locals hold the caller's event
            # list, which would hold the error: a reference cycle per bad frame that
            # only the (rarely run, see tap.oes.tune_gc) cycle collector frees.
            error.__traceback__ = None
            return MalformedFrame(error, frame)
        seq = getattr(message, "msg_seq_num", None)
        if seq is not None:
            self.received_seq_num = seq
        return message

    def took_frame(self, seq: int) -> None:
        """A caller's fast path took an undecoded frame numbered *seq* itself."""
        self.received_seq_num = seq

    def next_seq(self) -> int:
        """Take the number of the next frame sent (for a frame built without :meth:`send`)."""
        seq = self.sent_seq_num = self.sent_seq_num + 1
        return seq

    def _stop_receiving(self) -> None:
        self._receiving = False
        self._partial_deadline = None

    # -- time ------------------------------------------------------------------------------

    def advance(self, now: float) -> list[ConnectionEvent]:
        """The deadlines that passed by *now*, each reported once."""
        events: list[ConnectionEvent] = []
        if self._logon_deadline is not None and now >= self._logon_deadline:
            self._logon_deadline = None
            events.append(LogonDeadlinePassed(self._logon_timeout))
        if self._partial_deadline is not None and now >= self._partial_deadline:
            self._partial_deadline = None
            if self._frames.pending:
                events.append(
                    PartialFrameTimedOut(self._frames.pending, self.partial_frame_timeout or 0.0)
                )
        if self._idle_deadline is not None and now >= self._idle_deadline:
            self._idle_deadline = None
            events.append(IdleTimedOut(self.idle_timeout or 0.0))
        return events

    # -- sending ---------------------------------------------------------------------------

    def send(self, message: Message) -> bytes:
        """The bytes of *message* numbered as this connection's next frame.

        *message* itself is not changed.
        """
        if isinstance(message, ClientLogon):
            seq = self.received_seq_num if self.role is Role.CLIENT else self.sent_seq_num
        else:
            seq = self.sent_seq_num = self.sent_seq_num + 1
        return encode_numbered(message, seq)
