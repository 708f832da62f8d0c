"""The console's state and its conflated event stream: pure parts, the hub on a
``task.Clock`` with fake requests, and the page and stream over real loopback HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_twisted
from control_helpers import BUY, SELL, Desk
from twisted.internet import defer, reactor, task
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP4ServerEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.python.failure import Failure

from crmd_twisted.control.admin import admin_site
from crmd_twisted.control.fault_schema import SCHEMAS, FaultKind
from crmd_twisted.control.views import book_view
from crmd_twisted.webconsole import ConsoleEvent, ConsoleState, TopicBoard, fault_kinds_view
from crmd_twisted.webconsole.sse import comment, event_frame, retry_frame
from crmd_twisted.webconsole.stream import RETRY_MS, ConsoleHub

TIMEOUT = 5.0
TOKEN = "stream-token"


def events(data: bytes) -> list[tuple[str, Any]]:
    """(event name, decoded JSON) of every SSE event in *data*."""
    out = []
    for block in data.split(b"\n\n"):
        fields = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line)
        if b"event" in fields:
            out.append((fields[b"event"].decode(), json.loads(fields[b"data"])))
    return out


# --------------------------------------------------------------------------- pure


def test_board_keeps_only_the_newest_payload_per_topic() -> None:
    board = TopicBoard()
    assert board.post("book:1", ConsoleEvent.BOOK, {"bids": [1]})
    assert not board.post("book:1", ConsoleEvent.BOOK, {"bids": [1]})  # unchanged: no version
    assert board.version == 1
    seen, cursor = board.changed_after(0)
    assert [p.topic for p in seen] == ["book:1"] and cursor == 1
    for n in range(2, 12):
        board.post("book:1", ConsoleEvent.BOOK, {"bids": [n]})
    board.post("faults", ConsoleEvent.FAULTS, [])
    fresh, cursor = board.changed_after(cursor)
    # ten changes of the book since the cursor: one posting, the newest
    assert [(p.topic, json.loads(p.data)) for p in fresh] == [
        ("book:1", {"bids": [11]}), ("faults", []),
    ]
    assert board.changed_after(cursor) == ([], cursor)


def test_sse_frames() -> None:
    assert event_frame("book", b'{"a":1}') == b'event: book\ndata: {"a":1}\n\n'
    assert event_frame("x", b"one\ntwo") == b"event: x\ndata: one\ndata: two\n\n"
    assert retry_frame(1000) == b"retry: 1000\n\n"
    assert comment("hi") == b": hi\n\n"


def test_state_shows_what_the_admin_api_shows() -> None:
    desk = Desk()
    alice, _ = desk.logon(1001, "alice")
    bob, _ = desk.logon(2002, "bob")
    desk.order(alice, BUY, 1.0, 29999.0)
    desk.order(bob, SELL, 0.5, 30001.0)
    desk.order(bob, SELL, 0.25, 29999.0)  # trades with alice's bid
    state = ConsoleState(desk.control, depth=5, boot="b1")
    assert state.refresh() > 0
    board = state.board
    book = board.get("book:1")
    assert book is not None and book.event is ConsoleEvent.BOOK
    inst = desk.core.engine.instrument(1)
    assert inst is not None
    assert json.loads(book.data) == book_view(desk.core.engine, inst, 5)
    trades = board.get("trades:1")
    assert trades is not None
    assert [(t["price"], t["size"], t["aggressor_side"]) for t in json.loads(trades.data)["trades"]
            ] == [(29999.0, 0.25, "SELL")]
    empty = board.get("trades:2")
    assert empty is not None and json.loads(empty.data)["trades"] == []
    sessions = json.loads(board.get("sessions").data)  # type: ignore[union-attr]
    assert [(s["account"], s["user"], s["frames_in"]) for s in sessions] == [
        (1001, "alice", 0), (2002, "bob", 0),
    ]
    health = json.loads(board.get("health").data)  # type: ignore[union-attr]
    assert health == {"status": "ok", "uptime_s": 0, "sessions": 2, "boot": "b1"}
    # nothing changed: nothing new to post
    assert state.refresh() == 0


def test_fault_kinds_cover_the_schema() -> None:
    kinds = {k["kind"]: k for k in fault_kinds_view()}
    assert set(kinds) == {k.value for k in FaultKind}
    for kind, specs in SCHEMAS.items():
        assert [p["name"] for p in kinds[kind.value]["params"]] == [s.name for s in specs]
    assert kinds["reject"]["params"][0] == {
        "name": "code", "type": "int", "default": None, "minimum": 0.0,
        "help": "reject_reason of the REJECT",
    }
    assert kinds["oes_down"]["scoped"] is False and kinds["delay"]["scoped"] is True


# --------------------------------------------------------------------------- the hub


class FakeRequest:
    """What the hub uses of a twisted.web request."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.producer: Any = None
        self.finished = False
        self._done: defer.Deferred[None] = defer.Deferred()

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        assert streaming
        self.producer = producer

    def unregisterProducer(self) -> None:
        self.producer = None

    def notifyFinish(self) -> defer.Deferred[None]:
        return self._done

    def finish(self) -> None:
        self.finished = True
        self._done.callback(None)

    def lose(self) -> None:
        self._done.errback(Failure(ConnectionError("gone")))

    def take(self) -> list[tuple[str, Any]]:
        data, self.written = b"".join(self.written), []
        return events(data)


def test_a_slow_browser_skips_turns_then_gets_the_newest_state_once() -> None:
    desk = Desk()
    alice, _ = desk.logon(1001, "alice")
    clock = task.Clock()
    hub = ConsoleHub(desk.control, clock=clock, rate=4.0)
    fast, slow = FakeRequest(), FakeRequest()
    hub.attach(fast)  # type: ignore[arg-type]
    hub.attach(slow)  # type: ignore[arg-type]
    first = [name for name, _ in fast.take()]
    assert first[0] == "fault_kinds" and "book" in first and "sessions" in first
    assert len(slow.take()) == len(first)

    slow.producer.pauseProducing()  # its connection's buffer is full
    for n in range(5):
        desk.order(alice, BUY, 1.0, 29000.0 + n)
        clock.advance(0.25)
    # the fast browser got each turn's book; the slow one nothing, and nothing queued
    fast_books = [p for name, p in fast.take() if name == "book" and p["symbol_enum"] == 1]
    assert [len(b["bids"]) for b in fast_books] == [1, 2, 3, 4, 5]
    assert slow.written == [] and slow.producer.skipped == 5

    slow.producer.resumeProducing()
    clock.advance(0.25)
    books = [p for name, p in slow.take() if name == "book"]
    assert [(b["symbol_enum"], len(b["bids"])) for b in books] == [(1, 5)]


def test_the_timer_runs_only_while_browsers_watch() -> None:
    desk = Desk()
    clock = task.Clock()
    hub = ConsoleHub(desk.control, clock=clock, rate=2.0)
    assert clock.getDelayedCalls() == []
    one, two = FakeRequest(), FakeRequest()
    hub.attach(one)  # type: ignore[arg-type]
    hub.attach(two)  # type: ignore[arg-type]
    assert len(clock.getDelayedCalls()) == 1
    one.lose()
    assert len(hub.clients) == 1 and len(clock.getDelayedCalls()) == 1
    hub.close_all()
    assert two.finished and hub.clients == [] and clock.getDelayedCalls() == []


def test_a_failing_read_is_logged_and_the_stream_goes_on() -> None:
    desk = Desk()
    clock = task.Clock()
    hub = ConsoleHub(desk.control, clock=clock)
    request = FakeRequest()
    hub.attach(request)  # type: ignore[arg-type]
    request.take()
    real = hub.state.refresh
    calls = []

    def broken() -> int:
        calls.append(1)
        raise RuntimeError("view broke")

    hub.state.refresh = broken  # type: ignore[method-assign]
    clock.advance(1.0 / hub.rate)
    assert calls == [1] and len(clock.getDelayedCalls()) == 1  # the timer still runs
    hub.state.refresh = real  # type: ignore[method-assign]
    desk.logon(1001, "alice")
    clock.advance(1.0 / hub.rate)
    assert "sessions" in [name for name, _ in request.take()]
    hub.close_all()


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        ConsoleHub(Desk().control, rate=0)


# --------------------------------------------------------------------------- over HTTP


class RawHTTP(Protocol):
    """Sends one request and collects the raw answer."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.data = b""
        self.closed: defer.Deferred[bytes] = defer.Deferred()
        self._waiting: list[tuple[bytes, defer.Deferred[bytes]]] = []

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.write(self.request)

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        for marker, d in list(self._waiting):
            if marker in self.data:
                self._waiting.remove((marker, d))
                d.callback(self.data)

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.closed.callback(self.data)

    def seen(self, marker: bytes) -> defer.Deferred[bytes]:
        d: defer.Deferred[bytes] = defer.Deferred()
        if marker in self.data:
            d.callback(self.data)
        else:
            self._waiting.append((marker, d))
        d.addTimeout(TIMEOUT, reactor)
        return d


class Admin:
    def __init__(self, port: Any, hub: ConsoleHub) -> None:
        self.port = port
        self.hub = hub

    async def open(self, path: str, *, method: str = "GET", headers: str = "",
                   close: bool = True) -> RawHTTP:
        request = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
                   + ("Connection: close\r\n" if close else "") + "\r\n").encode()
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.port.getHost().port)
        return await connectProtocol(endpoint, RawHTTP(request))

    async def get(self, path: str, **kw: Any) -> bytes:
        raw = await self.open(path, **kw)
        return await raw.closed.addTimeout(TIMEOUT, reactor)


@pytest_twisted.async_yield_fixture
async def admin() -> AsyncIterator[Admin]:
    desk = Desk()
    alice, _ = desk.logon(1001, "alice")
    desk.order(alice, BUY, 1.0, 29999.0)
    hub = ConsoleHub(desk.control, rate=20.0)
    port = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(
        admin_site(desk.control, TOKEN, console=hub)
    )
    yield Admin(port, hub)
    hub.close_all()
    await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_the_page_and_its_files_need_no_token(admin: Admin) -> None:
    page = await admin.get("/")
    head, body = page.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and b"text/html" in head
    assert b"<title>CRMD exchange console</title>" in body
    script = await admin.get("/console/app.js")
    assert script.startswith(b"HTTP/1.1 200") and b"text/javascript" in script
    assert b"new EventSource(" in script
    assert (await admin.get("/console/app.css")).startswith(b"HTTP/1.1 200")
    # the API itself still wants the token
    assert (await admin.get("/api/v1/health")).startswith(b"HTTP/1.1 401")


@pytest_twisted.ensureDeferred
async def test_the_stream_wants_the_token_in_the_query_or_the_header(admin: Admin) -> None:
    refused = await admin.get("/api/v1/stream")
    head, body = refused.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 401")
    assert b'"error": "missing or wrong token (Authorization: Bearer T or ?token=T)"' in body
    assert (await admin.get("/api/v1/stream?token=nope")).startswith(b"HTTP/1.1 401")
    posted = await admin.get(f"/api/v1/stream?token={TOKEN}", method="POST")
    assert posted.startswith(b"HTTP/1.1 405") and b"use GET for the stream" in posted
    for path, headers in [(f"/api/v1/stream?token={TOKEN}", ""),
                          ("/api/v1/stream", f"Authorization: Bearer {TOKEN}\r\n")]:
        raw = await admin.open(path, headers=headers)
        data = await raw.seen(b"event: faults")
        head = data.split(b"\r\n\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head
        assert f"retry: {RETRY_MS}".encode() in data
        got = events(data.split(b"\r\n\r\n", 1)[1].replace(b"\r\n", b"\n"))
        assert got[0] == ("hello", {"boot": admin.hub.state.boot, "rate": 20.0})
        books = {p["symbol"]: p for name, p in got if name == "book"}
        assert sorted(books) == ["BTCUSD", "BTCUSDT", "FLYUSDT", "USDUSDT"]
        assert books["BTCUSD"]["bids"] == [{"price": 29999.0, "size": 1.0, "orders": 1}]
        assert raw.transport is not None
        raw.transport.loseConnection()
        await raw.closed


@pytest_twisted.ensureDeferred
async def test_closing_the_hub_ends_the_streams(admin: Admin) -> None:
    raw = await admin.open(f"/api/v1/stream?token={TOKEN}", close=False)
    await raw.seen(b"event: sessions")
    assert len(admin.hub.clients) == 1
    admin.hub.close_all()
    # chunked encoding's last chunk: the response is complete, the browser reconnects
    await raw.seen(b"\r\n0\r\n\r\n")
    assert admin.hub.clients == []
    assert raw.transport is not None
    raw.transport.loseConnection()
    await raw.closed
