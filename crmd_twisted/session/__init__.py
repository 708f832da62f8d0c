"""The session layer: what every CRMD connection does, free of I/O.

* :class:`Connection` - framing, stream errors, the partial-frame, logon and idle
  deadlines and sequence numbers of one connection (bytes in, events out;
  messages in, bytes out);
* :func:`check_logon` - the logon checks the AES and OES share;
* the rules written once: :func:`sending_time_ok`, :func:`counts_toward_limit`;
* :func:`encode_numbered` - a message's frame with its sequence number, the
  message left unchanged.

Nothing here imports Twisted.
"""

from __future__ import annotations

from crmd_twisted.session.connection import (
    DEFAULT_MAX_LENGTH,
    BufferOverflow,
    Connection,
    ConnectionEvent,
    Event,
    IdleTimedOut,
    LogonDeadlinePassed,
    MalformedFrame,
    PartialFrameTimedOut,
    Role,
    UnframeableStream,
)
from crmd_twisted.session.logon import check_logon
from crmd_twisted.session.numbering import SEQ_FIELDS, encode_numbered
from crmd_twisted.session.rules import (
    COUNTED_TRANSACTIONS,
    NS_PER_DAY,
    counts_toward_limit,
    sending_time_ok,
)

__all__ = [
    "COUNTED_TRANSACTIONS",
    "DEFAULT_MAX_LENGTH",
    "NS_PER_DAY",
    "SEQ_FIELDS",
    "BufferOverflow",
    "Connection",
    "ConnectionEvent",
    "Event",
    "IdleTimedOut",
    "LogonDeadlinePassed",
    "MalformedFrame",
    "PartialFrameTimedOut",
    "Role",
    "UnframeableStream",
    "check_logon",
    "counts_toward_limit",
    "encode_numbered",
    "sending_time_ok",
]
