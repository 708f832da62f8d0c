"""What the OES core reports for the log, as data.

The core does not log (it imports no Twisted): its request methods return
:class:`Notice` values and the shell (:mod:`crmd_twisted.oes.protocol`) emits
each one through ``twisted.logger`` with :attr:`Notice.FORMAT` and the notice's
fields.  Tests read the same values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import Enum, StrEnum
from typing import ClassVar

__all__ = [
    "NO_NOTICES",
    "CancelledOnDisconnect",
    "ClientRefused",
    "EngineEventIgnored",
    "Notice",
    "NoticeLevel",
    "Notices",
    "RequestRefused",
    "TransactionRejected",
    "UnknownOrderFill",
    "UnknownSymbol",
]


# notice class -> its field names (dataclasses.fields() is slow for a per-reject call)
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: object) -> object:
    return value.name if isinstance(value, Enum) else value


class NoticeLevel(StrEnum):
    """How much a notice matters (the names of ``twisted.logger.LogLevel``)."""

    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"


@dataclass(slots=True)  # not frozen: a notice is built per reject, frozen costs more
class Notice:
    """Base of every notice: a log level and a format over the notice's fields."""

    LEVEL: ClassVar[NoticeLevel] = NoticeLevel.INFO
    FORMAT: ClassVar[str] = ""

    def log_fields(self) -> dict[str, object]:
        """The fields the format refers to (enums as their names)."""
        names = _FIELD_NAMES.get(type(self))
        if names is None:
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in fields(self))
        return {name: _plain(getattr(self, name)) for name in names}


@dataclass(slots=True)
class RequestRefused(Notice):
    """A request with a reject carrier was answered with *reason*."""

    FORMAT: ClassVar[str] = "{what} of account {account} refused: {reason}"
    what: str
    account: int
    reason: object


@dataclass(slots=True)
class ClientRefused(Notice):
    """A request without a reject carrier failed a check: the client is logged out."""

    FORMAT: ClassVar[str] = (
        "{what} of account {account} refused: {reason}; logging the client out"
    )
    what: str
    account: int
    reason: object


@dataclass(slots=True)
class UnknownSymbol(Notice):
    """A request named an instrument the OES does not list; no reply was sent."""

    FORMAT: ClassVar[str] = "{what} for unknown symbol_enum {symbol}; no reply"
    what: str
    symbol: int


@dataclass(slots=True)
class TransactionRejected(Notice):
    """A transaction was answered with REJECT and *reason*."""

    FORMAT: ClassVar[str] = "transaction {order_id} of account {account} rejected: {reason}"
    order_id: int
    account: int
    reason: object


@dataclass(slots=True)
class UnknownOrderFill(Notice):
    """The engine filled an order the OES has no message of; nothing was sent."""

    LEVEL: ClassVar[NoticeLevel] = NoticeLevel.WARN
    FORMAT: ClassVar[str] = "fill of unknown order {order_id} of account {account}"
    account: int
    order_id: int


@dataclass(slots=True)
class CancelledOnDisconnect(Notice):
    """The last session of an account was lost without a logout: its orders went."""

    FORMAT: ClassVar[str] = (
        "account {account} (user {user}) disconnected without a logout: "
        "{cancelled} open order(s) cancelled"
    )
    account: int
    user: str
    cancelled: int


@dataclass(slots=True)
class EngineEventIgnored(Notice):
    """An engine event that needs no frame."""

    LEVEL: ClassVar[NoticeLevel] = NoticeLevel.DEBUG
    FORMAT: ClassVar[str] = "engine event {event!r}"
    event: object


#: What the core's request methods return.
Notices = Sequence[Notice]
#: The empty answer (shared: nothing to log).
NO_NOTICES: Notices = ()
