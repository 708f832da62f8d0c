"""How to check your client's reaction to a bad day: one test per fault kind.

``crmd_exchange.faults.add(kind, **params)`` switches a fault on inside the
running simulator and returns a handle; ``with`` removes it at the end of the
block (faults that take a count, and one-shot ones, go by themselves).  The
same faults can be switched on from outside over the admin API
(``crmd_exchange.admin_url``, ``crmd-ctl fault add ...``).  Run with::

    python -m pytest examples/test_fault_reactions.py
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import pytest_twisted
from twisted.internet import defer, reactor

from crmd_twisted.client import CRMDClient, OrderState
from crmd_twisted.client.errors import RequestRejected, RequestTimeout
from crmd_twisted.testing import SimulatedExchange, client_ready
from crmd_twisted.wire.enums import RejectCode, Side, SymbolEnum, TransactionType

BTC = SymbolEnum.BTCUSD


async def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the reactor run until *condition()* holds."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        d: defer.Deferred[None] = defer.Deferred()
        reactor.callLater(0.02, d.callback, None)  # type: ignore[attr-defined]
        await d
    raise AssertionError("condition not reached in time")


async def my_client(exchange: SimulatedExchange, **kw: object) -> CRMDClient:
    return await client_ready(exchange.client(account=1001, user="trader", **kw))


@pytest_twisted.ensureDeferred
async def test_reject_47_is_a_request_rejected(crmd_exchange: SimulatedExchange,
                                               crmd_client: CRMDClient) -> None:
    with crmd_exchange.faults.add("reject", code=47, account=1001):
        with pytest.raises(RequestRejected) as caught:
            await crmd_client.new_order(BTC, Side.BUY, 0.1, price=25000.0)
    assert caught.value.code == RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE


@pytest_twisted.ensureDeferred
async def test_delay_beyond_request_timeout_is_a_request_timeout(
    crmd_exchange: SimulatedExchange,
) -> None:
    client = await my_client(crmd_exchange, request_timeout=0.2)
    try:
        with crmd_exchange.faults.add("delay", seconds=0.5, account=1001):
            with pytest.raises(RequestTimeout):
                await client.new_order(BTC, Side.BUY, 0.1, price=25000.0)
    finally:
        await client.stopService()


@pytest_twisted.ensureDeferred
async def test_logout_10_fails_over_to_the_secondary(crmd_exchange: SimulatedExchange,
                                                     crmd_client: CRMDClient) -> None:
    crmd_exchange.faults.add("logout", code=10, account=1001)  # one-shot
    await wait_for(lambda: crmd_client.ready and crmd_client.logons == 2)
    peer = crmd_client.connection.transport.getPeer()  # type: ignore[union-attr]
    assert peer.port == crmd_exchange.oes_address(1)[1]


@pytest_twisted.ensureDeferred
async def test_black_hole_the_probe_notices_and_reconnects(
    crmd_exchange: SimulatedExchange,
) -> None:
    client = await my_client(crmd_exchange, probe_interval=0.2, probe_timeout=0.3)
    try:
        with crmd_exchange.faults.add("black_hole", account=1001):
            await wait_for(lambda: client.disconnects == 1)  # the silent OES was dropped
        await client.when_ready()  # and the session is back once the OES talks again
    finally:
        await client.stopService()


@pytest_twisted.ensureDeferred
async def test_drop_the_client_reconnects(crmd_exchange: SimulatedExchange,
                                          crmd_client: CRMDClient) -> None:
    ack = await crmd_client.new_order(BTC, Side.BUY, 0.1, price=25000.0)
    crmd_exchange.faults.add("drop", account=1001)  # TCP cut now, no logout
    await wait_for(lambda: crmd_client.disconnects == 1)
    await crmd_client.when_ready()
    assert crmd_client.orders[ack.order_id].state is OrderState.NEW  # reconciled


@pytest_twisted.ensureDeferred
async def test_garble_the_answer_is_lost_but_the_order_rests(
    crmd_exchange: SimulatedExchange,
) -> None:
    client = await my_client(crmd_exchange, request_timeout=0.3)
    try:
        crmd_exchange.faults.add("garble", account=1001)  # the next frame only
        with pytest.raises(RequestTimeout):
            await client.new_order(BTC, Side.BUY, 0.1, price=25000.0)
        [listed] = await client.open_orders()  # ask the OES what really happened
        assert listed.price == 25000.0
    finally:
        await client.stopService()


@pytest_twisted.ensureDeferred
async def test_seq_gap_the_client_carries_on(crmd_exchange: SimulatedExchange,
                                             crmd_client: CRMDClient) -> None:
    first = await crmd_client.new_order(BTC, Side.BUY, 0.1, price=25000.0)
    crmd_exchange.faults.add("seq_gap", skip=10, account=1001)
    second = await crmd_client.new_order(BTC, Side.BUY, 0.1, price=25001.0)
    assert second.msg_seq_num == first.msg_seq_num + 11
    assert crmd_client.ready


@pytest_twisted.ensureDeferred
async def test_oes_down_the_session_comes_back(crmd_exchange: SimulatedExchange,
                                               crmd_client: CRMDClient) -> None:
    crmd_exchange.faults.add("oes_down", seconds=0.5)  # logout 10, refused, back in 0.5 s
    await wait_for(lambda: not crmd_client.ready)
    await crmd_client.when_ready()


@pytest_twisted.ensureDeferred
async def test_throttle_0_every_new_order_gets_43(crmd_exchange: SimulatedExchange,
                                                  crmd_client: CRMDClient) -> None:
    with crmd_exchange.faults.add("throttle", limit=0, account=1001):
        with pytest.raises(RequestRejected) as caught:
            await crmd_client.new_order(BTC, Side.BUY, 0.1, price=25000.0)
    assert caught.value.code == RejectCode.OUTSTANDING_OPEN_REQUESTS_EXCEEDED
    ack = await crmd_client.new_order(BTC, Side.BUY, 0.1, price=25000.0)
    assert ack.message_type == TransactionType.ORDER_ACK
