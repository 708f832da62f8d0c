"""The admin API over real HTTP on loopback, against a real engine and OES core."""

from __future__ import annotations

from io import BytesIO

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_twisted
from control_helpers import BUY, SELL, Desk, Peer
from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.web.client import Agent, FileBodyProducer, readBody
from twisted.web.http_headers import Headers

from crmd_twisted.control import ServerKind
from crmd_twisted.control.admin import MAX_BODY, admin_site
from crmd_twisted.wire.enums import TransactionType

# Twisted's own HTTP/1.1 client transport triggers this inside readBody
pytestmark = pytest.mark.filterwarnings("ignore:Using readBody with a transport")

TIMEOUT = 10.0
TOKEN = "s3cret"


class Api:
    """A running admin site and a client for it."""

    def __init__(self, desk: Desk, port: Any, token: str | None) -> None:
        self.desk = desk
        self.port = port
        self.token = token
        self.agent = Agent(reactor)
        self.base = f"http://127.0.0.1:{port.getHost().port}"

    async def call(self, method: str, path: str, body: object = None, *,
                   raw: bytes | None = None, token: str | bool | None = True,
                   ) -> tuple[int, Any, Any]:
        headers = Headers()
        use = self.token if token is True else token
        if use:
            headers.addRawHeader(b"authorization", f"Bearer {use}".encode())
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        d = self.agent.request(method.encode(), (self.base + path).encode(), headers,
                               None if data is None else FileBodyProducer(BytesIO(data)))
        d.addTimeout(TIMEOUT, reactor)
        response = await d
        text = await readBody(response)
        payload = json.loads(text) if text else None
        return response.code, response.headers, payload


async def start(desk: Desk, token: str | None = None) -> Api:
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        admin_site(desk.control, token)
    )
    return Api(desk, port, token)


@pytest_twisted.async_yield_fixture
async def api() -> AsyncIterator[Api]:
    desk = Desk()
    alice, _ = desk.logon(1001, "alice")
    bob, _ = desk.logon(2002, "bob")
    desk.order(alice, BUY, 1.0, 29999.0)
    desk.order(alice, BUY, 2.0, 29998.0)
    desk.order(bob, SELL, 0.5, 30001.0)
    desk.order(bob, SELL, 0.25, 29999.0)  # trades with alice's best bid
    running = await start(desk, TOKEN)
    yield running
    await running.port.stopListening()


@pytest_twisted.ensureDeferred
async def test_health_instruments_sessions(api: Api) -> None:
    status, headers, health = await api.call("GET", "/api/v1/health")
    assert status == 200
    assert headers.getRawHeaders(b"content-type") == [b"application/json; charset=utf-8"]
    assert health == {"status": "ok", "uptime_s": 0.0, "sessions": 2}
    api.desk.seconds += 12.5
    assert (await api.call("GET", "/api/v1/health"))[2]["uptime_s"] == 12.5
    _, _, instruments = await api.call("GET", "/api/v1/instruments")
    assert [(i["symbol_enum"], i["symbol"], i["price_increment"]) for i in instruments][:2] == [
        (1, "BTCUSD", 0.5), (2, "USDUSDT", 0.01)]
    _, _, sessions = await api.call("GET", "/api/v1/sessions")
    assert [(s["server"], s["account"], s["user"], s["trading_session_id"]) for s in sessions] \
        == [("oes", 1001, "alice", 7), ("oes", 2002, "bob", 7)]
    assert set(sessions[0]) == {"server", "account", "user", "trading_session_id", "peer",
                                "connected_ns", "frames_in", "frames_out"}


@pytest_twisted.ensureDeferred
async def test_book_and_trades_by_name_or_number(api: Api) -> None:
    status, _, book = await api.call("GET", "/api/v1/book/BTCUSD?depth=5")
    assert status == 200
    assert book["bids"] == [{"price": 29999.0, "size": 0.75, "orders": 1},
                            {"price": 29998.0, "size": 2.0, "orders": 1}]
    assert book["asks"] == [{"price": 30001.0, "size": 0.5, "orders": 1}]
    assert book["last_trade_price"] == 29999.0
    assert (await api.call("GET", "/api/v1/book/1?depth=1"))[2]["bids"] == book["bids"][:1]
    status, _, trades = await api.call("GET", "/api/v1/trades/btcusd?limit=5")
    assert status == 200
    assert [(t["price"], t["size"], t["aggressor_side"]) for t in trades] == [
        (29999.0, 0.25, "SELL")]
    assert isinstance(trades[0]["time_ns"], int)


@pytest_twisted.ensureDeferred
async def test_account_view(api: Api) -> None:
    status, _, account = await api.call("GET", "/api/v1/accounts/1001")
    assert status == 200
    assert account["balances"]["BTC"]["balance"] == 100.25
    assert [(o["price"], o["open_qty"]) for o in account["open_orders"]] == [
        (29999.0, 0.75), (29998.0, 2.0)]
    status, _, error = await api.call("GET", "/api/v1/accounts/4242")
    assert (status, error) == (404, {"error": "unknown account 4242 (it has not logged on "
                                              "to the OES)"})
    assert (await api.call("GET", "/api/v1/accounts/alice"))[0] == 400


@pytest_twisted.ensureDeferred
async def test_mass_cancel_tells_the_owners(api: Api) -> None:
    desk = api.desk
    peers = {s.account: s for s in desk.core.sessions.values()}
    alice_send: Peer = peers[1001].send.__self__  # type: ignore[attr-defined]
    alice_send.take()
    status, _, result = await api.call("POST", "/api/v1/orders/cancel",
                                       {"account": 1001, "symbol": "BTCUSD"})
    assert (status, result) == (200, {"cancelled": 2})
    assert alice_send.types() == [TransactionType.CANCELLED] * 2
    assert desk.core.engine.open_orders(1001) == []
    assert (await api.call("POST", "/api/v1/orders/cancel", raw=b""))[2] == {"cancelled": 1}
    assert (await api.call("GET", "/api/v1/book/BTCUSD"))[2]["asks"] == []
    status, _, error = await api.call("POST", "/api/v1/orders/cancel", {"symbol": "NOPE"})
    assert status == 404 and error["error"].startswith("unknown symbol 'NOPE'")
    status, _, error = await api.call("POST", "/api/v1/orders/cancel", {"acount": 1})
    assert (status, error) == (400, {"error": "unknown field 'acount' (takes account, symbol)"})


@pytest_twisted.ensureDeferred
async def test_faults_add_list_delete(api: Api) -> None:
    status, headers, created = await api.call(
        "POST", "/api/v1/faults", {"kind": "delay", "seconds": 0.5, "account": 1001})
    assert status == 201
    fault_id = created["id"]
    assert headers.getRawHeaders(b"location") == [f"/api/v1/faults/{fault_id}".encode()]
    _, _, listed = await api.call("GET", "/api/v1/faults")
    assert [(f["id"], f["kind"], f["seconds"], f["account"]) for f in listed] == [
        (fault_id, "delay", 0.5, 1001)]
    assert (await api.call("GET", f"/api/v1/faults/{fault_id}"))[2]["id"] == fault_id
    status, _, body = await api.call("DELETE", f"/api/v1/faults/{fault_id}")
    assert (status, body) == (204, None)
    assert (await api.call("DELETE", f"/api/v1/faults/{fault_id}"))[0] == 404
    assert (await api.call("GET", "/api/v1/faults"))[2] == []
    await api.call("POST", "/api/v1/faults", {"kind": "black_hole"})
    await api.call("POST", "/api/v1/faults", {"kind": "garble", "count": 3})
    assert (await api.call("DELETE", "/api/v1/faults"))[2] == {"removed": 2}


@pytest_twisted.ensureDeferred
async def test_logout_fault_acts_on_live_sessions_now(api: Api) -> None:
    entries = {e.account: e for e in api.desk.sessions}
    alice_peer: Peer = entries[1001].logout.__self__  # type: ignore[attr-defined]
    bob_peer: Peer = entries[2002].logout.__self__  # type: ignore[attr-defined]
    status, _, created = await api.call("POST", "/api/v1/faults",
                                        {"kind": "logout", "code": 5, "account": 1001})
    assert status == 201 and created["affected_sessions"] == 1
    assert (alice_peer.logouts, bob_peer.logouts) == ([5], [])
    assert (await api.call("GET", "/api/v1/faults"))[2] == []  # one-shot
    await api.call("POST", "/api/v1/faults", {"kind": "drop", "server": "oes"})
    assert (alice_peer.aborted, bob_peer.aborted) == (1, 1)


@pytest_twisted.ensureDeferred
async def test_token_is_required_everywhere(api: Api) -> None:
    for method, path in (("GET", "/api/v1/health"), ("GET", "/nowhere"),
                         ("POST", "/api/v1/faults"), ("DELETE", "/api/v1/faults/f1")):
        for token in (None, "wrong", TOKEN + "x"):
            status, headers, error = await api.call(method, path, token=token)
            assert status == 401, (method, path, token)
            assert error["error"].startswith("missing or wrong bearer token")
            assert headers.getRawHeaders(b"www-authenticate") == [b'Bearer realm="crmd-admin"']
    assert api.desk.faults.as_json() == []


@pytest_twisted.ensureDeferred
async def test_no_token_configured_means_open() -> None:
    running = await start(Desk())
    try:
        assert (await running.call("GET", "/api/v1/health", token=None))[0] == 200
    finally:
        await running.port.stopListening()


@pytest.mark.parametrize(("method", "path", "raw", "status", "error"), [
    ("GET", "/nothing", None, 404, "no such path: /nothing"),
    ("GET", "/api/v1/nothing", None, 404, "no such path: /api/v1/nothing"),
    ("GET", "/api/v1/health/extra", None, 404, "no such path: /api/v1/health/extra"),
    ("GET", "/api/v1/book", None, 404, "name a symbol: /api/v1/book/{symbol}: /api/v1/book"),
    ("GET", "/api/v1/book/ETHUSD", None, 404, "unknown symbol 'ETHUSD' (known: BTCUSD (1),"),
    ("GET", "/api/v1/book/BTCUSD?depth=0", None, 400, "'depth' must be in 1..1000, got 0"),
    ("GET", "/api/v1/trades/1?limit=x", None, 400, "'limit' must be a positive integer"),
    ("DELETE", "/api/v1/health", None, 405, "DELETE not allowed here (use GET)"),
    ("GET", "/api/v1/orders/cancel", None, 405, "GET not allowed here (use POST)"),
    ("PUT", "/api/v1/faults", b"{}", 405, "PUT not allowed here (use GET, POST, DELETE)"),
    ("POST", "/api/v1/faults", b"{bad", 400, "bad JSON: Expecting property name"),
    ("POST", "/api/v1/faults", b"\xff\xfe", 400, "bad JSON: the body is not UTF-8"),
    ("POST", "/api/v1/faults", b'{"kind": "delay", "seconds": NaN}', 400, "bad JSON: NaN"),
    ("POST", "/api/v1/faults", b"", 400, "a fault must be a JSON object"),
    ("POST", "/api/v1/faults", b'{"kind": "meteor"}', 400, "unknown fault kind 'meteor'"),
    ("POST", "/api/v1/faults", b'{"kind": "reject"}', 400, "reject needs 'code'"),
    ("POST", "/api/v1/faults", b" " * (MAX_BODY + 1), 413, "request body over 65536 bytes"),
    ("GET", "/api/v1/faults/f99", None, 404, "no fault 'f99'"),
])
@pytest_twisted.ensureDeferred
async def test_bad_requests_get_one_json_line(
    api: Api, method: str, path: str, raw: bytes | None, status: int, error: str
) -> None:
    got, _, payload = await api.call(method, path, raw=raw)
    assert got == status
    assert payload["error"].startswith(error), payload
    assert "\n" not in payload["error"]
    assert (await api.call("GET", "/api/v1/health"))[0] == 200


class _Garbage(Protocol):
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.received = b""
        self.closed: defer.Deferred[bytes] = defer.Deferred()

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.write(self.data)

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason: object = None) -> None:
        self.closed.callback(self.received)


@pytest_twisted.ensureDeferred
async def test_garbage_on_the_socket_does_not_hurt(api: Api) -> None:
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", api.port.getHost().port)
    for data in (b"\x00\xff" * 300 + b"\r\n\r\n", b"GET /api/v1/health HTTP/9.9\r\n\r\n",
                 b"POST /api/v1/faults HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        proto = _Garbage(data)
        await connectProtocol(endpoint, proto)
        proto.closed.addTimeout(TIMEOUT, reactor)
        answer = await proto.closed
        assert b"Traceback" not in answer
    assert (await api.call("GET", "/api/v1/health"))[0] == 200


@pytest_twisted.ensureDeferred
async def test_an_unexpected_failure_is_a_500_line(api: Api) -> None:
    def broken(account: int | None, symbol_enum: int) -> int:
        raise RuntimeError("engine on fire")

    api.desk.control.mass_cancel = broken
    status, _, error = await api.call("POST", "/api/v1/orders/cancel", {})
    assert (status, error) == (500, {"error": "internal error: RuntimeError: engine on fire"})
    assert (await api.call("GET", "/api/v1/health"))[0] == 200


def test_session_registry_kinds() -> None:
    desk = Desk()
    entry = desk.sessions.register(ServerKind.AES, "127.0.0.1:1", 5, print, print)
    assert entry.to_json()["account"] is None
    desk.sessions.unregister(entry)
    desk.sessions.unregister(entry)
    assert len(desk.sessions) == 0
