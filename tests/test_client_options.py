"""Issue 13, client side: argument checks, connection failures, order ids, unknown symbols."""

from __future__ import annotations

import socket
import time
from typing import Any

from twisted.internet import defer, reactor
from twisted.logger import LogEvent, formatEvent, globalLogPublisher

from crmd_twisted.client import (
    ConnectionFailed,
    CRMDClient,
    OrderState,
    RequestRejected,
)
from crmd_twisted.client.order_ids import MAX_ORDER_ID, OrderIds
from crmd_twisted.testing import SimulatedExchange, client_ready
from crmd_twisted.wire.enums import RejectCode, Side

try:
    from client_helpers import TrialTestCase
except ImportError:  # run as tests.test_client_options by trial
    from tests.client_helpers import TrialTestCase

ACCOUNT = 1001


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class ArgumentTests(TrialTestCase):
    def check(self, message: str, *args: Any, **kw: Any) -> None:
        base: dict[str, Any] = {"aes": ("127.0.0.1", 4444), "account": ACCOUNT,
                                "user": "alice", "api_key": "k", "reactor": reactor}
        base.update(kw)
        with self.assertRaises(ValueError) as caught:
            CRMDClient(**base)
        self.assertIn(message, str(caught.exception))

    def test_bad_arguments_raise_at_once_naming_argument_and_limit(self) -> None:
        self.check("user: 'mallory' has 7 characters; the logon field holds at most 6",
                   user="mallory")
        self.check("user: expected a non-empty name", user="")
        self.check("aes: port 99999 is outside 1..65535", aes=("127.0.0.1", 99999))
        self.check("aes: port 99999 is outside 0..65535", aes="127.0.0.1:99999")
        self.check("aes: missing port", aes="127.0.0.1")
        self.check("account: expected an integer in 1..4294967295", account=0)
        self.check("api_key: expected a non-empty ASCII text", api_key="")
        self.check("request_timeout: expected a number of seconds > 0", request_timeout=0)
        self.check("connect_timeout: expected a number of seconds > 0", connect_timeout=-1)
        self.check("max_attempts: expected an integer in 1..", max_attempts=0)
        self.check("open_order_limit: expected an integer in 1..", open_order_limit=0)
        self.check(f"first_order_id: expected an integer in 1..{MAX_ORDER_ID}",
                   first_order_id=2**64)

    def test_good_arguments_and_a_host_port_text(self) -> None:
        client = CRMDClient("127.0.0.1:4444", ACCOUNT, "bob123", "k", reactor=reactor)
        self.assertEqual(client.aes, ("127.0.0.1", 4444))


class ConnectionFailureTests(TrialTestCase):
    async def test_closed_port_fails_after_max_attempts_with_the_reason(self) -> None:
        port = closed_port()
        events: list[LogEvent] = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        client = CRMDClient(("127.0.0.1", port), ACCOUNT, "alice", "k", reactor=reactor,
                            retry_policy=lambda n: 0.01, max_attempts=3)
        self.addCleanup(client.stopService)
        waiting = client.new_order(1, Side.BUY, 1.0, price=100.0)  # before any grant
        with self.assertRaises(ConnectionFailed) as caught:
            await client_ready(client)
        error = caught.exception
        self.assertIn(f"127.0.0.1:{port}", str(error))
        self.assertIn("refused", str(error))
        self.assertEqual((error.address, error.attempts), (("127.0.0.1", port), 3))
        self.assertEqual(client.state, "failed")
        with self.assertRaises(ConnectionFailed):
            await waiting  # requests waiting for the session fail too
        logged = [formatEvent(e) for e in events if "connection attempt" in formatEvent(e)]
        self.assertEqual(len(logged), 3, logged)
        self.assertTrue(all("refused" in line for line in logged), logged)
        with self.assertRaises(ConnectionFailed):
            await client.when_ready()  # stays failed


class ExchangeCase(TrialTestCase):
    async def start_exchange(self, **kw: Any) -> SimulatedExchange:
        exchange = SimulatedExchange(**kw)
        await exchange.start()
        self.addCleanup(lambda: defer.ensureDeferred(exchange.stop()))
        self.exchange = exchange
        return exchange

    def client(self, user: str, **kw: Any) -> CRMDClient:
        client = self.exchange.client(account=ACCOUNT, user=user, api_key=f"{user}-key", **kw)
        self.addCleanup(client.stopService)
        return client


class OrderIdTests(ExchangeCase):
    async def place(self, client: CRMDClient, count: int) -> list[int]:
        answers = [client.new_order(1, Side.BUY, 0.01, price=1000.0 + i) for i in range(count)]
        results = await defer.gatherResults(answers, consumeErrors=True)
        return [tx.order_id for tx in results]

    async def test_two_clients_started_in_one_millisecond_never_share_an_id(self) -> None:
        await self.start_exchange()
        frozen = time.time_ns()
        self.patch(time, "time_ns", lambda: frozen)  # the old default came from the clock
        alice, bob = self.client("alice"), self.client("bob")
        # orders placed before the grant wait for it and get their ids then
        both = [defer.ensureDeferred(self.place(c, 100)) for c in (alice, bob)]
        alice.startService()
        bob.startService()
        ids_a, ids_b = await defer.gatherResults(both)
        self.assertEqual(len(set(ids_a) | set(ids_b)), 200)
        for client in (alice, bob):
            states = {o.state for o in client.orders}
            self.assertEqual(states, {OrderState.NEW})  # none DUPLICATE_ORDER_ID-rejected
            self.assertTrue(all(0 < oid < 2**63 for oid in client.orders.by_id))

    async def test_a_restarted_client_does_not_reuse_its_ids(self) -> None:
        await self.start_exchange()
        self.patch(time, "time_ns", lambda: 1_700_000_000_000_000_000)
        first = await client_ready(self.client("alice"))
        before = await self.place(first, 5)
        await first.stopService()
        again = await client_ready(self.client("alice"))
        after = await self.place(again, 5)
        self.assertFalse(set(before) & set(after))
        self.assertEqual({o.state for o in again.orders if o.order_id in after},
                         {OrderState.NEW})

    def test_ids_carry_the_session_prefix_and_a_counter(self) -> None:
        ids = OrderIds()
        self.assertFalse(ids.ready)
        ids.session_granted(0xFFFF)
        ids.session_granted(7)  # a later grant keeps the prefix
        self.assertEqual([ids.next(), ids.next()], [0xFFFF << 47 | 1, 0xFFFF << 47 | 2])
        self.assertLess(0xFFFF << 47 | 2, 2**63)
        fixed = OrderIds(first_order_id=500)
        self.assertEqual([fixed.next(), fixed.next()], [500, 501])


class UnknownSymbolTests(ExchangeCase):
    async def test_known_instruments_fail_an_unknown_symbol_at_once(self) -> None:
        await self.start_exchange()
        client = await client_ready(self.client("alice", request_timeout=30.0))
        for ask in (client.risk, client.collateral):
            with self.assertRaises(ValueError) as caught:
                await ask(99)
            self.assertIn("symbol_enum 99 is not an instrument of the OES", str(caught.exception))
        (one,) = await client.risk(1)
        self.assertEqual(one.symbol_enum, 1)
        self.assertEqual((await client.collateral(1)).symbol_enum, 1)

    async def test_without_instruments_the_servers_silence_is_a_rejection(self) -> None:
        await self.start_exchange()
        client = await client_ready(self.client("alice", reconcile=False, request_timeout=30.0))
        for ask in (client.risk, client.collateral):
            with self.assertRaises(RequestRejected) as caught:
                await ask(99)
            self.assertEqual(caught.exception.code, RejectCode.SYMBOL_ENUM_INVALID)
            self.assertIn("unknown symbol_enum 99", str(caught.exception))
        self.assertEqual((await client.collateral(1)).symbol_enum, 1)
