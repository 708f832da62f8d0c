"""What a :class:`~crmd_twisted.client.CRMDClient` tells its observers: states and events.

Both enums are :class:`~enum.StrEnum`, so ``event.kind == "order"`` and
``client.state == "ready"`` keep working for code written against the strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crmd_twisted.client.orders import TrackedOrder
from crmd_twisted.wire import Message

__all__ = ["ClientEvent", "EventKind", "SessionState"]


class SessionState(StrEnum):
    """Where a session is (``CRMDClient.state``)."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    AES_LOGON = "aes_logon"
    OES_LOGON = "oes_logon"
    RECONCILING = "reconciling"
    READY = "ready"
    DISCONNECTED = "disconnected"
    RETRYING = "retrying"
    #: Stopped for good (logon refused, ``max_attempts`` reached): see ``CRMDClient.fatal``.
    FAILED = "failed"


class EventKind(StrEnum):
    """What a :class:`ClientEvent` is about."""

    STATE = "state"  #: the session moved to ``event.state``
    ORDER = "order"  #: ``event.order`` changed because of ``event.message``
    LOGOUT = "logout"  #: the server logged the session out (``event.message``)
    MESSAGE = "message"  #: any other unsolicited frame (``event.message``)


@dataclass(frozen=True, slots=True)
class ClientEvent:
    """What observers of a :class:`~crmd_twisted.client.CRMDClient` receive."""

    kind: EventKind
    state: SessionState | None = None
    order: TrackedOrder | None = None
    message: Message | None = None
