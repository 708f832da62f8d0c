"""Integration: every transaction reject code of PROTOCOL.md §8.2 a client can provoke.

Each test sends one request over loopback TCP and checks the REJECT (12) echoes
the request's order_id (and its other fields) with the expected reject_reason.
"""

from __future__ import annotations

import time

from twisted.trial import unittest

from crmd_twisted.accounts import load_accounts
from crmd_twisted.wire import CollateralData, Transaction
from crmd_twisted.wire.enums import (
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
    TransactionType,
)

from tests.server_helpers import ExchangeCase, write_temp

TT = TransactionType
R = RejectCode
DAY_NS = 86_400 * 10**9


class RejectCase(ExchangeCase):
    async def setUpSession(self):
        return await self.login(1001, "alice")

    async def assertRejected(self, oes, tx: Transaction, reason: RejectCode) -> Transaction:
        oes.send(tx)
        reply = await oes.one()
        self.assertIsInstance(reply, Transaction)
        self.assertEqual(
            (reply.message_type, reply.order_id, reply.reject_reason),
            (TT.REJECT, tx.order_id, reason),
            f"expected REJECT {reason!r} for order {tx.order_id}, got {reply!r}",
        )
        # the echo carries the request's fields
        for name in ("account", "symbol_enum", "order_type", "side", "price", "order_qty",
                     "time_in_force", "orig_order_id", "attributes"):
            self.assertEqual(getattr(reply, name), getattr(tx, name), name)
        return reply

    async def rejected(self, reason: RejectCode, **fields) -> Transaction:
        oes = await self.setUpSession()
        args = {"side": Side.BUY, "qty": 1.0, "price": 29000.0}
        args.update(fields)
        if "order_qty" in args:
            args["qty"] = args.pop("order_qty")
        tx = oes.order(**args)
        return await self.assertRejected(oes, tx, reason)


class SessionRowRejects(RejectCase, unittest.TestCase):
    async def test_4_wrong_key(self) -> None:
        oes = await self.setUpSession()
        tx = oes.order(session_key=oes.credentials.key ^ 0x55)
        await self.assertRejected(oes, tx, R.INVALID_KEY)

    async def test_12_message_type_not_from_a_client(self) -> None:
        await self.rejected(R.MSG_TYPE_INVALID, message_type=TT.EXECUTION)

    async def test_13_unimplemented_order_type(self) -> None:
        await self.rejected(R.ORD_TYPE_INVALID, order_type=OrderType.BRACKET)

    async def test_13_unknown_order_type(self) -> None:
        await self.rejected(R.ORD_TYPE_INVALID, order_type=99)

    async def test_26_unknown_symbol(self) -> None:
        await self.rejected(R.SYMBOL_ENUM_INVALID, symbol_enum=77)

    async def test_6_wrong_trading_session(self) -> None:
        oes = await self.setUpSession()
        tx = oes.order(trading_session_id=oes.credentials.trading_session_id + 1)
        await self.assertRejected(oes, tx, R.TRADING_SESSION_INVALID)

    async def test_6_zero_trading_session_on_an_order(self) -> None:
        await self.rejected(R.TRADING_SESSION_INVALID, trading_session_id=0)

    async def test_18_bad_side(self) -> None:
        await self.rejected(R.ORDER_SIDE_INVALID, side=4)

    async def test_19_other_account(self) -> None:
        await self.rejected(R.ACCOUNT_INVALID, account=2002)

    async def test_19_account_zero(self) -> None:
        await self.rejected(R.ACCOUNT_INVALID, account=0)

    async def test_20_order_id_zero(self) -> None:
        await self.rejected(R.ORDERID_INVALID, order_id=0)

    async def test_45_duplicate_order_id(self) -> None:
        oes = await self.setUpSession()
        oes.send(oes.order(Side.BUY, 1.0, 29000.0, order_id=5))
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)
        await self.assertRejected(oes, oes.order(Side.BUY, 1.0, 28000.0, order_id=5),
                                  R.DUPLICATE_ORDER_ID)

    async def test_45_cancel_with_an_id_already_used(self) -> None:
        oes = await self.setUpSession()
        ack_tx = oes.send(oes.order(Side.BUY, 1.0, 29000.0, order_id=5))
        await oes.one()
        await self.assertRejected(oes, oes.cancelOf(ack_tx, order_id=5), R.DUPLICATE_ORDER_ID)

    async def test_21_sending_time_zero(self) -> None:
        await self.rejected(R.SENDING_TIME_INVALID, sending_time=0)

    async def test_21_sending_time_two_days_old(self) -> None:
        await self.rejected(R.SENDING_TIME_INVALID, sending_time=time.time_ns() - 2 * DAY_NS)

    async def test_21_sending_time_in_the_future(self) -> None:
        await self.rejected(R.SENDING_TIME_INVALID, sending_time=time.time_ns() + 2 * DAY_NS)


class StrictRejects(RejectCase, unittest.TestCase):
    def exchangeOptions(self):
        return {"strict": True}

    async def test_52_sequence_number_not_increasing(self) -> None:
        oes = await self.setUpSession()
        oes.send(oes.order(Side.BUY, 1.0, 29000.0, order_id=1))  # numbered 1 by the protocol
        oes.send(oes.order(Side.BUY, 1.0, 29000.0, order_id=2))  # 2
        await oes.next(2)
        stale = oes.order(Side.BUY, 1.0, 29000.0, order_id=3, msg_seq_num=2)
        oes.sendRaw(stale.encode())  # bypass the protocol's numbering
        reply = await oes.one()
        self.assertEqual((reply.message_type, reply.order_id, reply.reject_reason),
                         (TT.REJECT, 3, R.MSG_SEQ_NUM_INVALID))
        # a greater number is fine again
        ok = oes.order(Side.BUY, 1.0, 29000.0, order_id=4, msg_seq_num=10)
        oes.sendRaw(ok.encode())
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)

    async def test_without_strict_mode_numbers_are_not_checked(self) -> None:
        self.exchange.oes_core.strict = False
        oes = await self.setUpSession()
        for oid in (1, 2):
            oes.sendRaw(oes.order(order_id=oid, msg_seq_num=0).encode())
        acks = await oes.next(2)
        self.assertEqual([a.message_type for a in acks], [TT.ORDER_ACK] * 2)


class OrderFieldRejects(RejectCase, unittest.TestCase):
    async def live(self, oes, order_id=1):
        tx = oes.send(oes.order(Side.BUY, 1.0, 29000.0, order_id=order_id))
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)
        return tx

    async def test_25_cancel_without_orig_order_id(self) -> None:
        oes = await self.setUpSession()
        live = await self.live(oes)
        await self.assertRejected(oes, oes.cancelOf(live, orig_order_id=0),
                                  R.ORIG_ORDER_ID_INVALID)

    async def test_25_replace_without_orig_order_id(self) -> None:
        oes = await self.setUpSession()
        live = await self.live(oes)
        await self.assertRejected(oes, oes.replaceOf(live, orig_order_id=0, price=28000.0),
                                  R.ORIG_ORDER_ID_INVALID)

    async def test_54_cancel_of_unknown_order(self) -> None:
        oes = await self.setUpSession()
        live = await self.live(oes)
        await self.assertRejected(oes, oes.cancelOf(live, orig_order_id=999),
                                  R.ORIG_ORDER_NOT_FOUND)

    async def test_54_cancel_of_another_accounts_order(self) -> None:
        bob = await self.login(2002, "bob")
        live = await self.live(bob, order_id=50)
        oes = await self.setUpSession()
        tx = oes.cancelOf(live, account=1001, session_key=oes.credentials.key,
                          trading_session_id=oes.credentials.trading_session_id)
        await self.assertRejected(oes, tx, R.ORIG_ORDER_NOT_FOUND)

    async def test_35_bad_attribute_character(self) -> None:
        await self.rejected(R.INVALID_FIELD_VALUE, attributes="NXNNNNNNNNNN")

    async def test_35_undocumented_tif(self) -> None:
        await self.rejected(R.INVALID_FIELD_VALUE, time_in_force=TimeInForce.POO)

    async def test_35_tif_not_allowed_for_the_type(self) -> None:
        await self.rejected(R.INVALID_FIELD_VALUE, order_type=OrderType.STOP_MKT,
                            price=31000.0, time_in_force=TimeInForce.IOC)

    async def test_35_attribute_not_allowed_for_the_type(self) -> None:
        await self.rejected(R.INVALID_FIELD_VALUE, order_type=OrderType.STOP_MKT,
                            price=31000.0, attributes="NYNNNNNNNNNN")

    async def test_14_price_off_tick(self) -> None:
        await self.rejected(R.PRICE_INVALID, price=29000.3)

    async def test_14_price_below_minimum(self) -> None:
        await self.rejected(R.PRICE_INVALID, price=0.000001)

    async def test_14_negative_price(self) -> None:
        await self.rejected(R.PRICE_INVALID, price=-0.5)

    async def test_15_zero_quantity(self) -> None:
        await self.rejected(R.SIZE_INVALID, order_qty=0.0)

    async def test_15_above_max_size(self) -> None:
        await self.rejected(R.SIZE_INVALID, order_qty=1000.5)

    async def test_15_below_min_size(self) -> None:
        await self.rejected(R.SIZE_INVALID, order_qty=0.001, symbol_enum=3, price=0.5)

    def ice(self, **fields):
        base = dict(order_type=OrderType.ICE, order_qty=3.0, layers=3, size_increment=1.0,
                    price_increment=1.0, price_offset=0.0)
        base.update(fields)
        return base

    async def test_ice_accepted_when_valid(self) -> None:
        oes = await self.setUpSession()
        oes.send(oes.order(Side.BUY, price=29000.0, **self.ice()))
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)

    async def test_30_ice_too_many_layers(self) -> None:
        await self.rejected(R.EXCEEDED_MAX_LAYERS, **self.ice(layers=11, order_qty=11.0))

    async def test_30_ice_zero_layers(self) -> None:
        await self.rejected(R.EXCEEDED_MAX_LAYERS, **self.ice(layers=0))

    async def test_27_ice_size_increment(self) -> None:
        await self.rejected(R.SIZE_INCREMENT_INVALID, **self.ice(size_increment=0.0))

    async def test_28_ice_price_offset(self) -> None:
        await self.rejected(R.PRICE_OFFSET_INVALID, **self.ice(price_offset=-1.0))

    async def test_29_ice_price_increment(self) -> None:
        await self.rejected(R.PRICE_INCREMENT_INVALID, **self.ice(price_increment=-1.0))

    async def test_24_ice_quantity_not_layers_times_increment(self) -> None:
        await self.rejected(R.ICE_SIZEINCREMENT_TIMES_LAYERS_NOT_EQUAL_ORDQTY,
                            **self.ice(order_qty=4.0))

    async def test_16_oco_without_stop_price(self) -> None:
        await self.rejected(R.STOP_PRICE_INVALID, order_type=OrderType.OCO, stop_limit_price=0.0)

    async def test_16_stop_limit_without_limit(self) -> None:
        await self.rejected(R.STOP_PRICE_INVALID, order_type=OrderType.STOP_LMT,
                            price=31000.0, stop_limit_price=0.0)

    async def test_16_stop_limit_off_tick(self) -> None:
        await self.rejected(R.STOP_PRICE_INVALID, order_type=OrderType.STOP_LMT,
                            price=31000.0, stop_limit_price=31000.2)

    async def test_31_display_size(self) -> None:
        await self.rejected(R.DISPLAY_SIZE_INVALID, attributes="NNYNNNNNNNNN",
                            display_size=0.0, refresh_size=0.5)

    async def test_32_refresh_size(self) -> None:
        await self.rejected(R.REFRESH_SIZE_INVALID, attributes="NNYNNNNNNNNN",
                            display_size=0.5, refresh_size=0.0)

    async def test_replace_to_an_off_tick_price_is_14(self) -> None:
        oes = await self.setUpSession()
        live = await self.live(oes)
        await self.assertRejected(oes, oes.replaceOf(live, price=29000.1), R.PRICE_INVALID)

    async def test_rejected_id_may_be_reused(self) -> None:
        oes = await self.setUpSession()
        await self.assertRejected(oes, oes.order(order_id=9, price=1.3), R.PRICE_INVALID)
        oes.send(oes.order(order_id=9))
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)


class MatchingRejects(RejectCase, unittest.TestCase):
    async def test_57_market_order_on_empty_book(self) -> None:
        await self.rejected(R.NO_MARKET_MAKER_VOLUME, order_type=OrderType.MKT, price=0.0)

    async def test_48_fok_not_fillable(self) -> None:
        bob = await self.login(2002, "bob")
        bob.send(bob.order(Side.SELL, 0.5, 29000.0))
        await bob.one()
        oes = await self.setUpSession()
        tx = oes.order(Side.BUY, 1.0, 29000.0, time_in_force=TimeInForce.FOK)
        await self.assertRejected(oes, tx, R.MATCHING_ENGINE_REJECTED)
        # nothing was touched: bob's order is still whole
        bob.requestOpenOrders()
        listed = await bob.one()
        self.assertEqual(listed.order_qty, 0.5)

    async def test_fok_fillable_fills(self) -> None:
        bob = await self.login(2002, "bob")
        bob.send(bob.order(Side.SELL, 1.5, 29000.0))
        await bob.one()
        oes = await self.setUpSession()
        oes.send(oes.order(Side.BUY, 1.0, 29000.0, time_in_force=TimeInForce.FOK))
        self.assertEqual((await oes.one()).message_type, TT.QUOTE_FILL)

    async def test_47_buy_beyond_quote_balance(self) -> None:
        # 1,000,000 USD buys at most 33.33 BTC at 30000
        await self.rejected(R.NOT_ENOUGH_EQUITY_TO_COMPLETE, order_qty=40.0, price=30000.0)

    async def test_47_sell_beyond_base_balance(self) -> None:
        await self.rejected(R.NOT_ENOUGH_EQUITY_TO_COMPLETE, side=Side.SELL,
                            order_qty=100.5, price=30000.0)

    async def test_47_counts_what_live_orders_reserve(self) -> None:
        oes = await self.setUpSession()
        oes.send(oes.order(Side.SELL, 60.0, 40000.0))
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)
        # 40 BTC left available
        await self.assertRejected(oes, oes.order(Side.SELL, 41.0, 40000.0),
                                  R.NOT_ENOUGH_EQUITY_TO_COMPLETE)
        oes.send(oes.order(Side.SELL, 40.0, 40000.0))
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)

    async def test_47_released_by_cancel(self) -> None:
        oes = await self.setUpSession()
        live = oes.send(oes.order(Side.BUY, 30.0, 30000.0))  # reserves 900,000 USD
        await oes.one()
        await self.assertRejected(oes, oes.order(Side.BUY, 4.0, 30000.0),
                                  R.NOT_ENOUGH_EQUITY_TO_COMPLETE)
        oes.send(oes.cancelOf(live))
        self.assertEqual((await oes.one()).message_type, TT.CANCELLED)
        oes.send(oes.order(Side.BUY, 4.0, 30000.0))
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)

    async def test_47_replace_that_grows_beyond_equity(self) -> None:
        oes = await self.setUpSession()
        live = oes.send(oes.order(Side.BUY, 30.0, 30000.0))
        await oes.one()
        # replacing 30 @ 30000 by 33 @ 30000 fits (990,000), 34 does not
        await self.assertRejected(oes, oes.replaceOf(live, order_qty=34.0),
                                  R.NOT_ENOUGH_EQUITY_TO_COMPLETE)
        oes.send(oes.replaceOf(live, order_qty=33.0))
        self.assertEqual((await oes.one()).message_type, TT.REPLACED)

    async def test_47_market_buy_checked_against_the_book(self) -> None:
        bob = await self.login(2002, "bob")
        bob.send(bob.order(Side.SELL, 50.0, 30000.0))
        await bob.one()
        oes = await self.setUpSession()
        await self.assertRejected(oes, oes.order(Side.BUY, 40.0, 0.0, order_type=OrderType.MKT),
                                  R.NOT_ENOUGH_EQUITY_TO_COMPLETE)


LIMITED_ACCOUNTS = """
[[accounts]]
account = 1001
user = "alice"
open_order_limit = 2

[[accounts]]
account = 2002
user = "bob"
"""


class OutstandingLimitRejects(RejectCase, unittest.TestCase):
    def exchangeOptions(self):
        path = write_temp(self, "accounts.toml", LIMITED_ACCOUNTS)
        return {"accounts": load_accounts(path), "match_delay": 0.05}

    async def test_43_beyond_the_open_order_limit(self) -> None:
        oes = await self.setUpSession()
        oes.requestRisk(1)
        risk = await oes.one()
        self.assertEqual(risk.open_order_request_limit, 2)
        sent = [oes.send(oes.order(Side.BUY, 1.0, 29000.0 - i)) for i in range(4)]
        replies = await oes.next(4)
        self.assertEqual([r.order_id for r in replies], [t.order_id for t in sent])
        self.assertEqual([r.message_type for r in replies],
                         [TT.ORDER_ACK, TT.ORDER_ACK, TT.REJECT, TT.REJECT])
        self.assertEqual([r.reject_reason for r in replies[2:]],
                         [R.OUTSTANDING_OPEN_REQUESTS_EXCEEDED] * 2)
        # answered requests free their slots
        oes.send(oes.order(Side.BUY, 1.0, 28000.0))
        self.assertEqual((await oes.one()).message_type, TT.ORDER_ACK)

    async def test_cancels_do_not_count(self) -> None:
        oes = await self.setUpSession()
        a = oes.send(oes.order(Side.BUY, 1.0, 29000.0))
        b = oes.send(oes.order(Side.BUY, 1.0, 28000.0))
        await oes.next(2)
        oes.send(oes.cancelOf(a))
        oes.send(oes.cancelOf(b))
        oes.send(oes.order(Side.BUY, 1.0, 27000.0))
        oes.send(oes.order(Side.BUY, 1.0, 26000.0))
        replies = await oes.next(4)
        self.assertEqual([r.message_type for r in replies],
                         [TT.CANCELLED, TT.CANCELLED, TT.ORDER_ACK, TT.ORDER_ACK])

    async def test_limit_is_per_account_configuration(self) -> None:
        bob = await self.login(2002, "bob")
        for i in range(4):
            bob.send(bob.order(Side.BUY, 1.0, 29000.0 - i))
        replies = await bob.next(4)
        self.assertEqual([r.message_type for r in replies], [TT.ORDER_ACK] * 4)
        bob.requestCollateral()
        self.assertIsInstance(await bob.one(), CollateralData)
