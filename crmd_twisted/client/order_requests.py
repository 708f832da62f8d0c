"""The transactions a client sends for new orders, cancels and replaces, free of I/O.

The session stamps account, key, trading session id and sending time when it
sends them (``CRMDClientProtocol.sendTransaction``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crmd_twisted.client.orders import TrackedOrder
from crmd_twisted.wire import InstrumentResponse, Transaction
from crmd_twisted.wire.enums import NO_ATTRIBUTES, SymbolEnum, SymbolType, TransactionType, coerce

__all__ = ["cancel_request", "new_order_request", "replace_request", "symbol_name"]


def symbol_name(instruments: Iterable[InstrumentResponse], symbol_enum: int) -> str:
    """The instrument's name as the OES listed it, else as the enum names it, else ""."""
    for inst in instruments:
        if inst.symbol_enum == symbol_enum:
            return inst.symbol
    member = coerce(SymbolEnum, symbol_enum)
    return member.name if isinstance(member, SymbolEnum) else ""


def new_order_request(
    order_id: int, symbol: str, trader: str, fields: dict[str, Any], **order: Any
) -> Transaction:
    """An ORDER_NEW; *order* names the order fields, *fields* any further ones."""
    tx = Transaction(
        message_type=TransactionType.ORDER_NEW,
        order_id=order_id,
        symbol=symbol,
        symbol_type=SymbolType.SPOT,
        attributes=fields.pop("attributes", NO_ATTRIBUTES),
        trader_id=trader,
        **order,
    )
    for name, value in fields.items():
        setattr(tx, name, value)
    return tx


def cancel_request(order: TrackedOrder, order_id: int) -> Transaction:
    """An ORDER_CANCEL of *order* under the new id *order_id*."""
    return order.request.replace(
        message_type=TransactionType.ORDER_CANCEL,
        order_id=order_id,
        orig_order_id=order.order_id,
        orig_price=order.price,
        order_qty=order.open_qty,
        reject_reason=0,
    )


def replace_request(
    order: TrackedOrder,
    order_id: int,
    price: float | None,
    order_qty: float | None,
    fields: dict[str, Any],
) -> Transaction:
    """A CANCEL_REPLACE of *order* under *order_id*; None keeps price / quantity."""
    return order.request.replace(
        message_type=TransactionType.CANCEL_REPLACE,
        order_id=order_id,
        orig_order_id=order.order_id,
        orig_price=order.price,
        price=order.price if price is None else price,
        order_qty=order.open_qty if order_qty is None else order_qty,
        reject_reason=0,
        **fields,
    )
