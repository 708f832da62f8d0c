"""Encoding a message with its sequence number, leaving the message as it was.

A sender numbers every frame it writes (PROTOCOL.md section 7.7) but the
message it was given may be shared - one fill delivered to every connection of
an account, a request kept by the client's order book - so the number goes into
the bytes, not into the object.  The codec's generated ``encode_seq(seq)`` does
exactly that; this module only adds the rule for the two market-data messages
that carry no sequence field (they are encoded as they are).
"""

from __future__ import annotations

from crmd_twisted.wire import MESSAGE_TYPES, Message

__all__ = ["SEQ_FIELDS", "encode_numbered"]

#: Name of the field that carries the sequence number, per message class that has one.
SEQ_FIELDS: dict[type[Message], str] = {
    cls: cls.SEQ_FIELD for cls in MESSAGE_TYPES.values() if cls.SEQ_FIELD is not None
}


def encode_numbered(message: Message, seq: int) -> bytes:
    """The frame of *message* with *seq* as its sequence number; *message* is unchanged.

    A message type without a sequence field (three- and five-level market data)
    is encoded as it is.
    """
    if message.SEQ_FIELD is None:
        return message.encode()
    return message.encode_seq(seq)
