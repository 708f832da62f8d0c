"""The control plane's hand on one server connection (the Twisted side of the faults).

Every server protocol (AES, OES, MDS) whose factory carries a ``control``
(:class:`~crmd_twisted.control.admin.ExchangeControl`) gets one
:class:`FaultInjection` as ``protocol.faults`` when the connection is made
(:meth:`FaultInjection.attach`; ``CRMDServerProtocol`` does it).  It

* registers the connection in the control's
  :class:`~crmd_twisted.control.sessions.SessionRegistry` (``/api/v1/sessions``),
  counts its frames in and out (suppressed ones not) and tells it the logon
  (:meth:`logged_on`) and the loss (:meth:`lost`);
* decides every received frame (:meth:`received`): dispatch it, ignore it
  (black hole), answer a transaction with a REJECT without the engine
  (``protocol.faultReject``), and cut the connection afterwards (drop);
* sends every frame (:meth:`send`): suppressed (black hole), with sequence
  numbers skipped (seq_gap), corrupted (garble) or held back (delay, order
  kept: later frames wait behind earlier ones).

The protocols only test ``self.faults is not None``: without a control plane
nothing here runs.  The decisions themselves are the pure
:class:`~crmd_twisted.control.faults.FaultRegistry`'s.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger

from crmd_twisted.control.fault_schema import ServerKind
from crmd_twisted.control.faults import PASS, PLAIN, InboundAction, garble_frame
from crmd_twisted.wire import ClientLogon, Message, Transaction
from crmd_twisted.wire.enums import RejectCode

if TYPE_CHECKING:
    from crmd_twisted.control.admin import ExchangeControl
    from crmd_twisted.server import CRMDServerProtocol

__all__ = ["FaultInjection"]

log = Logger()


class FaultInjection:
    """Faults and registration of one server connection; see the module docstring."""

    __slots__ = ("_active", "_closeWhenSent", "_lastDue", "_queue", "_timer", "entry", "proto",
                 "registry", "sessions")

    def __init__(self, proto: CRMDServerProtocol, control: ExchangeControl,
                 server: ServerKind) -> None:
        self.proto = proto
        self.registry = control.faults
        #: the registry's faults by id (read for the fast path: empty = nothing to do)
        self._active = control.faults.active_faults
        self.sessions = control.sessions
        self.entry = control.sessions.register(
            server, proto.peer, proto.now(), self._logout, proto.abortConnection
        )
        #: (due, frame) held back by a delay fault, oldest first
        self._queue: deque[tuple[float, bytes]] = deque()
        self._lastDue = 0.0
        self._timer: IDelayedCall | None = None
        self._closeWhenSent = False

    @classmethod
    def attach(cls, proto: CRMDServerProtocol) -> FaultInjection | None:
        """The injection for *proto* if its factory has a control plane, else None.

        The server kind comes from ``proto.serverName`` ("AES", "OES", "MDS").
        """
        control: Any = getattr(proto.factory, "control", None)
        if control is None:
            return None
        return cls(proto, control, ServerKind(proto.serverName.lower()))

    # -- the connection's life -------------------------------------------------------------

    def logged_on(self, account: int, user: str, trading_session_id: int) -> None:
        """The connection's logon succeeded (faults scoped by account/user now match)."""
        self.entry.logged_on(account, user, trading_session_id)

    def lost(self) -> None:
        """The connection is gone: unregister, forget held-back frames."""
        self.sessions.unregister(self.entry)
        self._queue.clear()
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _logout(self, code: int) -> None:
        self.proto.serverLogout(RejectCode(code))

    # -- receiving --------------------------------------------------------------------------

    def received(self, message: Message) -> None:
        """Dispatch, ignore or reject *message* as the faults say; drop afterwards if due."""
        proto = self.proto
        self.entry.frames_in += 1
        if not self._active:  # no fault at all: the common case, kept cheap
            proto.messageReceived(message)
            return
        verdict = self.registry.inbound(
            self.entry.identity, transaction=isinstance(message, Transaction)
        )
        if verdict is PASS:
            proto.messageReceived(message)
            return
        action = verdict.action
        if action is InboundAction.PASS:
            proto.messageReceived(message)
        elif action is InboundAction.REJECT:
            log.info("fault: {peer}: {name} rejected with {code} (not sent to the engine)",
                     peer=proto.peer, name=message.NAME, code=verdict.code)
            proto.faultReject(message, RejectCode(verdict.code))
        if verdict.close_after:
            # what was answered still goes out, then TCP closes: no logout
            log.info("fault: {peer}: connection dropped (no logout)", peer=proto.peer)
            proto.loseConnection()

    # -- sending ----------------------------------------------------------------------------

    def send(self, message: Message, *, numbered: bool = True) -> None:
        """Number (if *numbered*), encode, log and write *message* as the faults say.

        ``numbered=False`` is for frames without ``msg_seq_num`` (the MDS's level data):
        they are encoded as they are.
        """
        proto = self.proto
        if not self._active and not self._queue:
            plan = PLAIN
        else:
            sequenced = numbered and not isinstance(message, ClientLogon)
            plan = self.registry.outbound(self.entry.identity, sequenced=sequenced)
        if plan.suppress:
            return
        connection = proto.connection
        if plan.seq_skip and numbered:
            connection.sent_seq_num += plan.seq_skip
            log.info("fault: {peer}: {skip} sequence number(s) skipped", peer=proto.peer,
                     skip=plan.seq_skip)
        frame = connection.send(message) if numbered else message.encode()
        if proto.logFrames:
            proto._logFrame("out", message, frame)
        self.entry.frames_out += 1
        if plan.garble:
            frame = garble_frame(frame)
            log.info("fault: {peer}: {name} garbled", peer=proto.peer, name=message.NAME)
        self._write(frame, plan.delay)

    def _write(self, frame: bytes, delay: float) -> None:
        transport = self.proto.transport
        if transport is None:
            return
        if delay <= 0 and not self._queue:
            self.proto.writeFrame(frame)  # (after any frame it gathered: batchWrites)
            return
        clock = self.proto.clock
        due = max(clock.seconds() + delay, self._lastDue)
        self._lastDue = due
        self._queue.append((due, frame))
        if self._timer is None:
            self._timer = clock.callLater(max(self._queue[0][0] - clock.seconds(), 0.0),
                                          self._release)

    def _release(self) -> None:
        self._timer = None
        proto = self.proto
        clock = proto.clock
        now = clock.seconds()
        queue = self._queue
        transport = proto.transport
        while queue and queue[0][0] <= now:
            _due, frame = queue.popleft()
            if transport is not None:
                transport.write(frame)
        if queue:
            self._timer = clock.callLater(max(queue[0][0] - now, 0.0), self._release)
        elif self._closeWhenSent and transport is not None:
            transport.loseConnection()

    @property
    def idle(self) -> bool:
        """No fault is active and nothing is held back: frames may pass untouched."""
        return not self._active and not self._queue

    def counted(self, frames_in: int, frames_out: int) -> None:
        """Frames that passed while :attr:`idle` without going through this object."""
        entry = self.entry
        entry.frames_in += frames_in
        entry.frames_out += frames_out

    def holds_close(self) -> bool:
        """The protocol closes: True if frames are held back (the close follows them)."""
        if not self._queue:
            return False
        self._closeWhenSent = True
        return True
