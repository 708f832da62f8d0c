"""Hostile input against a real ``twistd crmd-exchange`` process (seeded, bounded).

50 connections log on and throw more than 100,000 hostile frames at the OES -
transactions with random fields (each refused by some check), random frames of
every other type, unknown types past the skipped-frame budget, truncated and
random bytes - reconnecting whenever the server logs one out, while a
well-behaved client keeps trading.  Asserted: the server logs no unhandled
error (no traceback in its log), answers every order of the good client, and
its resident memory after the flood is within 20% of before it.  The figures
are printed (``pytest -s``).
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from twisted.internet import defer, reactor, task
from twisted.trial import unittest

from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

from crmd_twisted.client.protocol import Credentials
from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
from crmd_twisted.wire import MESSAGE_TYPES, ClientLogon, FrameBuffer, Transaction, decode
from crmd_twisted.wire.enums import LoginStatus, LogonType, Side, TransactionType

from tests.proc_helpers import free_port, start_twistd, stop, wait_listening
from tests.server_helpers import RawClient, ReactorFriendly, close_all, connect
from tests.test_oes_fuzz import random_message

SEED = 20261201
CONNECTIONS = 50
FRAMES = 100_000
UNKNOWN_FRAME = b"Z\x00\x08\x00abcd"
KEYS = SessionKeys.from_text(DEFAULT_SECRET)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def hostile_batch(rng: random.Random, creds: Any, size: int) -> list[bytes]:
    """*size* hostile frames for a logged-on session: random transactions that some
    check refuses (so nothing rests), random requests, unknown types, garbage."""
    others = [c for c in MESSAGE_TYPES.values() if c not in (Transaction, ClientLogon)]
    frames: list[bytes] = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.85:
            msg = random_message(rng, Transaction)
            msg.account = creds.account
            msg.trading_session_id = creds.trading_session_id
            msg.session_key = creds.key
            msg.sending_time = time.time_ns()
            msg.message_type = rng.choice([1, 2, 6])
            # one of the checks that come before the engine fails for each
            flaw = rng.randrange(4)
            if flaw == 0:
                msg.session_key = creds.key ^ 0x5A5A
            elif flaw == 1:
                msg.symbol_enum = 99
            elif flaw == 2:
                msg.order_type = 18
            else:
                msg.side = 9
            frames.append(msg.encode())
        elif roll < 0.95:
            frames.append(random_message(rng, rng.choice(others)).encode())
        elif roll < 0.99:
            frames.append(UNKNOWN_FRAME)
        else:
            frames.append(rng.randbytes(rng.randint(1, 40)))
    return frames


class Flooder(Protocol):
    """Logs on to the OES with a K1 made from the default secret (as the AES would),
    then only counts what comes back (no decoding: the test process stays fast)."""

    def __init__(self, account: int, user: str, session_id: int) -> None:
        self.logon = ClientLogon(
            logon_type=LogonType.LOGIN, account=account, user_name=user, two_fa="000000",
            trading_session_id=session_id,
            session_key=KEYS.aes_key(account, user, session_id), sending_time=time.time_ns(),
        )
        self.frames = FrameBuffer()
        self.ready: defer.Deferred[Credentials] = defer.Deferred()
        self.closed: defer.Deferred[None] = defer.Deferred()
        self.received = 0

    def connectionMade(self) -> None:
        self.transport.write(self.logon.encode())

    def dataReceived(self, data: bytes) -> None:
        self.received += len(data)
        if self.ready.called:
            return
        for frame in self.frames.feed(data):
            reply = decode(frame)
            if isinstance(reply, ClientLogon) and reply.login_status == LoginStatus.SUCCESS:
                self.ready.callback(Credentials(
                    reply.account, reply.user_name, reply.trading_session_id, reply.session_key))
            else:
                self.ready.errback(AssertionError(f"logon refused: {reply!r}"))
            return

    def connectionLost(self, reason: Any = None) -> None:
        if not self.ready.called:
            self.ready.errback(AssertionError("closed before the logon reply"))
        self.closed.callback(None)


class HostileInputTests(ReactorFriendly, unittest.TestCase):
    timeout = 120

    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="crmd-hostile-"))
        self.addCleanup(shutil.rmtree, self.folder, True)
        self.aes_port, self.oes_port = free_port(), free_port()
        self.server = start_twistd(
            "crmd-exchange",
            [f"--aes-listen=tcp:{self.aes_port}:interface=127.0.0.1",
             f"--oes-listen=tcp:{self.oes_port}:interface=127.0.0.1",
             "--md-listen=", "--admin="],  # no fixed ports in a test
            self.folder,
        )
        self.addCleanup(stop, self.server)
        wait_listening(self.server, self.aes_port)
        wait_listening(self.server, self.oes_port)
        self.clients: list[RawClient] = []
        self.addCleanup(lambda: close_all(self.clients))

    async def login(self, account: int, user: str) -> RawClient:
        aes = await connect(("127.0.0.1", self.aes_port))
        self.clients.append(aes)
        grant = await aes.logOn(account, user)
        aes.transport.loseConnection()
        oes = await connect(("127.0.0.1", self.oes_port))
        self.clients.append(oes)
        await oes.logOn(account, user, session_key=grant.session_key,
                        trading_session_id=grant.trading_session_id)
        oes.cursor = len(oes.received)
        return oes

    async def flood(self, rng: random.Random, index: int, quota: int, sent: list[int]) -> None:
        """One hostile connection's share: log on, send in batches, again when logged out."""
        round_ = 0
        while quota > 0:
            user = f"h{index}r{round_ % 10}"
            round_ += 1
            flooder = Flooder(5000 + index, user, 1 + (index * 10 + round_) % 60000)
            endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.oes_port, timeout=30)
            await connectProtocol(endpoint, flooder)
            creds = await flooder.ready
            while quota > 0 and not flooder.closed.called:
                batch = hostile_batch(rng, creds, min(500, quota))
                flooder.transport.write(b"".join(batch))
                quota -= len(batch)
                sent[0] += len(batch)
                await task.deferLater(reactor, 0.005, lambda: None)
            if not flooder.closed.called:
                flooder.transport.loseConnection()
            await flooder.closed

    async def trade(self, good: RawClient, orders: int, done: list[int]) -> None:
        for n in range(orders):
            order = good.send(good.order(Side.BUY, 0.01, 10000.0 + (n % 50)))
            (answer,) = await good.next(1, timeout=20.0)
            if answer.order_id == order.order_id:
                done[0] += 1
            cancel = good.send(good.cancelOf(answer))
            (gone,) = await good.next(1, timeout=20.0)
            if gone.order_id == cancel.order_id and gone.message_type == TransactionType.CANCELLED:
                done[0] += 1

    async def test_flood_from_50_connections_while_a_client_trades(self) -> None:
        rng = random.Random(SEED)
        pid = self.server.proc.pid
        good = await self.login(4001, "good")
        warm = [0]
        await self.flood(random.Random(SEED - 1), 99, 5_000, warm)  # warm-up: code paths, caches
        await self.trade(good, 20, [0])
        before = rss_kib(pid)
        sent = [0]
        answered = [0]
        started = time.monotonic()
        share = FRAMES // CONNECTIONS + 1
        floods = [defer.ensureDeferred(self.flood(random.Random(rng.random()), i, share, sent))
                  for i in range(CONNECTIONS)]
        trading = defer.ensureDeferred(self.trade(good, 200, answered))
        await defer.gatherResults([*floods, trading], consumeErrors=True)
        elapsed = time.monotonic() - started
        await task.deferLater(reactor, 0.5, lambda: None)
        after = rss_kib(pid)
        output = self.server.output()
        print(f"\nhostile: {sent[0]} frames from {CONNECTIONS} connections in {elapsed:.1f}s; "
              f"good client: {answered[0]}/400 answers; server RSS {before} KiB -> {after} KiB "
              f"({(after - before) / before:+.1%}); log {len(output)} bytes")
        self.assertGreaterEqual(sent[0], FRAMES)
        self.assertEqual(answered[0], 400)
        self.assertNotIn("Traceback", output)
        self.assertNotIn("Unhandled", output)
        self.assertLess(abs(after - before), before * 0.20)
        self.assertEqual(self.server.proc.poll(), None)  # still serving
