"""CRMDClient against the simulated exchange over loopback TCP (trial, real reactor).

AES + primary and secondary OES on 127.0.0.1 ephemeral ports, one shared order
book.  Runs under ``python -m pytest`` and ``python -m twisted.trial
tests.test_client_integration``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from twisted.internet import defer, reactor

from crmd_twisted.client import (
    ClientEvent,
    CRMDClient,
    CRMDClientProtocol,
    OrderState,
    RequestRejected,
    RequestTimeout,
)
from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.testing import SimulatedExchange, client_ready
from crmd_twisted.wire import Transaction
from crmd_twisted.wire.enums import OrderType, RejectCode, Side, TransactionType

from tests.client_helpers import TrialTestCase, sleep, wait_for

BTC = 1
ALICE, BOB = 1001, 1002


class Recorder:
    """Collects a client's order events per order id."""

    def __init__(self) -> None:
        self.events: list[Transaction] = []

    def __call__(self, event: ClientEvent) -> None:
        if event.kind == "order" and isinstance(event.message, Transaction):
            self.events.append(event.message)

    def kinds(self, order_id: int) -> list[int]:
        return [m.message_type for m in self.events if m.order_id == order_id]


def wire_recorder(into: list[Transaction]) -> type[CRMDClientProtocol]:
    """A client protocol class that appends every transaction it receives to *into*."""

    class WireRecorder(CRMDClientProtocol):
        def msg_transaction(self, message: Transaction) -> None:
            into.append(message)
            super().msg_transaction(message)

    return WireRecorder


class ExchangeCase(TrialTestCase):
    timeout = 30

    async def start_exchange(self, **kw: Any) -> SimulatedExchange:
        kw.setdefault("secondary", True)
        exchange = SimulatedExchange(**kw)
        await exchange.start()
        self.addCleanup(lambda: defer.ensureDeferred(exchange.stop()))
        self.exchange = exchange
        return exchange

    async def ready(self, account: int, user: str, **kw: Any) -> CRMDClient:
        client = self.exchange.client(account=account, user=user, api_key=f"{user}-key", **kw)
        self.addCleanup(client.stopService)
        return await client_ready(client)

    def engine_open(self, account: int) -> dict[int, float]:
        engine = self.exchange.oes_core.engine
        return {v.order_id: v.open_qty for v in engine.open_orders(account)}


class FullFlowTests(ExchangeCase):
    async def test_full_flow(self) -> None:
        await self.start_exchange()
        alice = await self.ready(ALICE, "alice")
        bob = await self.ready(BOB, "bob")
        seen_a, seen_b = Recorder(), Recorder()
        alice.add_observer(seen_a)
        bob.add_observer(seen_b)

        instruments = await alice.instruments()
        self.assertEqual([i.symbol for i in instruments][:1], ["BTCUSD"])
        self.assertEqual(alice.instrument_list[0].symbol, "BTCUSD")  # fetched at logon
        risk = await alice.risk()
        self.assertEqual(len(risk), len(instruments))
        self.assertEqual(await alice.open_orders(), [])
        collateral = await bob.collateral()
        self.assertGreater(collateral.usd_equity, 0)

        # bob offers two levels and bids once
        ask1 = await bob.new_order(BTC, Side.SELL, 1.0, price=30000.0)
        ask2 = await bob.new_order(BTC, Side.SELL, 1.0, price=30100.0)
        bid = await bob.new_order(BTC, Side.BUY, 1.0, price=29000.0)
        for ack in (ask1, ask2, bid):
            self.assertEqual(ack.message_type, TransactionType.ORDER_ACK)

        # a buy stop above the market waits ...
        stop = await alice.new_order(
            BTC, Side.BUY, 0.5, price=30000.0, order_type=OrderType.STOP_MKT
        )
        self.assertEqual(stop.message_type, TransactionType.ORDER_ACK)
        stop_done = alice.when_final(stop.order_id)
        self.assertFalse(stop_done.called)
        # ... until alice lifts the 30000 offer: last trade 30000 triggers it
        fill = await alice.new_order(BTC, Side.BUY, 1.0, price=30000.0)
        self.assertEqual(fill.message_type, TransactionType.QUOTE_FILL)
        self.assertEqual((fill.exec_qty, fill.exec_price), (1.0, 30000.0))
        stopped = await stop_done
        self.assertEqual(stopped.state, OrderState.FILLED)
        self.assertEqual(stopped.fills[-1].exec_price, 30100.0)  # executed at bob's 2nd level
        ask1_done = await bob.when_final(ask1.order_id)
        self.assertEqual(ask1_done.state, OrderState.FILLED)
        self.assertIn(TransactionType.EXECUTION, seen_b.kinds(ask1.order_id))
        await wait_for(lambda: TransactionType.EXECUTION_PARTIAL in seen_b.kinds(ask2.order_id))
        self.assertEqual(bob.orders.by_id[ask2.order_id].open_qty, 0.5)

        # a market sell hits bob's bid; HIDDEN rests unseen
        mkt = await alice.new_order(BTC, Side.SELL, 0.25, order_type=OrderType.MKT)
        self.assertEqual(mkt.message_type, TransactionType.QUOTE_FILL)
        self.assertEqual(mkt.exec_price, 29000.0)
        await wait_for(lambda: TransactionType.EXECUTION_PARTIAL in seen_b.kinds(bid.order_id))
        hidden = await alice.new_order(
            BTC, Side.BUY, 0.1, price=28000.0, order_type=OrderType.HIDDEN
        )
        self.assertEqual(hidden.message_type, TransactionType.ORDER_ACK)

        # replace: the order is then known by the new id, on both sides
        replaced = await alice.replace(hidden.order_id, price=28500.0)
        self.assertEqual(replaced.message_type, TransactionType.REPLACED)
        new_id = replaced.order_id
        self.assertNotEqual(new_id, hidden.order_id)
        order = alice.orders.by_id[new_id]
        self.assertIs(order, alice.orders.by_id[hidden.order_id])
        self.assertEqual(
            (order.order_id, order.price, order.state), (new_id, 28500.0, OrderState.NEW)
        )
        self.assertEqual(self.engine_open(ALICE), {new_id: 0.1})
        listing = await alice.open_orders()
        self.assertEqual([(t.order_id, t.message_type) for t in listing],
                         [(new_id, TransactionType.REPLACED)])

        # cancel by the new id; bob cancels his rest
        cancelled = await alice.cancel(new_id)
        self.assertEqual(cancelled.message_type, TransactionType.CANCELLED)
        self.assertEqual((await alice.when_final(hidden.order_id)).state, OrderState.CANCELLED)
        bob_cancel = await bob.cancel(ask2.order_id)
        self.assertEqual(bob_cancel.cancel_qty, 0.5)

        # reject: RequestRejected named after the reject code
        with self.assertRaises(RequestRejected) as caught:
            await alice.new_order(BTC, Side.BUY, 1.0, price=30000.3)
        self.assertEqual(caught.exception.name, "PRICE_INVALID")
        self.assertEqual(caught.exception.code, RejectCode.PRICE_INVALID)
        rejected = [o for o in alice.orders.by_id.values() if o.state == OrderState.REJECTED]
        self.assertEqual(len(rejected), 1)

        # risk and collateral reflect the trades
        (r,) = await alice.risk(BTC)
        self.assertAlmostEqual(r.executed_long_position, 1.5)
        self.assertAlmostEqual(r.executed_short_position, 0.25)
        self.assertEqual(self.engine_open(ALICE), {})
        self.assertEqual(self.engine_open(BOB), {bid.order_id: 0.75})


class OutstandingLimitTests(ExchangeCase):
    async def test_client_queues_beyond_the_limit_it_learns_at_logon(self) -> None:
        """The OES answers after 30 ms and allows 3 requests in flight: 10 orders
        submitted at once all get ORDER_ACK (none OUTSTANDING_OPEN_REQUESTS_EXCEEDED),
        because the client holds back what exceeds the limit the OES told it."""
        directory = AccountDirectory([Account(ALICE, "alice", open_order_limit=3)], open=False)
        await self.start_exchange(accounts=directory, match_delay=0.03)
        alice = await self.ready(ALICE, "alice")
        self.assertEqual(alice.open_order_limit, 3)
        answers = [
            alice.new_order(1, Side.BUY, 0.1, price=20000.0 + 0.5 * i) for i in range(10)
        ]
        self.assertEqual(alice.orders.in_flight(), 3)
        acks = await defer.gatherResults(answers, consumeErrors=True)
        self.assertEqual({tx.message_type for tx in acks}, {TransactionType.ORDER_ACK})
        self.assertEqual(len(self.engine_open(ALICE)), 10)


class RequestTimeoutTests(ExchangeCase):
    async def test_order_without_answer_times_out_but_stays_tracked(self) -> None:
        await self.start_exchange(secondary=False)
        alice = await self.ready(ALICE, "alice", request_timeout=0.3)
        self.exchange.oes_factories[0].matchDelay = 0.8  # the OES becomes slow
        d = alice.new_order(1, Side.BUY, 0.1, price=20000.0)
        with self.assertRaises(RequestTimeout) as caught:
            await d
        self.assertIn("ORDER_NEW", str(caught.exception))
        (order,) = alice.orders.by_id.values()
        self.assertIs(order.state, OrderState.PENDING_NEW)
        await wait_for(lambda: order.state is OrderState.NEW, timeout=3.0)
        self.assertIn(order.order_id, self.engine_open(ALICE))


    async def test_query_made_while_disconnected_waits_for_the_reconnect(self) -> None:
        await self.start_exchange(secondary=False)
        alice = await self.ready(ALICE, "alice", request_timeout=0.3)
        await self.exchange.stop_oes(0, reason=None)
        await wait_for(lambda: not alice.ready)
        d = alice.collateral()
        await sleep(reactor, 0.6)  # twice the request timeout, spent disconnected
        self.assertFalse(d.called)
        await self.exchange.start_oes(0)
        collateral = await d
        self.assertEqual(collateral.account, ALICE)


class FailoverTests(ExchangeCase):
    async def _failover(self, reason: RejectCode | None) -> float:
        await self.start_exchange()
        alice = await self.ready(ALICE, "alice")
        resting = await alice.new_order(BTC, Side.BUY, 1.0, price=25000.0)
        primary_port = alice.connection.transport.getPeer().port  # type: ignore[union-attr]
        self.assertEqual(primary_port, self.exchange.oes_address(0)[1])
        start = reactor.seconds()
        await self.exchange.stop_oes(0, reason=reason)
        await wait_for(lambda: alice.ready, timeout=5.0)
        took = reactor.seconds() - start
        port = alice.connection.transport.getPeer().port  # type: ignore[union-attr]
        self.assertEqual(port, self.exchange.oes_address(1)[1])
        self.assertEqual((alice.logons, alice.disconnects, alice.aes_logons), (2, 1, 1))
        # the shared book: the order is listed by the secondary and still tracked
        listing = await alice.open_orders()
        self.assertEqual([t.order_id for t in listing], [resting.order_id])
        self.assertEqual(alice.orders.by_id[resting.order_id].state, OrderState.NEW)
        # and trading goes on there
        ack = await alice.new_order(BTC, Side.BUY, 1.0, price=25500.0)
        self.assertEqual(ack.message_type, TransactionType.ORDER_ACK)
        print(f"fail-over (reason={reason}) ready again after {took * 1000:.0f} ms")
        return took

    async def test_failover_on_server_logout_10(self) -> None:
        took = await self._failover(RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED)
        self.assertLess(took, 1.0)  # policy 0.05 s: one retry, straight to the secondary

    async def test_failover_on_hard_cut(self) -> None:
        took = await self._failover(None)
        self.assertLess(took, 1.0)

    async def test_both_down_goes_back_through_the_aes(self) -> None:
        await self.start_exchange()
        alice = await self.ready(ALICE, "alice")
        resting = await alice.new_order(BTC, Side.SELL, 1.0, price=35000.0)
        self.assertEqual(alice.aes_logons, 1)
        await self.exchange.stop_oes(0)
        await self.exchange.stop_oes(1, reason=None)
        await wait_for(lambda: alice.aes_logons >= 3, timeout=5.0)  # retries via the AES
        self.assertFalse(alice.ready)
        # an order submitted while disconnected waits ...
        answers: list[Transaction] = []
        late = alice.new_order(BTC, Side.SELL, 2.0, price=36000.0)
        late.addCallback(answers.append)
        late_id = max(alice.orders.by_id)
        await sleep(reactor, 0.2)
        self.assertEqual(answers, [])
        engine = self.exchange.oes_core.engine
        self.assertFalse(engine.knows_order_id(ALICE, late_id))
        # ... and goes out once the (primary) OES is back
        aes_before = alice.aes_logons
        await self.exchange.start_oes(0)
        await wait_for(lambda: alice.ready and answers, timeout=5.0)
        self.assertGreaterEqual(alice.aes_logons, aes_before)
        self.assertEqual(alice.connection.transport.getPeer().port,  # type: ignore[union-attr]
                         self.exchange.oes_address(0)[1])
        self.assertEqual([a.message_type for a in answers], [TransactionType.ORDER_ACK])
        self.assertTrue(engine.knows_order_id(ALICE, late_id))
        self.assertEqual(self.engine_open(ALICE), {resting.order_id: 1.0, late_id: 2.0})
        await sleep(reactor, 0.1)
        self.assertEqual(answers[0].order_id, late_id)
        self.assertEqual(len(answers), 1)
        print(f"AES logons while both OES were down: {alice.aes_logons}")


class ReconnectStressTests(ExchangeCase):
    timeout = 60

    @staticmethod
    def _random_request(
        alice: Any, rnd: random.Random, track: Callable[[Any, int], None], price: float
    ) -> None:
        """A cancel, a replace or a (sometimes crossing) new order of alice's."""
        live = [o for o in set(alice.orders.by_id.values()) if o.state.live]
        roll = rnd.random()
        if live and roll < 0.15:
            o = rnd.choice(live)
            track(alice.cancel(o.order_id), o.first_id)
        elif live and roll < 0.3:
            o = rnd.choice(live)
            track(alice.replace(o.order_id, price=o.price - 0.5), o.first_id)
        else:
            side = rnd.choice([Side.BUY, Side.SELL])
            crossing = rnd.random() < 0.3
            offset = -50.0 if crossing else 100.0 + rnd.randint(0, 40) * 0.5
            p = price - offset if side == Side.BUY else price + offset
            d = alice.new_order(BTC, side, 0.01, price=p)
            track(d, max(alice.orders.by_id))

    def _hard_cut(self, alice: Any, *, server_side: bool) -> None:
        """Abort alice's OES connection from the server's side or from the client's."""
        if server_side:
            for proto in list(self.exchange.oes_factories[0].connections):
                session = getattr(proto, "session", None)
                if session is not None and session.account == ALICE:
                    proto.transport.abortConnection()
        elif alice.connection is not None:
            alice.connection.transport.abortConnection()

    async def test_twenty_forced_disconnects(self) -> None:
        """Orders in flight across 20 hard cuts: none lost, none duplicated."""
        self.maxDiff = None
        await self.start_exchange(secondary=False)
        rnd = random.Random(20261124)
        bob = await self.ready(BOB, "bob")
        wire: list[Transaction] = []
        alice = await self.ready(ALICE, "alice", protocol=wire_recorder(wire))
        requests: list[defer.Deferred[Any]] = []
        outcomes: dict[str, int] = {}

        def outcome(result: Any) -> None:
            if isinstance(result, Transaction):
                name = TransactionType(result.message_type).name
            else:
                name = getattr(result.value, "name", type(result.value).__name__)
            outcomes[name] = outcomes.get(name, 0) + 1

        def track(d: defer.Deferred[Any], order_id: int) -> None:
            d.addBoth(outcome)
            requests.append(d)

        price = 30000.0
        for _ in range(5):  # liquidity for alice's crossing orders
            await bob.new_order(BTC, Side.SELL, 5.0, price=price + 50.0)
            await bob.new_order(BTC, Side.BUY, 5.0, price=price - 50.0)
        cuts = 0
        while cuts < 20:
            await wait_for(lambda: alice.ready, timeout=5.0)
            for _ in range(rnd.randint(3, 8)):
                self._random_request(alice, rnd, track, price)
            await sleep(reactor, rnd.choice([0.0, 0.0, 0.001, 0.003, 0.01]))
            self._hard_cut(alice, server_side=rnd.random() < 0.5)
            cuts += 1
            await wait_for(lambda c=cuts: alice.disconnects >= c, timeout=5.0)
        await wait_for(lambda: alice.ready, timeout=5.0)
        await wait_for(lambda: all(d.called for d in requests), timeout=10.0)
        await sleep(reactor, 0.05)
        # one final reconciliation with the engine: a fresh listing
        listing = await alice.open_orders()

        self.assertEqual(alice.disconnects, 20)
        engine = self.exchange.oes_core.engine
        orders = {id(o): o for o in alice.orders.by_id.values()}.values()
        client_ids = {i for o in orders for i in o.ids}
        new_ids = {o.first_id for o in orders}
        self.assertFalse(alice.orders.pending)
        for oid in new_ids:
            self.assertTrue(engine.knows_order_id(ALICE, oid), f"order {oid} lost")
        # no request was accepted twice: at most one ACK / REPLACED / CANCELLED per id
        firsts = (TransactionType.ORDER_ACK, TransactionType.REPLACED, TransactionType.CANCELLED)
        per_id: dict[int, int] = {}
        for m in wire:  # (open-order listings carry REPLACED with orig_order_id 0)
            if m.message_type in firsts and (m.orig_order_id or m.message_type != firsts[1]):
                per_id[m.order_id] = per_id.get(m.order_id, 0) + 1
        dup = {k: [(m.message_type, m.orig_order_id) for m in wire if m.order_id == k]
               for k, v in per_id.items() if v > 1}
        self.assertEqual(dup, {})
        # the engine holds nothing the client does not know, once each
        seen = engine._accounts[ALICE].seen
        self.assertTrue(set(seen) >= new_ids)
        live_engine = self.engine_open(ALICE)
        live_client = {o.order_id: o.open_qty for o in orders if o.state.live}
        self.assertEqual(live_client, live_engine)
        self.assertEqual({t.order_id for t in listing}, set(live_engine))
        self.assertTrue(set(live_engine) <= client_ids)
        for o in orders:
            if o.state.final:
                self.assertIsNone(engine.order(ALICE, o.order_id))
        states: dict[str, int] = {}
        for o in orders:
            states[o.state.name] = states.get(o.state.name, 0) + 1
        print(f"20 cuts: disconnects={alice.disconnects} logons={alice.logons} "
              f"orders={len(new_ids)} ids={len(client_ids)} states={states} "
              f"answers={outcomes}")
