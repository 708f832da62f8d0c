"""Where a session connects and what a refusal means: the fail-over rules, free of I/O.

1. Without a valid AES grant the session logs on to the AES first; the reply's
   addresses, key K1 and trading session id make a :class:`Grant`
   (:func:`grant_from_reply`).
2. It tries the OES :func:`targets` in order: the primary, then the secondary -
   or the secondary first after the OES logged it out with 9 / 10
   (:func:`prefers_secondary_after_logout`).
3. With neither reachable the grant is forgotten: the next attempt goes back
   through the AES.

An OES logon refusal is classified by :func:`after_oes_refusal`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from crmd_twisted.address import parse_address
from crmd_twisted.wire import ClientLogon
from crmd_twisted.wire.enums import RejectCode

__all__ = [
    "FAILOVER_REASONS",
    "STALE_GRANT_REASONS",
    "Grant",
    "Refusal",
    "after_oes_refusal",
    "grant_from_reply",
    "prefers_secondary_after_logout",
    "targets",
]

#: OES logout reasons that mean "go to the secondary OES".
FAILOVER_REASONS = frozenset(
    {RejectCode.MES_NOT_AVAILABLE_TRADING_DISABLED, RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED}
)
#: OES logon refusals that a fresh AES logon may cure.
STALE_GRANT_REASONS = frozenset(
    {RejectCode.INVALID_KEY, RejectCode.KEY_INVALID, RejectCode.TRADING_SESSION_INVALID}
)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a successful AES logon hands the session."""

    primary: tuple[str, int]
    secondary: tuple[str, int] | None
    key: int
    trading_session_id: int
    #: market-data servers of the reply (None: none, or an address that does not parse)
    primary_mds: tuple[str, int] | None = None
    secondary_mds: tuple[str, int] | None = None


def grant_from_reply(reply: ClientLogon) -> tuple[Grant, str | None]:
    """The grant of a successful AES logon reply, and why its secondary was ignored.

    Raises :class:`ValueError` (naming the address) when the primary OES address
    does not parse: a failed logon on the client side (PROTOCOL.md 7.2).  A
    secondary that does not parse (empty, or the reference's ``"1"``) means no
    fail-over; the second value says why when the field was not empty.
    """
    try:
        primary = parse_address(reply.primary_oes_address)
    except ValueError as e:
        raise ValueError(f"primary OES address {reply.primary_oes_address!r}: {e}") from None
    secondary: tuple[str, int] | None = None
    why_not: str | None = None
    text = reply.secondary_oes_address.split("\x00", 1)[0]
    if text:
        try:
            secondary = parse_address(text)
        except ValueError as e:
            why_not = f"secondary OES address {text!r} ignored: {e}"
    grant = Grant(
        primary, secondary, reply.session_key, reply.trading_session_id,
        reply.primary_mds, reply.secondary_mds,
    )  # fmt: skip
    return grant, why_not


def targets(grant: Grant, prefer_secondary: bool) -> list[tuple[str, int]]:
    """The OES addresses to try, in order."""
    if grant.secondary is None:
        return [grant.primary]
    if prefer_secondary:
        return [grant.secondary, grant.primary]
    return [grant.primary, grant.secondary]


def prefers_secondary_after_logout(reason: int, grant: Grant | None, preferred: bool) -> bool:
    """Whether the next attempt starts at the other OES after a server logout for *reason*."""
    if reason in FAILOVER_REASONS:
        return grant is not None and not preferred
    return preferred


class Refusal(Enum):
    """What to do after the OES refused a logon."""

    RENEW_GRANT = "renew_grant"  #: forget the grant, log on to the AES again, retry
    RETRY = "retry"  #: retry with the same grant
    FATAL = "fatal"  #: stop the session: retrying cannot help


def after_oes_refusal(code: int, *, fresh_grant: bool, logged_on_before: bool) -> Refusal:
    """Classify an OES logon refusal.

    A stale key or session id may be cured by a fresh AES logon (once: a grant
    just issued that is refused is fatal); USER_ALREADY_LOGGED_IN after an
    earlier logon means the OES has not noticed our old connection drop yet.
    """
    if code in STALE_GRANT_REASONS and not fresh_grant:
        return Refusal.RENEW_GRANT
    if code == RejectCode.USER_ALREADY_LGGGED_IN and logged_on_before:
        return Refusal.RETRY
    return Refusal.FATAL
