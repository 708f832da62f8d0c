"""The admin API contract over real HTTP against a running exchange (SimulatedExchange).

Every path of docs/admin-api.md, with real clients trading over loopback TCP:
the sessions the API lists are the live connections, the book and trades are
the engine's, a mass cancel reaches the owners' clients, the token is checked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_twisted

from crmd_twisted.client import OrderState
from crmd_twisted.testing import SimulatedExchange
from crmd_twisted.wire.enums import Side, SymbolEnum
from tests.wiring_helpers import TOKEN, Clients, http, until

pytestmark = pytest.mark.filterwarnings("ignore:Using readBody with a transport")


@pytest_twisted.async_yield_fixture
async def wired() -> AsyncIterator[tuple[SimulatedExchange, Clients]]:
    exchange = SimulatedExchange(secondary=True, admin_token=TOKEN)
    await exchange.start()
    clients = Clients(exchange)
    yield exchange, clients
    await clients.stop_all()
    await exchange.stop()


@pytest_twisted.ensureDeferred
async def test_every_read_path_shows_the_running_exchange(
    wired: tuple[SimulatedExchange, Clients],
) -> None:
    exchange, clients = wired
    url = exchange.admin_url
    alice = await clients.ready(1001, "alice")
    bob = await clients.ready(2002, "bob")
    await alice.new_order(SymbolEnum.BTCUSD, Side.BUY, 1.0, price=29999.0)
    await alice.new_order(SymbolEnum.BTCUSD, Side.BUY, 2.0, price=29998.0)
    await bob.new_order(SymbolEnum.BTCUSD, Side.SELL, 0.5, price=30001.0)
    await bob.new_order(SymbolEnum.BTCUSD, Side.SELL, 0.25, price=29999.0)  # trades

    await until(lambda: len(exchange.control.sessions) == 2, what="AES sessions closed")
    status, _, health = await http(url, "GET", "/api/v1/health")
    assert status == 200 and health["status"] == "ok" and health["sessions"] == 2
    status, _, sessions = await http(url, "GET", "/api/v1/sessions")
    assert status == 200
    assert sorted((s["server"], s["account"], s["user"]) for s in sessions) == [
        ("oes", 1001, "alice"), ("oes", 2002, "bob")]
    assert all(s["peer"].startswith("127.0.0.1:") and s["trading_session_id"] for s in sessions)

    status, _, instruments = await http(url, "GET", "/api/v1/instruments")
    assert [i["symbol"] for i in instruments] == ["BTCUSD", "USDUSDT", "FLYUSDT", "BTCUSDT"]
    status, _, book = await http(url, "GET", "/api/v1/book/BTCUSD?depth=5")
    assert status == 200
    assert book["bids"] == [{"price": 29999.0, "size": 0.75, "orders": 1},
                            {"price": 29998.0, "size": 2.0, "orders": 1}]
    assert book["asks"] == [{"price": 30001.0, "size": 0.5, "orders": 1}]
    assert book["last_trade_price"] == 29999.0
    status, _, trades = await http(url, "GET", "/api/v1/trades/1?limit=10")
    assert [(t["price"], t["size"], t["aggressor_side"]) for t in trades] == [
        (29999.0, 0.25, "SELL")]  # once, though the tape hears the core and mass cancels
    status, _, account = await http(url, "GET", "/api/v1/accounts/1001")
    assert status == 200
    assert sorted(o["price"] for o in account["open_orders"]) == [29998.0, 29999.0]
    assert account["balances"]["USD"]["reserved"] > 0


@pytest_twisted.ensureDeferred
async def test_mass_cancel_reaches_the_owners(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, clients = wired
    url = exchange.admin_url
    alice = await clients.ready(1001, "alice")
    bob = await clients.ready(2002, "bob")
    a1 = (await alice.new_order(SymbolEnum.BTCUSD, Side.BUY, 1.0, price=29000.0)).order_id
    a2 = (await alice.new_order(SymbolEnum.BTCUSDT, Side.BUY, 1.0, price=29000.0)).order_id
    b1 = (await bob.new_order(SymbolEnum.BTCUSD, Side.BUY, 1.0, price=28000.0)).order_id

    status, _, answer = await http(url, "POST", "/api/v1/orders/cancel",
                                   {"account": 1001, "symbol": "BTCUSD"})
    assert (status, answer) == (200, {"cancelled": 1})
    order = await alice.when_final(a1)
    assert order.state is OrderState.CANCELLED
    assert alice.orders[a2].state is OrderState.NEW  # other symbol: untouched
    assert bob.orders[b1].state is OrderState.NEW  # other account: untouched

    status, _, answer = await http(url, "POST", "/api/v1/orders/cancel", raw=b"")
    assert (status, answer) == (200, {"cancelled": 2})
    assert (await bob.when_final(b1)).state is OrderState.CANCELLED
    assert (await alice.when_final(a2)).state is OrderState.CANCELLED
    assert await bob.open_orders() == []


@pytest_twisted.ensureDeferred
async def test_faults_list_add_get_delete(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, _ = wired
    url = exchange.admin_url
    status, headers, fault = await http(url, "POST", "/api/v1/faults",
                                        {"kind": "delay", "seconds": 0.5, "account": 1001})
    assert status == 201
    assert headers.getRawHeaders(b"location") == [f"/api/v1/faults/{fault['id']}".encode()]
    assert [f.id for f in exchange.faults] == [fault["id"]]  # the in-process view agrees
    status, _, listed = await http(url, "GET", "/api/v1/faults")
    assert [(f["kind"], f["seconds"], f["account"]) for f in listed] == [("delay", 0.5, 1001)]
    status, _, one = await http(url, "GET", f"/api/v1/faults/{fault['id']}")
    assert status == 200 and one["id"] == fault["id"]
    status, _, body = await http(url, "DELETE", f"/api/v1/faults/{fault['id']}")
    assert (status, body) == (204, None)
    assert len(exchange.faults) == 0
    status, _, body = await http(url, "DELETE", f"/api/v1/faults/{fault['id']}")
    assert status == 404 and "no fault" in body["error"]
    # added in-process, cleared over HTTP
    exchange.faults.add("garble", count=3)
    status, _, body = await http(url, "DELETE", "/api/v1/faults")
    assert (status, body) == (200, {"removed": 1})


@pytest_twisted.ensureDeferred
async def test_token_and_bad_requests(wired: tuple[SimulatedExchange, Clients]) -> None:
    exchange, _ = wired
    url = exchange.admin_url
    status, headers, body = await http(url, "GET", "/api/v1/health", token=None)
    assert status == 401 and "bearer token" in body["error"]
    assert headers.getRawHeaders(b"www-authenticate") == [b'Bearer realm="crmd-admin"']
    assert (await http(url, "GET", "/api/v1/health", token="wrong"))[0] == 401
    status, _, body = await http(url, "POST", "/api/v1/faults", raw=b"{not json")
    assert status == 400 and body["error"].startswith("bad JSON")
    status, _, body = await http(url, "POST", "/api/v1/faults", {"kind": "meteor"})
    assert status == 400 and "unknown fault kind 'meteor'" in body["error"]
    status, _, body = await http(url, "POST", "/api/v1/faults", {"kind": "delay"})
    assert status == 400 and "needs 'seconds'" in body["error"]
    status, _, body = await http(url, "GET", "/api/v1/book/NOPE")
    assert status == 404 and "unknown symbol 'NOPE'" in body["error"]
    status, _, body = await http(url, "GET", "/api/v1/nothing")
    assert status == 404 and "\n" not in body["error"]
    status, _, body = await http(url, "GET", "/api/v1/accounts/4242")
    assert status == 404
    # the exchange keeps serving
    assert (await http(url, "GET", "/api/v1/health"))[2]["status"] == "ok"
