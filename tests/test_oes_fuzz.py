"""Garbage on one connection never breaks the servers for anyone else.

Frames of every known type with random field values (including the right
session key so they get past the first checks), random bytes, short headers
and unknown types are thrown at the OES and the AES.  Whatever happens to the
garbage connection (REJECTs, logouts, closes), the servers log no unhandled
error and a second, well-behaved client keeps trading.
"""

from __future__ import annotations

import random
import string
import time
from typing import Any

from twisted.internet import defer
from twisted.logger import LogEvent, globalLogPublisher
from twisted.trial import unittest

from crmd_twisted.wire import MESSAGE_TYPES, Message, Transaction
from crmd_twisted.wire.layout import INT_RANGES, FieldKind
from crmd_twisted.wire.enums import TransactionType

from tests.server_helpers import ExchangeCase, RawClient

SEED = 20261124


FLOATS = [0.0, -1.0, 1e-12, 0.5, 1.0, 30000.0, 29999.75, 1e300, -1e300,
          float("nan"), float("inf"), float("-inf")]


def random_message(rng: random.Random, cls: type[Message]) -> Message:
    """A message of *cls* whose every field holds a random legal-on-the-wire value."""
    fields: dict[str, Any] = {}
    for spec in cls.LAYOUT.body_fields:
        if spec.kind is FieldKind.INT:
            low, high = INT_RANGES[spec.code]
            fields[spec.name] = rng.choice([low, high, 0, 1, 2, rng.randint(low, high)])
        elif spec.kind is FieldKind.TEXT:
            width = spec.width
            fields[spec.name] = "".join(
                rng.choice(string.printable[:95]) for _ in range(rng.randint(0, width))
            )
        elif spec.code == "e":
            fields[spec.name] = rng.choice([0.0, 0.5, 1.0, 65504.0, float("nan")])
        else:
            fields[spec.name] = rng.choice(FLOATS) if rng.random() < 0.7 else rng.uniform(-1e6, 1e6)
    fields.pop("reserved", None)
    return cls(**fields)


def random_frames(rng: random.Random, key: int, account: int, tsid: int) -> list[bytes]:
    """Random-valued frames of every type, most transactions past the session checks,
    plus outright garbage (random headers and bodies, an unknown type)."""
    frames: list[bytes] = []
    for cls in MESSAGE_TYPES.values():
        for _ in range(80 if cls is Transaction else 8):
            msg = random_message(rng, cls)
            if isinstance(msg, Transaction) and rng.random() < 0.8:
                msg.session_key = key
                msg.account = account
                msg.trading_session_id = tsid
                msg.message_type = rng.choice([1, 2, 6])
                msg.symbol_enum = rng.choice([1, 2, 3, 4, 9])
                msg.order_type = rng.randint(1, 18)
                msg.side = rng.choice([1, 2, 3])
                msg.time_in_force = rng.randint(0, 7)
                msg.sending_time = time.time_ns()
                msg.attributes = "".join(rng.choice("YN") for _ in range(12))
            frames.append(msg.encode())
    for _ in range(20):
        frames.append(rng.randbytes(rng.randint(4, 300)))
    frames.append(b"Z\x00\x08\x00abcd")  # unknown type: skipped
    return frames


async def wait_until(condition: Any, timeout: float = 10.0) -> None:
    from twisted.internet import reactor, task

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await task.deferLater(reactor, 0.01, lambda: None)


class FuzzTests(ExchangeCase, unittest.TestCase):
    timeout = 60

    def setUp(self) -> defer.Deferred[Any]:
        self.errors: list[LogEvent] = []

        def observe(event: LogEvent) -> None:
            if event.get("log_failure") is not None or event.get("isError"):
                self.errors.append(event)

        globalLogPublisher.addObserver(observe)
        self.addCleanup(globalLogPublisher.removeObserver, observe)
        return super().setUp()

    async def test_garbage_does_not_hurt_other_clients(self) -> None:
        rng = random.Random(SEED)
        good = await self.login(2002, "good")
        sent_garbage = 0
        answered = 0
        for round_ in range(8):
            bad = await self.login(3003 + round_, f"bad{round_}")
            reply = bad.oesReply  # type: ignore[attr-defined]
            frames = random_frames(rng, reply.session_key, reply.account,
                                   reply.trading_session_id)
            # transactions first (each gets at least one answer), then everything else:
            # logouts, closes, or a random header that leaves a partial frame waiting
            transactions = [f for f in frames if f[:1] == b"T" and len(f) == 250]
            for frame in transactions + [f for f in frames if f not in transactions]:
                bad.transport.write(frame)
                sent_garbage += 1
            expected = len(transactions)
            await wait_until(
                lambda c=bad, n=expected: c.closed.called
                or sum(isinstance(m, Transaction) for m in c.received) >= n
            )
            answered += sum(1 for m in bad.received if isinstance(m, Transaction))
            if not bad.closed.called:
                bad.transport.abortConnection()
            # garbage at the AES too
            aes = await self.connectTo(self.exchange.aes_address)
            aes.transport.write(rng.randbytes(500))
            # the good client still trades after each round
            order = good.order(price=20000.0 + round_ * 0.5, qty=0.01)
            good.send(order)
            (ack,) = await good.next(1)
            self.assertEqual(ack.message_type, TransactionType.ORDER_ACK)
            self.assertEqual(ack.order_id, order.order_id)
        self.assertGreater(sent_garbage, 1500)
        self.assertGreater(answered, 500)  # the engine really saw the random orders
        self.assertEqual(self.errors, [], "servers logged unhandled errors")
        self.assertIsInstance(good, RawClient)
