"""Unit tests of the sans-I/O cores: OrderEntryCore and AdminCore with fake callables.

The clock is injected, so the sending-time window and DAY rules are deterministic.
"""

from __future__ import annotations

import unittest

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.aes import AdminCore, Grant
from crmd_twisted.engine import DEFAULT_INSTRUMENTS
from crmd_twisted.keys import MAX_SESSION_ID, SessionKeys
from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.wire import ClientLogon, CollateralRequest, Transaction
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
    TransactionType,
)

TT = TransactionType
R = RejectCode
NOW = 1_800_000_000 * 10**9
DAY = 86_400 * 10**9
KEYS = SessionKeys.from_text("unit-secret")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


class Peer:
    """A fake connection: what the core sent and whether it logged the peer out."""

    def __init__(self) -> None:
        self.sent: list[object] = []
        self.logouts: list[RejectCode] = []

    def send(self, message: object) -> None:
        self.sent.append(message)

    def logout(self, reason: RejectCode) -> None:
        self.logouts.append(reason)

    def take(self) -> list[object]:
        out, self.sent = self.sent, []
        return out


class CoreCase(unittest.TestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        accounts = [
            Account(1001, "alice"),
            Account(1001, "carol"),
            Account(2002, "bob"),
            Account(3003, "poor", balances={"USD": 1000.0, "BTC": 1.0}, open_order_limit=2),
        ]
        self.core = OrderEntryCore(
            AccountDirectory(accounts, open=False), KEYS, DEFAULT_INSTRUMENTS, clock=self.clock
        )
        self.ids = iter(range(1, 10**6))

    def logon(self, account: int = 1001, user: str = "alice", sid: int = 7,
              tsid: int | None = None, key: int | None = None) -> tuple[Session, Peer]:
        peer = Peer()
        request = ClientLogon(
            logon_type=1, account=account, user_name=user, two_fa="000000",
            trading_session_id=sid if tsid is None else tsid,
            session_key=KEYS.aes_key(account, user, sid) if key is None else key,
            sending_time=self.clock(),
        )
        outcome = self.core.logon(request, peer.send, peer.logout)
        if isinstance(outcome, RejectCode):
            raise AssertionError(f"logon refused: {outcome!r}")
        return outcome, peer

    def tx(self, session: Session, side: int = Side.BUY, qty: float = 1.0,
           price: float = 30000.0, **fields: object) -> Transaction:
        t = Transaction(
            message_type=TT.ORDER_NEW, account=session.account, order_id=next(self.ids),
            symbol_enum=1, symbol="BTCUSD", symbol_type=1, order_type=OrderType.LMT,
            price=price, side=side, order_qty=qty, time_in_force=TimeInForce.GTC,
            trading_session_id=session.trading_session_id, session_key=session.key,
            sending_time=self.clock(), attributes=NO_ATTRIBUTES,
        )
        for k, v in fields.items():
            setattr(t, k, v)
        return t

    def submit(self, session: Session, peer: Peer, tx: Transaction, in_flight: int = 1) -> list:
        self.core.transaction(session, tx, in_flight)
        return peer.take()

    def kinds(self, messages: list) -> list:
        return [(m.message_type, getattr(m, "reject_reason", 0)) for m in messages]


class LogonTests(CoreCase):
    def test_zero_tsid_recovers_the_session_of_the_key(self) -> None:
        session, _ = self.logon(sid=4242, tsid=0)
        self.assertEqual(session.trading_session_id, 4242)

    def test_wrong_key_and_wrong_tsid(self) -> None:
        peer = Peer()
        base = ClientLogon(logon_type=1, account=1001, user_name="alice",
                           sending_time=self.clock(), trading_session_id=7,
                           session_key=KEYS.aes_key(1001, "alice", 7))
        self.assertEqual(
            self.core.logon(base.replace(session_key=base.session_key ^ 1), peer.send,
                            peer.logout), R.INVALID_KEY)
        self.assertEqual(
            self.core.logon(base.replace(trading_session_id=8), peer.send, peer.logout),
            R.TRADING_SESSION_INVALID)
        self.assertEqual(
            self.core.logon(base.replace(account=9), peer.send, peer.logout),
            R.ACCOUNT_NOT_FOUND)
        self.assertEqual(
            self.core.logon(base.replace(sending_time=NOW - 2 * DAY), peer.send, peer.logout),
            R.SENDING_TIME_INVALID)

    def test_one_session_per_user_until_logout(self) -> None:
        session, _ = self.logon()
        peer = Peer()
        again = ClientLogon(logon_type=1, account=1001, user_name="alice",
                            sending_time=self.clock(), trading_session_id=7,
                            session_key=KEYS.aes_key(1001, "alice", 7))
        self.assertEqual(self.core.logon(again, peer.send, peer.logout),
                         R.USER_ALREADY_LGGGED_IN)
        self.core.logout(session)
        self.assertIsInstance(self.core.logon(again, peer.send, peer.logout), Session)

    def test_key_check_off_accepts_any_key(self) -> None:
        self.core.check_keys = False
        session, _ = self.logon(key=12345, tsid=99)
        self.assertEqual(session.trading_session_id, 99)

    def test_shutdown_logs_everyone_out_with_10(self) -> None:
        _, p1 = self.logon()
        _, p2 = self.logon(2002, "bob")
        self.core.shutdown()
        self.assertEqual(p1.logouts, [R.OES_NOT_AVAILABLE_TRADING_DISABLED])
        self.assertEqual(p2.logouts, [R.OES_NOT_AVAILABLE_TRADING_DISABLED])
        self.assertEqual(self.core.sessions, {})


class SendingTimeTests(CoreCase):
    def test_window_is_relative_to_the_injected_clock(self) -> None:
        s, p = self.logon()
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, sending_time=NOW - DAY + 10**9))),
                         [(TT.ORDER_ACK, 0)])
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, sending_time=NOW - DAY))),
                         [(TT.REJECT, R.SENDING_TIME_INVALID)])
        self.clock.now += 3 * DAY
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, sending_time=NOW))),
                         [(TT.REJECT, R.SENDING_TIME_INVALID)])


class OutstandingTests(CoreCase):
    def test_counter_position_against_the_limit(self) -> None:
        s, p = self.logon(3003, "poor")
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, qty=0.001), in_flight=2)),
                         [(TT.ORDER_ACK, 0)])
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, qty=0.001), in_flight=3)),
                         [(TT.REJECT, R.OUTSTANDING_OPEN_REQUESTS_EXCEEDED)])

    def test_43_comes_after_field_validation(self) -> None:
        s, p = self.logon(3003, "poor")
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, price=1.3), in_flight=9)),
                         [(TT.REJECT, R.PRICE_INVALID)])

    def test_cancel_is_not_counted(self) -> None:
        s, p = self.logon(3003, "poor")
        live = self.tx(s, qty=0.001)
        self.submit(s, p, live)
        cancel = live.replace(message_type=TT.ORDER_CANCEL, order_id=next(self.ids),
                              orig_order_id=live.order_id)
        self.assertFalse(self.core.is_counted(cancel))
        self.assertTrue(self.core.is_counted(live))
        self.assertEqual(self.kinds(self.submit(s, p, cancel, in_flight=50)),
                         [(TT.CANCELLED, 0)])


class EquityTests(CoreCase):
    """§8.2 row 31: available = balance - what live orders reserve."""

    def available(self, account: int, currency: str) -> float:
        return self.core.ledger.available(account, currency)

    def test_buy_reserves_quote_sell_reserves_base(self) -> None:
        s, p = self.logon(3003, "poor")  # 1000 USD, 1 BTC
        self.submit(s, p, self.tx(s, Side.BUY, 0.02, 30000.0))  # 600 USD
        self.assertAlmostEqual(self.available(3003, "USD"), 400.0)
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, Side.BUY, 0.014, 30000.0))),
                         [(TT.REJECT, R.NOT_ENOUGH_EQUITY_TO_COMPLETE)])
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, Side.BUY, 0.013, 30000.0))),
                         [(TT.ORDER_ACK, 0)])
        self.submit(s, p, self.tx(s, Side.SELL, 0.75, 40000.0))
        self.assertAlmostEqual(self.available(3003, "BTC"), 0.25)
        self.assertEqual(self.kinds(self.submit(s, p, self.tx(s, Side.SELL, 0.26, 40000.0))),
                         [(TT.REJECT, R.NOT_ENOUGH_EQUITY_TO_COMPLETE)])

    def test_cancel_releases_the_reservation(self) -> None:
        s, p = self.logon(3003, "poor")
        live = self.tx(s, Side.BUY, 0.03, 30000.0)
        self.submit(s, p, live)
        self.assertAlmostEqual(self.available(3003, "USD"), 100.0)
        cancel = live.replace(message_type=TT.ORDER_CANCEL, order_id=next(self.ids),
                              orig_order_id=live.order_id)
        self.submit(s, p, cancel)
        self.assertAlmostEqual(self.available(3003, "USD"), 1000.0)
        self.assertAlmostEqual(self.core.ledger.reserved(3003, "USD"), 0.0)

    def test_fill_moves_balances_at_the_execution_price_and_releases(self) -> None:
        poor, pp = self.logon(3003, "poor")
        bob, bp = self.logon(2002, "bob")
        self.submit(bob, bp, self.tx(bob, Side.SELL, 0.01, 29000.0))
        # poor bids 30000 for 0.02: buys 0.01 at 29000, rests 0.01 at 30000
        msgs = self.submit(poor, pp, self.tx(poor, Side.BUY, 0.02, 30000.0))
        self.assertEqual([m.message_type for m in msgs], [TT.QUOTE_FILL_PARTIAL, TT.ORDER_ACK])
        self.assertEqual(msgs[0].exec_price, 29000.0)
        ledger = self.core.ledger
        self.assertAlmostEqual(ledger.balance(3003, "USD"), 1000.0 - 290.0)
        self.assertAlmostEqual(ledger.balance(3003, "BTC"), 1.01)
        self.assertAlmostEqual(ledger.reserved(3003, "USD"), 300.0)  # the resting 0.01 @ 30000
        self.assertAlmostEqual(ledger.balance(2002, "USD"), 1_000_000.0 + 290.0)
        self.assertAlmostEqual(ledger.balance(2002, "BTC"), 99.99)
        self.assertAlmostEqual(ledger.reserved(2002, "BTC"), 0.0)
        # the fill of the resting order went to bob
        self.assertEqual([m.message_type for m in bp.take()], [TT.EXECUTION])

    def test_replace_counts_only_the_increase(self) -> None:
        s, p = self.logon(3003, "poor")
        live = self.tx(s, Side.BUY, 0.03, 30000.0)  # 900 of 1000
        self.submit(s, p, live)
        bigger = live.replace(message_type=TT.CANCEL_REPLACE, order_id=next(self.ids),
                              orig_order_id=live.order_id, order_qty=0.033)
        self.assertEqual(self.kinds(self.submit(s, p, bigger)), [(TT.REPLACED, 0)])
        self.assertAlmostEqual(self.core.ledger.reserved(3003, "USD"), 990.0)
        too_big = bigger.replace(order_id=next(self.ids), orig_order_id=bigger.order_id,
                                 order_qty=0.034)
        self.assertEqual(self.kinds(self.submit(s, p, too_big)),
                         [(TT.REJECT, R.NOT_ENOUGH_EQUITY_TO_COMPLETE)])

    def test_market_buy_checked_against_what_it_would_execute(self) -> None:
        poor, pp = self.logon(3003, "poor")
        bob, bp = self.logon(2002, "bob")
        self.submit(bob, bp, self.tx(bob, Side.SELL, 1.0, 30000.0))
        mkt = self.tx(poor, Side.BUY, 0.04, 0.0, order_type=OrderType.MKT)  # 1200 > 1000
        self.assertEqual(self.kinds(self.submit(poor, pp, mkt)),
                         [(TT.REJECT, R.NOT_ENOUGH_EQUITY_TO_COMPLETE)])
        ok = self.tx(poor, Side.BUY, 0.03, 0.0, order_type=OrderType.MKT)
        self.assertEqual(self.kinds(self.submit(poor, pp, ok)), [(TT.QUOTE_FILL, 0)])


class RoutingTests(CoreCase):
    def test_resting_fill_reaches_every_session_of_the_account(self) -> None:
        alice, ap = self.logon(1001, "alice")
        _carol, cp = self.logon(1001, "carol", sid=8)
        bob, bp = self.logon(2002, "bob")
        self.submit(alice, ap, self.tx(alice, Side.SELL, 1.0, 30000.0))
        self.submit(bob, bp, self.tx(bob, Side.BUY, 1.0, 30000.0))
        self.assertEqual([m.message_type for m in ap.take()], [TT.EXECUTION])
        self.assertEqual([m.message_type for m in cp.take()], [TT.EXECUTION])

    def test_own_fills_reach_every_session_but_answers_only_the_requester(self) -> None:
        alice, ap = self.logon(1001, "alice")
        carol, cp = self.logon(1001, "carol", sid=8)
        bob, bp = self.logon(2002, "bob")
        self.submit(bob, bp, self.tx(bob, Side.SELL, 1.0, 30000.0))
        # carol's incoming order fills against bob: her fill is an account event
        self.assertEqual([m.message_type for m in self.submit(carol, cp, self.tx(carol))],
                         [TT.QUOTE_FILL])
        self.assertEqual([m.message_type for m in ap.take()], [TT.QUOTE_FILL])
        # alice's resting order is hit by carol (same account): alice sees her execution
        self.submit(alice, ap, self.tx(alice, Side.SELL, 1.0, 30100.0))
        self.submit(carol, cp, self.tx(carol, Side.BUY, 1.0, 30100.0))
        self.assertEqual([m.message_type for m in ap.take()], [TT.EXECUTION, TT.QUOTE_FILL])
        # an ORDER_ACK answers the requester only
        self.submit(carol, cp, self.tx(carol, Side.BUY, 1.0, 20000.0))
        self.assertEqual(ap.take(), [])

    def test_day_orders_expire_on_tick_and_owners_are_told(self) -> None:
        alice, ap = self.logon(1001, "alice")
        order = self.tx(alice, Side.BUY, 1.0, 20000.0, time_in_force=TimeInForce.DAY)
        self.assertEqual([m.message_type for m in self.submit(alice, ap, order)],
                         [TT.ORDER_ACK])
        self.core.tick()
        self.assertEqual(ap.take(), [])
        self.clock.now += DAY
        self.core.tick()
        expired = ap.take()
        self.assertEqual([(m.message_type, m.order_id, m.cancel_qty) for m in expired],
                         [(TT.CANCELLED, order.order_id, 1.0)])
        self.assertEqual(self.core.engine.open_orders(1001), [])
        self.assertEqual(self.core.ledger.reserved(1001, "USD"), 0.0)

    def test_disconnected_account_still_trades(self) -> None:
        alice, ap = self.logon(1001, "alice")
        self.submit(alice, ap, self.tx(alice, Side.SELL, 1.0, 30000.0))
        self.core.logout(alice)
        bob, bp = self.logon(2002, "bob")
        self.assertEqual([m.message_type for m in self.submit(bob, bp, self.tx(bob))],
                         [TT.QUOTE_FILL])
        self.assertEqual(ap.sent, [])
        self.assertAlmostEqual(self.core.ledger.balance(1001, "BTC"), 99.0)

    def test_request_with_wrong_key_logs_out(self) -> None:
        s, p = self.logon()
        self.core.collateral_request(s, CollateralRequest(
            account=1001, trading_session_id=s.trading_session_id, session_key=s.key ^ 1))
        self.assertEqual(p.logouts, [R.INVALID_KEY])
        self.assertFalse(s.alive)


class AdminCoreTests(unittest.TestCase):
    def setUp(self) -> None:
        self.directory = AccountDirectory([Account(1001, "alice", api_key="k")], open=False)
        self.core = AdminCore(self.directory, KEYS, "127.0.0.1:1", first_session_id=MAX_SESSION_ID)

    def request(self, **fields: object) -> ClientLogon:
        from crmd_twisted.wire import two_fa_code

        base = ClientLogon(logon_type=1, account=1001, user_name="alice",
                           two_fa=two_fa_code("k"), sending_time=NOW)
        return base.replace(**fields)

    def test_grant_key_names_its_session_and_ids_wrap(self) -> None:
        owner = object()
        grant = self.core.logon(self.request(), NOW, owner)
        self.assertIsInstance(grant, Grant)
        self.assertEqual(grant.trading_session_id, MAX_SESSION_ID)
        self.assertEqual(KEYS.session_of(1001, "alice", grant.session_key), MAX_SESSION_ID)
        self.core.release(owner)
        again = self.core.logon(self.request(), NOW, object())
        self.assertEqual(again.trading_session_id, 1)

    def test_one_session_per_user_and_release(self) -> None:
        first = object()
        self.core.logon(self.request(), NOW, first)
        self.assertEqual(self.core.logon(self.request(), NOW, object()),
                         R.USER_ALREADY_LGGGED_IN)
        self.core.release(first)
        self.assertIsInstance(self.core.logon(self.request(), NOW, object()), Grant)

    def test_refusals(self) -> None:
        self.assertEqual(self.core.logon(self.request(two_fa="000000"), NOW, object()),
                         R.INVALID_SECURITY_KEY)
        self.assertEqual(self.core.logon(self.request(user_name="bob"), NOW, object()),
                         R.USER_NOT_FOUND)
        self.assertEqual(self.core.logon(self.request(account=5), NOW, object()),
                         R.ACCOUNT_NOT_FOUND)
        self.assertEqual(self.core.logon(self.request(), NOW + 2 * DAY, object()),
                         R.SENDING_TIME_INVALID)

    def test_open_directory_account_zero_is_not_found(self) -> None:
        core = AdminCore(AccountDirectory(open=True), KEYS, "")
        self.assertEqual(core.logon(self.request(account=0), NOW, object()),
                         R.ACCOUNT_NOT_FOUND)


class SessionKeyTests(unittest.TestCase):
    def test_keys(self) -> None:
        k1 = KEYS.aes_key(1001, "alice", 513)
        self.assertEqual(k1 >> 16, 513)
        self.assertEqual(KEYS.session_of(1001, "alice", k1), 513)
        self.assertIsNone(KEYS.session_of(1001, "bob", k1))
        self.assertIsNone(KEYS.session_of(1001, "alice", k1 ^ 1))
        self.assertIsNone(SessionKeys.from_text("other").session_of(1001, "alice", k1))
        self.assertIsNone(KEYS.session_of(1001, "alice", 0))
        for sid in (0, MAX_SESSION_ID + 1):
            with self.assertRaises(ValueError):
                KEYS.aes_key(1, "a", sid)
        k2 = KEYS.oes_key(1001, "alice", 513, 1)
        self.assertTrue(0 < k2 < 2**31)
        self.assertNotEqual(k2, KEYS.oes_key(1001, "alice", 513, 2))
