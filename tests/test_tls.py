"""TLS: the servers on ``ssl:`` endpoints, the client on ``tls:`` ones (loopback, real reactor).

The certificate is made inside the test (:mod:`tests.tls_helpers`).  The whole
flow runs over TLS: AES logon, the redirect to the OES (reached through the
same ``tls:`` endpoint template), OES logon, an order resting, a crossing order
and the fill both sides see.  A client that does not trust the certificate
gets no session.
"""

from __future__ import annotations

import tempfile
import shutil
from pathlib import Path
from typing import Any

from twisted.internet import defer, reactor

from crmd_twisted.client import ConnectionFailed, endpoint_factory_from
from crmd_twisted.tap import exchange as tap_exchange
from crmd_twisted.testing import client_ready
from crmd_twisted.wire.enums import Side, TransactionType

from tests.client_helpers import TrialTestCase
from tests.tls_helpers import make_certificate

BTC = 1


class TLSFlowTests(TrialTestCase):
    timeout = 30

    async def start_tls_exchange(self) -> tuple[Any, Path]:
        folder = Path(tempfile.mkdtemp(prefix="crmd-tls-"))
        self.addCleanup(shutil.rmtree, folder, True)
        key, cert, roots = make_certificate(folder)
        ssl = f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"
        options = tap_exchange.Options()
        options.parseOptions([f"--aes-listen={ssl}", f"--oes-listen={ssl}", "--md-listen=",
                              "--admin="])
        service = tap_exchange.build(options, reactor)
        service.startService()
        self.addCleanup(service.stopService)
        aes_port = await service.aes_listener.whenListening()
        await service.oes_listeners[0].whenListening()
        self.assertTrue(service.aes.core.primary_oes.startswith("127.0.0.1:"))
        return aes_port.getHost().port, roots

    def client(self, port: int, user: str, account: int, endpoints: str, **kw: Any) -> Any:
        from crmd_twisted.client import CRMDClient

        client = CRMDClient(
            ("127.0.0.1", port), account, user, f"{user}-key", reactor=reactor,
            endpoint_factory=endpoint_factory_from(reactor, endpoints),
            retry_policy=lambda attempt: 0.05, **kw,
        )
        self.addCleanup(client.stopService)
        return client

    async def test_logon_order_fill_over_tls(self) -> None:
        port, roots = await self.start_tls_exchange()
        endpoints = f"tls:{{host}}:{{port}}:trustRoots={roots}"
        alice = await client_ready(self.client(port, "alice", 1001, endpoints))
        bob = await client_ready(self.client(port, "bob", 1002, endpoints))
        # both sessions really are TLS connections
        for client in (alice, bob):
            transport = client.connection.transport
            self.assertIsNotNone(transport.getPeerCertificate())
        ask = await bob.new_order(BTC, Side.SELL, 1.0, price=30000.0)
        self.assertEqual(ask.message_type, TransactionType.ORDER_ACK)
        fill = await alice.new_order(BTC, Side.BUY, 1.0, price=30000.0)
        self.assertEqual(fill.message_type, TransactionType.QUOTE_FILL)
        self.assertEqual((fill.exec_qty, fill.exec_price), (1.0, 30000.0))
        for _ in range(100):  # bob's EXECUTION is on its way
            if bob.orders[ask.order_id].fills:
                break
            await sleep(0.02)
        self.assertEqual(bob.orders[ask.order_id].fills[-1].exec_qty, 1.0)
        self.assertEqual(await alice.open_orders(), [])

    async def test_untrusted_certificate_gets_no_session(self) -> None:
        port, _roots = await self.start_tls_exchange()
        other = Path(tempfile.mkdtemp(prefix="crmd-tls-other-"))
        self.addCleanup(shutil.rmtree, other, True)
        _key, _cert, wrong_roots = make_certificate(other)
        client = self.client(
            port, "alice", 1001, f"tls:{{host}}:{{port}}:trustRoots={wrong_roots}",
            max_attempts=2,
        )
        client.startService()
        with self.assertRaises(ConnectionFailed):
            await client.when_ready()

    def test_endpoint_strings_need_both_placeholders(self) -> None:
        with self.assertRaises(ValueError) as caught:
            endpoint_factory_from(reactor, "tls:127.0.0.1:4444")
        self.assertIn("{host}", str(caught.exception))
        with self.assertRaises(ValueError):
            endpoint_factory_from(reactor, "nosuch:{host}:{port}")
        self.assertIsNotNone(endpoint_factory_from(reactor, "tls")("127.0.0.1", 4444))


async def sleep(seconds: float) -> None:
    d: defer.Deferred[None] = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)  # type: ignore[attr-defined]
    await d
