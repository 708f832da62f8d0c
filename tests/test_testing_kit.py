"""The testing kit works for users: pytest fixtures, and trial TestCases under pytest too.

The pytest-twisted test comes first on purpose: after it, pytest-twisted owns the
running reactor, and the trial TestCase below must still work (ReactorSharingMixin).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest_twisted
from twisted.internet import defer
from twisted.trial import unittest

from crmd_twisted.client import CRMDClient, OrderState
from crmd_twisted.testing import ExchangeTestMixin, SimulatedExchange
from crmd_twisted.wire.enums import Side, SymbolEnum, TransactionType


@pytest_twisted.ensureDeferred
async def test_fixtures_give_a_ready_client(
    crmd_exchange: SimulatedExchange, crmd_client: CRMDClient
) -> None:
    assert crmd_client.ready
    ack = await crmd_client.new_order(SymbolEnum.BTCUSD, Side.BUY, 0.5, price=20000.0)
    assert ack.message_type == TransactionType.ORDER_ACK
    assert crmd_exchange.oes_core.engine.knows_order_id(1001, ack.order_id)


Gen = Generator[Any, Any, None]


class TrialKitTests(ExchangeTestMixin, unittest.TestCase):
    def makeExchange(self) -> SimulatedExchange:
        return SimulatedExchange(secondary=True)

    @defer.inlineCallbacks
    def test_two_ready_clients_trade(self) -> Gen:
        buyer = yield self.readyClient(account=11, user="buyer")
        seller = yield self.readyClient(account=22, user="seller")
        ack = yield buyer.new_order(SymbolEnum.BTCUSD, Side.BUY, 1.0, price=30000.0)
        fill = yield seller.new_order(SymbolEnum.BTCUSD, Side.SELL, 1.0, price=30000.0)
        self.assertEqual(fill.message_type, TransactionType.QUOTE_FILL)
        order = yield buyer.when_final(ack.order_id)
        self.assertIs(order.state, OrderState.FILLED)

    @defer.inlineCallbacks
    def test_secondary_oes_takes_over(self) -> Gen:
        client = yield self.readyClient(account=33, user="ff")
        ack = yield client.new_order(SymbolEnum.BTCUSD, Side.BUY, 1.0, price=25000.0)
        yield defer.ensureDeferred(self.exchange.stop_oes(0))
        yield client.when_ready()
        listed = yield client.open_orders()
        self.assertEqual([tx.order_id for tx in listed], [ack.order_id])
