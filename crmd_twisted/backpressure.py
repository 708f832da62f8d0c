"""Writing frames, and back-pressure, for :class:`~crmd_twisted.protocol.CRMDProtocol`.

The protocol registers itself as its transport's streaming producer.  When the
transport's unsent output goes over its buffer size it calls
:meth:`BackPressureMixin.pauseProducing`: the protocol stops reading from the
peer (what the peer sends waits in the kernel) and stops dispatching what it
already received; once the output drained, :meth:`resumeProducing` carries on
in order.  An output that stays paused longer than the grace period, or grows by
more than the unsent bound while paused (the pure
:class:`~crmd_twisted.session.limits.OutputGuard` decides), aborts the
connection after :meth:`outputStalled`.

Every frame goes out through :meth:`BackPressureMixin.writeFrame`; with
``batchWrites`` on, the frames written while one read is handled are gathered
and written as one, at most ``batchLimit`` bytes at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from crmd_twisted.session import Connection
from crmd_twisted.session.limits import OutputGuard, Stall

if TYPE_CHECKING:
    from crmd_twisted.session import Event

__all__ = ["BackPressureMixin"]


class BackPressureMixin:
    """The ``IPushProducer`` side of a CRMD protocol and its stall handling."""

    log: ClassVar[Logger]
    peer: str
    clock: IReactorTime
    transport: Any
    connected: int
    connection: Connection
    outputGuard: OutputGuard | None
    _outputPaused: bool
    _held: list[Event | bytes] | None
    _abortCall: IDelayedCall | None
    _aborted: bool
    _closing: bool

    #: Gather the frames sent while one read is handled and write them as one
    #: (a ``transport.write`` per frame costs more than a small frame's handling).
    batchWrites: bool = False
    #: Bytes gathered after which they are written at once (the transport can
    #: then pause us before more is produced: back-pressure keeps working).
    batchLimit: int = 65_536
    #: The frames gathered while :attr:`batchWrites` is on (None: write at once).
    _batch: list[bytes] | None = None
    _batched = 0

    def _rearm(self) -> None:
        raise NotImplementedError  # the protocol's one timer

    def _dispatch(self, events: list[Event | bytes]) -> None:
        raise NotImplementedError  # the protocol's dispatch of received events

    def writeFrame(self, frame: bytes) -> None:
        """Write *frame*, encoded and numbered (by :meth:`sendMessage`, or by a fast
        path that took its number with ``connection.next_seq()``), minding the
        output guard while the transport has paused us."""
        if self._outputPaused and self.outputGuard is not None:
            if self._aborted:
                return
            stall = self.outputGuard.wrote(len(frame))
            if stall is not None:
                self._stalled(stall)
                return
        batch = self._batch
        if batch is not None:
            batch.append(frame)
            self._batched += len(frame)
            if self._batched >= self.batchLimit:  # the transport may pause us now
                self._flushBatch()
                self._batch = []
        elif self.transport is not None:
            self.transport.write(frame)

    def _flushBatch(self) -> None:
        """Write what :attr:`batchWrites` gathered, as one write."""
        batch, self._batch = self._batch, None
        self._batched = 0
        if batch and self.transport is not None:
            self.transport.write(batch[0] if len(batch) == 1 else b"".join(batch))

    def enableBackPressure(self, guard: OutputGuard, highWater: int | None = None) -> None:
        """Stop reading while the peer does not read; close it after *guard*'s limits.

        *highWater*: unsent bytes above which reading stops (the transport's
        ``bufferSize``; its own default when None).  Call from ``connectionMade``.
        """
        transport: Any = self.transport
        if transport is None or self.outputGuard is not None:
            return
        self.outputGuard = guard
        if highWater is not None and hasattr(transport, "bufferSize"):
            transport.bufferSize = highWater
        transport.registerProducer(self, True)

    def pauseProducing(self) -> None:
        """The transport's unsent output is over its buffer size: stop reading."""
        guard = self.outputGuard
        if guard is None or self._outputPaused or self._closing:
            return
        self._outputPaused = True
        guard.pause(self.clock.seconds())
        transport: Any = self.transport  # a push producer too
        if transport is not None:
            transport.pauseProducing()
        self._rearm()

    def resumeProducing(self) -> None:
        """The output drained: read again, first what is already received."""
        guard = self.outputGuard
        if guard is None or not self._outputPaused:
            return
        self._outputPaused = False
        guard.resume()
        if self._closing:
            return
        transport: Any = self.transport
        if transport is not None:
            transport.resumeProducing()
        held, self._held = self._held, None
        if held:
            self._dispatch(held)
        self._rearm()

    def stopProducing(self) -> None:
        """The transport is going away (``connectionLost`` follows)."""

    def outputStalled(self, stall: Stall) -> None:
        """The peer did not read for too long; by default log (the connection is then aborted)."""
        guard = self.outputGuard
        self.log.warn(
            "{peer}: closing, the client does not read: {why} "
            "({unsent} bytes written since its output went over the mark, grace {grace}s)",
            peer=self.peer,
            why=stall.value,
            stall=stall.name,
            unsent=0 if guard is None else guard.unsent_since_pause,
            grace=None if guard is None else guard.grace,
        )

    def _stalled(self, stall: Stall) -> None:
        if self._aborted:
            return
        self.outputStalled(stall)
        self._abort()

    def _abortUnread(self) -> None:
        self._abortCall = None
        if self.transport is not None and self.connected:
            self.outputStalled(Stall.GRACE_EXPIRED)
            self._abort()

    def _abort(self) -> None:
        self._aborted = self._closing = True
        self._held = None
        self._batch = None  # (batchWrites: what was gathered is dropped with the rest)
        self.connection.close()
        self._rearm()
        transport = self.transport
        if transport is not None:
            abort = getattr(transport, "abortConnection", None)
            if abort is not None:
                abort()
            else:
                transport.loseConnection()
