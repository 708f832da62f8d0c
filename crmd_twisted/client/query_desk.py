"""The Twisted side of a session's non-order requests: Deferreds and deadlines.

What a reply means is decided by the pure :mod:`crmd_twisted.client.queries`;
this desk sends the requests on a connection, fires the callers' Deferreds and
runs each user query's deadline while it is out (time spent waiting for a
reconnect does not count).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

from crmd_twisted.client.errors import NotConnected, RequestRejected, RequestTimeout
from crmd_twisted.client.protocol import CRMDClientProtocol
from crmd_twisted.client.queries import Match, Query, QueryKind, match_reply, query_result
from crmd_twisted.wire import InstrumentResponse, Message

__all__ = ["QueryDesk"]


def _stop_timer(query: Query) -> None:
    if query.timer is not None:
        if query.timer.active():
            query.timer.cancel()
        query.timer = None


class QueryDesk:
    """The queries of one session, oldest first."""

    def __init__(
        self,
        clock: IReactorTime,
        request_timeout: float,
        limit_told: Callable[[int], None] | None = None,
    ) -> None:
        self.clock = clock
        self.request_timeout = request_timeout
        self.queries: deque[Query] = deque()
        #: Called with the in-flight limit a reply tells, before any waiter fires.
        self.limit_told = limit_told
        #: The instruments of the last completed instruments query.
        self.instruments: list[InstrumentResponse] = []

    def add(self, kind: QueryKind, symbol_enum: int = 0, *, internal: bool = False) -> Query:
        query = Query(kind, symbol_enum, internal=internal)
        query.waiter = defer.Deferred()
        self.queries.append(query)
        return query

    def ask(
        self, kind: QueryKind, symbol_enum: int, proto: CRMDClientProtocol | None
    ) -> defer.Deferred[Any]:
        """A user query; sent at once on *proto* (a ready connection) or after the next logon.

        A symbol not among the known instruments fails at once with ValueError: the
        OES would not answer at all (PROTOCOL.md 7.4).
        """
        known = {inst.symbol_enum for inst in self.instruments}
        if symbol_enum and known and symbol_enum not in known:
            return defer.fail(ValueError(
                f"symbol_enum {symbol_enum} is not an instrument of the OES "
                f"(known: {', '.join(map(str, sorted(known)))})"
            ))
        query = self.add(kind, symbol_enum)
        d: defer.Deferred[Any] = query.waiter
        d.addBoth(self._settled, query)
        if proto is not None:
            self.send(query, proto)
        return d

    def send(self, query: Query, proto: CRMDClientProtocol) -> None:
        query.restart()
        query.sent = True
        if not query.internal:
            _stop_timer(query)
            query.timer = self.clock.callLater(self.request_timeout, self._timed_out, query)
        if query.kind is QueryKind.INSTRUMENTS:
            proto.requestInstruments(query.symbol_enum)
        elif query.kind is QueryKind.COLLATERAL:
            proto.requestCollateral(query.symbol_enum)
        elif query.kind is QueryKind.RISK:
            proto.requestRisk(query.symbol_enum)
        else:
            proto.requestOpenOrders(query.symbol_enum)
        if query.kind.needs_end_marker and (
            query.symbol_enum or query.kind is not QueryKind.COLLATERAL
        ):
            proto.requestCollateral(0)  # its reply marks the end (PROTOCOL.md 7.4)

    def send_unsent(self, proto: CRMDClientProtocol) -> None:
        for query in list(self.queries):
            if not query.sent:
                self.send(query, proto)

    def _settled(self, result: Any, query: Query) -> Any:
        _stop_timer(query)
        if query in self.queries:
            self.queries.remove(query)
        return result

    def _timed_out(self, query: Query) -> None:
        query.timer = None
        if not query.waiter.called:
            query.waiter.errback(
                RequestTimeout(
                    f"no reply to the {query.kind.value} request within {self.request_timeout}s"
                )
            )

    def received(self, message: Message) -> bool:
        """Give *message* to the oldest sent query; True if it was one of its replies."""
        query = next((q for q in self.queries if q.sent), None)
        if query is None:
            return False
        match = match_reply(query, message)
        if query.open_order_limit and self.limit_told is not None:
            self.limit_told(query.open_order_limit)
        if match is Match.NOT_MINE:
            return False
        if match is Match.PART:
            return True
        self.queries.remove(query)
        if match is Match.DONE:
            result = query_result(query)
            if query.kind is QueryKind.INSTRUMENTS:
                self.instruments = [r for r in result if isinstance(r, InstrumentResponse)]
            if not query.waiter.called:
                query.waiter.callback(result)
        elif not query.waiter.called:
            detail = ""
            if query.reject_message is None:
                detail = f"no {query.kind.value} for unknown symbol_enum {query.symbol_enum}"
            query.waiter.errback(
                RequestRejected(query.reject_reason, query.reject_message, detail)
            )
        return True

    def restart_all(self) -> None:
        """After a logon: every query goes out again on the new connection."""
        for query in self.queries:
            query.sent = False

    def connection_lost(self) -> None:
        """User queries are asked again after the reconnect; the session's own die."""
        for query in self.queries:
            _stop_timer(query)
        for query in [q for q in self.queries if q.internal]:
            self.queries.remove(query)
            if not query.waiter.called:
                query.waiter.errback(Failure(NotConnected("connection lost while reconciling")))

    def fail_all(self, error: Exception) -> None:
        queries, self.queries = self.queries, deque()
        for query in queries:
            _stop_timer(query)
            if not query.waiter.called:
                query.waiter.errback(Failure(error))
