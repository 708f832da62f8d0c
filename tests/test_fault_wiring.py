"""Every fault kind over loopback TCP with the project's client: the wire effect, the
client's reaction, and that a fault scoped to one account leaves other sessions alone.

Each test runs alice (account 1001, the fault's target) and, where scoping matters,
bob (2002) on a SimulatedExchange with a primary and a secondary OES.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_twisted

from crmd_twisted.client import CRMDClient, OrderState
from crmd_twisted.client.errors import RequestRejected, RequestTimeout
from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.testing import SimulatedExchange
from crmd_twisted.wire import ClientLogon, Message, Transaction, WireError
from crmd_twisted.wire.enums import RejectCode, Side, SymbolEnum, TransactionType
from tests.wiring_helpers import Clients, oes_port, sleep, until

pytestmark = pytest.mark.filterwarnings("ignore:Using readBody with a transport")

BTC = SymbolEnum.BTCUSD


def recorder() -> tuple[type[CRMDClientProtocol], list[Any]]:
    """A client protocol class that notes every frame it gets (and every bad one)."""
    seen: list[Any] = []

    class Recording(CRMDClientProtocol):
        def messageReceived(self, message: Message) -> None:
            seen.append(message)
            super().messageReceived(message)

        def frameError(self, error: WireError, frame: bytes) -> None:
            seen.append(error)
            super().frameError(error, frame)

    return Recording, seen


@pytest_twisted.async_yield_fixture
async def wired() -> AsyncIterator[tuple[SimulatedExchange, Clients]]:
    exchange = SimulatedExchange(secondary=True)
    await exchange.start()
    clients = Clients(exchange)
    yield exchange, clients
    await clients.stop_all()
    await exchange.stop()


async def pair(clients: Clients, **alice_kw: Any) -> tuple[CRMDClient, CRMDClient]:
    alice = await clients.ready(1001, "alice", **alice_kw)
    bob = await clients.ready(2002, "bob")
    return alice, bob


async def buy(client: CRMDClient, price: float = 20000.0) -> Transaction:
    return await client.new_order(BTC, Side.BUY, 0.1, price=price)


@pytest_twisted.ensureDeferred
async def test_reject_answers_without_the_engine(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, clients = wired
    alice, bob = await pair(clients)
    with exchange.faults.add("reject", code=47, count=2, account=1001) as fault:
        for _ in range(2):
            with pytest.raises(RequestRejected) as caught:
                await buy(alice)
            assert caught.value.code == RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE
            assert caught.value.reply.message_type == TransactionType.REJECT
        assert (await buy(bob)).message_type == TransactionType.ORDER_ACK  # not bob's
        assert not fault.active  # its count is spent
    assert (await buy(alice)).message_type == TransactionType.ORDER_ACK
    assert len(exchange.oes_core.engine.open_orders(1001)) == 1  # the rejected never got there


@pytest_twisted.ensureDeferred
async def test_delay_beyond_request_timeout(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, clients = wired
    alice, bob = await pair(clients, request_timeout=0.3)
    with exchange.faults.add("delay", seconds=0.6, account=1001):
        started = time.monotonic()
        with pytest.raises(RequestTimeout):
            await buy(alice)
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        assert (await buy(bob)).message_type == TransactionType.ORDER_ACK
        assert time.monotonic() - started < 0.3  # bob is not delayed
        # the late answers still come, in order
        await until(lambda: len(alice.orders.live()) == 1 and
                    alice.orders.live()[0].state is OrderState.NEW, what="late ack")
    # the delayed frames keep their order: two orders, acks in order of sending (at most
    # 0.2 s late: well inside the 0.3 s request timeout, which 0.2 + 0.1 jitter could hit)
    with exchange.faults.add("delay", seconds=0.1, jitter=0.1, account=1001):
        first, second = await buy(alice, 19000.0), await buy(alice, 19001.0)
        assert second.msg_seq_num > first.msg_seq_num


@pytest_twisted.ensureDeferred
async def test_drop_cuts_tcp_without_logout(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, clients = wired
    proto, seen = recorder()
    alice, bob = await pair(clients, protocol=proto)
    fault = exchange.faults.add("drop", after_frames=1, account=1001)
    ack = await buy(alice)  # the one frame still handled ...
    assert ack.message_type == TransactionType.ORDER_ACK
    await until(lambda: alice.disconnects == 1, what="the cut")  # ... then the cut
    assert not fault.active
    assert not [m for m in seen if isinstance(m, ClientLogon) and m.logon_type == 2]
    await alice.when_ready()  # the client reconnects by itself, order still there
    assert [o.order_id for o in alice.orders.live()] == [ack.order_id]
    exchange.faults.add("drop", account=1001)  # after_frames 0: now
    await until(lambda: alice.disconnects == 2, what="the second cut")
    await alice.when_ready()
    assert bob.disconnects == 0


@pytest_twisted.ensureDeferred
async def test_logout_10_fails_over_to_the_secondary(
    wired: tuple[SimulatedExchange, Clients],
) -> None:
    exchange, clients = wired
    alice, bob = await pair(clients)
    assert oes_port(alice) == exchange.oes_address(0)[1]
    logouts: list[int] = []
    alice.serverLoggedOut = logouts.append  # type: ignore[method-assign]
    order_id = (await buy(alice)).order_id
    exchange.faults.add("logout", code=int(RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED),
                        account=1001)
    await until(lambda: logouts == [10], what="the logout")
    await until(lambda: alice.ready and alice.logons == 2, what="fail-over")
    assert oes_port(alice) == exchange.oes_address(1)[1]  # the secondary
    assert [o.order_id for o in alice.orders.live()] == [order_id]  # same book
    assert bob.logons == 1 and bob.ready


@pytest_twisted.ensureDeferred
async def test_black_hole_is_noticed_by_the_liveness_probe(
    wired: tuple[SimulatedExchange, Clients],
) -> None:
    exchange, clients = wired
    alice, bob = await pair(clients, probe_interval=0.2, probe_timeout=0.3,
                            request_timeout=5.0)
    with exchange.faults.add("black_hole", account=1001):
        pending = alice.new_order(BTC, Side.BUY, 0.1, price=20000.0)
        await until(lambda: alice.disconnects >= 1, what="the probe's reconnect")
        assert not pending.called  # nothing came back while the OES was silent
        # the OES read the order and ignored it: it never reached the engine
        assert exchange.oes_core.engine.open_orders(1001) == []
        assert (await buy(bob)).message_type == TransactionType.ORDER_ACK
    ack = await pending  # re-sent after the reconnect, answered once the fault is gone
    assert ack.message_type == TransactionType.ORDER_ACK
    assert alice.ready and bob.disconnects == 0


@pytest_twisted.ensureDeferred
async def test_garble_corrupts_the_next_frame(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, clients = wired
    proto, seen = recorder()
    alice, bob = await pair(clients, protocol=proto, request_timeout=0.3)
    exchange.faults.add("garble", count=1, account=1001)
    with pytest.raises(RequestTimeout):
        await buy(alice)  # its ORDER_ACK arrived with a wrong length
    assert [type(e).__name__ for e in seen if isinstance(e, WireError)] == ["WrongLengthError"]
    # the client skipped that frame and stays in step: the order rests
    [listed] = await alice.open_orders()
    assert listed.price == 20000.0
    assert len(exchange.faults) == 0
    assert (await buy(bob)).message_type == TransactionType.ORDER_ACK


@pytest_twisted.ensureDeferred
async def test_seq_gap_skips_numbers(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, clients = wired
    alice, bob = await pair(clients)
    first = await buy(alice)
    bob_first = await buy(bob)
    exchange.faults.add("seq_gap", skip=5, account=1001)
    second = await buy(alice)
    third = await buy(alice)
    assert second.msg_seq_num == first.msg_seq_num + 6  # 5 numbers skipped, once
    assert third.msg_seq_num == second.msg_seq_num + 1
    assert (await buy(bob)).msg_seq_num == bob_first.msg_seq_num + 1
    assert alice.ready  # the client takes the gap (no resend on this wire)


@pytest_twisted.ensureDeferred
async def test_oes_down_logs_out_refuses_and_comes_back(
    wired: tuple[SimulatedExchange, Clients],
) -> None:
    exchange, clients = wired
    alice, bob = await pair(clients)
    order_id = (await buy(alice)).order_id
    logouts: list[int] = []
    alice.serverLoggedOut = logouts.append  # type: ignore[method-assign]
    fault = exchange.faults.add("oes_down", seconds=0.8)
    await until(lambda: logouts == [10], what="the logout")
    await until(lambda: not alice.ready and not bob.ready, what="both logged out")
    await sleep(0.3)
    assert not alice.ready  # connections are refused while it is down
    assert exchange.faults.oes_refuses()
    await until(lambda: alice.ready and bob.ready, what="the OES back")
    assert not fault.active
    assert [o.order_id for o in alice.orders.live()] == [order_id]


@pytest_twisted.ensureDeferred
async def test_throttle_lowers_the_outstanding_limit() -> None:
    exchange = SimulatedExchange(match_delay=0.1)
    await exchange.start()
    clients = Clients(exchange)
    try:
        alice, bob = await pair(clients)
        with exchange.faults.add("throttle", limit=1, account=1001):
            answers = [alice.new_order(BTC, Side.BUY, 0.1, price=20000.0 + i) for i in range(3)]
            outcomes = []
            for d in answers:
                try:
                    outcomes.append((await d).message_type)
                except RequestRejected as e:
                    outcomes.append(e.code)
            assert outcomes[0] == TransactionType.ORDER_ACK
            assert RejectCode.OUTSTANDING_OPEN_REQUESTS_EXCEEDED in outcomes[1:]
            bob_answers = [bob.new_order(BTC, Side.BUY, 0.1, price=19000.0 + i)
                           for i in range(3)]
            assert [(await d).message_type for d in bob_answers] == [
                TransactionType.ORDER_ACK] * 3
        later = [alice.new_order(BTC, Side.BUY, 0.1, price=18000.0 + i) for i in range(3)]
        assert [(await d).message_type for d in later] == [TransactionType.ORDER_ACK] * 3
    finally:
        await clients.stop_all()
        await exchange.stop()


@pytest_twisted.ensureDeferred
async def test_user_scope_and_admin_logout(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, clients = wired
    alice = await clients.ready(1001, "alice")
    carol = await clients.ready(1001, "carol")  # same account, another user
    with exchange.faults.add("reject", code=47, user="carol", count=5):
        assert (await buy(alice)).message_type == TransactionType.ORDER_ACK
        with pytest.raises(RequestRejected):
            await buy(carol)
    exchange.faults.add("logout", code=int(RejectCode.TRADING_SESSION_INVALID), user="alice")
    await until(lambda: alice.disconnects == 1, what="alice's logout")
    assert carol.disconnects == 0


@pytest_twisted.ensureDeferred
async def test_mds_sessions_are_registered_and_take_seq_gap(
    wired: tuple[SimulatedExchange, Clients],
) -> None:
    """A market-data subscriber shows in the session registry under its account, and a
    seq_gap fault scoped to that account makes the client's feed count one gap."""
    exchange, clients = wired
    alice, bob = await pair(clients)
    await alice.subscribe(BTC, depth=1)
    await until(lambda: any(e.identity.server.value == "mds" and e.identity.account == 1001
                            for e in exchange.control.sessions), what="mds session")
    exchange.faults.add("seq_gap", skip=3, account=1001, server="mds")
    await buy(bob, 21000.0)  # a new best bid: a new top_of_book for alice's feed
    await until(lambda: alice.market_data_gaps == 1, what="the gap seen by the client")
    await buy(bob, 21001.0)
    await until(lambda: alice.books[BTC].bids[0][0] == 21001.0, what="the feed goes on")
    assert alice.market_data_gaps == 1
