"""Market data on the client side: local books, the feed protocol, the ladder.

* :class:`LocalBook` / :class:`BookSet` (pure, :mod:`.book`): feed decoded
  frames, read bids/asks as (price, size, orders), last trade, 24 h stats;
  :class:`SequenceTracker` reports gaps.
* :class:`CRMDMarketDataProtocol` (:mod:`.feed`): subscribes and keeps
  ``books`` current; hooks ``bookUpdated``, ``tradeReported``, ``marketDataGap``.
* :func:`render_ladder` (:mod:`.ladder`): the text ladder ``crmd-book`` shows.

The feed's names load on first use, so importing the pure parts does not import Twisted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmd_twisted.marketdata.book import (
    BookEvent,
    BookSet,
    BookUpdated,
    LocalBook,
    SequenceGap,
    SequenceTracker,
    TradeReported,
)
from crmd_twisted.marketdata.ladder import render_ladder

if TYPE_CHECKING:
    from crmd_twisted.marketdata.feed import (
        SLOTS_PER_FRAME,
        CRMDMarketDataFactory,
        CRMDMarketDataProtocol,
    )

__all__ = [
    "SLOTS_PER_FRAME",
    "BookEvent",
    "BookSet",
    "BookUpdated",
    "CRMDMarketDataFactory",
    "CRMDMarketDataProtocol",
    "LocalBook",
    "SequenceGap",
    "SequenceTracker",
    "TradeReported",
    "render_ladder",
]

_FEED = frozenset({"SLOTS_PER_FRAME", "CRMDMarketDataFactory", "CRMDMarketDataProtocol"})


def __getattr__(name: str) -> Any:
    if name in _FEED:
        from crmd_twisted.marketdata import feed

        return getattr(feed, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
