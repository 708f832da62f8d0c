"""Cancel on disconnect: on and off, server-wide and per account, over loopback TCP.

The rule: when the last OES session of an account is lost without a logout (the
client's or the server's), the account's open orders are cancelled through the
engine.  Off by default.
"""

from __future__ import annotations

from typing import Any

from twisted.trial import unittest

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.wire.enums import Side, TransactionType
from tests.server_helpers import ExchangeCase, RawClient
from tests.wiring_helpers import until


class CancelOnDisconnectCase(ExchangeCase):
    async def resting(self, account: int = 1001, user: str = "alice") -> RawClient:
        """A logged-on OES client with one resting order."""
        oes = await self.login(account, user)
        oes.send(oes.order(Side.BUY, 1.0, 20000.0))
        self.assertEqual((await oes.one()).message_type, TransactionType.ORDER_ACK)
        return oes

    def open_orders(self, account: int = 1001) -> int:
        return len(self.exchange.oes_core.engine.open_orders(account))

    async def cut(self, client: RawClient, account: int = 1001, user: str = "alice") -> None:
        """Cut TCP under *client* (no logout) and wait until the OES noticed."""
        assert client.transport is not None
        client.transport.abortConnection()
        await client.waitClosed()
        sessions = self.exchange.oes_core.sessions
        await until(lambda: (account, user) not in sessions, what="the OES noticed")


class OnTests(CancelOnDisconnectCase, unittest.TestCase):
    def exchangeOptions(self) -> dict[str, Any]:
        return {"cancel_on_disconnect": True}

    async def test_lost_connection_cancels_the_orders(self) -> None:
        bob = await self.resting(2002, "bob")
        alice = await self.resting()
        await self.cut(alice)
        await until(lambda: self.open_orders() == 0, what="alice's orders cancelled")
        self.assertEqual(self.open_orders(2002), 1)  # bob's stay
        self.assertTrue(bob.connected)
        # the reservation went with the order
        self.assertEqual(self.exchange.oes_core.ledger.reserved(1001, "USD"), 0)

    async def test_a_logout_keeps_the_orders(self) -> None:
        alice = await self.resting()
        await alice.logOut()
        await until(lambda: not self.exchange.oes_core.sessions, what="logout seen")
        self.assertEqual(self.open_orders(), 1)

    async def test_a_server_logout_keeps_the_orders(self) -> None:
        # a fail-over (logout 10) must find the orders on the secondary
        alice = await self.resting()
        self.exchange.faults.add("logout", code=10, account=1001)
        await alice.waitClosed()
        await until(lambda: not self.exchange.oes_core.sessions, what="logout seen")
        self.assertEqual(self.open_orders(), 1)

    async def test_another_live_session_of_the_account_keeps_them(self) -> None:
        alice = await self.resting()
        carol = await self.login(1001, "carol")
        assert alice.transport is not None
        alice.transport.abortConnection()
        await alice.waitClosed()
        await until(lambda: len(self.exchange.oes_core.sessions) == 1, what="alice gone")
        self.assertEqual(self.open_orders(), 1)
        await self.cut(carol, 1001, "carol")  # now the last one
        await until(lambda: self.open_orders() == 0, what="cancelled with the last session")


class OffTests(CancelOnDisconnectCase, unittest.TestCase):
    async def test_off_by_default(self) -> None:
        alice = await self.resting()
        await self.cut(alice)
        self.assertEqual(self.open_orders(), 1)


class PerAccountTests(CancelOnDisconnectCase, unittest.TestCase):
    """The accounts' own key wins over the server's setting (off here)."""

    def exchangeOptions(self) -> dict[str, Any]:
        directory = AccountDirectory([
            Account(1001, "alice", cancel_on_disconnect=True),
            Account(2002, "bob"),
        ], open=False)
        return {"accounts": directory}

    async def test_only_the_account_that_asked(self) -> None:
        alice = await self.resting()
        bob = await self.resting(2002, "bob")
        await self.cut(alice)
        await self.cut(bob, 2002, "bob")
        await until(lambda: self.open_orders() == 0, what="alice's orders cancelled")
        self.assertEqual(self.open_orders(2002), 1)
