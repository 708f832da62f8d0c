"""The OES's reply messages built from its state: instrument snapshots, risk and
collateral figures, open-order listings.  Pure functions of plain values.
"""

from __future__ import annotations

from typing import Any

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from crmd_twisted.engine import Instrument, MatchingEngine, OrderView
from crmd_twisted.oes.ledger import Ledger
from crmd_twisted.wire import InstrumentResponse, Transaction
from crmd_twisted.wire.enums import NO_ATTRIBUTES, ResponseType, SymbolType, TransactionType

if TYPE_CHECKING:
    from crmd_twisted.oes.core import Session

__all__ = ["instrument_responses", "listing", "risk_fields"]


def _snapshot_part(index: int, count: int) -> ResponseType:
    """Where response *index* of *count* stands in a snapshot."""
    if count == 1:
        return ResponseType.SNAPSHOT
    if index == 0:
        return ResponseType.SNAPSHOT_START
    if index == count - 1:
        return ResponseType.SNAPSHOT_FINISH
    return ResponseType.SNAPSHOT_CONTINUATION


def instrument_responses(selected: Sequence[Instrument], now: int) -> list[InstrumentResponse]:
    """One ``instrument_response`` per instrument, marked as one snapshot."""
    count = len(selected)
    return [
        InstrumentResponse(
            message_type=TransactionType.INSTRUMENT,
            response_type=_snapshot_part(index, count),
            symbol_enum=inst.symbol_enum,
            symbol=inst.symbol,
            symbol_type=inst.symbol_type,
            price_increment=inst.price_increment,
            min_size=inst.min_size,
            max_size=inst.max_size,
            sending_time=now,
        )
        for index, inst in enumerate(selected)
    ]


def risk_fields(
    ledger: Ledger,
    engine: MatchingEngine,
    instruments: Mapping[int, Instrument],
    session: Session,
    symbol_enum: int,
) -> dict[str, Any]:
    """Balances and (for an instrument) positions as risk/collateral reply fields."""
    bal = ledger.balances.get(session.account, {})
    fields: dict[str, Any] = {
        "user_name": session.user,
        "account": session.account,
        "symbol_enum": symbol_enum,
        "btc_equity": bal.get("BTC", 0.0),
        "usdt_equity": bal.get("USDT", 0.0),
        "eth_equity": bal.get("ETH", 0.0),
        "usd_equity": bal.get("USD", 0.0),
        "fly_equity": bal.get("FLY", 0.0),
        "open_order_request_limit": session.open_order_limit,
        "trading_session_id": session.trading_session_id,
    }
    if symbol_enum:
        pos = engine.position(session.account, symbol_enum)
        inst = instruments[symbol_enum]
        fields.update(
            long_position=pos.long_open_qty,
            short_position=pos.short_open_qty,
            long_cash=pos.long_open_cash,
            short_cash=pos.short_open_cash,
            executed_long_position=pos.executed_long_qty,
            executed_long_cash=pos.executed_long_cash,
            executed_short_position=pos.executed_short_qty,
            executed_short_cash=pos.executed_short_cash,
            instrument_equity=bal.get(inst.base, 0.0),
        )
    return fields


def listing(
    view: OrderView,
    base: Transaction | None,
    instruments: Mapping[int, Instrument],
    session: Session,
    now: int,
) -> Transaction:
    """An open order as its listing: *base* (the order as last accepted) with the
    order's current state, or a message built from the engine's view."""
    state = TransactionType.REPLACED if view.replaced else TransactionType.ORDER_NEW
    if base is None:  # an order entered through the engine directly
        base = Transaction(
            account=view.account,
            symbol_enum=view.symbol_enum,
            symbol=instruments[view.symbol_enum].symbol,
            symbol_type=SymbolType.SPOT,
            order_type=view.order_type,
            side=view.side,
            price=view.price,
            time_in_force=view.time_in_force,
            stop_limit_price=view.stop_limit_price,
            attributes=NO_ATTRIBUTES,
        )
    return base.replace(
        message_type=state,
        order_id=view.order_id,
        order_qty=view.open_qty,
        orig_order_id=0,
        orig_price=0.0,
        cancel_qty=0.0,
        exec_id=0,
        exec_qty=0.0,
        exec_price=0.0,
        remaining_qty=view.open_qty,
        reject_reason=0,
        trading_session_id=session.trading_session_id,
        session_key=session.key,
        sending_time=now,
    )
