"""Pure-Python price-time matching engine (no Twisted, no I/O).

See docs/engine.md for the rules and choices; :class:`MatchingEngine` is the
entry point.
"""

from crmd_twisted.engine.engine import LimitRiskCheck, MatchingEngine, RiskCheck
from crmd_twisted.engine.types import (
    DEFAULT_INSTRUMENTS,
    Accepted,
    CancelOrder,
    CancelReason,
    Cancelled,
    Command,
    DepthLevel,
    EngineRules,
    Event,
    Fill,
    Instrument,
    NewOrder,
    OrderView,
    PositionView,
    Rejected,
    ReplaceOrder,
    Replaced,
    RiskQuery,
    TrailingMode,
    TriggerSource,
    Triggered,
)

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "Accepted",
    "CancelOrder",
    "CancelReason",
    "Cancelled",
    "Command",
    "DepthLevel",
    "EngineRules",
    "Event",
    "Fill",
    "Instrument",
    "LimitRiskCheck",
    "MatchingEngine",
    "NewOrder",
    "OrderView",
    "PositionView",
    "Rejected",
    "ReplaceOrder",
    "Replaced",
    "RiskCheck",
    "RiskQuery",
    "TrailingMode",
    "TriggerSource",
    "Triggered",
]
