"""Integration: a raw client walks every session flow of PROTOCOL.md §7 over loopback TCP.

Services run in-process (SimulatedExchange, ports chosen by the OS on 127.0.0.1);
every wait is bounded.  Runs under pytest and ``python -m twisted.trial``.
"""

from __future__ import annotations

from twisted.trial import unittest

from crmd_twisted.wire import (
    ClientLogon,
    CollateralData,
    InstrumentRequest,
    InstrumentResponse,
    RiskUserSymbol,
    Transaction,
)
from crmd_twisted.wire.enums import (
    LoginStatus,
    LogonType,
    OrderType,
    RejectCode,
    RequestType,
    ResponseType,
    Side,
    TransactionType,
)

from tests.server_helpers import ExchangeCase

TT = TransactionType


class LogonFlowTests(ExchangeCase, unittest.TestCase):
    async def test_aes_reply_then_oes_logon_with_aes_session_id(self) -> None:
        _aes, reply = await self.aesLogon(1001, "alice")
        self.assertEqual(reply.login_status, LoginStatus.SUCCESS)
        self.assertEqual(reply.reject_reason, RejectCode.ACCEPTED)
        self.assertEqual(reply.account, 1001)
        self.assertEqual(reply.user_name, "alice")
        self.assertNotEqual(reply.trading_session_id, 0)
        self.assertNotEqual(reply.session_key, 0)
        self.assertEqual(reply.primary_oes, self.exchange.oes_address(0))
        oes = await self.connectTo(reply.primary_oes)
        oes_reply = await oes.logOn(
            1001, "alice", session_key=reply.session_key,
            trading_session_id=reply.trading_session_id,
        )
        self.assertEqual(oes_reply.login_status, LoginStatus.SUCCESS)
        self.assertEqual(oes_reply.reject_reason, RejectCode.ACCEPTED)
        self.assertEqual(oes_reply.trading_session_id, reply.trading_session_id)
        self.assertNotEqual(oes_reply.session_key, 0)

    async def test_oes_logon_with_zero_session_id_recovers_the_session(self) -> None:
        oes = await self.login(1001, "alice", zero_tsid=True)
        self.assertEqual(oes.oesReply.login_status, LoginStatus.SUCCESS)
        # §7.3: 0 means "the session this key was issued for"
        self.assertEqual(oes.oesReply.trading_session_id, oes.aesReply.trading_session_id)
        # and the recovered id works on later requests
        oes.sendTransaction(oes.order(Side.BUY, 1.0, 20000.0, order_id=7))
        ack = await oes.one()
        self.assertEqual((ack.message_type, ack.order_id), (TT.ORDER_ACK, 7))

    async def test_client_logout_gets_no_reply_and_the_server_closes(self) -> None:
        oes = await self.login()
        oes.sendMessage(
            ClientLogon(
                logon_type=LogonType.LOGOUT,
                account=1001,
                user_name="alice",
                trading_session_id=oes.credentials.trading_session_id,
                session_key=oes.credentials.key,
                sending_time=oes.now(),
            )
        )
        await oes.waitClosed()
        self.assertEqual(oes.unread(), [])

    async def test_logout_frees_the_user_for_a_new_aes_logon(self) -> None:
        aes, _ = await self.aesLogon(1001, "alice")
        aes.logOut()
        await aes.waitClosed()
        self.assertEqual(aes.unread(), [])
        _, again = await self.aesLogon(1001, "alice")
        self.assertEqual(again.login_status, LoginStatus.SUCCESS)


class RequestTests(ExchangeCase, unittest.TestCase):
    async def test_instruments_all_start_continuation_finish(self) -> None:
        oes = await self.login()
        oes.requestInstruments()
        replies = await oes.next(4)
        self.assertTrue(all(isinstance(r, InstrumentResponse) for r in replies))
        self.assertEqual(
            [r.response_type for r in replies],
            [ResponseType.SNAPSHOT_START, ResponseType.SNAPSHOT_CONTINUATION,
             ResponseType.SNAPSHOT_CONTINUATION, ResponseType.SNAPSHOT_FINISH],
        )
        self.assertEqual([r.symbol for r in replies], ["BTCUSD", "USDUSDT", "FLYUSDT", "BTCUSDT"])
        self.assertEqual(replies[0].price_increment, 0.5)
        self.assertEqual(replies[0].max_size, 1000.0)
        self.assertEqual({r.message_type for r in replies}, {TT.INSTRUMENT})

    async def test_instrument_by_symbol_enum_is_one_snapshot(self) -> None:
        oes = await self.login()
        oes.requestInstruments(4)
        reply = await oes.one()
        self.assertIsInstance(reply, InstrumentResponse)
        self.assertEqual(reply.response_type, ResponseType.SNAPSHOT)
        self.assertEqual((reply.symbol_enum, reply.symbol), (4, "BTCUSDT"))
        self.assertEqual(reply.price_increment, 0.25)

    def _instrumentRequest(self, oes, **fields) -> InstrumentRequest:
        c = oes.credentials
        req = InstrumentRequest(
            message_type=TT.INSTRUMENT_REQUEST, account=c.account,
            request_type=RequestType.SYMBOL_ENUM, session_key=c.key, symbol_enum=1,
            trading_session_id=c.trading_session_id, sending_time=oes.now(),
        )
        for k, v in fields.items():
            setattr(req, k, v)
        return req

    async def test_instrument_request_unknown_symbol_is_echoed_with_26(self) -> None:
        oes = await self.login()
        oes.send(self._instrumentRequest(oes, symbol_enum=99))
        reply = await oes.one()
        self.assertIsInstance(reply, InstrumentRequest)
        self.assertEqual(reply.reject_reason, RejectCode.SYMBOL_ENUM_INVALID)
        self.assertEqual(reply.symbol_enum, 99)
        self.assertEqual(reply.account, 1001)

    async def test_instrument_request_wrong_key_is_echoed_with_4(self) -> None:
        oes = await self.login()
        oes.send(self._instrumentRequest(oes, session_key=oes.credentials.key ^ 1))
        reply = await oes.one()
        self.assertIsInstance(reply, InstrumentRequest)
        self.assertEqual(reply.reject_reason, RejectCode.INVALID_KEY)
        # the connection stays usable
        oes.requestInstruments(1)
        self.assertIsInstance(await oes.one(), InstrumentResponse)

    async def test_instrument_request_wrong_session_is_echoed_with_6(self) -> None:
        oes = await self.login()
        oes.send(self._instrumentRequest(
            oes, trading_session_id=oes.credentials.trading_session_id + 1))
        reply = await oes.one()
        self.assertEqual(reply.reject_reason, RejectCode.TRADING_SESSION_INVALID)

    async def test_risk_all_one_per_instrument_in_order(self) -> None:
        oes = await self.login()
        oes.requestRisk()
        replies = await oes.next(4)
        self.assertTrue(all(isinstance(r, RiskUserSymbol) for r in replies))
        self.assertEqual([r.symbol_enum for r in replies], [1, 2, 3, 4])
        first = replies[0]
        self.assertEqual((first.account, first.user_name), (1001, "alice"))
        self.assertEqual(first.btc_equity, 100.0)
        self.assertEqual(first.usd_equity, 1_000_000.0)
        self.assertEqual(first.open_order_request_limit, 1000)
        self.assertEqual(first.trading_session_id, oes.credentials.trading_session_id)
        self.assertEqual(first.message_type, TT.RISK_USER_SYMBOL)

    async def test_open_orders_none_then_collateral_marks_the_end(self) -> None:
        oes = await self.login()
        oes.requestOpenOrders()
        oes.requestCollateral()
        reply = await oes.one()
        # no open order: the collateral reply comes first (replies are ordered)
        self.assertIsInstance(reply, CollateralData)
        self.assertEqual(reply.message_type, TT.COLLATERAL_DATA)
        self.assertEqual(reply.usdt_equity, 1_000_000.0)
        self.assertEqual(reply.fly_equity, 1_000_000.0)
        self.assertEqual(reply.eth_equity, 1_000.0)

    async def test_unknown_symbol_risk_request_gets_no_reply(self) -> None:
        oes = await self.login()
        oes.requestRisk(99)
        oes.requestCollateral()
        reply = await oes.one()
        self.assertIsInstance(reply, CollateralData)

    async def test_risk_request_with_wrong_key_logs_the_client_out(self) -> None:
        oes = await self.login()
        oes.credentials.key ^= 1
        oes.requestRisk()
        logout = await oes.one()
        self.assertIsInstance(logout, ClientLogon)
        self.assertEqual(logout.logon_type, LogonType.LOGOUT)
        self.assertEqual(logout.reject_reason, RejectCode.INVALID_KEY)
        await oes.waitClosed()


class TradingTests(ExchangeCase, unittest.TestCase):
    async def two_traders(self):
        alice = await self.login(1001, "alice")
        bob = await self.login(2002, "bob")
        return alice, bob

    async def test_cross_executes_on_both_connections(self) -> None:
        alice, bob = await self.two_traders()
        sell = alice.send(alice.order(Side.SELL, 2.0, 30000.0, order_id=11))
        ack = await alice.one()
        self.assertEqual((ack.message_type, ack.order_id), (TT.ORDER_ACK, 11))
        self.assertEqual((ack.price, ack.order_qty, ack.side), (30000.0, 2.0, Side.SELL))
        self.assertEqual(ack.symbol, sell.symbol)
        # bob buys 0.5 at a worse (higher) price: executes at the resting 30000
        bob.send(bob.order(Side.BUY, 0.5, 30010.0, order_id=21))
        resting = await alice.one()
        incoming = await bob.one()
        self.assertEqual(resting.message_type, TT.EXECUTION_PARTIAL)
        self.assertEqual(resting.order_id, 11)
        self.assertEqual(resting.exec_qty, 0.5)
        self.assertEqual(resting.remaining_qty, 1.5)
        self.assertEqual(resting.order_qty, 1.5)
        self.assertEqual(resting.exec_price, 30000.0)
        self.assertEqual(incoming.message_type, TT.QUOTE_FILL)
        self.assertEqual(incoming.order_id, 21)
        self.assertEqual(incoming.exec_price, 30000.0)
        self.assertEqual(incoming.exec_qty, 0.5)
        self.assertEqual(incoming.remaining_qty, 0.0)
        self.assertEqual(incoming.exec_id, resting.exec_id)
        self.assertNotEqual(incoming.exec_id, 0)
        # no ORDER_ACK for an order that filled completely on arrival
        bob.requestCollateral()
        self.assertIsInstance(await bob.one(), CollateralData)
        # bob takes the rest: EXECUTION (complete) for alice, new exec id
        bob.send(bob.order(Side.BUY, 1.5, 30000.0, order_id=22))
        resting2 = await alice.one()
        incoming2 = await bob.one()
        self.assertEqual(resting2.message_type, TT.EXECUTION)
        self.assertEqual(resting2.remaining_qty, 0.0)
        self.assertEqual(incoming2.message_type, TT.QUOTE_FILL)
        self.assertGreater(resting2.exec_id, resting.exec_id)
        self.assertEqual(resting2.exec_id, incoming2.exec_id)

    async def test_partial_fill_on_arrival_then_ack_for_the_rest(self) -> None:
        alice = await self.login(1001, "alice")
        bob = await self.login(2002, "bob")
        alice.send(alice.order(Side.BUY, 1.0, 29000.0, order_id=5))
        await alice.one()
        bob.send(bob.order(Side.SELL, 3.0, 29000.0, order_id=6))
        fills = await bob.next(2)
        # partly filled on arrival, then the rest is acknowledged (§7.5.2)
        self.assertEqual([f.message_type for f in fills], [TT.QUOTE_FILL_PARTIAL, TT.ORDER_ACK])
        self.assertEqual(fills[0].remaining_qty, 2.0)
        self.assertEqual(fills[1].order_qty, 3.0)
        resting = await alice.one()
        self.assertEqual(resting.message_type, TT.EXECUTION)
        self.assertEqual(resting.exec_id, fills[0].exec_id)

    async def test_fills_reach_every_connection_of_the_account(self) -> None:
        alice = await self.login(1001, "alice")
        carol = await self.login(1001, "carol")  # same account, another user
        bob = await self.login(2002, "bob")
        alice.send(alice.order(Side.SELL, 1.0, 30000.0, order_id=1))
        await alice.one()
        bob.send(bob.order(Side.BUY, 1.0, 30000.0, order_id=1))
        incoming = await bob.one()
        for session in (alice, carol):
            fill = await session.one()
            self.assertEqual((fill.message_type, fill.order_id), (TT.EXECUTION, 1))
            self.assertEqual(fill.exec_id, incoming.exec_id)

    async def test_stop_order_triggers_on_a_trade(self) -> None:
        alice, bob = await self.two_traders()
        # liquidity above the market for the stop to hit
        alice.send(alice.order(Side.SELL, 1.0, 30100.0, order_id=1))
        alice.send(alice.order(Side.SELL, 1.0, 30000.0, order_id=2))
        await alice.next(2)
        # bob's BUY STOP_MKT at 30000: dormant until a trade prints at >= 30000
        stop = bob.order(Side.BUY, 1.0, 30000.0, order_type=OrderType.STOP_MKT, order_id=10)
        bob.send(stop)
        ack = await bob.one()
        self.assertEqual((ack.message_type, ack.order_id), (TT.ORDER_ACK, 10))
        # a trade at 30000 (bob lifts order 2) triggers the stop, which lifts order 1
        bob.send(bob.order(Side.BUY, 1.0, 30000.0, order_id=11))
        msgs = await bob.next(2)
        self.assertEqual([(m.message_type, m.order_id) for m in msgs],
                         [(TT.QUOTE_FILL, 11), (TT.QUOTE_FILL, 10)])
        self.assertEqual(msgs[1].exec_price, 30100.0)
        alice_fills = await alice.next(2)
        self.assertEqual([(m.message_type, m.order_id) for m in alice_fills],
                         [(TT.EXECUTION, 2), (TT.EXECUTION, 1)])
        self.assertEqual(alice_fills[1].exec_id, msgs[1].exec_id)

    async def test_cancel(self) -> None:
        alice = await self.login()
        alice.send(alice.order(Side.BUY, 2.0, 29000.0, order_id=1))
        ack = await alice.one()
        cancel = alice.send(alice.cancelOf(ack))
        reply = await alice.one()
        self.assertEqual(reply.message_type, TT.CANCELLED)
        self.assertEqual(reply.order_id, cancel.order_id)
        self.assertEqual(reply.orig_order_id, 1)
        self.assertEqual(reply.cancel_qty, 2.0)
        # gone from the open orders
        alice.requestOpenOrders()
        alice.requestCollateral()
        self.assertIsInstance(await alice.one(), CollateralData)
        # cancelling it again: original not found
        again = alice.send(alice.cancelOf(ack))
        rej = await alice.one()
        self.assertEqual((rej.message_type, rej.order_id, rej.reject_reason),
                         (TT.REJECT, again.order_id, RejectCode.ORIG_ORDER_NOT_FOUND))

    async def test_replace_then_order_known_by_new_id(self) -> None:
        alice = await self.login()
        alice.send(alice.order(Side.BUY, 2.0, 29000.0, order_id=1))
        ack = await alice.one()
        rep = alice.send(alice.replaceOf(ack, price=29500.0, order_qty=3.0, order_id=2))
        reply = await alice.one()
        self.assertEqual(reply.message_type, TT.REPLACED)
        self.assertEqual((reply.order_id, reply.orig_order_id), (2, 1))
        self.assertEqual((reply.price, reply.order_qty), (29500.0, 3.0))
        self.assertEqual(rep.order_id, 2)
        alice.requestOpenOrders()
        listing = await alice.one()
        self.assertEqual(listing.message_type, TT.REPLACED)
        self.assertEqual((listing.order_id, listing.orig_order_id), (2, 0))
        self.assertEqual((listing.price, listing.order_qty), (29500.0, 3.0))
        # the old id is dead, the new one cancels
        alice.send(alice.cancelOf(ack, order_id=3))
        rej = await alice.one()
        self.assertEqual((rej.message_type, rej.reject_reason),
                         (TT.REJECT, RejectCode.ORIG_ORDER_NOT_FOUND))
        alice.send(alice.cancelOf(reply, order_id=4))
        done = await alice.one()
        self.assertEqual((done.message_type, done.orig_order_id, done.cancel_qty),
                         (TT.CANCELLED, 2, 3.0))

    async def test_mkt_partial_fill_rest_cancelled(self) -> None:
        alice, bob = await self.two_traders()
        alice.send(alice.order(Side.SELL, 1.0, 30000.0, order_id=1))
        await alice.one()
        bob.send(bob.order(Side.BUY, 3.0, 0.0, order_type=OrderType.MKT, order_id=9))
        msgs = await bob.next(2)
        self.assertEqual([m.message_type for m in msgs], [TT.QUOTE_FILL_PARTIAL, TT.CANCELLED])
        self.assertEqual(msgs[0].exec_price, 30000.0)
        self.assertEqual(msgs[1].cancel_qty, 2.0)
        self.assertEqual(msgs[1].order_id, 9)

    async def test_fills_move_risk_and_collateral(self) -> None:
        alice, bob = await self.two_traders()
        alice.send(alice.order(Side.SELL, 2.0, 30000.0, order_id=1))
        await alice.one()
        bob.send(bob.order(Side.BUY, 2.0, 30500.0, order_id=1))
        await bob.one()
        await alice.one()
        bob.requestRisk(1)
        risk = await bob.one()
        self.assertIsInstance(risk, RiskUserSymbol)
        self.assertEqual(risk.executed_long_position, 2.0)
        self.assertEqual(risk.executed_long_cash, 60000.0)
        self.assertEqual(risk.executed_short_position, 0.0)
        self.assertEqual(risk.btc_equity, 102.0)
        self.assertEqual(risk.usd_equity, 1_000_000.0 - 60000.0)
        alice.requestRisk(1)
        arisk = await alice.one()
        self.assertEqual(arisk.executed_short_position, 2.0)
        self.assertEqual(arisk.executed_short_cash, 60000.0)
        alice.requestCollateral()
        coll = await alice.one()
        self.assertEqual(coll.btc_equity, 98.0)
        self.assertEqual(coll.usd_equity, 1_060_000.0)

    async def test_open_order_shows_in_risk_position(self) -> None:
        alice = await self.login()
        alice.send(alice.order(Side.BUY, 2.0, 29000.0, order_id=1))
        await alice.one()
        alice.requestRisk(1)
        risk = await alice.one()
        self.assertEqual(risk.long_position, 2.0)
        self.assertEqual(risk.long_cash, 58000.0)
        self.assertEqual(risk.executed_long_position, 0.0)

    async def test_orders_survive_a_disconnect_and_are_listed_after_relogon(self) -> None:
        alice = await self.login(1001, "alice")
        alice.send(alice.order(Side.BUY, 1.0, 29000.0, order_id=1))
        alice.send(alice.order(Side.SELL, 2.0, 31000.0, order_id=2, symbol_enum=1))
        await alice.next(2)
        # drop every connection without a logout
        for c in list(self.clients):
            c.transport.abortConnection()
            await c.waitClosed()
        # a counterparty trades with the order while alice is away
        bob = await self.login(2002, "bob")
        bob.send(bob.order(Side.SELL, 0.25, 29000.0, order_id=1))
        self.assertEqual((await bob.one()).message_type, TT.QUOTE_FILL)
        again = await self.login(1001, "alice")
        again.requestOpenOrders()
        listing = await again.next(2)
        by_id = {m.order_id: m for m in listing}
        self.assertEqual(set(by_id), {1, 2})
        self.assertTrue(all(isinstance(m, Transaction) for m in listing))
        self.assertEqual(by_id[1].message_type, TT.ORDER_NEW)
        self.assertEqual(by_id[1].order_qty, 0.75)
        self.assertEqual(by_id[2].order_qty, 2.0)
        self.assertEqual(by_id[2].price, 31000.0)
        # only BTCUSD asked: the same two
        again.requestOpenOrders(2)
        again.requestCollateral()
        self.assertIsInstance(await again.one(), CollateralData)

    async def test_unknown_type_char_is_skipped_and_connection_stays(self) -> None:
        oes = await self.login()
        oes.sendRaw(b"z\x00\x08\x00abcd")
        oes.requestInstruments(1)
        reply = await oes.one()
        self.assertIsInstance(reply, InstrumentResponse)

    async def test_malformed_frame_gets_logout_35_and_close(self) -> None:
        oes = await self.login()
        # a known type ('T') with a wrong length
        oes.sendRaw(b"T\x00\x0a\x00" + b"\x00" * 6)
        logout = await oes.one()
        self.assertIsInstance(logout, ClientLogon)
        self.assertEqual(logout.logon_type, LogonType.LOGOUT)
        self.assertEqual(logout.reject_reason, RejectCode.INVALID_FIELD_VALUE)
        await oes.waitClosed()

    async def test_header_length_below_4_gets_logout_35_and_close(self) -> None:
        oes = await self.login()
        oes.sendRaw(b"T\x00\x02\x00")
        logout = await oes.one()
        self.assertEqual(logout.reject_reason, RejectCode.INVALID_FIELD_VALUE)
        await oes.waitClosed()
