"""What the AES and OES simulators share: logon rules and a server-side protocol.

:func:`check_logon` is the sans-I/O part (plain values in, a reject code or the
account out); :class:`CRMDServerProtocol` adds the server's answers to stream
problems - a logout carrying INVALID_FIELD_VALUE (35) for a malformed frame,
INVALID_LOGON_TYPE (55) for a bad ``logon_type`` - and a logon deadline.
"""

from __future__ import annotations

from typing import ClassVar

from twisted.internet.interfaces import IDelayedCall
from twisted.python.failure import Failure

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.protocol import CRMDProtocol
from crmd_twisted.wire import (
    ClientLogon,
    FrameLengthError,
    UnknownMessageTypeError,
    WireError,
    two_fa_code,
)
from crmd_twisted.wire.enums import LoginStatus, LogonType, RejectCode

__all__ = [
    "NS_PER_DAY",
    "CRMDServerProtocol",
    "check_logon",
    "sending_time_ok",
]

NS_PER_DAY = 86_400 * 1_000_000_000


def sending_time_ok(sending_time: int, now: int, *, zero_ok: bool = False) -> bool:
    """True when *sending_time* lies strictly within one day of *now* (ns)."""
    if sending_time == 0 and zero_ok:
        return True
    return now - NS_PER_DAY < sending_time < now + NS_PER_DAY


def check_logon(
    directory: AccountDirectory, logon: ClientLogon, now: int
) -> RejectCode | Account:
    """Check a logon's time, identity, account state and 2FA code.

    Returns the account on success, or the reject code of the first failed check.
    """
    if not sending_time_ok(logon.sending_time, now):
        return RejectCode.SENDING_TIME_INVALID
    account = directory.lookup(logon.account, logon.user_name)
    if account is None:
        if directory.knows_account(logon.account):
            return RejectCode.USER_NOT_FOUND
        return RejectCode.ACCOUNT_NOT_FOUND
    if account.disabled:
        return RejectCode.ACCOUNT_DISABLED
    if account.api_key is not None and logon.two_fa != two_fa_code(account.api_key):
        return RejectCode.INVALID_SECURITY_KEY
    return account


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
        self._logonTimer: IDelayedCall | None = None

    def connectionMade(self) -> None:
        super().connectionMade()
        if self.logonTimeout is not None:
            self._logonTimer = self.clock.callLater(self.logonTimeout, self._logonExpired)

    def connectionLost(self, reason: Failure | None = None) -> None:
        self._cancelLogonTimer()
        super().connectionLost(reason)  # type: ignore[arg-type]

    def logonSucceeded(self) -> None:
        """Mark the connection logged on and stop the logon deadline."""
        self.loggedOn = True
        self._cancelLogonTimer()

    def acceptLogon(
        self, request: ClientLogon, trading_session_id: int, session_key: int, **fields: object
    ) -> None:
        """Mark the connection logged on and answer *request* with SUCCESS (50)."""
        self.logonSucceeded()
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

    def _cancelLogonTimer(self) -> None:
        if self._logonTimer is not None and self._logonTimer.active():
            self._logonTimer.cancel()
        self._logonTimer = None

    def _logonExpired(self) -> None:
        self._logonTimer = None
        if not self.loggedOn and not self._closing:
            self.log.info(
                "{peer}: closing, no logon within {timeout}s",
                peer=self.peer,
                timeout=self.logonTimeout,
            )
            self.loseConnection()

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
