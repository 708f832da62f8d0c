"""Views of a real engine and OES core, the trade tape and mass cancel, with plain calls."""

from __future__ import annotations

import unittest

from control_helpers import BUY, NOW, SELL, Desk

from crmd_twisted.control.cancel import mass_cancel
from crmd_twisted.control.tape import TradeTape
from crmd_twisted.control.views import (
    BadParameter,
    UnknownName,
    account_view,
    book_view,
    instruments_view,
    parse_account,
    parse_count,
    resolve_symbol,
    sessions_view,
    trades_view,
)
from crmd_twisted.engine import Fill
from crmd_twisted.wire.enums import OrderType, Side, TransactionType

TT = TransactionType


class SymbolTests(unittest.TestCase):
    def setUp(self) -> None:
        self.engine = Desk().core.engine

    def test_by_name_any_case_or_by_number(self) -> None:
        self.assertEqual(resolve_symbol(self.engine, "BTCUSD").symbol_enum, 1)
        self.assertEqual(resolve_symbol(self.engine, "btcusdt").symbol_enum, 4)
        self.assertEqual(resolve_symbol(self.engine, "3").symbol, "FLYUSDT")

    def test_unknown_symbol_names_the_known_ones(self) -> None:
        for text in ("ETHUSD", "9", "", "\u0661"):
            with self.subTest(text=text), self.assertRaises(UnknownName) as caught:
                resolve_symbol(self.engine, text)
            self.assertIn("known: BTCUSD (1), USDUSDT (2)", str(caught.exception))

    def test_instruments(self) -> None:
        first = instruments_view(self.engine)[0]
        self.assertEqual(
            {k: first[k] for k in ("symbol_enum", "symbol", "price_increment", "lot_size")},
            {"symbol_enum": 1, "symbol": "BTCUSD", "price_increment": 0.5, "lot_size": 0.00001},
        )
        self.assertEqual([i["symbol"] for i in instruments_view(self.engine)],
                         ["BTCUSD", "USDUSDT", "FLYUSDT", "BTCUSDT"])

    def test_counts(self) -> None:
        self.assertEqual(parse_count(None, "depth", 10, 100), 10)
        self.assertEqual(parse_count("5", "depth", 10, 100), 5)
        for bad in ("0", "-1", "x", "101", "1.5"):
            with self.subTest(bad=bad), self.assertRaises(BadParameter):
                parse_count(bad, "depth", 10, 100)
        self.assertEqual(parse_account("1001"), 1001)
        with self.assertRaises(BadParameter):
            parse_account("alice")


class BookAndTradeTests(unittest.TestCase):
    def setUp(self) -> None:
        self.desk = Desk()
        self.alice, self.alice_peer = self.desk.logon(1001, "alice")
        self.bob, self.bob_peer = self.desk.logon(2002, "bob")

    def test_book_shows_visible_levels_best_first(self) -> None:
        d = self.desk
        d.order(self.alice, BUY, 1.0, 29999.0)
        d.order(self.alice, BUY, 2.0, 29999.0)
        d.order(self.alice, BUY, 1.5, 29998.0)
        d.order(self.alice, BUY, 9.0, 29999.5, order_type=OrderType.HIDDEN)
        d.order(self.bob, SELL, 0.5, 30001.0)
        inst = resolve_symbol(d.core.engine, "BTCUSD")
        view = book_view(d.core.engine, inst, depth=1)
        self.assertEqual(view, {
            "symbol": "BTCUSD", "symbol_enum": 1, "depth": 1,
            "bids": [{"price": 29999.0, "size": 3.0, "orders": 2}],
            "asks": [{"price": 30001.0, "size": 0.5, "orders": 1}],
            "last_trade_price": None,
        })
        self.assertEqual(len(book_view(d.core.engine, inst, depth=10)["bids"]), 2)

    def test_trades_newest_last_one_per_match(self) -> None:
        d = self.desk
        d.order(self.alice, BUY, 1.0, 30000.0)
        d.order(self.alice, BUY, 1.0, 29999.0)
        d.now_ns = NOW + 5
        d.order(self.bob, SELL, 1.5, 29999.0)  # two matches, one aggressor: bob's SELL
        d.now_ns = NOW + 9
        d.order(self.bob, SELL, 0.5, 31000.0)
        d.order(self.alice, BUY, 0.25, 31000.0)
        inst = resolve_symbol(d.core.engine, "1")
        trades = trades_view(d.tape, inst, limit=10)
        self.assertEqual(
            [(t["price"], t["size"], t["aggressor_side"], t["time_ns"]) for t in trades],
            [(30000.0, 1.0, "SELL", NOW + 5), (29999.0, 0.5, "SELL", NOW + 5),
             (31000.0, 0.25, "BUY", NOW + 9)],
        )
        self.assertEqual(trades_view(d.tape, inst, limit=1), trades[-1:])
        self.assertEqual(book_view(d.core.engine, inst)["last_trade_price"], 31000.0)
        self.assertEqual(trades_view(d.tape, resolve_symbol(d.core.engine, "2")), [])

    def test_tape_is_bounded(self) -> None:
        tape = TradeTape(maxlen=3, clock=lambda: 1)
        fills = [Fill(n, 1, n, 1, Side.BUY, 0.0, 100.0 + n, 1.0, 0.0, True) for n in range(5)]
        resting = Fill(9, 2, 9, 1, Side.SELL, 0.0, 100.0, 1.0, 0.0, False)
        self.assertEqual(tape.record([*fills, resting]), 5)
        self.assertEqual([t.price for t in tape.recent(1)], [102.0, 103.0, 104.0])
        with self.assertRaises(ValueError):
            TradeTape(maxlen=0)


class AccountTests(unittest.TestCase):
    def setUp(self) -> None:
        self.desk = Desk()
        self.alice, self.alice_peer = self.desk.logon(1001, "alice")

    def test_balances_reservations_and_open_orders(self) -> None:
        d = self.desk
        tx = d.order(self.alice, BUY, 2.0, 30000.0)
        view = account_view(d.core, 1001)
        self.assertEqual(view["balances"]["USD"],
                         {"balance": 1_000_000.0, "reserved": 60_000.0, "available": 940_000.0})
        (order,) = view["open_orders"]
        self.assertEqual(
            {k: order[k] for k in ("order_id", "symbol", "side", "order_type", "open_qty")},
            {"order_id": tx.order_id, "symbol": "BTCUSD", "side": "BUY", "order_type": "LMT",
             "open_qty": 2.0},
        )

    def test_unknown_account(self) -> None:
        with self.assertRaises(UnknownName) as caught:
            account_view(self.desk.core, 4242)
        self.assertIn("unknown account 4242", str(caught.exception))

    def test_sessions(self) -> None:
        (entry,) = sessions_view(self.desk.sessions)
        self.assertEqual(
            {k: entry[k] for k in ("server", "account", "user", "trading_session_id")},
            {"server": "oes", "account": 1001, "user": "alice", "trading_session_id": 7},
        )


class MassCancelTests(unittest.TestCase):
    def setUp(self) -> None:
        self.desk = Desk()
        self.alice, self.alice_peer = self.desk.logon(1001, "alice")
        self.bob, self.bob_peer = self.desk.logon(2002, "bob")
        d = self.desk
        d.order(self.alice, BUY, 1.0, 29000.0)
        d.order(self.alice, BUY, 1.0, 1.0, symbol_enum=2)
        d.order(self.bob, SELL, 1.0, 31000.0)
        self.alice_peer.take()
        self.bob_peer.take()

    def test_one_account_one_symbol(self) -> None:
        d = self.desk
        self.assertEqual(mass_cancel(d.core, 1001, 1), 1)
        self.assertEqual(self.alice_peer.types(), [TT.CANCELLED])
        self.assertEqual(self.bob_peer.types(), [])
        self.assertEqual(len(d.core.engine.open_orders(1001)), 1)
        self.assertEqual(d.core.ledger.reserved(1001, "USD"), 0.0)

    def test_everyone(self) -> None:
        d = self.desk
        self.assertEqual(mass_cancel(d.core), 3)
        self.assertEqual(self.alice_peer.types(), [TT.CANCELLED, TT.CANCELLED])
        self.assertEqual(self.bob_peer.types(), [TT.CANCELLED])
        self.assertEqual(mass_cancel(d.core), 0)
