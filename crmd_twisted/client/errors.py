"""Exceptions the client API fails its Deferreds with."""

from __future__ import annotations

from typing import Any

from crmd_twisted.wire.enums import RejectCode, TransactionType, coerce

__all__ = [
    "CRMDClientError",
    "ConnectionFailed",
    "LogonRejected",
    "LogonTimeout",
    "NotConnected",
    "RequestRejected",
    "RequestTimeout",
    "reject_name",
]


def reject_name(code: int) -> str:
    """The reject code's name, or its number when unknown."""
    member = coerce(RejectCode, code)
    return member.name if isinstance(member, RejectCode) else f"reject code {code}"


class CRMDClientError(Exception):
    """Base of every client-side failure."""


class LogonRejected(CRMDClientError):
    """A logon answered with FAILURE; ``code`` is the reject code, ``name`` its name."""

    def __init__(self, code: int, reply: Any = None) -> None:
        self.code = code
        self.name = reject_name(code)
        self.reply = reply
        super().__init__(f"logon rejected: {self.name} ({code})")


class LogonTimeout(CRMDClientError):
    """No logon reply arrived in time."""


class ConnectionFailed(CRMDClientError):
    """The session gave up connecting: ``max_attempts`` attempts in a row failed.

    ``address`` is the ``(host, port)`` of the last attempt, ``attempts`` how
    many failed in a row, ``reason`` the last error (an exception).
    """

    def __init__(self, address: tuple[str, int] | None, attempts: int, reason: object) -> None:
        self.address = address
        self.attempts = attempts
        self.reason = reason
        where = f"{address[0]}:{address[1]}" if address is not None else "the server"
        super().__init__(
            f"cannot connect to {where} after {attempts} attempt(s): {_describe(reason)}"
        )


def _describe(error: object) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class RequestTimeout(CRMDClientError):
    """No reply to a request arrived in time."""


class NotConnected(CRMDClientError):
    """The session stopped before the request could be answered."""


class RequestRejected(CRMDClientError):
    """A request or order was refused; ``code``/``name`` say why, ``reply`` is the frame."""

    def __init__(self, code: int, reply: Any = None, detail: str = "") -> None:
        self.code = code
        self.name = reject_name(code)
        self.reply = reply
        kind = ""
        if reply is not None and hasattr(reply, "message_type"):
            t = coerce(TransactionType, reply.message_type)
            kind = f"{getattr(t, 'name', t)} "
        if detail:
            kind = f"{detail}: {kind}"
        super().__init__(f"{kind}{self.name} ({code})")
