"""The AES on the network: one :class:`AESProtocol` per client connection.

A thin adapter over the shared :class:`~crmd_twisted.aes.core.AdminCore`: a
LOGIN goes to :meth:`AdminCore.logon`, its grant or reject code comes back as
the logon reply (with the OES and MDS addresses on success).
"""

from __future__ import annotations

from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

from crmd_twisted.aes.core import AdminCore
from crmd_twisted.protocol import CRMDFactory
from crmd_twisted.server import CRMDServerProtocol
from crmd_twisted.wire import ClientLogon
from crmd_twisted.wire.enums import RejectCode

__all__ = ["AESFactory", "AESProtocol"]


class AESProtocol(CRMDServerProtocol):
    """One client connection to the AES."""

    serverName = "AES"

    factory: AESFactory

    def __init__(self) -> None:
        super().__init__()
        #: (account, user, trading session id) once logged on.
        self.identity: tuple[int, str, int] | None = None

    def logonRequested(self, message: ClientLogon) -> None:
        core = self.factory.core
        outcome = core.logon(message, self.now(), self)
        if isinstance(outcome, RejectCode):
            self.rejectLogon(message, outcome)
            return
        self.identity = (message.account, message.user_name, outcome.trading_session_id)
        self.acceptLogon(
            message,
            outcome.trading_session_id,
            outcome.session_key,
            primary_oes_address=core.primary_oes,
            secondary_oes_address=core.secondary_oes,
            primary_mds_address=core.primary_mds,
            secondary_mds_address=core.secondary_mds,
        )

    def logoutMessage(self, reason: RejectCode) -> ClientLogon:
        msg = super().logoutMessage(reason)
        ident = self.identity
        if ident is None:
            return msg
        account, user, session = ident
        return msg.replace(account=account, user_name=user, trading_session_id=session)

    def logoutRequested(self, message: ClientLogon) -> None:
        self.factory.core.release(self)

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.factory.core.release(self)
        super().connectionLost(reason)

    def unhandledMessage(self, message: object) -> None:
        name = getattr(message, "NAME", "?")
        self.log.warn(
            "{peer}: the AES only handles client_logon; ignored {name}", peer=self.peer, name=name
        )


class AESFactory(CRMDFactory):
    """Builds :class:`AESProtocol` connections sharing one :class:`AdminCore`."""

    protocol = AESProtocol

    def __init__(
        self, core: AdminCore, *, clock: IReactorTime | None = None, wireTrace: bool = False
    ) -> None:
        super().__init__(clock=clock, wireTrace=wireTrace)
        self.core = core
