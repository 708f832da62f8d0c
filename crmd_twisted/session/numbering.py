"""Encoding a message with its sequence number, leaving the message as it was.

A sender numbers every frame it writes (PROTOCOL.md section 7.7) but the
message it was given may be shared - one fill delivered to every connection of
an account, a request kept by the client's order book - so the number goes into
the bytes, not into the object: :func:`encode_numbered` encodes the message and
writes the number over its ``msg_seq_num`` (``last_seq_num`` of a logon) field.

This is the only place that knows how; when the codec grows a per-class
``encode_seq(seq)`` this function becomes a call to it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from crmd_twisted.wire import LAYOUTS, MESSAGE_TYPES, Message

__all__ = ["SEQ_FIELDS", "encode_numbered"]

#: Name of the field that carries the sequence number, per message class.
SEQ_FIELDS: dict[type[Message], str] = {}

# message class -> (byte offset of its sequence field, end offset, struct pack)
_SPLICE: dict[type[Message], tuple[int, int, Callable[..., bytes]]] = {}


def _index() -> None:
    for cls in MESSAGE_TYPES.values():
        offset = 0
        for spec in LAYOUTS[cls.NAME].fields:
            if spec.name in ("msg_seq_num", "last_seq_num"):
                SEQ_FIELDS[cls] = spec.name
                packer = struct.Struct("<" + spec.code)
                _SPLICE[cls] = (offset, offset + packer.size, packer.pack)
                break
            offset += spec.width


_index()


def encode_numbered(message: Message, seq: int) -> bytes:
    """The frame of *message* with *seq* as its sequence number; *message* is unchanged.

    A message type without a sequence field (three- and five-level market data)
    is encoded as it is.
    """
    frame = message.encode()
    splice = _SPLICE.get(type(message))
    if splice is None:
        return frame
    start, end, pack = splice
    return frame[:start] + pack(seq) + frame[end:]
