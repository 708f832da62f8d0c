"""The OES journal (pure): a replayed core is the core that never stopped.

A seeded mix of every order type (limit, market, stop, peg, iceberg, OCO,
trailing, hidden, DAY), cancels, replaces and a day roll goes through one
:class:`JournalingCore`; a second core replays its records.  Both must then hold
the same books, balances, reservations and used ids, and answer the same
further inputs with the same frames (triggers, pegs and trailing stops included).
"""

from __future__ import annotations

import random
import unittest

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.engine import DEFAULT_INSTRUMENTS, Instrument
from crmd_twisted.keys import SessionKeys
from crmd_twisted.oes.core import Session
from crmd_twisted.oes.journal import InputClock, JournalingCore, RecordKind, ReplayError, Row
from crmd_twisted.wire import ClientLogon, Message, Transaction
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
    TransactionType,
)

TT = TransactionType
OT = OrderType
NOW = 1_800_000_000 * 10**9
DAY = 86_400 * 10**9
KEYS = SessionKeys.from_text("journal-secret")
USERS = [(1001, "alice"), (2002, "bob")]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


def make_core(clock: Clock, instruments: tuple[Instrument, ...] = tuple(DEFAULT_INSTRUMENTS)
              ) -> JournalingCore:
    directory = AccountDirectory([Account(a, u) for a, u in USERS], open=False)
    return JournalingCore(directory, KEYS, instruments, clock=InputClock(clock))


class Peer:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)

    def logout(self, reason: RejectCode) -> None:
        self.sent.append(Transaction(reject_reason=reason))


def logon(core: JournalingCore, clock: Clock, account: int, user: str) -> tuple[Session, Peer]:
    peer = Peer()
    outcome = core.logon(
        ClientLogon(logon_type=1, account=account, user_name=user, sending_time=clock(),
                    trading_session_id=7, session_key=KEYS.aes_key(account, user, 7)),
        peer.send, peer.logout,
    )
    assert isinstance(outcome, Session), outcome
    return outcome, peer


class Flow:
    """A seeded stream of transactions of every kind on BTCUSD (tick 0.5)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.next_id = 1
        self.live: dict[int, list[int]] = {a: [] for a, _ in USERS}

    def order(self, session: Session, now: int) -> Transaction:
        rng = self.rng
        oid = self.next_id
        self.next_id += 1
        base = dict(
            account=session.account, order_id=oid, symbol_enum=1, symbol="BTCUSD",
            symbol_type=1, trading_session_id=session.trading_session_id,
            session_key=session.key, sending_time=now, attributes=NO_ATTRIBUTES,
            msg_seq_num=oid,
        )
        mine = self.live[session.account]
        roll = rng.random()
        if mine and roll < 0.15:
            return Transaction(message_type=TT.ORDER_CANCEL, orig_order_id=rng.choice(mine),
                               order_type=OT.LMT, side=Side.BUY, **base)
        if mine and roll < 0.25:
            return Transaction(message_type=TT.CANCEL_REPLACE, orig_order_id=rng.choice(mine),
                               order_type=OT.LMT, side=Side.BUY,
                               price=30000.0 + rng.randint(-20, 20) * 0.5,
                               order_qty=rng.choice([1.0, 2.0, 3.0]), **base)
        side = rng.choice([Side.BUY, Side.SELL])
        mid = 30000.0 + rng.randint(-10, 10) * 0.5
        kind = rng.choice([OT.LMT, OT.LMT, OT.LMT, OT.MKT, OT.STOP_LMT, OT.STOP_MKT, OT.PEG,
                           OT.ICE, OT.OCO, OT.TSL, OT.TSM, OT.HIDDEN])
        away = 1 if side == Side.BUY else -1
        fields: dict[str, object] = dict(
            message_type=TT.ORDER_NEW, order_type=kind, side=side,
            order_qty=rng.choice([1.0, 2.0, 3.0]), time_in_force=TimeInForce.GTC,
            price=mid - away * rng.randint(0, 6) * 0.5,
        )
        if kind == OT.LMT and rng.random() < 0.2:
            fields["time_in_force"] = TimeInForce.DAY
        if kind in (OT.STOP_LMT, OT.STOP_MKT, OT.TSL, OT.TSM):
            fields["price"] = mid + away * rng.randint(1, 6) * 0.5  # the stop
            fields["stop_limit_price"] = float(fields["price"]) + away * 1.0
        if kind == OT.OCO:
            fields["stop_limit_price"] = mid + away * rng.randint(2, 8) * 0.5
        if kind == OT.ICE:
            fields.update(layers=3, size_increment=1.0, order_qty=3.0, price_increment=1,
                          price_offset=0.0)
        return Transaction(**fields, **base)  # type: ignore[arg-type]

    def submit(self, core: JournalingCore, session: Session, peer: Peer, now: int) -> None:
        req = self.order(session, now)
        core.transaction(session, req)
        for m in peer.sent:
            if getattr(m, "order_id", 0) == req.order_id and m.message_type in (
                TT.ORDER_ACK, TT.REPLACED,
            ):
                self.live[session.account].append(req.order_id)


def state_of(core: JournalingCore, ids: int) -> object:
    engine = core.engine
    return (
        [engine.open_orders(a) for a, _ in USERS],
        [[engine.position(a, 1) for a, _ in USERS]],
        {a: dict(b) for a, b in core.ledger.balances.items()},
        [(a, c, core.ledger.reserved(a, c)) for a, _ in USERS for c in ("BTC", "USD")],
        [[engine.knows_order_id(a, i) for i in range(1, ids + 1)] for a, _ in USERS],
        engine.depth(1, 50),
        engine.last_trade_price(1),
        core._session_counter,
    )


class ReplayTests(unittest.TestCase):
    def run_flow(self, seed: int) -> tuple[JournalingCore, Clock, list[Row], Flow]:
        clock = Clock()
        core = make_core(clock)
        flow = Flow(seed)
        sessions = [logon(core, clock, a, u) for a, u in USERS]
        for step in range(600):
            clock.now += 1_000_000
            if step == 300:
                clock.now += DAY  # DAY orders expire at the next input or tick
                core.tick()
            session, peer = sessions[step % 2]
            flow.submit(core, session, peer, clock.now)
            if step == 450:
                core.cancel_all(2002, 1)
        return core, clock, core.take(), flow

    def test_replayed_core_holds_the_same_state(self) -> None:
        for seed in (1, 2, 3):
            with self.subTest(seed=seed):
                core, _clock, rows, flow = self.run_flow(seed)
                kinds = {r.kind for r in rows}
                self.assertEqual(kinds, set(RecordKind))
                again = make_core(Clock())
                self.assertEqual(again.replay(rows), len(rows))
                self.assertEqual(state_of(again, flow.next_id), state_of(core, flow.next_id))
                self.assertEqual(again.take(), [])  # a replay journals nothing

    def test_replayed_core_answers_like_the_one_that_never_stopped(self) -> None:
        core, clock, rows, flow = self.run_flow(4)
        clock_b = Clock()
        again = make_core(clock_b)
        again.replay(rows)
        for c in (core, again):  # the connections went away
            for s in list(c.sessions.values()):
                c.logout(s)
        clock_b.now = clock.now
        pairs = [(logon(core, clock, a, u), logon(again, clock_b, a, u)) for a, u in USERS]
        for (s1, _), (s2, _) in pairs:
            self.assertEqual(s1.key, s2.key)  # the session counter survived
        flow_b = Flow(0)
        flow_b.rng.setstate(flow.rng.getstate())
        flow_b.next_id, flow_b.live = flow.next_id, {k: list(v) for k, v in flow.live.items()}
        for step in range(300):
            clock.now += 1_000_000
            clock_b.now = clock.now
            (s1, p1), (s2, p2) = pairs[step % 2]
            flow.submit(core, s1, p1, clock.now)
            flow_b.submit(again, s2, p2, clock.now)
        for (_, p1), (_, p2) in pairs:
            self.assertEqual(p1.sent, p2.sent)
            self.assertTrue(any(m.message_type in (TT.EXECUTION, TT.QUOTE_FILL) for m in p1.sent))
        self.assertEqual(state_of(again, flow.next_id), state_of(core, flow.next_id))

    def test_rejected_transactions_are_not_journaled_but_used_ids_stay_used(self) -> None:
        clock = Clock()
        core = make_core(clock)
        (session, _peer), _ = [logon(core, clock, a, u) for a, u in USERS]
        logons = core.take()
        flow = Flow(9)
        bad = flow.order(session, clock.now).replace(order_type=OT.LMT, price=0.0)
        core.transaction(session, bad)
        self.assertEqual(core.take(), [])
        good = flow.order(session, clock.now).replace(
            message_type=TT.ORDER_NEW, order_type=OT.LMT, price=100.0)
        core.transaction(session, good)
        rows = core.take()
        self.assertEqual([r.kind for r in rows], [RecordKind.TRANSACTION])
        again = make_core(Clock())
        again.replay([*logons, *rows])
        session2, peer2 = logon(again, clock, *USERS[0])
        again.transaction(session2, good.replace(session_key=session2.key))
        self.assertEqual(peer2.sent[-1].reject_reason, RejectCode.DUPLICATE_ORDER_ID)
        self.assertTrue(again.engine.knows_order_id(1001, good.order_id))
        self.assertFalse(again.engine.knows_order_id(1001, bad.order_id))

    def test_a_journal_of_other_instruments_does_not_replay(self) -> None:
        _core, _clock, rows, _flow = self.run_flow(5)
        other = tuple(i for i in DEFAULT_INSTRUMENTS if i.symbol_enum != 1)
        with self.assertRaisesRegex(ReplayError, r"record \d+: order \d+ of account"):
            make_core(Clock(), other).replay(rows)
        self.assertNotEqual(make_core(Clock(), other).fingerprint, make_core(Clock()).fingerprint)

    def test_damaged_records_are_named(self) -> None:
        core = make_core(Clock())
        with self.assertRaisesRegex(ReplayError, "record 1: bad frame"):
            core.replay([Row(RecordKind.TRANSACTION, NOW, 1001, "alice", 1, 10, b"junk")])
        with self.assertRaisesRegex(ReplayError, "record 1: unknown kind 99"):
            core.replay([Row(99, NOW, 0, "", 0, 0, b"")])
