"""What one market-data frame shows, and the frame itself (pure, no I/O).

A :class:`BookSnapshot` is the visible book of one instrument (from
``MatchingEngine.depth``) plus its trade statistics.  ``snapshot.view(depth)``
is a hashable value holding exactly what the frame of that depth shows, so
"did anything this subscriber sees change?" is one ``!=``; :func:`book_message`
turns a view into the wire message of that depth.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from crmd_twisted.wire import (
    MdExecReport,
    Message,
    TopOfBook,
)
from crmd_twisted.wire.depth import DEPTH_MESSAGES, Depth
from crmd_twisted.wire.enums import Side, TransactionType

__all__ = [
    "DEPTH_MESSAGES",
    "BookSnapshot",
    "Depth",
    "Level",
    "Trade",
    "TradeStats",
    "book_message",
    "depth_for",
    "exec_report",
]

#: (price, visible size, visible order count) of one level, best first.
Level = tuple[float, float, int]


_DEPTHS = sorted(int(d) for d in Depth)



def depth_for(layers: int) -> Depth:
    """The depth a subscription for ``layers`` is served at: that one, else the next larger."""
    index = bisect_left(_DEPTHS, layers)
    return Depth(_DEPTHS[min(index, len(_DEPTHS) - 1)])


@dataclass(frozen=True, slots=True)
class Trade:
    """One match as market data reports it: price, volume and the aggressor's side."""

    symbol_enum: int
    price: float
    volume: float
    side: Side
    exec_id: int


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Last trade price and the rolling 24 h volume, high and low (0.0 when none)."""

    last_price: float = 0.0
    volume: float = 0.0
    high: float = 0.0
    low: float = 0.0


_NO_LEVEL: Level = (0.0, 0.0, 0)


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """The visible book of one instrument at one moment, up to some depth."""

    symbol_enum: int
    symbol: str
    symbol_type: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    stats: TradeStats

    def view(self, depth: Depth) -> tuple[Any, ...]:
        """Everything the frame of ``depth`` shows, as one comparable value."""
        n = int(depth)
        bids = self.bids[:n] + (_NO_LEVEL,) * (n - len(self.bids[:n]))
        asks = self.asks[:n] + (_NO_LEVEL,) * (n - len(self.asks[:n]))
        s = self.stats
        if depth is Depth.TOP:
            return (bids[0][:2], asks[0][:2], s.last_price, s.volume, s.high, s.low)
        if depth in (Depth.THREE, Depth.FIVE):
            return (bids, asks, s.last_price, s.volume, s.high, s.low)
        # the deep messages carry neither order counts nor statistics
        return (tuple(b[:2] for b in bids), tuple(a[:2] for a in asks))


def book_message(
    snapshot: BookSnapshot, depth: Depth, view: tuple[Any, ...], sending_time: int
) -> Message:
    """The frame of ``depth`` showing ``view`` (from ``snapshot.view(depth)``).

    ``msg_seq_num`` is left 0: the connection numbers its frames as it sends them.
    """
    ident: dict[str, Any] = {
        "symbol_enum": snapshot.symbol_enum,
        "symbol_type": snapshot.symbol_type,
        "symbol": snapshot.symbol,
    }
    if depth is Depth.TOP:
        (bp, bq), (ap, aq), last, vol, high, low = view
        return TopOfBook(
            message_type=TransactionType.MD_SNAPSHOT, last_trade_price=last,
            last_24h_volume=vol, high=high, low=low, buy_price=bp, buy_volume=bq,
            sell_price=ap, sell_volume=aq, sending_time=sending_time, **ident,
        )  # fmt: skip
    fields = dict(ident)
    if depth in (Depth.THREE, Depth.FIVE):
        bids, asks, last, vol, high, low = view
        fields.update(last_trade_price=last, last_24h_volume=vol, high=high, low=low)
        for k, (bid, ask) in enumerate(zip(bids, asks, strict=True), 1):
            fields[f"level{k}_buy_price"], fields[f"level{k}_buy_volume"] = bid[0], bid[1]
            fields[f"level{k}_buy_orders"] = min(bid[2], 0xFFFF)
            fields[f"level{k}_sell_price"], fields[f"level{k}_sell_volume"] = ask[0], ask[1]
            fields[f"level{k}_sell_orders"] = min(ask[2], 0xFFFF)
    else:
        bids, asks = view
        fields.update(sending_time=sending_time, start_layer=1)
        for k, (bid, ask) in enumerate(zip(bids, asks, strict=True), 1):
            bid_entry, ask_entry = 2 * k - 1, 2 * k
            if bid[1]:
                fields[f"entry{bid_entry}_price"], fields[f"entry{bid_entry}_volume"] = bid
                fields[f"entry{bid_entry}_side"] = Side.BUY
            if ask[1]:
                fields[f"entry{ask_entry}_price"], fields[f"entry{ask_entry}_volume"] = ask
                fields[f"entry{ask_entry}_side"] = Side.SELL
    return DEPTH_MESSAGES[depth](message_type=TransactionType.MD_SNAPSHOT, **fields)


def exec_report(trade: Trade, symbol: str, symbol_type: int, sending_time: int) -> MdExecReport:
    """The ``md_exec_report`` of one trade."""
    return MdExecReport(
        message_type=TransactionType.EXEC_REPORT,
        symbol_enum=trade.symbol_enum,
        symbol_type=symbol_type,
        price=trade.price,
        volume=trade.volume,
        sending_time=sending_time,
        side=trade.side,
        symbol=symbol,
    )
