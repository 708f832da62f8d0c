"""A server that sends nonsense does not crash the client session.

After the session is ready, the OES side of its connection writes frames of
every type with random values (fills and acks for unknown orders, logons,
requests that a server never sends, level data, ...).  The client logs no
unhandled error, keeps its state consistent, and its next order still gets
its ORDER_ACK.
"""

from __future__ import annotations

import random

from twisted.internet import defer
from twisted.logger import LogEvent, globalLogPublisher

from crmd_twisted.wire import MESSAGE_TYPES, ClientLogon
from crmd_twisted.wire.enums import LogonType, Side, TransactionType

from tests.client_helpers import TrialTestCase
from tests.test_oes_fuzz import random_message

from crmd_twisted.testing import SimulatedExchange, client_ready


class ClientFuzzTests(TrialTestCase):
    async def test_random_frames_from_the_server(self) -> None:
        errors: list[LogEvent] = []

        def observe(event: LogEvent) -> None:
            if event.get("log_failure") is not None or event.get("isError"):
                errors.append(event)

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        exchange = SimulatedExchange()
        await exchange.start()
        self.addCleanup(lambda: defer.ensureDeferred(exchange.stop()))
        client = exchange.client(account=1001, user="fuzzed")
        self.addCleanup(client.stopService)
        await client_ready(client)
        (server_side,) = exchange.oes_factories[0].connections
        rng = random.Random(7)
        sent = 0
        for cls in MESSAGE_TYPES.values():
            for _ in range(40):
                msg = random_message(rng, cls)
                if isinstance(msg, ClientLogon) and msg.logon_type == LogonType.LOGOUT:
                    msg.logon_type = LogonType.LOGIN  # a logout would (rightly) end the test
                server_side.transport.write(msg.encode())  # type: ignore[union-attr]
                sent += 1
        ack = await client.new_order(1, Side.BUY, 0.5, price=25000.0)
        self.assertEqual(ack.message_type, TransactionType.ORDER_ACK)
        self.assertTrue(client.ready)
        self.assertEqual(set(client.orders.by_id), {ack.order_id})  # nonsense made no orders
        self.assertGreater(sent, 600)
        self.assertEqual(errors, [], "the client logged unhandled errors")


