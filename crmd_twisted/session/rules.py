"""Session rules that clients and servers apply alike, each written once.

* The sending-time window (PROTOCOL.md section 7.9): a ``sending_time`` is valid
  strictly within one day of the receiver's clock; on some requests 0 means
  "not set" and is accepted.
* The outstanding-request limit (section 7.8): which transaction types take a
  slot until they are answered.
"""

from __future__ import annotations

from crmd_twisted.wire.enums import TransactionType

__all__ = [
    "COUNTED_TRANSACTIONS",
    "NS_PER_DAY",
    "counts_toward_limit",
    "sending_time_ok",
]

NS_PER_DAY = 86_400 * 1_000_000_000

#: Transaction types that hold an outstanding-request slot until answered.
COUNTED_TRANSACTIONS: frozenset[int] = frozenset(
    {TransactionType.ORDER_NEW, TransactionType.CANCEL_REPLACE}
)


def sending_time_ok(sending_time: int, now: int, zero_ok: bool = False) -> bool:
    """True when *sending_time* lies strictly within one day of *now* (both in ns).

    With *zero_ok*, 0 ("not set") is accepted too.
    """
    if sending_time == 0 and zero_ok:
        return True
    return now - NS_PER_DAY < sending_time < now + NS_PER_DAY


def counts_toward_limit(message_type: int) -> bool:
    """Whether a transaction of *message_type* takes an outstanding-request slot."""
    return message_type in COUNTED_TRANSACTIONS
