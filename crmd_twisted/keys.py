"""Session keys and trading session ids that two processes agree on without talking.

The AES issues a key (K1) and a trading session id; the OES, a separate process,
must check that key and, when the client sends 0 as the session id (as the
reference client does), recover the session the key was issued for.  Both sides
hold the same secret, so the key is a short MAC over the identity it was issued
to, with the session id carried in its upper half:

    K1 = session_id << 16 | HMAC-SHA256(secret, "aes|account|user|session_id")[:2]

Session ids are therefore 16-bit (1..65535).  A forged key passes with a chance
of 1 in 65536 per attempt, which is plenty for a simulator and costs no shared
state.  The OES key (K2) is a 32-bit MAC over the same identity; the OES keeps
it per connection, so it only needs to be hard to guess.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

__all__ = ["DEFAULT_SECRET", "MAX_SESSION_ID", "SessionKeys"]

#: The secret both plugins use when none is given, so the defaults work together.
DEFAULT_SECRET = "crmd-twisted-simulator"

MAX_SESSION_ID = 0xFFFF


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """Derives and checks session keys from a secret shared by AES and OES."""

    secret: bytes

    @classmethod
    def from_text(cls, secret: str) -> SessionKeys:
        return cls(secret.encode("utf-8"))

    def _mac(self, *parts: object) -> bytes:
        text = "|".join(str(p) for p in parts).encode("utf-8")
        return hmac.new(self.secret, text, hashlib.sha256).digest()

    def aes_key(self, account: int, user: str, session_id: int) -> int:
        """K1 for (account, user) in trading session *session_id* (1..65535)."""
        if not 0 < session_id <= MAX_SESSION_ID:
            raise ValueError(f"session id {session_id} outside 1..{MAX_SESSION_ID}")
        tag = int.from_bytes(self._mac("aes", account, user, session_id)[:2], "big")
        return session_id << 16 | tag

    def session_of(self, account: int, user: str, key: int) -> int | None:
        """The session id *key* was issued for, or None if it is not a valid K1."""
        session_id = key >> 16
        if not 0 < session_id <= MAX_SESSION_ID:
            return None
        if hmac.compare_digest(
            self.aes_key(account, user, session_id).to_bytes(4, "big"),
            (key & 0xFFFFFFFF).to_bytes(4, "big"),
        ):
            return session_id
        return None

    def oes_key(self, account: int, user: str, session_id: int, incarnation: int = 0) -> int:
        """K2: the key the OES hands out and expects on every later request.

        It fits the signed 32-bit ``transaction.session_key`` field and is never 0.
        """
        raw = int.from_bytes(self._mac("oes", account, user, session_id, incarnation)[:4], "big")
        return (raw & 0x7FFFFFFF) or 1
