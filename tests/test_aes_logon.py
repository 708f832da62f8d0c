"""Integration: logon failures at the AES and the OES (PROTOCOL.md §5.12, §6, §7.2, §7.3, §7.6).

An accounts file with API keys makes the servers check the 2FA code.
"""

from __future__ import annotations

import time

from twisted.trial import unittest

from crmd_twisted.accounts import load_accounts
from crmd_twisted.client.errors import LogonRejected
from crmd_twisted.wire import ClientLogon, InstrumentResponse, two_fa_code
from crmd_twisted.wire.enums import LoginStatus, LogonType, RejectCode

from tests.server_helpers import ExchangeCase, logon_request, write_temp

R = RejectCode

ACCOUNTS = """
[[accounts]]
account = 1001
user = "alice"
api_key = "alice-key"

[[accounts]]
account = 1001
user = "carol"
api_key = "carol-key"

[[accounts]]
account = 3003
user = "dave"
api_key = "dave-key"
disabled = true
"""


class LogonFailureTests(ExchangeCase, unittest.TestCase):
    def exchangeOptions(self):
        return {"accounts": load_accounts(write_temp(self, "accounts.toml", ACCOUNTS))}

    async def refused(self, address, request: ClientLogon) -> ClientLogon:
        """Send *request*; expect a FAILURE reply, then the server closes."""
        client = await self.connectTo(address)
        client.sendMessage(request)
        reply = await client.one()
        self.assertIsInstance(reply, ClientLogon)
        self.assertEqual(reply.login_status, LoginStatus.FAILURE)
        self.assertEqual((reply.account, reply.user_name), (request.account, request.user_name))
        self.assertEqual(reply.session_key, 0)
        await client.waitClosed()
        return reply

    async def assertAesRefuses(self, reason: RejectCode, **fields) -> None:
        args = {"account": 1001, "user": "alice", "two_fa": two_fa_code("alice-key")}
        args.update(fields)
        reply = await self.refused(self.exchange.aes_address, logon_request(**args))
        self.assertEqual(reply.reject_reason, reason)

    async def test_correct_2fa_logs_on(self) -> None:
        oes = await self.login(1001, "alice", api_key="alice-key")
        self.assertEqual(oes.oesReply.login_status, LoginStatus.SUCCESS)

    async def test_33_wrong_2fa_at_the_aes(self) -> None:
        await self.assertAesRefuses(R.INVALID_SECURITY_KEY, two_fa=two_fa_code("carol-key"))

    async def test_33_wrong_2fa_at_the_oes(self) -> None:
        _, grant = await self.aesLogon(1001, "alice", api_key="alice-key")
        reply = await self.refused(
            self.exchange.oes_address(),
            logon_request(1001, "alice", two_fa="123456", session_key=grant.session_key,
                          trading_session_id=grant.trading_session_id),
        )
        self.assertEqual(reply.reject_reason, R.INVALID_SECURITY_KEY)

    async def test_2_unknown_user_of_a_known_account(self) -> None:
        await self.assertAesRefuses(R.USER_NOT_FOUND, user="mallet")

    async def test_3_unknown_account(self) -> None:
        await self.assertAesRefuses(R.ACCOUNT_NOT_FOUND, account=9999)

    async def test_5_disabled_account(self) -> None:
        await self.assertAesRefuses(R.ACCOUNT_DISABLED, account=3003, user="dave",
                                    two_fa=two_fa_code("dave-key"))

    async def test_21_sending_time_outside_a_day(self) -> None:
        await self.assertAesRefuses(R.SENDING_TIME_INVALID,
                                    sending_time=time.time_ns() - 2 * 86_400 * 10**9)

    async def test_53_second_aes_session_of_the_same_user(self) -> None:
        await self.aesLogon(1001, "alice", api_key="alice-key")
        await self.assertAesRefuses(R.USER_ALREADY_LGGGED_IN)
        # another user of the same account is fine
        _, other = await self.aesLogon(1001, "carol", api_key="carol-key")
        self.assertEqual(other.login_status, LoginStatus.SUCCESS)

    async def test_53_second_oes_session_of_the_same_user(self) -> None:
        first = await self.login(1001, "alice", api_key="alice-key")
        grant = first.aesReply
        reply = await self.refused(
            self.exchange.oes_address(),
            logon_request(1001, "alice", two_fa=two_fa_code("alice-key"),
                          session_key=grant.session_key,
                          trading_session_id=grant.trading_session_id),
        )
        self.assertEqual(reply.reject_reason, R.USER_ALREADY_LGGGED_IN)
        # the first session is untouched
        first.requestInstruments(1)
        self.assertIsInstance(await first.one(), InstrumentResponse)

    async def test_4_wrong_aes_key_at_the_oes(self) -> None:
        _, grant = await self.aesLogon(1001, "alice", api_key="alice-key")
        reply = await self.refused(
            self.exchange.oes_address(),
            logon_request(1001, "alice", two_fa=two_fa_code("alice-key"),
                          session_key=grant.session_key ^ 0x1,
                          trading_session_id=grant.trading_session_id),
        )
        self.assertEqual(reply.reject_reason, R.INVALID_KEY)

    async def test_4_key_of_another_user_at_the_oes(self) -> None:
        _, grant = await self.aesLogon(1001, "carol", api_key="carol-key")
        reply = await self.refused(
            self.exchange.oes_address(),
            logon_request(1001, "alice", two_fa=two_fa_code("alice-key"),
                          session_key=grant.session_key, trading_session_id=0),
        )
        self.assertEqual(reply.reject_reason, R.INVALID_KEY)

    async def test_6_wrong_trading_session_id_at_the_oes(self) -> None:
        _, grant = await self.aesLogon(1001, "alice", api_key="alice-key")
        reply = await self.refused(
            self.exchange.oes_address(),
            logon_request(1001, "alice", two_fa=two_fa_code("alice-key"),
                          session_key=grant.session_key,
                          trading_session_id=grant.trading_session_id % 65535 + 1),
        )
        self.assertEqual(reply.reject_reason, R.TRADING_SESSION_INVALID)

    async def test_logon_rejected_surfaces_in_the_client(self) -> None:
        client = await self.connectTo(self.exchange.aes_address)
        failure = None
        try:
            await client.logOn(1001, "alice", api_key="wrong")
        except LogonRejected as e:
            failure = e
        self.assertIsNotNone(failure)
        await client.waitClosed()


class StreamProblemTests(ExchangeCase, unittest.TestCase):
    async def assertServerLogout(self, address, data: bytes, reason: RejectCode) -> None:
        client = await self.connectTo(address)
        client.sendRaw(data)
        logout = await client.one()
        self.assertIsInstance(logout, ClientLogon)
        self.assertEqual(logout.logon_type, LogonType.LOGOUT)
        self.assertEqual(logout.reject_reason, reason)
        await client.waitClosed()
        self.assertEqual(client.unread(), [])

    async def test_55_bad_logon_type_at_the_aes(self) -> None:
        await self.assertServerLogout(
            self.exchange.aes_address, logon_request(1001, "alice", logon_type=3).encode(),
            R.INVALID_LOGON_TYPE)

    async def test_55_bad_logon_type_at_the_oes(self) -> None:
        await self.assertServerLogout(
            self.exchange.oes_address(), logon_request(1001, "alice", logon_type=0).encode(),
            R.INVALID_LOGON_TYPE)

    async def test_35_malformed_frame_at_the_aes(self) -> None:
        frame = logon_request(1001, "alice").encode()
        bad = frame[:2] + (len(frame) - 1).to_bytes(2, "little") + frame[4:-1]
        await self.assertServerLogout(self.exchange.aes_address, bad, R.INVALID_FIELD_VALUE)

    async def test_35_bad_text_at_the_oes(self) -> None:
        frame = bytearray(logon_request(1001, "alice").encode())
        frame[16] = 0xFF  # user_name must be ASCII
        await self.assertServerLogout(self.exchange.oes_address(), bytes(frame),
                                      R.INVALID_FIELD_VALUE)

    async def test_unknown_type_char_at_the_aes_is_skipped(self) -> None:
        client = await self.connectTo(self.exchange.aes_address)
        client.sendRaw(b"#\x00\x06\x00xy")
        reply = await client.logOn(1001, "alice")
        self.assertEqual(reply.login_status, LoginStatus.SUCCESS)

    async def test_split_frames_are_reassembled(self) -> None:
        client = await self.connectTo(self.exchange.aes_address)
        frame = logon_request(1001, "alice").encode()
        waiter = client.next(1)
        for i in range(0, len(frame), 7):
            client.sendRaw(frame[i:i + 7])
        (reply,) = await waiter
        self.assertEqual(reply.login_status, LoginStatus.SUCCESS)

    async def test_request_before_logon_is_logged_out(self) -> None:
        client = await self.connectTo(self.exchange.oes_address())
        from crmd_twisted.wire import CollateralRequest

        client.sendMessage(CollateralRequest(account=1001))
        logout = await client.one()
        self.assertEqual(logout.logon_type, LogonType.LOGOUT)
        await client.waitClosed()
