"""The client against stand-ins of the reference implementation's example servers.

PROTOCOL.md section 9: the reference's ``example_server_aes.py`` answers every
socket read with one fixed ``client_logon`` (status 1, reject_reason 0, key
432451, ``primary_oes_address`` "127.0.0.1:4445", other addresses "1", two_fa
"1F6A"); its ``example_server_oes.py`` answers the first frame it ever gets with
a fixed logon reply and every later frame with one fixed ORDER_ACK (order id
46832151, side 3, all-NUL attributes, second_leg_price 1111, route_enum 1,
modify_type 1).  The fakes below send exactly the golden-vector frames
(``client_logon.json`` / ``transaction.json``, the entries whose description
says they are the example servers' replies); the AES reply's OES address is
replaced by the fake OES's real loopback address.  No vector holds the example
OES's logon reply; the reference builds it with the same builder and key as the
AES reply, so the fake OES sends that frame too.

What the client does with these servers:

* the logon reply has ``reject_reason`` 0, not 50: the client goes by
  ``login_status`` only, so this is a successful logon, through the AES and the OES;
* an ORDER_ACK whose ``order_id`` the session never used is taken as the answer
  to the oldest NEW order still waiting (replies come in request order,
  PROTOCOL.md 7.1); the order is then also known under the foreign id
  (``client.orders.aliases``).  With no NEW waiting, such a frame is only passed
  to observers as a ``"message"`` event - never a crash;
* the example OES answers the instrument / open-order / collateral requests the
  session sends after logon with ORDER_ACKs too, so the reconciliation never
  completes: after ``request_timeout`` the session drops the connection and
  retries per its policy (``last_error`` is a RequestTimeout); since the example
  OES only ever answers its first frame with a logon reply, every later logon
  then times out (LogonTimeout) - the session keeps retrying quietly and never
  becomes ready.  ``CRMDClient(reconcile=False)`` skips that step: ready right
  after the OES logon, and orders work as above.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint, connectProtocol
from twisted.internet.protocol import Factory, Protocol

from crmd_twisted.client import (
    ClientEvent,
    CRMDClient,
    CRMDClientProtocol,
    LogonTimeout,
    OrderState,
    RequestTimeout,
    parse_address,
)
from crmd_twisted.wire import ClientLogon, FrameBuffer, Message, Transaction, decode
from crmd_twisted.wire.enums import LoginStatus, Side, TransactionType

from tests.client_helpers import TrialTestCase, vector_frame, wait_for

AES_REPLY = vector_frame("client_logon", "AES logon reply exactly as the reference example AES")
OES_ACK = vector_frame("transaction", "ORDER_ACK exactly as the reference example OES")
ACK_ID = 46832151


class ExampleAES(Protocol):
    """Every read -> the fixed logon reply (with the fake OES's address)."""

    factory: ExampleAESFactory

    def dataReceived(self, data: bytes) -> None:
        self.factory.reads += 1
        self.transport.write(self.factory.reply)  # type: ignore[union-attr]


class ExampleAESFactory(Factory):
    protocol = ExampleAES

    def __init__(self, oes_address: str) -> None:
        reply = decode(AES_REPLY)
        assert isinstance(reply, ClientLogon)
        self.reply = reply.replace(primary_oes_address=oes_address).encode()
        self.reads = 0


class ExampleOES(Protocol):
    """First frame ever (module-global in the reference) -> logon reply; then ORDER_ACKs."""

    factory: ExampleOESFactory

    def connectionMade(self) -> None:
        self.buffer = FrameBuffer()
        self.factory.connections.append(self)

    def connectionLost(self, reason: Any = None) -> None:
        self.factory.connections.remove(self)

    def dataReceived(self, data: bytes) -> None:
        for frame in self.buffer.feed(data):
            self.factory.frames.append(decode(frame))
            if not self.factory.logon_sent:
                self.factory.logon_sent = True
                self.transport.write(AES_REPLY)  # type: ignore[union-attr]
            else:
                self.transport.write(OES_ACK)  # type: ignore[union-attr]


class ExampleOESFactory(Factory):
    protocol = ExampleOES

    def __init__(self) -> None:
        self.logon_sent = False  # the reference keeps this in a module global
        self.frames: list[Message] = []
        self.connections: list[ExampleOES] = []


class ReferenceServerTests(TrialTestCase):
    timeout = 20

    async def start_servers(self) -> tuple[str, int]:
        self.oes = ExampleOESFactory()
        oes_port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(self.oes)
        self.addCleanup(oes_port.stopListening)
        self.oes_address = f"127.0.0.1:{oes_port.getHost().port}"
        self.aes = ExampleAESFactory(self.oes_address)
        aes_port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(self.aes)
        self.addCleanup(aes_port.stopListening)
        return "127.0.0.1", aes_port.getHost().port

    def client(self, aes: tuple[str, int], **kw: Any) -> CRMDClient:
        kw.setdefault("retry_policy", lambda attempt: 0.05)
        client = CRMDClient(aes, 100700, "BOU7", "1", **kw)
        self.addCleanup(self._stop, client)
        return client

    async def _stop(self, client: CRMDClient) -> None:
        await client.stopService()
        for proto in list(self.oes.connections):
            proto.transport.abortConnection()  # type: ignore[union-attr]
        await wait_for(lambda: not self.oes.connections)

    async def test_protocol_logs_on_through_aes_to_oes_and_gets_the_ack(self) -> None:
        """CRMDClientProtocol by hand: AES -> address -> OES logon with key 432451 -> ACK."""
        host, port = await self.start_servers()
        aes = CRMDClientProtocol()
        await connectProtocol(TCP4ClientEndpoint(reactor, host, port), aes)
        reply = await aes.logOn(100700, "BOU7", api_key="1")
        self.assertEqual((reply.login_status, reply.reject_reason), (LoginStatus.SUCCESS, 0))
        self.assertEqual(reply.session_key, 432451)
        address = parse_address(reply.primary_oes_address)
        self.assertEqual(address, ("127.0.0.1", int(self.oes_address.split(":")[1])))
        self.assertIsNone(parse_address(reply.secondary_oes_address))  # "1": no fail-over
        aes.transport.loseConnection()  # type: ignore[union-attr]

        acks: list[Transaction] = []

        class Client(CRMDClientProtocol):
            def tx_ORDER_ACK(self, tx: Transaction) -> None:
                acks.append(tx)

        oes = Client()
        assert address is not None
        await connectProtocol(TCP4ClientEndpoint(reactor, *address), oes)
        self.addCleanup(oes.transport.loseConnection)  # type: ignore[union-attr]
        await oes.logOn(100700, "BOU7", api_key="1", session_key=reply.session_key,
                        trading_session_id=reply.trading_session_id)
        (logon,) = self.oes.frames
        assert isinstance(logon, ClientLogon)
        self.assertEqual((logon.session_key, logon.trading_session_id), (432451, 506))
        oes.sendTransaction(Transaction(
            message_type=TransactionType.ORDER_NEW, order_id=7, symbol_enum=1, symbol="BTCUSD",
            order_type=1, side=Side.BUY, price=30000.0, order_qty=1.0, time_in_force=1,
        ))
        await wait_for(lambda: acks)
        self.assertEqual((acks[0].order_id, acks[0].side, acks[0].attributes), (ACK_ID, 3, ""))
        self.assertEqual((acks[0].second_leg_price, acks[0].route_enum, acks[0].modify_type),
                         (1111.0, 1, 1))

    async def test_session_without_reconciliation_trades(self) -> None:
        """reconcile=False: ready after the OES logon; the foreign-id ACK answers the order."""
        aes = await self.start_servers()
        client = self.client(aes, reconcile=False, request_timeout=0.3)
        events: list[ClientEvent] = []
        client.add_observer(events.append)
        client.startService()
        await client.when_ready()
        self.assertEqual((client.aes_logons, client.logons), (1, 1))
        self.assertGreaterEqual(self.aes.reads, 1)
        logon = self.oes.frames[0]
        assert isinstance(logon, ClientLogon)
        self.assertEqual((logon.session_key, logon.trading_session_id), (432451, 506))

        ack = await client.new_order(1, Side.BUY, 1.0, price=30000.0)
        self.assertEqual((ack.message_type, ack.order_id), (TransactionType.ORDER_ACK, ACK_ID))
        order = client.orders.by_id[ACK_ID]
        self.assertNotEqual(order.order_id, ACK_ID)  # still known by its own id ...
        self.assertEqual(client.orders.aliases, {ACK_ID: order.order_id})  # ... and the alias
        self.assertEqual(order.state, OrderState.NEW)
        second = await client.new_order(1, Side.SELL, 2.0, price=31000.0)
        self.assertEqual(second.order_id, ACK_ID)
        self.assertFalse(client.orders.pending)

        # a query gets an ORDER_ACK instead of its reply: it times out cleanly and the
        # stray ACK (no NEW waiting) is only shown to observers
        with self.assertRaises(RequestTimeout):
            await client.risk()
        strays = [e for e in events if e.kind == "message"]
        self.assertTrue(strays)
        self.assertTrue(client.ready)

    async def test_session_with_reconciliation_never_gets_ready(self) -> None:
        """Default session: the listing never completes -> timeout, reconnect, quiet retries."""
        aes = await self.start_servers()
        client = self.client(aes, request_timeout=0.2, logon_timeout=0.2)
        states: list[str] = []
        client.add_observer(lambda e: states.append(e.state) if e.kind == "state" else None)
        ready = client.when_ready()
        client.startService()
        await wait_for(lambda: client.failed_attempts >= 3, timeout=5.0)
        self.assertFalse(ready.called)
        self.assertIsNone(client.fatal)
        self.assertEqual(client.logons, 1)  # the only logon reply the example OES ever sends
        self.assertEqual(client.disconnects, 1)
        self.assertIn("reconciling", states)
        assert client.last_error is not None
        self.assertTrue(client.last_error.check(LogonTimeout))
        kinds = [type(m).__name__ for m in self.oes.frames[:4]]
        self.assertEqual(kinds[:3], ["ClientLogon", "InstrumentRequest", "OpenOrderRequest"])
        ready.addErrback(lambda f: None)  # stopping the client fails it
