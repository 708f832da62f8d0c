"""Helpers for the AES/OES integration tests: a raw protocol-level client.

:class:`RawClient` is a :class:`CRMDClientProtocol` that records every decoded
message it receives; a test awaits "the next N messages" with :meth:`RawClient.next`
(always bounded by a timeout).  :func:`connect` opens a loopback TCP connection,
:func:`session` walks AES logon -> OES logon and returns the logged-on OES client.
"""

from __future__ import annotations

from crmd_twisted.testing import ReactorSharingMixin

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.python.failure import Failure

from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.wire import ClientLogon, Message, Transaction
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    Side,
    SymbolType,
    TimeInForce,
    TransactionType,
)

TIMEOUT = 5.0

SYMBOLS = {1: "BTCUSD", 2: "USDUSDT", 3: "FLYUSDT", 4: "BTCUSDT"}


class RawClient(CRMDClientProtocol):
    """Collects every received message; lets a test await the next ones."""

    logonTimeout = TIMEOUT

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Message] = []
        self.cursor = 0
        self._waiters: list[tuple[int, defer.Deferred[list[Message]]]] = []
        self.closed: defer.Deferred[None] = defer.Deferred()
        self.lostReason: Failure | None = None
        self.nextOrderId = 1000

    # -- receiving ------------------------------------------------------------------------

    def messageReceived(self, message: Message) -> None:
        self.received.append(message)
        super().messageReceived(message)
        self._notify()

    def _notify(self) -> None:
        still = []
        for count, d in self._waiters:
            if d.called:
                continue
            if len(self.received) - self.cursor >= count:
                batch = self.received[self.cursor : self.cursor + count]
                self.cursor += count
                d.callback(batch)
            else:
                still.append((count, d))
        self._waiters = still

    def next(self, count: int = 1, timeout: float = TIMEOUT) -> defer.Deferred[list[Message]]:
        """The next *count* unread messages (fails with TimeoutError after *timeout* s)."""
        d: defer.Deferred[list[Message]] = defer.Deferred()
        self._waiters.append((count, d))
        self._notify()
        if not d.called:
            d.addTimeout(timeout, reactor, onTimeoutCancel=self._timedOut(count))
        return d

    def _timedOut(self, count: int) -> Any:
        def describe(result: object, timeout: float) -> object:
            unread = self.received[self.cursor :]
            raise defer.TimeoutError(
                f"wanted {count} message(s) within {timeout}s, got {len(unread)}: {unread!r}"
            )

        return describe

    async def one(self, timeout: float = TIMEOUT) -> Message:
        (message,) = await self.next(1, timeout)
        return message

    def unread(self) -> list[Message]:
        return self.received[self.cursor :]

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.lostReason = reason
        super().connectionLost(reason)
        if not self.closed.called:
            self.closed.callback(None)

    def waitClosed(self, timeout: float = TIMEOUT) -> defer.Deferred[None]:
        """Fires when the connection is gone (the server closed it)."""
        d: defer.Deferred[None] = defer.Deferred()
        self.closed.addBoth(lambda r: (d.callback(None) if not d.called else None, r)[1])
        if not d.called:
            d.addTimeout(timeout, reactor)
        return d

    # -- sending --------------------------------------------------------------------------

    def sendRaw(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def newId(self) -> int:
        oid = self.nextOrderId
        self.nextOrderId += 1
        return oid

    def order(
        self,
        side: int = Side.BUY,
        qty: float = 1.0,
        price: float = 30000.0,
        *,
        symbol_enum: int = 1,
        order_type: int = OrderType.LMT,
        tif: int = TimeInForce.GTC,
        order_id: int | None = None,
        **fields: Any,
    ) -> Transaction:
        """A NEW order carrying this session's credentials (not sent)."""
        c = self._creds()
        tx = Transaction(
            message_type=TransactionType.ORDER_NEW,
            account=c.account,
            order_id=self.newId() if order_id is None else order_id,
            symbol_enum=symbol_enum,
            symbol=SYMBOLS.get(symbol_enum, ""),
            symbol_type=SymbolType.SPOT,
            order_type=order_type,
            price=price,
            side=side,
            order_qty=qty,
            time_in_force=tif,
            trading_session_id=c.trading_session_id,
            session_key=c.key,
            sending_time=self.now(),
            attributes=NO_ATTRIBUTES,
        )
        for name, value in fields.items():
            setattr(tx, name, value)
        return tx

    def _amend(self, live: Transaction, message_type: int, fields: dict[str, Any]) -> Transaction:
        tx = live.replace(
            message_type=message_type,
            order_id=self.newId(),
            orig_order_id=live.order_id,
            orig_price=live.price,
            sending_time=self.now(),
            reject_reason=0,
        )
        for name, value in fields.items():
            setattr(tx, name, value)
        return tx

    def cancelOf(self, live: Transaction, **fields: Any) -> Transaction:
        """An ORDER_CANCEL of *live* (an order as acknowledged)."""
        return self._amend(live, TransactionType.ORDER_CANCEL, fields)

    def replaceOf(self, live: Transaction, **fields: Any) -> Transaction:
        """A CANCEL_REPLACE of *live* with *fields* (new price / qty)."""
        return self._amend(live, TransactionType.CANCEL_REPLACE, fields)

    def send(self, tx: Message) -> Message:
        """Send *tx* exactly as built (numbered by the protocol)."""
        self.sendMessage(tx)
        return tx


async def connect(address: tuple[str, int]) -> RawClient:
    host, port = address
    proto = await connectProtocol(TCP4ClientEndpoint(reactor, host, port, timeout=5), RawClient())
    return proto


def logon_request(
    account: int,
    user: str,
    *,
    two_fa: str = "000000",
    session_key: int = 0,
    trading_session_id: int = 0,
    logon_type: int = 1,
    sending_time: int | None = None,
) -> ClientLogon:
    import time

    return ClientLogon(
        logon_type=logon_type,
        account=account,
        user_name=user,
        two_fa=two_fa,
        trading_session_id=trading_session_id,
        session_key=session_key,
        sending_time=time.time_ns() if sending_time is None else sending_time,
    )


def close_all(clients: Iterable[RawClient]) -> defer.Deferred[Any]:
    """Close every client still connected and wait until each is gone."""
    waits = []
    for c in clients:
        if c.transport is not None and not c.closed.called:
            c.transport.abortConnection()
        waits.append(c.waitClosed())
    return defer.DeferredList(waits)


def write_temp(case: Any, name: str, text: str) -> Path:
    """Write *text* to a file in a fresh temporary directory removed after the test."""
    directory = Path(tempfile.mkdtemp(prefix="crmd-test-"))
    case.addCleanup(shutil.rmtree, directory, True)
    path = directory / name
    path.write_text(text)
    return path


#: trial TestCases of this suite also run under pytest (see the mixin's docstring)
ReactorFriendly = ReactorSharingMixin


class ExchangeCase(ReactorFriendly):
    """Mixin for trial TestCases: a fresh SimulatedExchange per test, raw clients.

    Subclasses may override :meth:`exchangeOptions`.  Every client made through
    :meth:`connectTo` is closed (and awaited) before the exchange stops.
    """

    def exchangeOptions(self) -> dict[str, Any]:
        return {}

    def setUp(self) -> defer.Deferred[Any]:
        from crmd_twisted.testing import SimulatedExchange

        self.clients: list[RawClient] = []
        self.exchange = SimulatedExchange(**self.exchangeOptions())
        # cleanups run last-in first-out: clients go before the exchange stops
        self.addCleanup(lambda: defer.ensureDeferred(self.exchange.stop()))  # type: ignore[attr-defined]
        self.addCleanup(lambda: close_all(self.clients))  # type: ignore[attr-defined]
        return defer.ensureDeferred(self.exchange.start())

    async def connectTo(self, address: tuple[str, int]) -> RawClient:
        client = await connect(address)
        self.clients.append(client)
        return client

    async def aesLogon(
        self, account: int = 1001, user: str = "alice", api_key: str | None = None
    ) -> tuple[RawClient, ClientLogon]:
        aes = await self.connectTo(self.exchange.aes_address)
        reply = await aes.logOn(account, user, api_key=api_key)
        aes.cursor = len(aes.received)
        return aes, reply

    async def login(
        self,
        account: int = 1001,
        user: str = "alice",
        api_key: str | None = None,
        *,
        zero_tsid: bool = False,
        oes_index: int = 0,
    ) -> RawClient:
        """AES logon, then OES logon with the AES key; returns the OES client."""
        _, reply = await self.aesLogon(account, user, api_key)
        address = reply.primary_oes if oes_index == 0 else reply.secondary_oes
        assert address is not None, reply
        oes = await self.connectTo(address)
        oes_reply = await oes.logOn(
            account,
            user,
            api_key=api_key,
            session_key=reply.session_key,
            trading_session_id=0 if zero_tsid else reply.trading_session_id,
        )
        oes.cursor = len(oes.received)
        oes.aesReply = reply  # type: ignore[attr-defined]
        oes.oesReply = oes_reply  # type: ignore[attr-defined]
        return oes
