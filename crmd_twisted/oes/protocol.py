"""The OES on the network: one :class:`OESProtocol` per client connection.

The protocol is a thin adapter: it turns decoded frames into calls on the
shared :class:`~crmd_twisted.oes.core.OrderEntryCore` and the core's answers
into frames.  Requests of one connection are answered in the order they
arrived.  With ``matchDelay`` > 0 every request waits that long before it is
processed (an exchange's round trip), which is what makes the
outstanding-request limit observable: NEW and CANCEL_REPLACE requests beyond
the session's limit that are still unanswered get
OUTSTANDING_OPEN_REQUESTS_EXCEEDED.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.protocol import CRMDFactory
from crmd_twisted.server import CRMDServerProtocol
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

__all__ = ["OESFactory", "OESProtocol"]


class OESProtocol(CRMDServerProtocol):
    """One client connection to the OES."""

    serverName = "OES"

    factory: OESFactory

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.inFlight = 0
        self._queue: deque[tuple[float, Callable[[], None]]] = deque()
        self._queueTimer: IDelayedCall | None = None

    def connectionLost(self, reason: Failure | None = None) -> None:
        if self._queueTimer is not None and self._queueTimer.active():
            self._queueTimer.cancel()
        self._queueTimer = None
        self._queue.clear()
        if self.session is not None:
            self.factory.core.logout(self.session)
        super().connectionLost(reason)

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
        self.acceptLogon(message, outcome.trading_session_id, outcome.key)

    def logoutRequested(self, message: ClientLogon) -> None:
        if self.session is not None:
            self.factory.core.logout(self.session)

    def logoutMessage(self, reason: RejectCode) -> ClientLogon:
        msg = super().logoutMessage(reason)
        if self.session is not None:
            msg.account = self.session.account
            msg.user_name = self.session.user
            msg.trading_session_id = self.session.trading_session_id
            msg.session_key = self.session.key
        return msg

    # -- requests ----------------------------------------------------------------------------

    def _loggedOnSession(self, message: Message) -> Session | None:
        if self.session is None or not self.session.alive:
            self.log.warn(
                "{peer}: {name} before logon", peer=self.peer, name=message.NAME
            )
            self.serverLogout(RejectCode.TRADING_SESSION_INVALID)
            return None
        return self.session

    def _enqueue(self, work: Callable[[], None]) -> None:
        delay = self.factory.matchDelay
        if delay <= 0 and not self._queue:
            work()
            return
        self._queue.append((self.clock.seconds() + delay, work))
        if self._queueTimer is None:
            self._queueTimer = self.clock.callLater(max(delay, 0.0), self._drain)

    def _drain(self) -> None:
        self._queueTimer = None
        now = self.clock.seconds()
        while self._queue and self._queue[0][0] <= now + 1e-9:
            _, work = self._queue.popleft()
            work()
            if self._closing:
                self._queue.clear()
                return
        if self._queue:
            self._queueTimer = self.clock.callLater(
                max(self._queue[0][0] - now, 0.0), self._drain
            )

    def msg_instrument_request(self, message: InstrumentRequest) -> None:
        session = self._loggedOnSession(message)
        if session is not None:
            self._enqueue(lambda: self.factory.core.instrument_request(session, message))

    def msg_risk_update_request(self, message: RiskUpdateRequest) -> None:
        session = self._loggedOnSession(message)
        if session is not None:
            self._enqueue(lambda: self.factory.core.risk_update_request(session, message))

    def msg_open_order_request(self, message: OpenOrderRequest) -> None:
        session = self._loggedOnSession(message)
        if session is not None:
            self._enqueue(lambda: self.factory.core.open_order_request(session, message))

    def msg_collateral_request(self, message: CollateralRequest) -> None:
        session = self._loggedOnSession(message)
        if session is not None:
            self._enqueue(lambda: self.factory.core.collateral_request(session, message))

    def msg_transaction(self, message: Transaction) -> None:
        session = self.session
        if session is None or not session.alive:
            self._loggedOnSession(message)
            return
        core = self.factory.core
        # The decoded message is this call's alone: the core may keep it (owned).
        if not core.is_counted(message):
            self._enqueue(lambda: core.transaction(session, message, 0, owned=True))
            return
        self.inFlight += 1
        position = self.inFlight
        if not self._queue and self.factory.matchDelay <= 0:
            # The hot path: processed at once (what _enqueue would do), no closure.
            try:
                core.transaction(session, message, position, owned=True)
            finally:
                self.inFlight -= 1
            return

        def work() -> None:
            try:
                core.transaction(session, message, position, owned=True)
            finally:
                self.inFlight -= 1

        self._enqueue(work)

    def unhandledMessage(self, message: Message) -> None:
        self.log.warn(
            "{peer}: the OES does not take {name} ({type_char!r}); ignored",
            peer=self.peer,
            name=message.NAME,
            type_char=message.TYPE_CHAR,
        )


class OESFactory(CRMDFactory):
    """Builds :class:`OESProtocol` connections on one :class:`OrderEntryCore`.

    Two factories (primary and secondary listener) may share a core.
    """

    protocol = OESProtocol

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

    def startFactory(self) -> None:
        self._ticker = LoopingCall(self.core.tick)
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
