"""The fault registry and its decisions, with plain calls, a fake clock and seeded randomness."""

from __future__ import annotations

import random
import unittest

from crmd_twisted.control import (
    FaultError,
    FaultKind,
    FaultRegistry,
    ImmediateAction,
    ImmediateKind,
    InboundAction,
    OutboundPlan,
    ServerKind,
    SessionIdentity,
    garble_frame,
)
from crmd_twisted.wire import ClientLogon, FrameBuffer, WireError, decode
from crmd_twisted.wire.enums import RejectCode

ALICE = SessionIdentity(ServerKind.OES, 1001, "alice")
CAROL = SessionIdentity(ServerKind.OES, 1001, "carol")
BOB = SessionIdentity(ServerKind.OES, 2002, "bob")
ALICE_AES = SessionIdentity(ServerKind.AES, 1001, "alice")
ALICE_MDS = SessionIdentity(ServerKind.MDS, 1001, "alice")
NEWCOMER = SessionIdentity(ServerKind.OES)  # connected, not logged on yet


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RegistryCase(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.faults = FaultRegistry(clock=self.clock, rng=random.Random(7))

    def error(self, body: object) -> str:
        with self.assertRaises(FaultError) as caught:
            self.faults.add_json(body)
        message = str(caught.exception)
        self.assertNotIn("\n", message)
        return message


class ValidationTests(RegistryCase):
    def test_bad_descriptions_get_one_clear_line(self) -> None:
        cases = [
            ([1, 2], "a fault must be a JSON object"),
            ({}, "missing 'kind' (one of reject, delay, drop"),
            ({"kind": "explode"}, "unknown fault kind 'explode'"),
            ({"kind": "delay"}, "delay needs 'seconds'"),
            ({"kind": "delay", "seconds": "0.5"}, "'seconds' must be a number, got '0.5'"),
            ({"kind": "delay", "seconds": -1}, "'seconds' must be >= 0, got -1.0"),
            ({"kind": "delay", "seconds": float("nan")}, "'seconds' must be a finite number"),
            ({"kind": "delay", "seconds": 1, "skip": 2},
             "delay: unknown parameter 'skip' (takes seconds, jitter)"),
            ({"kind": "black_hole", "count": 2}, "unknown parameter 'count' (takes no parameters)"),
            ({"kind": "reject", "code": 43, "count": 0}, "'count' must be >= 1, got 0"),
            ({"kind": "reject", "code": 43, "count": 1.5}, "'count' must be an integer, got 1.5"),
            ({"kind": "reject", "code": True}, "'code' must be an integer, got True"),
            ({"kind": "reject", "code": 999}, "'code' 999 is not a reject code"),
            ({"kind": "logout", "code": 0}, "'code' 0 is not a reject code"),
            ({"kind": "oes_down", "seconds": 0}, "'seconds' must be > 0, got 0.0"),
            ({"kind": "oes_down", "seconds": 5, "account": 1001}, "applies to every OES session"),
            ({"kind": "black_hole", "account": "1001"}, "'account' must be an integer"),
            ({"kind": "black_hole", "account": 0}, "'account' must be an integer in 1.."),
            ({"kind": "black_hole", "user": "toolonguser"}, "'user' must be 1..6 ASCII"),
            ({"kind": "black_hole", "server": "xyz"}, "'server' must be one of aes, oes, mds"),
        ]
        for body, expected in cases:
            with self.subTest(body=body):
                self.assertIn(expected, self.error(body))
        self.assertEqual(len(self.faults), 0)

    def test_defaults_and_listing(self) -> None:
        reject = self.faults.add("reject", code=43, account=1001)
        delay = self.faults.add(FaultKind.DELAY, seconds=0.25)
        self.faults.add("oes_down", seconds=30)
        self.assertEqual(reject.id, "f1")
        listed = self.faults.as_json()
        self.assertEqual(listed[0], {"id": "f1", "kind": "reject", "account": 1001,
                                     "user": None, "server": None, "code": 43, "count": 1,
                                     "remaining": 1})
        self.assertEqual(listed[1]["jitter"], 0.0)
        self.assertEqual(listed[1]["id"], delay.id)
        self.assertEqual(listed[2]["ends_in_s"], 30.0)

    def test_integral_float_counts_are_integers(self) -> None:
        fault = self.faults.add("garble", count=3.0)
        self.assertEqual(fault.params["count"], 3)
        self.assertIsInstance(fault.params["count"], int)


class HandleTests(RegistryCase):
    def test_context_manager_and_remove(self) -> None:
        with self.faults.add("black_hole", account=1001) as fault:
            self.assertTrue(fault.active)
            self.assertIs(self.faults.inbound(ALICE).action, InboundAction.IGNORE)
        self.assertFalse(fault.active)
        self.assertIs(self.faults.inbound(ALICE).action, InboundAction.PASS)
        self.assertFalse(fault.remove())

    def test_remove_by_id_and_clear(self) -> None:
        first = self.faults.add("black_hole")
        self.faults.add("delay", seconds=1)
        self.assertTrue(self.faults.remove(first.id))
        self.assertFalse(self.faults.remove(first.id))
        self.assertEqual(self.faults.clear(), 1)
        self.assertEqual(self.faults.as_json(), [])

    def test_listeners_hear_every_add(self) -> None:
        heard: list[str] = []
        self.faults.on_added(lambda fault: heard.append(fault.id))
        self.faults.add("black_hole")
        self.faults.add("delay", seconds=1)
        self.assertEqual(heard, ["f1", "f2"])


class InboundTests(RegistryCase):
    def test_reject_counts_transactions_of_matching_sessions_only(self) -> None:
        self.faults.add("reject", code=43, count=2, account=1001)
        self.assertIs(self.faults.inbound(BOB, transaction=True).action, InboundAction.PASS)
        self.assertIs(self.faults.inbound(ALICE, transaction=False).action, InboundAction.PASS)
        first = self.faults.inbound(ALICE, transaction=True)
        self.assertEqual((first.action, first.code), (InboundAction.REJECT, 43))
        self.assertEqual(self.faults.as_json()[0]["remaining"], 1)
        # the count is shared by every session the fault matches
        self.assertIs(self.faults.inbound(CAROL, transaction=True).action, InboundAction.REJECT)
        self.assertIs(self.faults.inbound(ALICE, transaction=True).action, InboundAction.PASS)
        self.assertEqual(self.faults.as_json(), [])

    def test_user_scope(self) -> None:
        self.faults.add("reject", code=12, user="carol", count=5)
        self.assertIs(self.faults.inbound(ALICE, transaction=True).action, InboundAction.PASS)
        self.assertIs(self.faults.inbound(CAROL, transaction=True).action, InboundAction.REJECT)

    def test_black_hole_ignores_and_keeps_the_reject_count(self) -> None:
        self.faults.add("reject", code=43)
        hole = self.faults.add("black_hole")
        self.assertIs(self.faults.inbound(ALICE, transaction=True).action, InboundAction.IGNORE)
        hole.remove()
        self.assertIs(self.faults.inbound(ALICE, transaction=True).action, InboundAction.REJECT)

    def test_drop_after_frames(self) -> None:
        self.faults.add("drop", after_frames=2, account=1001)
        self.assertEqual(self.faults.take_immediate([ALICE]), [])
        self.assertFalse(self.faults.inbound(BOB).close_after)
        first = self.faults.inbound(ALICE)
        self.assertEqual((first.action, first.close_after), (InboundAction.PASS, False))
        second = self.faults.inbound(ALICE, transaction=True)
        self.assertEqual((second.action, second.close_after), (InboundAction.PASS, True))
        self.assertEqual(self.faults.as_json(), [])
        self.assertFalse(self.faults.inbound(ALICE).close_after)


class OutboundTests(RegistryCase):
    def test_delay_with_seeded_jitter(self) -> None:
        self.faults.add("delay", seconds=0.5, jitter=0.1, account=1001)
        delays = [self.faults.outbound(ALICE).delay for _ in range(50)]
        self.assertTrue(all(0.5 <= d <= 0.6 for d in delays))
        self.assertGreater(len(set(delays)), 1)
        again = FaultRegistry(clock=self.clock, rng=random.Random(7))
        again.add("delay", seconds=0.5, jitter=0.1, account=1001)
        self.assertEqual([again.outbound(ALICE).delay for _ in range(50)], delays)
        self.assertEqual(self.faults.outbound(BOB), OutboundPlan())

    def test_black_hole_suppresses_without_spending_garbles(self) -> None:
        self.faults.add("garble", count=1, server="oes")
        hole = self.faults.add("black_hole", server="oes")
        self.assertTrue(self.faults.outbound(ALICE).suppress)
        self.assertFalse(self.faults.outbound(ALICE_AES).suppress)
        hole.remove()
        self.assertTrue(self.faults.outbound(ALICE).garble)
        self.assertFalse(self.faults.outbound(ALICE).garble)

    def test_garble_count(self) -> None:
        self.faults.add("garble", count=2, account=2002)
        plans = [self.faults.outbound(s).garble for s in (ALICE, BOB, BOB, BOB)]
        self.assertEqual(plans, [False, True, True, False])

    def test_seq_gap_once_on_a_sequenced_oes_or_mds_frame(self) -> None:
        self.faults.add("seq_gap", skip=3, user="alice")
        self.assertEqual(self.faults.outbound(ALICE_AES).seq_skip, 0)  # the AES numbers nothing
        self.assertEqual(self.faults.outbound(ALICE, sequenced=False).seq_skip, 0)  # a logon
        self.assertEqual(self.faults.outbound(ALICE_MDS).seq_skip, 3)
        self.assertEqual(self.faults.outbound(ALICE).seq_skip, 0)
        self.assertEqual(len(self.faults), 0)

    def test_garbled_frame_has_a_wrong_length_and_stays_framed(self) -> None:
        frame = ClientLogon(logon_type=1, account=1001, user_name="alice").encode()
        bad = garble_frame(frame)
        self.assertNotEqual(len(bad), len(frame))
        with self.assertRaises(WireError):
            decode(bad)
        self.assertEqual(FrameBuffer().feed(bad + frame), [bad, frame])


class ImmediateTests(RegistryCase):
    def test_logout_acts_once_on_logged_on_matching_sessions(self) -> None:
        self.faults.add("logout", code=int(RejectCode.ACCOUNT_DISABLED), account=1001)
        live = [ALICE, BOB, NEWCOMER, ALICE_AES, ALICE]
        actions = self.faults.take_immediate(live)
        self.assertEqual(actions, [
            ImmediateAction(ALICE, ImmediateKind.LOGOUT, 5),
            ImmediateAction(ALICE_AES, ImmediateKind.LOGOUT, 5),
        ])
        self.assertEqual(self.faults.take_immediate(live), [])
        self.assertEqual(len(self.faults), 0)

    def test_drop_now_cuts_every_matching_connection(self) -> None:
        self.faults.add("drop", server="oes")
        actions = self.faults.take_immediate([ALICE, NEWCOMER, ALICE_AES])
        self.assertEqual([(a.session, a.kind) for a in actions],
                         [(ALICE, ImmediateKind.DROP), (NEWCOMER, ImmediateKind.DROP)])
        self.assertEqual(len(self.faults), 0)

    def test_oes_down_logs_out_oes_sessions_and_refuses_until_time_is_up(self) -> None:
        self.assertFalse(self.faults.oes_refuses())
        self.faults.add("oes_down", seconds=5)
        actions = self.faults.take_immediate([ALICE, ALICE_AES, BOB])
        self.assertEqual([(a.session, a.code) for a in actions],
                         [(ALICE, 10), (BOB, 10)])
        self.assertTrue(self.faults.oes_refuses())
        self.assertEqual(self.faults.oes_down_until, 1005.0)
        self.clock.now = 1004.9
        self.assertTrue(self.faults.oes_refuses())
        self.assertEqual(self.faults.take_immediate([ALICE]), [])
        self.clock.now = 1005.0
        self.assertFalse(self.faults.oes_refuses())
        self.assertIsNone(self.faults.oes_down_until)
        self.assertEqual(self.faults.as_json(), [])


class ThrottleTests(RegistryCase):
    def test_newest_matching_throttle_wins(self) -> None:
        self.assertEqual(self.faults.limit_for(ALICE, 1000), 1000)
        older = self.faults.add("throttle", limit=5, account=1001)
        self.faults.add("throttle", limit=2, user="alice")
        self.assertEqual(self.faults.limit_for(ALICE, 1000), 2)
        self.assertEqual(self.faults.limit_for(CAROL, 1000), 5)
        self.assertEqual(self.faults.limit_for(BOB, 1000), 1000)
        older.remove()
        self.assertEqual(self.faults.limit_for(CAROL, 1000), 1000)
