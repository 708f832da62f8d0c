"""How to test your own trading code against the simulators (pytest + pytest-twisted).

Installing crmd-twisted registers the fixtures ``crmd_exchange`` (an AES, a
primary and a secondary OES on loopback ports) and ``crmd_client`` (a ready,
logged-on session on it).  Run with::

    python -m pytest examples/test_my_strategy.py
"""

from __future__ import annotations

import pytest_twisted

from crmd_twisted.client import CRMDClient, OrderState
from crmd_twisted.testing import SimulatedExchange, client_ready
from crmd_twisted.wire.enums import Side, SymbolEnum, TransactionType


async def buy_the_dip(client: CRMDClient, below: float) -> int:
    """The 'strategy' under test: bid 0.1 BTC at *below*; returns the order id."""
    ack = await client.new_order(SymbolEnum.BTCUSD, Side.BUY, 0.1, price=below)
    return ack.order_id


@pytest_twisted.ensureDeferred
async def test_strategy_order_rests(crmd_client: CRMDClient) -> None:
    order_id = await buy_the_dip(crmd_client, 25000.0)
    listing = await crmd_client.open_orders()
    assert [tx.order_id for tx in listing] == [order_id]


@pytest_twisted.ensureDeferred
async def test_strategy_order_fills(
    crmd_exchange: SimulatedExchange, crmd_client: CRMDClient
) -> None:
    seller = crmd_exchange.client(account=2002, user="seller")
    await client_ready(seller)
    try:
        order_id = await buy_the_dip(crmd_client, 25000.0)
        fill = await seller.new_order(SymbolEnum.BTCUSD, Side.SELL, 0.1, price=25000.0)
        assert fill.message_type == TransactionType.QUOTE_FILL
        order = await crmd_client.when_final(order_id)  # the execution reaches us too
        assert order.state is OrderState.FILLED
        assert order.filled_qty == 0.1
    finally:
        await seller.stopService()
