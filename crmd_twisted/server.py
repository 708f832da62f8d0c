"""What the AES and OES simulators share on the network: a server-side protocol.

:class:`CRMDServerProtocol` adds the server's answers to stream problems - a
logout carrying INVALID_FIELD_VALUE (35) for a malformed frame,
INVALID_LOGON_TYPE (55) for a bad ``logon_type`` - and a logon deadline.  The
logon checks themselves are sans-I/O (:func:`crmd_twisted.session.check_logon`,
re-exported here for old importers).
"""

from __future__ import annotations

from typing import ClassVar

from twisted.python.failure import Failure

from crmd_twisted.control.shell import FaultInjection
from crmd_twisted.protocol import CRMDProtocol
from crmd_twisted.session import NS_PER_DAY, check_logon, sending_time_ok
from crmd_twisted.wire import (
    ClientLogon,
    FrameLengthError,
    Message,
    UnknownMessageTypeError,
    WireError,
)
from crmd_twisted.wire.enums import LoginStatus, LogonType, RejectCode

__all__ = [
    "NS_PER_DAY",
    "CRMDServerProtocol",
    "check_logon",
    "sending_time_ok",
]


class CRMDServerProtocol(CRMDProtocol):
    """Server side of a CRMD connection: logon dispatch, logouts and deadlines."""

    role: ClassVar[str] = "server"
    #: Which server this is, for log lines ("AES", "OES").
    serverName: ClassVar[str] = "server"
    #: Seconds a new connection has to log on before it is closed.
    logonTimeout: float | None = 30.0

    def __init__(self) -> None:
        super().__init__()
        self.loggedOn = False

    def connectionMade(self) -> None:
        super().connectionMade()
        # the control plane (factory.control): session registry and faults
        self.faults = FaultInjection.attach(self)
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

    def logonSucceeded(self) -> None:
        """Mark the connection logged on and stop the logon deadline."""
        self.loggedOn = True
        self.logonDone()

    def acceptLogon(
        self, request: ClientLogon, trading_session_id: int, session_key: int, **fields: object
    ) -> None:
        """Mark the connection logged on and answer *request* with SUCCESS (50)."""
        self.logonSucceeded()
        self.controlLoggedOn(request.account, request.user_name, trading_session_id)
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
        self.log.info(
            "{peer}: logon of account {account} user {user} refused: {reason}",
            peer=self.peer,
            account=request.account,
            user=request.user_name,
            reason=reason.name,
        )
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
        super().frameError(error, frame)
        if not isinstance(error, UnknownMessageTypeError):
            self.serverLogout(RejectCode.INVALID_FIELD_VALUE)

    def unrecoverableFrame(self, error: FrameLengthError) -> None:
        super().unrecoverableFrame(error)
        self.serverLogout(RejectCode.INVALID_FIELD_VALUE)

    def bufferOverflow(self, pending: int) -> None:
        super().bufferOverflow(pending)
        self.serverLogout(RejectCode.INVALID_FIELD_VALUE)
