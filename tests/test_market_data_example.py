"""examples/market_data_client.py prints the book and trades as orders arrive.

The exchange runs in this test's reactor, the example as a separate process
(tests/test_examples.py does the same for the other examples).
"""

from __future__ import annotations

import pytest_twisted
from twisted.internet import defer, reactor

from crmd_twisted.testing import SimulatedExchange, client_ready
from crmd_twisted.wire.enums import Side, SymbolEnum
from tests.client_helpers import wait_for
from tests.test_examples import EXAMPLES, exchange, run_example

__all__ = ["exchange"]  # the fixture, imported for pytest


@pytest_twisted.ensureDeferred
async def test_prints_book_and_trades(exchange: SimulatedExchange) -> None:
    host, port = exchange.aes_address
    trader = exchange.client(account=1002, user="bob")
    await client_ready(trader)
    try:
        await trader.new_order(SymbolEnum.BTCUSD, Side.SELL, 1.0, price=30000.0)
        running = defer.ensureDeferred(run_example([
            str(EXAMPLES / "market_data_client.py"), "--host", host, "--port", str(port),
            "--symbol", "BTCUSD", "--depth", "3", "--trades", "2", "--timeout", "30",
        ]))
        md = exchange.mds_factories[0].core
        # once the example has subscribed, orders arrive: a resting bid, then two trades
        await wait_for(lambda: any(s.subscriptions for s in md.subscribers), timeout=20,
                       clock=reactor)
        await trader.new_order(SymbolEnum.BTCUSD, Side.BUY, 0.5, price=29990.0)
        await trader.new_order(SymbolEnum.BTCUSD, Side.BUY, 0.25, price=30000.0)
        await trader.new_order(SymbolEnum.BTCUSD, Side.SELL, 0.5, price=29990.0)
        out, err, status = await running
    finally:
        await trader.stopService()
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == "book BTCUSD: bids - | asks 1@30000"
    assert "subscribed to BTCUSD at depth 3" in lines
    assert "book BTCUSD: bids 0.5@29990 | asks 1@30000" in lines
    assert "trade BTCUSD: 0.25 @ 30000 (BUY aggressor)" in lines
    assert "trade BTCUSD: 0.5 @ 29990 (SELL aggressor)" in lines
    assert "2 trades, 0 sequence gaps" in lines


@pytest_twisted.ensureDeferred
async def test_bad_depth_is_one_line(exchange: SimulatedExchange) -> None:
    host, port = exchange.aes_address
    _, err, status = await run_example([
        str(EXAMPLES / "market_data_client.py"), "--host", host, "--port", str(port),
        "--depth", "40",
    ])
    assert status == 1, err
    assert err.strip() == ("market_data_client: error: argument --depth: expected 1..30 "
                           "levels, got 40")
