"""A running SimulatedExchange with its admin API, an HTTP client for it, and waits."""

from __future__ import annotations

from io import BytesIO

import json
from collections.abc import Callable
from typing import Any

from twisted.internet import defer, reactor
from twisted.web.client import Agent, FileBodyProducer, readBody
from twisted.web.http_headers import Headers

from crmd_twisted.client import CRMDClient
from crmd_twisted.testing import SimulatedExchange, client_ready

TIMEOUT = 10.0
TOKEN = "wired-token"


async def http(url: str, method: str, path: str, body: object = None, *,
               raw: bytes | None = None, token: str | None = TOKEN) -> tuple[int, Any, Any]:
    """One real HTTP request: (status, headers, decoded JSON or None)."""
    headers = Headers()
    if token:
        headers.addRawHeader(b"authorization", f"Bearer {token}".encode())
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    d = Agent(reactor).request(method.encode(), (url + path).encode(), headers,
                               None if data is None else FileBodyProducer(BytesIO(data)))
    d.addTimeout(TIMEOUT, reactor)
    response = await d
    text = await readBody(response)
    return response.code, response.headers, json.loads(text) if text else None


async def sleep(seconds: float) -> None:
    d: defer.Deferred[None] = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)  # type: ignore[attr-defined]
    await d


async def until(condition: Callable[[], object], timeout: float = TIMEOUT,
                what: str = "condition") -> None:
    """Wait (polling the reactor) until *condition()* is true; fail after *timeout*."""
    waited = 0.0
    while not condition():
        if waited > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await sleep(0.02)
        waited += 0.02


class Clients:
    """Started clients of one test; all stopped at the end."""

    def __init__(self, exchange: SimulatedExchange) -> None:
        self.exchange = exchange
        self.started: list[CRMDClient] = []

    async def ready(self, account: int = 1001, user: str = "alice", **kw: Any) -> CRMDClient:
        client = self.exchange.client(account=account, user=user, **kw)
        self.started.append(client)
        return await client_ready(client)

    async def stop_all(self) -> None:
        for client in self.started:
            if client.running:
                await client.stopService()


def oes_port(client: CRMDClient) -> int:
    """The OES port *client* is connected to now."""
    assert client.connection is not None and client.connection.transport is not None
    return int(client.connection.transport.getPeer().port)
