"""One connection attempt of a :class:`~crmd_twisted.client.CRMDClient`, step by step.

``ClientService`` calls :meth:`Connector.attempt` (through the session's
routing endpoint) each time it (re)connects.  An attempt: log on to the AES
when there is no grant, connect to the OES :func:`~crmd_twisted.client.routing.targets`
in order, log on there, fetch instruments (once) and the open-order listing,
and only then hand ``ClientService`` a handle - the decisions come from
:mod:`crmd_twisted.client.routing`.

:func:`endpoint_factory_from` turns a client endpoint string with ``{host}``
and ``{port}`` in it - ``"tls:{host}:{port}:trustRoots=ca/"`` for TLS - into
the ``endpoint_factory`` a :class:`~crmd_twisted.client.CRMDClient` takes.
The client makes *every* connection through it: the AES logon and the OES
address the AES redirects to, so with a ``tls:`` template the OES is reached
over TLS as well (both servers must then listen with ``ssl:`` endpoints).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.internet.endpoints import clientFromString, connectProtocol
from twisted.internet.interfaces import IProtocol, IProtocolFactory, IStreamClientEndpoint
from twisted.logger import Logger
from twisted.python.failure import Failure

from crmd_twisted.client.connection import SessionProtocol
from crmd_twisted.client.errors import LogonRejected, RequestTimeout
from crmd_twisted.client.events import SessionState
from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.client.queries import Query, QueryKind
from crmd_twisted.client.routing import (
    Grant,
    Refusal,
    after_oes_refusal,
    grant_from_reply,
    prefers_secondary_after_logout,
    targets,
)
from crmd_twisted.wire.enums import RejectCode

if TYPE_CHECKING:
    from crmd_twisted.client.session import CRMDClient

__all__ = ["Connector", "endpoint_factory_from"]

#: Shorthands of :func:`endpoint_factory_from`.
_SHORTHANDS = {"tcp": "tcp:{host}:{port}", "tls": "tls:{host}:{port}"}


def endpoint_factory_from(
    reactor: Any, description: str
) -> Callable[[str, int], IStreamClientEndpoint]:
    """An ``endpoint_factory`` for :class:`~crmd_twisted.client.CRMDClient` from a
    client endpoint string with ``{host}`` and ``{port}`` placeholders.

    ``"tls"`` is short for ``"tls:{host}:{port}"`` (the system's trusted CAs) and
    ``"tcp"`` for ``"tcp:{host}:{port}"``; ``"tls:{host}:{port}:trustRoots=ca/"``
    trusts the PEM certificates in folder ``ca/``.  Raises ValueError for a
    string without both placeholders or one Twisted cannot parse.
    """
    template = _SHORTHANDS.get(description.strip().lower(), description)
    if "{host}" not in template or "{port}" not in template:
        raise ValueError(f"endpoint {description!r}: needs {{host}} and {{port}} in it")

    def endpoint(host: str, port: int) -> IStreamClientEndpoint:
        # a colon in an endpoint string separates arguments: escape IPv6 hosts
        text = template.format(host=host.replace(":", "\\:"), port=port)
        return clientFromString(reactor, text)

    try:
        endpoint("127.0.0.1", 1)
    except Exception as e:  # clientFromString raises many kinds for bad text
        raise ValueError(f"endpoint {description!r}: {e}") from None
    return endpoint

log = Logger()


class Connector:
    """Where the session connects next, and how an attempt goes."""

    def __init__(self, client: CRMDClient) -> None:
        self.client = client
        #: The AES grant in use (None: the next attempt logs on to the AES first).
        self.grant: Grant | None = None
        self.fresh_grant = False
        self.prefer_secondary = False
        #: ``(host, port)`` of the last connection tried.
        self.last_address: tuple[str, int] | None = None

    def server_logged_out(self, reason: int) -> None:
        self.prefer_secondary = prefers_secondary_after_logout(
            reason, self.grant, self.prefer_secondary
        )

    async def attempt(self, factory: IProtocolFactory) -> IProtocol:
        client = self.client
        if client.fatal is not None:  # stopped for good: no further connection attempt
            raise client.fatal.value
        if self.grant is None:
            client._set_state(SessionState.AES_LOGON)
            self.grant = await self._aes_logon()
            self.fresh_grant = True
        grant = self.grant
        error: BaseException | None = None
        for host, port in targets(grant, self.prefer_secondary):
            client._set_state(SessionState.CONNECTING)
            self.last_address = (host, port)
            try:
                proto = await client._endpoint_factory(host, port).connect(client._factory)
            except defer.CancelledError:
                raise
            except Exception as e:
                log.info("OES {host}:{port} unreachable: {error}", host=host, port=port, error=e)
                error = e
                continue
            if not isinstance(proto, SessionProtocol):  # what client._factory built
                raise TypeError(f"endpoint connected {proto!r}, not a session protocol")
            self.prefer_secondary = (host, port) != grant.primary
            await self._prepare(proto)
            transport = proto.transport
            assert transport is not None  # connected
            handle = factory.buildProtocol(transport.getPeer())
            assert handle is not None  # ClientService's factory never refuses
            handle.makeConnection(transport)
            proto.handle = handle
            return handle
        self.grant = None  # neither OES: go back through the AES next time
        assert error is not None
        raise error

    async def _aes_logon(self) -> Grant:
        client = self.client
        host, port = client.aes
        self.last_address = (host, port)
        proto = CRMDClientProtocol()
        proto.clock = client.clock
        proto.logonTimeout = client.logon_timeout
        await connectProtocol(client._endpoint_factory(host, port), proto)
        try:
            reply = await proto.logOn(client.account, client.user, api_key=client.api_key)
        except BaseException as e:
            if isinstance(e, LogonRejected):
                client._stop_fatally(Failure(e))
            if proto.connected and proto.transport is not None:
                proto.transport.loseConnection()
            raise
        proto.logOut()  # done with the AES: give the session back (PROTOCOL.md 7.2.5)
        try:
            grant, ignored = grant_from_reply(reply)
        except ValueError as e:
            log.error("AES logon reply unusable: {error}", error=e)
            error = LogonRejected(RejectCode.INVALID_FIELD_VALUE, reply)
            client._stop_fatally(Failure(error))
            raise error from None
        if ignored:
            log.info("AES logon reply: {why}", why=ignored)
        client.aes_logons += 1
        client._granted(grant)
        return grant

    async def _prepare(self, proto: SessionProtocol) -> None:
        """OES logon, then (unless ``reconcile=False``) instruments and the listing."""
        try:
            await self._oes_logon(proto)
            if self.client.reconcile:
                await self._fetch_listing(proto)
            else:
                self.client._reconciled([], proto)
        except BaseException:
            if proto.connected and proto.transport is not None:
                proto.transport.loseConnection()
            raise

    async def _oes_logon(self, proto: SessionProtocol) -> None:
        client = self.client
        grant = self.grant
        assert grant is not None
        client._set_state(SessionState.OES_LOGON)
        proto.logonTimeout = client.logon_timeout
        try:
            await proto.logOn(
                client.account,
                client.user,
                api_key=client.api_key,
                session_key=grant.key,
                trading_session_id=grant.trading_session_id,
            )
        except LogonRejected as e:
            refusal = after_oes_refusal(
                e.code, fresh_grant=self.fresh_grant, logged_on_before=bool(client.logons)
            )
            if refusal is Refusal.RENEW_GRANT:
                self.grant = None  # try the AES once more
            elif refusal is Refusal.FATAL:
                client._stop_fatally(Failure(e))
            raise
        self.fresh_grant = False
        client._logged_on(proto)

    async def _fetch_listing(self, proto: SessionProtocol) -> None:
        """Instruments (once) and the open-order listing; fails after request_timeout."""
        client = self.client
        desk = client._queries
        internal: list[Query] = []
        if not client.instrument_list:
            instruments = desk.add(QueryKind.INSTRUMENTS, internal=True)
            instruments.waiter.addErrback(lambda f: None)  # nobody else waits for it
            internal.append(instruments)
            desk.send(instruments, proto)
        listing = desk.add(QueryKind.OPEN_ORDERS, internal=True)
        internal.append(listing)
        desk.send(listing, proto)
        listing.waiter.addTimeout(client.request_timeout, client.clock)
        try:
            entries = await listing.waiter
        except defer.TimeoutError:
            log.warn("session {account}/{user}: no open-order listing within {t}s; reconnecting",
                     account=client.account, user=client.user, t=client.request_timeout)
            raise RequestTimeout("no open-order listing after logon") from None
        finally:
            for query in internal:
                if query in desk.queries:
                    desk.queries.remove(query)
                if not query.waiter.called:
                    query.waiter.cancel()
        client._reconciled(entries, proto)
