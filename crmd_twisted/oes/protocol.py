"""The OES on the network: one :class:`OESProtocol` per client connection.

The protocol is a thin adapter: it turns decoded frames into calls on the
shared :class:`~crmd_twisted.oes.core.OrderEntryCore`, writes the core's answers
as frames and logs the notices the core returns.  Requests of one connection
are answered in the order they arrived.  With ``matchDelay`` > 0 every request
waits that long before it is processed (an exchange's round trip), which is
what makes the outstanding-request limit observable: NEW and CANCEL_REPLACE
requests beyond the session's limit that are still unanswered get
OUTSTANDING_OPEN_REQUESTS_EXCEEDED.  When to process what is decided by the
pure :class:`~crmd_twisted.oes.pacing.RequestPacer`; the connection keeps one
timer for its own deadlines and the pacer's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.internet.interfaces import IAddress, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure

from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.oes.lane import TRANSACTION_TYPE
from crmd_twisted.oes.notices import NoticeLevel, Notices
from crmd_twisted.oes.pacing import RequestPacer
from crmd_twisted.protocol import CRMDFactory, held_back_note
from crmd_twisted.server import CRMDServerProtocol
from crmd_twisted.session.ratelimit import IncidentKind, LogRateLimiter
from crmd_twisted.wire import (
    ClientLogon,
    CollateralRequest,
    InstrumentRequest,
    Message,
    OpenOrderRequest,
    RiskUpdateRequest,
    Transaction,
)
from crmd_twisted.wire.enums import RejectCode

if TYPE_CHECKING:
    from crmd_twisted.oes.state import TurnCommitter

__all__ = ["OESFactory", "OESProtocol", "log_notices"]

#: The frames this protocol's connection leaves undecoded (see rawFrameReceived).
_UNDECODED = frozenset({TRANSACTION_TYPE})
# A queued request: the session it arrived on and the decoded message.
_Work = tuple[Session, Message]


_LEVELS = {level: LogLevel.levelWithName(level.value) for level in NoticeLevel}
#: Where the core's notices are logged: the core's namespace, as before it was pure
#: (a module-level Logger: one read per reject, no per-access Logger like self.log).
coreLog = Logger(namespace="crmd_twisted.oes.core")


def log_notices(
    log: Logger, notices: Notices, limiter: LogRateLimiter | None = None, now: float = 0.0
) -> None:
    """Emit the core's *notices* as log events.

    With a *limiter*, at most one line per notice class per interval, with a count
    of those held back.
    """
    for notice in notices:
        if limiter is None:
            log.emit(_LEVELS[notice.LEVEL], notice.FORMAT, **notice.log_fields())
            continue
        held_back = limiter.allow(type(notice).__name__, now)
        if held_back is not None:
            log.emit(
                _LEVELS[notice.LEVEL],
                notice.FORMAT + held_back_note(held_back),
                held_back=held_back,
                **notice.log_fields(),
            )


class OESProtocol(CRMDServerProtocol):
    """One client connection to the OES."""

    serverName = "OES"
    # a pipelining client's read of many orders is answered with one write
    batchWrites = True

    factory: OESFactory

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.pacer: RequestPacer[_Work] = RequestPacer()
        #: A logout (client's or server's) went over this connection: its loss is no
        #: disconnect for cancel-on-disconnect.
        self.loggedOut = False
        # transactions arrive as frames: rawFrameReceived tries the core's hot path
        self.connection.undecoded = _UNDECODED

    @property
    def inFlight(self) -> int:
        """NEW / CANCEL_REPLACE requests of this connection not processed yet."""
        return self.pacer.in_flight

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.pacer.clear()
        if self.session is not None:
            core = self.factory.core
            if self.loggedOut or not self.session.alive:
                core.logout(self.session)
            else:
                notices = core.disconnected(self.session)
                if notices:
                    log_notices(coreLog, notices)
        super().connectionLost(reason)

    def serverLogout(self, reason: RejectCode, about: ClientLogon | None = None) -> None:
        if not self._closing:
            self.loggedOut = True
        super().serverLogout(reason, about)

    def faultReject(self, message: Message, reason: RejectCode) -> None:
        """A ``reject`` fault: REJECT *reason* at once, the engine never sees it."""
        session = self._loggedOnSession(message)
        if session is None or not isinstance(message, Transaction):
            return
        notices = self.factory.core.reject(session, message, reason)
        if notices:
            log_notices(coreLog, notices)

    # -- logon / logout --------------------------------------------------------------------

    def logonRequested(self, message: ClientLogon) -> None:
        if self.session is not None:
            self.rejectLogon(message, RejectCode.USER_ALREADY_LGGGED_IN)
            return
        outcome = self.factory.core.logon(message, self.sendMessage, self.serverLogout)
        if isinstance(outcome, RejectCode):
            self.rejectLogon(message, outcome)
            return
        self.session = outcome
        outcome.send_frame = self._writeLaneFrame
        outcome.next_seq = self.connection.next_seq
        self.acceptLogon(message, outcome.trading_session_id, outcome.key)

    def logoutRequested(self, message: ClientLogon) -> None:
        self.loggedOut = True
        if self.session is not None:
            self.factory.core.logout(self.session)

    def logoutMessage(self, reason: RejectCode) -> ClientLogon:
        msg = super().logoutMessage(reason)
        session = self.session
        if session is None:
            return msg
        return msg.replace(
            account=session.account,
            user_name=session.user,
            trading_session_id=session.trading_session_id,
            session_key=session.key,
        )

    # -- requests ----------------------------------------------------------------------------

    def _loggedOnSession(self, message: Message) -> Session | None:
        if self.session is None or not self.session.alive:
            held_back = self.incident(IncidentKind.BEFORE_LOGON)
            if held_back is not None:
                self.log.warn(
                    "{peer}: {name} before logon" + held_back_note(held_back),
                    peer=self.peer,
                    name=message.NAME,
                    held_back=held_back,
                )
            self.serverLogout(RejectCode.TRADING_SESSION_INVALID)
            return None
        return self.session

    def _request(self, message: Message, counted: bool = False) -> None:
        """Process *message* now or when the match delay has passed."""
        session = self._loggedOnSession(message)
        if session is None:
            return
        pacer = self.pacer
        pacer.delay = self.factory.matchDelay  # the factory's switch may change at any time
        if pacer.immediate():
            in_flight = pacer.begin(counted)
            try:
                self._process(session, message, in_flight)
            finally:
                pacer.end(counted)
        else:
            pacer.hold((session, message), counted, self.clock.seconds())
            self._rearm()

    def _process(self, session: Session, message: Message, in_flight: int) -> None:
        core = self.factory.core
        if isinstance(message, Transaction):
            # The decoded message is this call's alone (owned): the core may keep it or
            # make it its answer (the ORDER_ACK or REJECT is the request, changed).
            notices = core.transaction(session, message, in_flight, owned=True)
        elif isinstance(message, InstrumentRequest):
            notices = core.instrument_request(session, message)
        elif isinstance(message, RiskUpdateRequest):
            notices = core.risk_update_request(session, message)
        elif isinstance(message, OpenOrderRequest):
            notices = core.open_order_request(session, message)
        elif isinstance(message, CollateralRequest):
            notices = core.collateral_request(session, message)
        else:  # pragma: no cover - only the types above are queued
            return
        if notices:
            log_notices(coreLog, notices, self.factory.logLimiter, self.clock.seconds())

    def nextDeadline(self) -> float | None:
        own = super().nextDeadline()
        queued = self.pacer.next_deadline
        if queued is None or (own is not None and own <= queued):
            return own
        return queued

    def deadlineReached(self, now: float) -> None:
        super().deadlineReached(now)
        pacer = self.pacer
        for (session, message), in_flight in pacer.release(now):
            if self._closing:
                pacer.clear()
                return
            try:
                self._process(session, message, in_flight)
            finally:
                pacer.end(in_flight > 0)

    def msg_instrument_request(self, message: InstrumentRequest) -> None:
        self._request(message)

    def msg_risk_update_request(self, message: RiskUpdateRequest) -> None:
        self._request(message)

    def msg_open_order_request(self, message: OpenOrderRequest) -> None:
        self._request(message)

    def msg_collateral_request(self, message: CollateralRequest) -> None:
        self._request(message)

    def rawFrameReceived(self, frame: bytes) -> None:
        """A transaction frame: the core's hot path (:mod:`crmd_twisted.oes.lane`) takes
        it when nothing in between has a say (no match delay or queue, no per-frame
        log, no active fault, no journal); anything it declines is decoded and goes
        the usual way."""
        session = self.session
        factory = self.factory
        pacer = self.pacer
        faults = self.faults
        if (
            session is not None
            and session.alive
            and factory.matchDelay <= 0
            and not pacer.waiting
            and not self.logFrames
            and (faults is None or faults.idle)
            and factory.committer is None
        ):
            lane = factory.core.lane
            if lane.open:
                notices = lane.new_order(session, frame, pacer.in_flight + 1)
                if notices is not None:
                    self.connection.took_frame(session.last_seq)
                    if faults is not None:
                        faults.counted(1, 0)  # (its frames out: _writeLaneFrame, sendMessage)
                    if notices:
                        log_notices(coreLog, notices, factory.logLimiter, self.clock.seconds())
                    return
        super().rawFrameReceived(frame)

    def _writeLaneFrame(self, frame: bytes) -> None:
        """The session's ``send_frame``: a frame the lane built and numbered."""
        if self.faults is not None:
            self.faults.counted(0, 1)  # (the lane runs only while the faults are idle)
        self.writeFrame(frame)

    def msg_transaction(self, message: Transaction) -> None:
        self._request(message, self.factory.core.is_counted(message))

    # -- durable state: replies wait for the turn's commit (--state) ---------------------

    def sendMessage(self, message: Message) -> None:
        committer = getattr(self.factory, "committer", None)
        if committer is None:
            super().sendMessage(message)
            return
        frame = self.connection.send(message)
        if self.logFrames:
            self._logFrame("out", message, frame)
        if self.transport is not None:
            committer.hold(self.transport, frame)

    def loseConnection(self) -> None:
        committer = getattr(self.factory, "committer", None)
        if committer is not None:
            committer.flush()  # what was sent before the close is written first
        super().loseConnection()

    def unhandledMessage(self, message: Message) -> None:
        held_back = self.incident(IncidentKind.UNHANDLED_MESSAGE)
        if held_back is None:
            return
        self.log.warn(
            "{peer}: the OES does not take {name} ({type_char!r}); ignored"
            + held_back_note(held_back),
            peer=self.peer,
            name=message.NAME,
            type_char=message.TYPE_CHAR,
            held_back=held_back,
        )


class OESFactory(CRMDFactory):
    """Builds :class:`OESProtocol` connections on one :class:`OrderEntryCore`.

    Two factories (primary and secondary listener) may share a core.
    """

    protocol = OESProtocol
    #: With ``--state``: commits the core's journal before the replies are written
    #: (shared by the listeners of one core).
    committer: TurnCommitter | None = None

    def __init__(
        self,
        core: OrderEntryCore,
        *,
        clock: IReactorTime | None = None,
        wireTrace: bool = False,
        matchDelay: float = 0.0,
    ) -> None:
        super().__init__(clock=clock, wireTrace=wireTrace)
        self.core = core
        self.matchDelay = matchDelay
        self._ticker: LoopingCall | None = None

    #: Seconds between checks for time-driven engine events (DAY expiry).
    tickInterval: float = 1.0

    def buildProtocol(self, addr: IAddress | None) -> Any:
        """A connection; refused (closed at once) while an ``oes_down`` fault runs."""
        control = self.control
        if control is not None and control.faults and control.faults.oes_refuses():
            return None
        return super().buildProtocol(addr)

    def tick(self) -> None:
        """Let the core's time-driven events happen and log what it reports."""
        notices = self.core.tick()
        if notices:
            log_notices(coreLog, notices)

    def startFactory(self) -> None:
        self._ticker = LoopingCall(self.tick)
        if self.clock is not None:
            self._ticker.clock = self.clock
        self._ticker.start(self.tickInterval, now=False)

    def stopFactory(self) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        self._ticker = None

    def disconnectAll(
        self, reason: RejectCode = RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED
    ) -> None:
        """Log every connection of this listener out with *reason* and close it."""
        for proto in list(self.connections):
            assert isinstance(proto, OESProtocol)
            proto.serverLogout(reason)
