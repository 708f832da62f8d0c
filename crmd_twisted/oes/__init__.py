"""The Order Entry Server (OES) simulator.

* :mod:`crmd_twisted.oes.core` - :class:`OrderEntryCore` and :class:`Session`, free
  of I/O, with its helpers :mod:`~crmd_twisted.oes.ledger` (:class:`Ledger`),
  :mod:`~crmd_twisted.oes.publish` (engine events as frames),
  :mod:`~crmd_twisted.oes.pacing` (:class:`RequestPacer`: match delay and in-flight
  count) and :mod:`~crmd_twisted.oes.notices` (what the core reports for the log);
* :mod:`crmd_twisted.oes.protocol` - :class:`OESProtocol` and :class:`OESFactory`,
  the Twisted shell.

The shell's names load on first use, so importing the core does not import Twisted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.oes.ledger import Ledger, Reservation
from crmd_twisted.oes.notices import Notice, NoticeLevel, Notices
from crmd_twisted.oes.pacing import Released, RequestPacer
from crmd_twisted.oes.publish import EventPublisher

if TYPE_CHECKING:
    from crmd_twisted.oes.protocol import OESFactory, OESProtocol

__all__ = [
    "EventPublisher",
    "Ledger",
    "Notice",
    "NoticeLevel",
    "Notices",
    "OESFactory",
    "OESProtocol",
    "OrderEntryCore",
    "Released",
    "RequestPacer",
    "Reservation",
    "Session",
]

_SHELL = frozenset({"OESFactory", "OESProtocol"})


def __getattr__(name: str) -> Any:
    if name in _SHELL:
        from crmd_twisted.oes import protocol

        return getattr(protocol, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
