"""The Admin server's (AES) rules and state, free of I/O.

:class:`AdminCore` holds the account directory, the key derivation shared with
the OES, the trading session ids it hands out and which (account, user) pairs
are logged on; :meth:`AdminCore.logon` answers a LOGIN with a :class:`Grant` or
a reject code.  :mod:`crmd_twisted.aes.protocol` puts it on the network.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.keys import MAX_SESSION_ID, SessionKeys
from crmd_twisted.session import check_logon
from crmd_twisted.wire import ClientLogon
from crmd_twisted.wire.enums import RejectCode

__all__ = ["AdminCore", "Grant", "format_address"]


def format_address(host: str, port: int) -> str:
    """The "host:port" text of a logon reply's address fields."""
    return f"{host}:{port}"


@dataclass(frozen=True, slots=True)
class Grant:
    """A successful AES logon: the session id and key handed to the client."""

    account: Account
    trading_session_id: int
    session_key: int


class AdminCore:
    """The AES's rules and state, free of I/O."""

    def __init__(
        self,
        directory: AccountDirectory,
        keys: SessionKeys,
        primary_oes: str,
        secondary_oes: str = "",
        primary_mds: str = "",
        secondary_mds: str = "",
        *,
        first_session_id: int | None = None,
    ) -> None:
        self.directory = directory
        self.keys = keys
        self.primary_oes = primary_oes
        self.secondary_oes = secondary_oes
        self.primary_mds = primary_mds
        self.secondary_mds = secondary_mds
        if first_session_id is None:
            first_session_id = random.randint(1, MAX_SESSION_ID)
        self._next_session_id = first_session_id
        self.active: dict[tuple[int, str], object] = {}

    def _allocate_session_id(self) -> int:
        sid = self._next_session_id
        self._next_session_id = sid % MAX_SESSION_ID + 1
        return sid

    def logon(self, request: ClientLogon, now: int, owner: object) -> RejectCode | Grant:
        """Check a LOGIN; on success *owner* holds the (account, user) session."""
        checked = check_logon(self.directory, request, now)
        if isinstance(checked, RejectCode):
            return checked
        ident = (checked.account, checked.user)
        holder = self.active.get(ident)
        if holder is not None and holder is not owner:
            return RejectCode.USER_ALREADY_LGGGED_IN
        sid = self._allocate_session_id()
        self.active[ident] = owner
        return Grant(checked, sid, self.keys.aes_key(checked.account, checked.user, sid))

    def release(self, owner: object) -> None:
        """Forget every session *owner* holds (logout or lost connection)."""
        for ident in [k for k, v in self.active.items() if v is owner]:
            del self.active[ident]
