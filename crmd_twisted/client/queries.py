"""Non-order requests (instruments, risk, open orders, collateral) and their replies, free of I/O.

The OES answers these requests in the order they were sent (PROTOCOL.md 7.1),
so a reply belongs to the oldest query that is out.  :func:`match_reply` tells
what one frame means for that query, by message class and
:class:`QueryKind` - never by text.  Lists without an end marker (risk, open
orders) are closed by a ``collateral_request`` sent right after them
(PROTOCOL.md 7.4): its ``collateral_data`` reply ends the list.

A risk or collateral request for one instrument the OES does not know gets no
reply at all (PROTOCOL.md 7.4); the end marker reveals that too, and the
query is then rejected with SYMBOL_ENUM_INVALID instead of timing out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from crmd_twisted.wire import (
    CollateralData,
    InstrumentRequest,
    InstrumentResponse,
    Message,
    RiskUserSymbol,
    Transaction,
)
from crmd_twisted.wire.enums import RejectCode, ResponseType, TransactionType

__all__ = ["Match", "Query", "QueryKind", "match_reply", "query_result"]

_LAST_INSTRUMENT = (ResponseType.SNAPSHOT, ResponseType.SNAPSHOT_FINISH)


class QueryKind(Enum):
    """What a query asks for."""

    INSTRUMENTS = "instruments"
    RISK = "risk"
    OPEN_ORDERS = "open_orders"
    COLLATERAL = "collateral"

    @property
    def needs_end_marker(self) -> bool:
        """Whether a ``collateral_request`` must follow to mark the end of the replies."""
        return self is not QueryKind.INSTRUMENTS


class Match(Enum):
    """What one frame means for the oldest query that is out."""

    NOT_MINE = "not_mine"  #: not a reply to it (an order answer, an unsolicited frame)
    PART = "part"  #: one of its replies; more follow
    DONE = "done"  #: its last reply: :func:`query_result` has the result
    REJECTED = "rejected"  #: refused (``query.reject_reason`` says why)


@dataclass(eq=False, slots=True)
class Query:
    """One non-order request: what it asks and the replies gathered so far."""

    kind: QueryKind
    symbol_enum: int = 0
    replies: list[Message] = field(default_factory=list)
    sent: bool = False
    #: The session's own queries (the reconciliation after logon), not a user's.
    internal: bool = False
    reject_reason: int = 0
    reject_message: Message | None = None
    #: An in-flight limit the replies told (0: none told).
    open_order_limit: int = 0
    #: Whoever waits for the result (the session keeps a Deferred here).
    waiter: Any = None
    #: The session's deadline while the query is out.
    timer: Any = None

    def restart(self) -> None:
        """Forget what a previous (lost) connection answered; to be sent again."""
        self.replies.clear()
        self.sent = False


def _reject(query: Query, code: int, message: Message | None = None) -> Match:
    query.reject_reason = code
    query.reject_message = message
    return Match.REJECTED


def _is_listing_entry(tx: Transaction) -> bool:
    return tx.message_type == TransactionType.ORDER_NEW or (
        tx.message_type == TransactionType.REPLACED and tx.orig_order_id == 0
    )


def _end_marker(query: Query, message: CollateralData) -> Match:
    """A ``collateral_data``: the collateral answer itself, or the end of a list."""
    if message.open_order_request_limit:  # the OES tells the in-flight limit here too
        query.open_order_limit = message.open_order_request_limit
    kind = query.kind
    if kind is QueryKind.COLLATERAL:
        if not query.symbol_enum:
            query.replies.append(message)
            return Match.DONE
        if query.replies:  # the marker after the answer for the one instrument
            return Match.DONE
        if message.symbol_enum != query.symbol_enum:  # the marker: no answer came first
            return _reject(query, RejectCode.SYMBOL_ENUM_INVALID)
        query.replies.append(message)
        return Match.PART
    if kind is QueryKind.RISK and query.symbol_enum and not query.replies:
        return _reject(query, RejectCode.SYMBOL_ENUM_INVALID)
    return Match.DONE


def match_reply(query: Query, message: Message) -> Match:
    """Apply *message* to *query* (the oldest query that is out)."""
    kind = query.kind
    if isinstance(message, CollateralData):
        return _end_marker(query, message)
    if kind is QueryKind.INSTRUMENTS:
        if isinstance(message, InstrumentRequest):  # the echo that rejects the request
            return _reject(query, message.reject_reason, message)
        if isinstance(message, InstrumentResponse):
            query.replies.append(message)
            return Match.DONE if message.response_type in _LAST_INSTRUMENT else Match.PART
    elif kind is QueryKind.RISK and isinstance(message, RiskUserSymbol):
        query.replies.append(message)
        if message.open_order_request_limit:
            query.open_order_limit = message.open_order_request_limit
        return Match.PART
    elif (
        kind is QueryKind.OPEN_ORDERS
        and isinstance(message, Transaction)
        and _is_listing_entry(message)
    ):
        query.replies.append(message)
        return Match.PART
    return Match.NOT_MINE


def query_result(query: Query) -> Any:
    """What the query's caller gets once :func:`match_reply` said DONE."""
    if query.kind is QueryKind.COLLATERAL:
        return query.replies[0]
    return list(query.replies)
