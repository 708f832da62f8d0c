"""Engine and OES state as the JSON values of the admin API (pure, no Twisted).

Every function reads; none changes the exchange.  Lookups that fail raise
:class:`UnknownName` (the API answers 404), unusable query values raise
:class:`BadParameter` (400); both carry one line for a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crmd_twisted.control.sessions import SessionEntry
from crmd_twisted.control.tape import TradeTape
from crmd_twisted.engine import DepthLevel, Instrument, MatchingEngine, OrderView
from crmd_twisted.oes.core import OrderEntryCore
from crmd_twisted.wire.enums import OrderType, Side, TimeInForce, coerce

__all__ = [
    "DEFAULT_DEPTH",
    "DEFAULT_TRADES",
    "MAX_DEPTH",
    "MAX_TRADES",
    "BadParameter",
    "UnknownName",
    "account_view",
    "book_view",
    "health_view",
    "instruments_view",
    "order_view",
    "parse_account",
    "parse_count",
    "resolve_symbol",
    "sessions_view",
    "trades_view",
]

DEFAULT_DEPTH = 10
MAX_DEPTH = 1_000
DEFAULT_TRADES = 100
MAX_TRADES = 10_000


class UnknownName(LookupError):
    """No such instrument, account, fault...; the message is one line."""


class BadParameter(ValueError):
    """A query or body value is unusable; the message is one line."""


def _name(enum: Any, value: int) -> str | int:
    member = coerce(enum, value)
    return member.name if hasattr(member, "name") else member


def parse_count(text: str | None, name: str, default: int, maximum: int) -> int:
    """A positive integer query value (``?depth=5``); *default* when absent."""
    if text is None or text == "":
        return default
    if not text.isdigit() or not text.isascii():
        raise BadParameter(f"'{name}' must be a positive integer, got {text!r}")
    value = int(text)
    if not 1 <= value <= maximum:
        raise BadParameter(f"'{name}' must be in 1..{maximum}, got {value}")
    return value


def resolve_symbol(engine: MatchingEngine, text: str) -> Instrument:
    """The instrument named *text*: its symbol (any case) or its symbol_enum number."""
    instruments = engine.instruments
    if text.isascii() and text.isdigit():
        found = engine.instrument(int(text))
        if found is not None:
            return found
    else:
        wanted = text.upper()
        for inst in instruments:
            if inst.symbol.upper() == wanted:
                return inst
    known = ", ".join(f"{i.symbol} ({i.symbol_enum})" for i in instruments)
    raise UnknownName(f"unknown symbol {text!r} (known: {known})")


def instruments_view(engine: MatchingEngine) -> list[dict[str, Any]]:
    """Every instrument, in configuration order."""
    return [
        {
            "symbol_enum": i.symbol_enum,
            "symbol": i.symbol,
            "base": i.base,
            "quote": i.quote,
            "price_increment": i.price_increment,
            "min_size": i.min_size,
            "max_size": i.max_size,
            "lot_size": i.lot_size,
            "symbol_type": i.symbol_type,
        }
        for i in engine.instruments
    ]


def _levels(levels: Iterable[DepthLevel]) -> list[dict[str, Any]]:
    return [{"price": lv.price, "size": lv.quantity, "orders": lv.orders} for lv in levels]


def book_view(
    engine: MatchingEngine, inst: Instrument, depth: int = DEFAULT_DEPTH
) -> dict[str, Any]:
    """The visible book of *inst*, *depth* levels per side, best first (no hidden size)."""
    bids, asks = engine.depth(inst.symbol_enum, depth)
    return {
        "symbol": inst.symbol,
        "symbol_enum": inst.symbol_enum,
        "depth": depth,
        "bids": _levels(bids),
        "asks": _levels(asks),
        "last_trade_price": engine.last_trade_price(inst.symbol_enum),
    }


def trades_view(
    tape: TradeTape, inst: Instrument, limit: int = DEFAULT_TRADES
) -> list[dict[str, Any]]:
    """The newest *limit* trades of *inst*, newest last."""
    return [t.to_json() for t in tape.recent(inst.symbol_enum, limit)]


def order_view(view: OrderView, instruments: Mapping[int, Instrument]) -> dict[str, Any]:
    """One live order (names for the enum fields)."""
    inst = instruments.get(view.symbol_enum)
    return {
        "order_id": view.order_id,
        "symbol": inst.symbol if inst is not None else str(view.symbol_enum),
        "symbol_enum": view.symbol_enum,
        "side": _name(Side, view.side),
        "order_type": _name(OrderType, view.order_type),
        "time_in_force": _name(TimeInForce, view.time_in_force),
        "price": view.price,
        "stop_limit_price": view.stop_limit_price,
        "order_qty": view.order_qty,
        "open_qty": view.open_qty,
        "filled_qty": view.filled_qty,
        "resting_price": view.resting_price,
        "triggered": view.triggered,
        "replaced": view.replaced,
    }


def account_view(core: OrderEntryCore, account: int) -> dict[str, Any]:
    """Balances (balance, reserved, available per currency) and open orders of *account*."""
    engine = core.engine
    ledger = core.ledger
    balances = ledger.balances.get(account)
    orders = engine.open_orders(account)
    if balances is None and not orders:
        raise UnknownName(f"unknown account {account} (it has not logged on to the OES)")
    by_enum = {i.symbol_enum: i for i in engine.instruments}
    currencies = sorted(balances or {})
    return {
        "account": account,
        "balances": {
            cur: {
                "balance": ledger.balance(account, cur),
                "reserved": ledger.reserved(account, cur),
                "available": ledger.available(account, cur),
            }
            for cur in currencies
        },
        "open_orders": [order_view(v, by_enum) for v in orders],
    }


def parse_account(text: str) -> int:
    """An account number from a path segment."""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= 0x7FFFFFFF:
        raise BadParameter(f"account must be an integer in 1..2147483647, got {text!r}")
    return int(text)


def sessions_view(entries: Iterable[SessionEntry]) -> list[dict[str, Any]]:
    """One dict per connection, oldest first."""
    return [e.to_json() for e in entries]


def health_view(uptime_s: float, sessions: int) -> dict[str, Any]:
    return {"status": "ok", "uptime_s": round(uptime_s, 3), "sessions": sessions}
