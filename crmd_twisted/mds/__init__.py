"""The market-data server (MDS): subscriptions, snapshots and trades for subscribers.

:class:`MarketDataCore` (pure, :mod:`crmd_twisted.mds.core`) decides what each
subscriber receives; :class:`MDSFactory` / :class:`MDSProtocol`
(:mod:`crmd_twisted.mds.protocol`) put it on the network.  The MDS lives in
the process that drives the matching engine and is fed with
``factory.on_events(events)`` after every engine call.  docs/market-data.md
describes the rules.  The shell's names load on first use, so importing the
core (or this package) does not import Twisted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmd_twisted.mds.core import (
    DEFAULT_TRADE_BACKLOG,
    DirectoryKeyCheck,
    Disconnect,
    DisconnectReason,
    KeyCheck,
    MarketDataCore,
    MarketDataDecision,
    Refused,
    Send,
    SkipReason,
    SlotSkipped,
    Subscribed,
    Subscriber,
    Unsubscribed,
)
from crmd_twisted.mds.snapshot import (
    DEPTH_MESSAGES,
    BookSnapshot,
    Depth,
    Trade,
    TradeStats,
    book_message,
    depth_for,
    exec_report,
)
from crmd_twisted.mds.stats import RollingStats

if TYPE_CHECKING:
    from crmd_twisted.mds.attach import market_data_for
    from crmd_twisted.mds.protocol import MDSFactory, MDSProtocol

__all__ = [
    "DEFAULT_TRADE_BACKLOG",
    "DEPTH_MESSAGES",
    "BookSnapshot",
    "Depth",
    "DirectoryKeyCheck",
    "Disconnect",
    "DisconnectReason",
    "KeyCheck",
    "MDSFactory",
    "MDSProtocol",
    "MarketDataCore",
    "MarketDataDecision",
    "Refused",
    "RollingStats",
    "Send",
    "SkipReason",
    "SlotSkipped",
    "Subscribed",
    "Subscriber",
    "Trade",
    "TradeStats",
    "Unsubscribed",
    "book_message",
    "depth_for",
    "exec_report",
    "market_data_for",
]

_SHELL = {"MDSFactory": "protocol", "MDSProtocol": "protocol", "market_data_for": "attach"}


def __getattr__(name: str) -> Any:
    module = _SHELL.get(name)
    if module is not None:
        from importlib import import_module

        return getattr(import_module(f"crmd_twisted.mds.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
