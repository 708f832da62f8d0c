"""A price ladder of one :class:`~.book.LocalBook` as plain text (pure).

Offers on top (highest first, best offer just above the spread line), bids
below (best first), each with size and order count, then the last trades::

    BTCUSD  depth 10  last 30000.5  24h vol 3  high 30001  low 29999
           orders          size       price  size          orders
                                    30002.0  1.5               2
                                    30001.0  0.25              1
    ---------------------- spread 1.0 ----------------------
         1       2                  30000.0
    ...
"""

from __future__ import annotations

from crmd_twisted.marketdata.book import LocalBook
from crmd_twisted.wire.enums import Side

__all__ = ["render_ladder"]

_WIDTH = 64


def _num(x: float) -> str:
    return f"{x:.10g}"


def _orders(n: int) -> str:
    return str(n) if n else "-"


def render_ladder(book: LocalBook, levels: int = 10, trades: int = 5) -> str:
    """The ladder of ``book`` (at most ``levels`` per side, ``trades`` last trades)."""
    title = book.symbol or f"symbol {book.symbol_enum}"
    last = _num(book.last_trade_price) if book.last_trade_price else "-"
    lines = [
        f"{title}  depth {book.depth or '-'}  last {last}  24h vol {_num(book.volume_24h)}"
        f"  high {_num(book.high_24h)}  low {_num(book.low_24h)}",
        f"{'orders':>8} {'bid size':>12} {'price':>14} {'ask size':>12} {'orders':>8}",
    ]
    for price, size, orders in reversed(book.asks[:levels]):
        lines.append(f"{'':>8} {'':>12} {_num(price):>14} {_num(size):>12} {_orders(orders):>8}")
    spread = book.spread
    mid = f" spread {_num(spread)} " if spread is not None else " no spread "
    lines.append(mid.center(_WIDTH - 4, "-"))
    for price, size, orders in book.bids[:levels]:
        lines.append(f"{_orders(orders):>8} {_num(size):>12} {_num(price):>14}")
    if not book.bids and not book.asks:
        lines.append("(empty book)")
    recent = list(book.trades)[-trades:] if trades else []
    lines.append("last trades: " + ("none" if not recent else ""))
    for price, volume, side in reversed(recent):
        who = "BUY " if side == Side.BUY else "SELL"
        lines.append(f"  {who} {_num(volume):>12} @ {_num(price)}")
    return "\n".join(lines) + "\n"
