"""Default order ids: unique across the sessions of one account and across restarts.

The OES refuses an order id its account used before (DUPLICATE_ORDER_ID,
PROTOCOL.md 8.2), so two clients of one account - or a client restarted
against the same exchange - must never pick the same id.  A wall-clock
default does not guarantee that (two clients started in the same millisecond
collide); the trading session id the AES grants does: the AES hands each
logon its own id (16 bits, 1..65535, counting up from a random start).

A default id is ``trading_session_id << 47 | n``: the session id of the
client's first AES grant in the top 16 bits (of 63: the id stays below
2**63, so peers that read the uint64 field as signed see it positive too) and
a counter ``n`` = 1, 2, ... below.  A client keeps its prefix for its whole
life (a later grant after a reconnect does not change it), and a restarted
client logs on again and gets a new session id, hence new ids.  Two clients
collide only if the AES hands out a session id again while the OES still
remembers orders of the first one - after 65535 further logons.

Ids exist only once the first grant is known: orders placed before that get
their id when it arrives.  ``CRMDClient(first_order_id=N)`` turns the scheme
off and counts ``N, N+1, ...`` instead.

Pure: no I/O, no Twisted.
"""

from __future__ import annotations

__all__ = ["COUNTER_BITS", "MAX_ORDER_ID", "SESSION_BITS", "OrderIds"]

#: Bits of the session id prefix and of the counter (63 in all).
SESSION_BITS = 16
COUNTER_BITS = 47
#: The wire field is a uint64.
MAX_ORDER_ID = 2**64 - 1


class OrderIds:
    """Hands out the order ids of one client."""

    def __init__(self, first_order_id: int | None = None) -> None:
        self._fixed = first_order_id is not None
        self._prefix: int | None = None
        self._next = first_order_id if first_order_id is not None else 1

    @property
    def ready(self) -> bool:
        """Whether :meth:`next` can hand out an id (a first id given, or a grant seen)."""
        return self._fixed or self._prefix is not None

    def session_granted(self, trading_session_id: int) -> None:
        """The AES granted *trading_session_id*; the first grant fixes the prefix."""
        if not self._fixed and self._prefix is None:
            self._prefix = (trading_session_id % 2**SESSION_BITS) << COUNTER_BITS

    def next(self) -> int:
        if self._fixed:
            order_id = self._next
            if order_id > MAX_ORDER_ID:
                raise OverflowError(f"order id {order_id} exceeds the uint64 wire field")
        else:
            if self._prefix is None:
                raise RuntimeError("no order id before the AES granted a trading session")
            if self._next >= 2**COUNTER_BITS:
                raise OverflowError(f"more than {2**COUNTER_BITS - 1} orders in one session")
            order_id = self._prefix | self._next
        self._next += 1
        return order_id
