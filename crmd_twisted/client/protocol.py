"""The client side of a CRMD connection, made to be subclassed.

:class:`CRMDClientProtocol` logs on (:meth:`~CRMDClientProtocol.logOn` returns a
Deferred), builds requests that carry the session's account, key and trading
session id, and dispatches what comes back:

* every message to ``msg_<name>`` (``msg_instrument_response``, ...);
* each ``transaction`` further to ``tx_<TRANSACTION TYPE>`` (``tx_ORDER_ACK``,
  ``tx_EXECUTION``, ``tx_REJECT``, ...), falling back to
  :meth:`~CRMDClientProtocol.transactionReceived`;
* a server logout to :meth:`~CRMDClientProtocol.serverLoggedOut`.

A minimal custom client::

    class Recorder(CRMDClientProtocol):
        def tx_ORDER_ACK(self, tx):
            self.acked.append(tx.order_id)

        def tx_QUOTE_FILL(self, tx):
            self.fills.append((tx.exec_qty, tx.exec_price))
"""

from __future__ import annotations

from typing import Any, ClassVar

from twisted.internet import defer
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure

from crmd_twisted.client.errors import LogonRejected, LogonTimeout
from crmd_twisted.protocol import CRMDFactory, CRMDProtocol
from crmd_twisted.wire import (
    ClientLogon,
    CollateralRequest,
    InstrumentRequest,
    Message,
    OpenOrderRequest,
    RiskUpdateRequest,
    Transaction,
    two_fa_code,
)
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    LoginStatus,
    LogonType,
    RejectCode,
    RequestType,
    TransactionType,
    coerce,
)

__all__ = ["CRMDClientFactory", "CRMDClientProtocol", "Credentials"]


class Credentials:
    """Who is logged on, as the requests of a session must say it."""

    __slots__ = ("account", "key", "trading_session_id", "user")

    def __init__(self, account: int, user: str, trading_session_id: int, key: int) -> None:
        self.account = account
        self.user = user
        self.trading_session_id = trading_session_id
        self.key = key

    def __repr__(self) -> str:
        return (
            f"Credentials(account={self.account}, user={self.user!r}, "
            f"trading_session_id={self.trading_session_id}, key={self.key})"
        )


class CRMDClientProtocol(CRMDProtocol):
    """One connection to an AES or OES, from the client's side."""

    role: ClassVar[str] = "client"
    #: Seconds to wait for a logon reply before :meth:`logOn` fails.
    logonTimeout: float | None = 10.0

    def __init__(self) -> None:
        super().__init__()
        self.credentials: Credentials | None = None
        self.logoutReason: int | None = None
        self._logonWaiter: defer.Deferred[ClientLogon] | None = None
        self._closedWaiters: list[defer.Deferred[None]] = []
        self.connected = False

    def connectionMade(self) -> None:
        super().connectionMade()
        self.connected = True

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.connected = False
        super().connectionLost(reason if reason is not None else connectionDone)
        waiter, self._logonWaiter = self._logonWaiter, None
        if waiter is not None:
            waiter.errback(reason if reason is not None else Failure(ConnectionError("lost")))
        closed, self._closedWaiters = self._closedWaiters, []
        for d in closed:
            d.callback(None)

    # -- logon / logout ----------------------------------------------------------------------

    def logOn(
        self,
        account: int,
        user: str,
        *,
        api_key: str | None = None,
        two_fa: str | None = None,
        session_key: int = 0,
        trading_session_id: int = 0,
    ) -> defer.Deferred[ClientLogon]:
        """Send a LOGIN; the Deferred fires with the successful reply.

        It fails with :class:`LogonRejected` (status FAILURE, carrying the reject
        code), :class:`LogonTimeout`, or the connection's loss.
        """
        if two_fa is None:
            two_fa = two_fa_code(api_key) if api_key is not None else "000000"
        waiter: defer.Deferred[ClientLogon] = defer.Deferred()
        self._logonWaiter = waiter
        self.sendMessage(
            ClientLogon(
                logon_type=LogonType.LOGIN,
                account=account,
                user_name=user,
                two_fa=two_fa,
                trading_session_id=trading_session_id,
                session_key=session_key,
                sending_time=self.now(),
            )
        )
        self.expectLogon(self.logonTimeout)
        return waiter

    def logonTimedOut(self) -> None:
        """No logon reply within ``logonTimeout``: :meth:`logOn` fails, the connection closes."""
        waiter, self._logonWaiter = self._logonWaiter, None
        if waiter is not None:
            waiter.errback(LogonTimeout(f"no logon reply within {self.logonTimeout}s"))
            self.loseConnection()

    def whenClosed(self) -> defer.Deferred[None]:
        """Fires once the connection is closed (at once if it already is)."""
        if not self.connected:
            return defer.succeed(None)
        d: defer.Deferred[None] = defer.Deferred()
        self._closedWaiters.append(d)
        return d

    def logOut(self) -> defer.Deferred[None]:
        """Send a LOGOUT (the server closes without replying) and close.

        The Deferred fires when the connection is closed, i.e. after the logout
        frame was written out: a program that exits right after logging out
        should wait for it.
        """
        closed = self.whenClosed()
        if not self.connected or self._closing:
            return closed
        creds = self.credentials
        self.sendMessage(
            ClientLogon(
                logon_type=LogonType.LOGOUT,
                account=creds.account if creds else 0,
                user_name=creds.user if creds else "",
                trading_session_id=creds.trading_session_id if creds else 0,
                session_key=creds.key if creds else 0,
                sending_time=self.now(),
            )
        )
        self.loseConnection()
        return closed

    def msg_client_logon(self, message: ClientLogon) -> None:
        if message.logon_type == LogonType.LOGOUT:
            self.logoutReason = message.reject_reason
            self.serverLoggedOut(message.reject_reason, message)
            return
        waiter, self._logonWaiter = self._logonWaiter, None
        self.logonDone()
        if waiter is None:
            self.log.warn("{peer}: unexpected logon reply ignored", peer=self.peer)
            return
        if message.login_status == LoginStatus.SUCCESS:
            self.credentials = Credentials(
                message.account,
                message.user_name,
                message.trading_session_id,
                message.session_key,
            )
            waiter.callback(message)
        else:
            waiter.errback(LogonRejected(message.reject_reason, message))

    def serverLoggedOut(self, reason: int, message: ClientLogon) -> None:
        """The server logged this client out with *reason*; it closes next."""
        self.log.info(
            "{peer}: logged out by the server: {reason}",
            peer=self.peer,
            reason=getattr(coerce(RejectCode, reason), "name", reason),
        )

    # -- building requests ----------------------------------------------------------------------

    def _creds(self) -> Credentials:
        if self.credentials is None:
            raise RuntimeError("not logged on")
        return self.credentials

    def _request(self, cls: type[Message], message_type: int, symbol_enum: int) -> None:
        """Send a request of *cls* for all instruments (0) or one, as this session."""
        c = self._creds()
        fields: dict[str, object] = {
            "message_type": message_type,
            "account": c.account,
            "symbol_enum": symbol_enum,
            "trading_session_id": c.trading_session_id,
            "sending_time": self.now(),
        }
        if "request_type" in cls.FIELD_NAMES:
            fields["request_type"] = RequestType.SYMBOL_ENUM if symbol_enum else RequestType.ALL
        if "session_key" in cls.FIELD_NAMES:  # open_order_request has no key field
            fields["session_key"] = c.key
        self.sendMessage(cls(**fields))

    def requestInstruments(self, symbol_enum: int = 0) -> None:
        self._request(InstrumentRequest, TransactionType.INSTRUMENT_REQUEST, symbol_enum)

    def requestRisk(self, symbol_enum: int = 0) -> None:
        self._request(RiskUpdateRequest, TransactionType.RISK_UPDATE_REQUEST, symbol_enum)

    def requestOpenOrders(self, symbol_enum: int = 0) -> None:
        self._request(OpenOrderRequest, TransactionType.OPEN_ORDER_REQUEST, symbol_enum)

    def requestCollateral(self, symbol_enum: int = 0) -> None:
        self._request(CollateralRequest, TransactionType.COLLATERAL_UPDATE_REQ, symbol_enum)

    def sendTransaction(self, tx: Transaction) -> Transaction:
        """Send *tx* as this session: with its account, key, session id and time.

        *tx* itself is not changed; the message sent (a stamped copy) is returned.
        """
        c = self._creds()
        stamped = tx.replace(
            account=c.account,
            trading_session_id=c.trading_session_id,
            session_key=c.key,
            sending_time=self.now(),
            attributes=tx.attributes or NO_ATTRIBUTES,
        )
        self.sendMessage(stamped)
        return stamped

    # -- receiving transactions -----------------------------------------------------------------

    def msg_transaction(self, message: Transaction) -> None:
        kind = coerce(TransactionType, message.message_type)
        handler = None
        if isinstance(kind, TransactionType):
            handler = getattr(self, "tx_" + kind.name, None)
        if handler is None:
            self.transactionReceived(message)
        else:
            handler(message)

    def transactionReceived(self, message: Transaction) -> None:
        """A transaction without a ``tx_<TYPE>`` handler; by default logged."""
        kind = coerce(TransactionType, message.message_type)
        self.log.info(
            "{peer}: {kind} order {order_id}",
            peer=self.peer,
            kind=getattr(kind, "name", kind),
            order_id=message.order_id,
        )


class CRMDClientFactory(CRMDFactory):
    """A factory of :class:`CRMDClientProtocol` (or a subclass given as *protocol*)."""

    def __init__(self, protocol: type[CRMDClientProtocol] = CRMDClientProtocol, **kw: Any) -> None:
        super().__init__(**kw)
        self.protocol = protocol
