"""The live connections of an exchange, for the admin API and the fault decisions.

Pure (no Twisted): every protocol shell registers its connection when it is
made, tells the entry when the logon succeeded and unregisters it when the
connection is lost.  An entry carries two callables the control plane uses to
act on the connection: ``logout(code)`` (server logout, then close) and
``abort()`` (cut TCP, no logout).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from crmd_twisted.control.faults import ServerKind, SessionIdentity

__all__ = ["SessionEntry", "SessionRegistry"]


class SessionEntry:
    """One connection to the AES, an OES or the MDS."""

    __slots__ = (
        "abort", "account", "connected_ns", "frames_in", "frames_out", "identity", "logout",
        "peer", "server", "trading_session_id", "user",
    )

    def __init__(
        self,
        server: ServerKind,
        peer: str,
        connected_ns: int,
        logout: Callable[[int], None],
        abort: Callable[[], None],
    ) -> None:
        self.server = server
        self.peer = peer
        self.connected_ns = connected_ns
        self.logout = logout
        self.abort = abort
        self.account: int | None = None
        self.user: str | None = None
        self.trading_session_id: int | None = None
        #: what the fault decisions are asked about (changes at logon)
        self.identity = SessionIdentity(server)
        #: frames received from / sent to the peer (the protocol shell counts them)
        self.frames_in = 0
        self.frames_out = 0

    def logged_on(self, account: int, user: str, trading_session_id: int) -> None:
        """The connection's logon succeeded."""
        self.account = account
        self.user = user
        self.trading_session_id = trading_session_id
        self.identity = SessionIdentity(self.server, account, user)

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server.value,
            "account": self.account,
            "user": self.user,
            "trading_session_id": self.trading_session_id,
            "peer": self.peer,
            "connected_ns": self.connected_ns,
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
        }

    def __repr__(self) -> str:
        return f"<SessionEntry {self.server.value} {self.peer} {self.account}/{self.user}>"


class SessionRegistry:
    """Every live connection, in the order they were made."""

    def __init__(self) -> None:
        self._entries: dict[int, SessionEntry] = {}

    def register(
        self,
        server: ServerKind,
        peer: str,
        connected_ns: int,
        logout: Callable[[int], None],
        abort: Callable[[], None],
    ) -> SessionEntry:
        """A connection was made; keep the entry to report its logon and loss."""
        entry = SessionEntry(server, peer, connected_ns, logout, abort)
        self._entries[id(entry)] = entry
        return entry

    def unregister(self, entry: SessionEntry) -> None:
        """The connection is gone (idempotent)."""
        self._entries.pop(id(entry), None)

    def __iter__(self) -> Iterator[SessionEntry]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def with_identity(self, identity: SessionIdentity) -> list[SessionEntry]:
        """The connections that are *identity* (pre-logon ones share one identity)."""
        return [e for e in self._entries.values() if e.identity == identity]
