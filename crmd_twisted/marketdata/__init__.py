"""Market data on the client side: local books, the feed protocol, the ladder.

* :class:`LocalBook` / :class:`BookSet` (pure, :mod:`.book`): feed decoded
  frames, read bids/asks as (price, size, orders), last trade, 24 h stats;
  :class:`SequenceTracker` reports gaps.
* :class:`CRMDMarketDataProtocol` (:mod:`.feed`): subscribes and keeps
  ``books`` current; hooks ``bookUpdated``, ``tradeReported``, ``marketDataGap``.
* :func:`render_ladder` (:mod:`.ladder`): the text ladder ``crmd-book`` shows.
"""

from crmd_twisted.marketdata.book import (
    BookEvent,
    BookSet,
    BookUpdated,
    LocalBook,
    SequenceGap,
    SequenceTracker,
    TradeReported,
)
from crmd_twisted.marketdata.feed import (
    SLOTS_PER_FRAME,
    CRMDMarketDataFactory,
    CRMDMarketDataProtocol,
)
from crmd_twisted.marketdata.ladder import render_ladder

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
