"""The exchange's control plane: fault injection, read-only views, the admin HTTP API.

* :mod:`crmd_twisted.control.faults` - :class:`FaultRegistry` and the decisions the
  protocol shells ask it for (pure, no Twisted);
* :mod:`crmd_twisted.control.sessions` - :class:`SessionRegistry` of live connections
  (pure);
* :mod:`crmd_twisted.control.tape` - :class:`TradeTape`, the recent trades (pure);
* :mod:`crmd_twisted.control.views` - engine and OES state as JSON-able values (pure);
* :mod:`crmd_twisted.control.admin` - the ``twisted.web`` admin API over an
  :class:`~crmd_twisted.control.admin.ExchangeControl`;
* :mod:`crmd_twisted.control.ctl` - ``crmd-ctl``, the console client of that API.

Only the pure names are re-exported here, so importing this package never loads
Twisted.
"""

from crmd_twisted.control.faults import (
    Fault,
    FaultError,
    FaultKind,
    FaultRegistry,
    ImmediateAction,
    ImmediateKind,
    InboundAction,
    InboundVerdict,
    OutboundPlan,
    ServerKind,
    SessionIdentity,
    garble_frame,
)
from crmd_twisted.control.sessions import SessionEntry, SessionRegistry
from crmd_twisted.control.tape import Trade, TradeTape

__all__ = [
    "Fault",
    "FaultError",
    "FaultKind",
    "FaultRegistry",
    "ImmediateAction",
    "ImmediateKind",
    "InboundAction",
    "InboundVerdict",
    "OutboundPlan",
    "ServerKind",
    "SessionEntry",
    "SessionIdentity",
    "SessionRegistry",
    "Trade",
    "TradeTape",
    "garble_frame",
]
