"""What the AES and OES simulators share on the network: a server-side protocol.

:class:`CRMDServerProtocol` adds the server's answers to stream problems - a
logout carrying INVALID_FIELD_VALUE (35) for a malformed frame,
INVALID_LOGON_TYPE (55) for a bad ``logon_type`` - and a logon deadline.  The
logon checks themselves are sans-I/O (:func:`crmd_twisted.session.check_logon`,
re-exported here for old importers).

With resource limits on the factory (``factory.limits``, a
:class:`~crmd_twisted.session.limits.ServerLimits`; the plugins always set them)
a connection also gets back-pressure (see :mod:`crmd_twisted.protocol`), a
budget of skipped unknown-type frames after which it is logged out with 35, and
an idle timeout once logged on.  A ``factory.logonThrottle`` locks out failed
logons per source address and account (:mod:`crmd_twisted.session.throttle`);
``factory.logLimiter`` rate-limits the log lines of repeated incidents.
"""

from __future__ import annotations

from typing import ClassVar

from twisted.python.failure import Failure

from crmd_twisted.control.shell import FaultInjection
from crmd_twisted.protocol import CRMDProtocol, held_back_note
from crmd_twisted.session import NS_PER_DAY, check_logon, sending_time_ok
from crmd_twisted.session.limits import OutputGuard, ServerLimits
from crmd_twisted.session.ratelimit import IncidentKind
from crmd_twisted.session.throttle import account_key, address_key
from crmd_twisted.wire import (
    ClientLogon,
    FrameLengthError,
    Message,
    UnknownMessageTypeError,
    WireError,
)
from crmd_twisted.wire.enums import LoginStatus, LogonType, RejectCode

__all__ = [
    "CREDENTIAL_FAILURES",
    "NS_PER_DAY",
    "CRMDServerProtocol",
    "check_logon",
    "sending_time_ok",
]


#: Logon refusals that count as a failed guess for the logon throttle.
CREDENTIAL_FAILURES: frozenset[RejectCode] = frozenset(
    {
        RejectCode.USER_NOT_FOUND,
        RejectCode.ACCOUNT_NOT_FOUND,
        RejectCode.INVALID_KEY,
        RejectCode.KEY_INVALID,
        RejectCode.INVALID_SECURITY_KEY,
        RejectCode.TRADING_SESSION_INVALID,
    }
)


class CRMDServerProtocol(CRMDProtocol):
    """Server side of a CRMD connection: logon dispatch, logouts and deadlines."""

    role: ClassVar[str] = "server"
    #: Which server this is, for log lines ("AES", "OES").
    serverName: ClassVar[str] = "server"
    #: Seconds a new connection has to log on before it is closed.
    logonTimeout: float | None = 30.0
    #: The reject code of a logon refused unchecked because it is locked out.
    lockedOutCode: ClassVar[RejectCode] = RejectCode.INVALID_KEY
    #: The logout reason sent to a logged-on session idle for too long.
    idleLogoutCode: ClassVar[RejectCode] = RejectCode.TRADING_SESSION_INVALID

    def __init__(self) -> None:
        super().__init__()
        self.loggedOn = False
        #: Skipped frames this connection may still send (None: no budget).
        self.malformedFrameBudget: int | None = None
        #: Seconds a logged-on session may stay silent (None: forever).
        self.sessionIdleTimeout: float | None = None

    def connectionMade(self) -> None:
        super().connectionMade()
        # the control plane (factory.control): session registry and faults
        self.faults = FaultInjection.attach(self)
        limits = getattr(self.factory, "limits", None)
        if isinstance(limits, ServerLimits):
            self.applyLimits(limits)
        self.expectLogon(self.logonTimeout)

    def connectionLost(self, reason: Failure | None = None) -> None:
        if self.faults is not None:
            self.faults.lost()
        super().connectionLost(reason)

    def controlLoggedOn(self, account: int, user: str, trading_session_id: int) -> None:
        """Tell the control plane (if any) who this connection is now: faults scoped
        by account or user apply from here on, ``/api/v1/sessions`` shows it."""
        if self.faults is not None:
            self.faults.logged_on(account, user, trading_session_id)

    def faultReject(self, message: Message, reason: RejectCode) -> None:
        """A ``reject`` fault hit *message* (a transaction): answer it with REJECT
        *reason* without the engine.  Servers that take transactions override this."""
        self.log.info("{peer}: {name} dropped by a reject fault", peer=self.peer,
                      name=message.NAME)

    def applyLimits(self, limits: ServerLimits) -> None:
        """Back-pressure, the skipped-frame budget and the idle timeout of *limits*."""
        self.malformedFrameBudget = limits.malformed_frame_budget
        self.sessionIdleTimeout = limits.idle_timeout
        self.enableBackPressure(
            OutputGuard(limits.write_grace, limits.max_unsent), limits.write_high_water or None
        )

    def _throttleKeys(self, account: int) -> tuple[tuple[str, object], ...]:
        host = self.admittedFrom or self.peer.rpartition(":")[0] or self.peer
        return (address_key(host), account_key(account))

    def logonSucceeded(self) -> None:
        """Mark the connection logged on and stop the logon deadline."""
        self.loggedOn = True
        self.logonDone()
        if self.sessionIdleTimeout is not None:
            self.setTimeout(self.sessionIdleTimeout)

    def acceptLogon(
        self, request: ClientLogon, trading_session_id: int, session_key: int, **fields: object
    ) -> None:
        """Mark the connection logged on and answer *request* with SUCCESS (50)."""
        self.logonSucceeded()
        self.controlLoggedOn(request.account, request.user_name, trading_session_id)
        throttle = getattr(self.factory, "logonThrottle", None)
        if throttle is not None:
            throttle.succeeded(*self._throttleKeys(request.account))
        self.log.info(
            "{peer}: {server} logon of account {account} user {user}, session {session}",
            peer=self.peer,
            server=self.serverName,
            account=request.account,
            user=request.user_name,
            session=trading_session_id,
        )
        self.sendMessage(
            self.logonReply(
                request,
                trading_session_id=trading_session_id,
                session_key=session_key,
                login_status=LoginStatus.SUCCESS,
                reject_reason=RejectCode.ACCEPTED,
                **fields,
            )
        )

    # -- logon / logout ------------------------------------------------------------------------

    def msg_client_logon(self, message: ClientLogon) -> None:
        if message.logon_type == LogonType.LOGIN:
            if not self.loggedOn and self._lockedOut(message):
                return
            self.logonRequested(message)
        elif message.logon_type == LogonType.LOGOUT:
            self.log.info(
                "{peer}: logout from account {account} user {user}",
                peer=self.peer,
                account=message.account,
                user=message.user_name,
            )
            self.logoutRequested(message)
            self.loseConnection()
        else:
            self.log.warn(
                "{peer}: invalid logon_type {logon_type}",
                peer=self.peer,
                logon_type=message.logon_type,
            )
            self.serverLogout(RejectCode.INVALID_LOGON_TYPE, message)

    def logonRequested(self, message: ClientLogon) -> None:
        """A LOGIN arrived; subclasses answer it."""
        raise NotImplementedError

    def _lockedOut(self, message: ClientLogon) -> bool:
        """Refuse *message* unchecked if its address or account is locked out."""
        throttle = getattr(self.factory, "logonThrottle", None)
        if throttle is None:
            return False
        now = self.clock.seconds()
        until = throttle.locked_until(now, *self._throttleKeys(message.account))
        if until is None:
            return False
        held_back = self.incident(IncidentKind.LOGON_LOCKED_OUT)
        if held_back is not None:
            self.log.warn(
                "{peer}: {server} logon of account {account} refused unchecked: locked out "
                "for {wait:.1f}s more after failed logons" + held_back_note(held_back),
                peer=self.peer,
                server=self.serverName,
                account=message.account,
                wait=until - now,
                held_back=held_back,
            )
        self._refuse(message, self.lockedOutCode)
        return True

    def logoutRequested(self, message: ClientLogon) -> None:
        """A LOGOUT arrived; the connection closes right after this returns."""

    def logonReply(self, request: ClientLogon, **fields: object) -> ClientLogon:
        """A logon reply echoing *request*'s identity with *fields* set."""
        reply = ClientLogon(
            logon_type=LogonType.LOGIN,
            account=request.account,
            user_name=request.user_name,
            two_fa=request.two_fa,
            trading_session_id=request.trading_session_id,
            sending_time=self.now(),
        )
        for name, value in fields.items():
            setattr(reply, name, value)
        return reply

    def rejectLogon(self, request: ClientLogon, reason: RejectCode) -> None:
        """Answer a logon with FAILURE and *reason*, then close."""
        throttle = getattr(self.factory, "logonThrottle", None)
        if throttle is not None and reason in CREDENTIAL_FAILURES:
            throttle.failed(self.clock.seconds(), *self._throttleKeys(request.account))
        held_back = self.incident(IncidentKind.LOGON_REFUSED)
        if held_back is not None:
            self.log.info(
                "{peer}: logon of account {account} user {user} refused: {reason}"
                + held_back_note(held_back),
                peer=self.peer,
                account=request.account,
                user=request.user_name,
                reason=reason.name,
                held_back=held_back,
            )
        self._refuse(request, reason)

    def _refuse(self, request: ClientLogon, reason: RejectCode) -> None:
        self.sendMessage(
            self.logonReply(
                request, login_status=LoginStatus.FAILURE, reject_reason=reason, session_key=0
            )
        )
        self.loseConnection()

    def serverLogout(self, reason: RejectCode, about: ClientLogon | None = None) -> None:
        """Send a logout carrying *reason* and close the connection."""
        if self._closing:
            return
        self.log.info("{peer}: server logout: {reason}", peer=self.peer, reason=reason.name)
        self.sendMessage(self.logoutMessage(reason))
        self.loseConnection()

    def logoutMessage(self, reason: RejectCode) -> ClientLogon:
        """The logout frame this server sends; subclasses add their identity fields."""
        return ClientLogon(
            logon_type=LogonType.LOGOUT, reject_reason=reason, sending_time=self.now()
        )

    # -- stream problems -----------------------------------------------------------------------

    def frameError(self, error: WireError, frame: bytes) -> None:
        kind = (
            IncidentKind.UNKNOWN_MESSAGE_TYPE
            if isinstance(error, UnknownMessageTypeError)
            else IncidentKind.MALFORMED_FRAME
        )
        held_back = self.incident(kind)
        if held_back is not None:
            self.log.warn(
                "{peer}: skipped malformed frame: {error}" + held_back_note(held_back),
                peer=self.peer,
                error=str(error),
                error_class=type(error).__name__,
                frame_hex=frame[:64].hex(),
                held_back=held_back,
            )
        if kind is IncidentKind.MALFORMED_FRAME:
            self.serverLogout(RejectCode.INVALID_FIELD_VALUE)
            return
        budget = self.malformedFrameBudget
        if budget is not None:
            self.malformedFrameBudget = budget - 1
            if budget <= 0:
                self.log.warn(
                    "{peer}: logging out, too many skipped frames", peer=self.peer
                )
                self.serverLogout(RejectCode.INVALID_FIELD_VALUE)

    def timeoutConnection(self) -> None:
        """Nothing received for the idle timeout: a logged-on session is logged out."""
        if not self.loggedOn:
            super().timeoutConnection()
            return
        self.log.info(
            "{peer}: {server} logout, session idle for {timeout}s",
            peer=self.peer,
            server=self.serverName,
            timeout=self.idleTimeout,
        )
        self.serverLogout(self.idleLogoutCode)

    def unrecoverableFrame(self, error: FrameLengthError) -> None:
        super().unrecoverableFrame(error)
        self.serverLogout(RejectCode.INVALID_FIELD_VALUE)

    def bufferOverflow(self, pending: int) -> None:
        super().bufferOverflow(pending)
        self.serverLogout(RejectCode.INVALID_FIELD_VALUE)
