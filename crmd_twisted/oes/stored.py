"""The last accepted message of every live order, kept as its 250-byte frame.

Fills, engine-initiated cancels and open-order listings echo the order as last
accepted, which the OES must keep for as long as the order lives.  A decoded
:class:`~crmd_twisted.wire.Transaction` costs about 900 bytes (fifty slots and
their values); its frame is one ``bytes`` object of 283.  :class:`StoredOrders`
keeps the frames and decodes one only when a message has to echo it (a fill, a
cancel, a listing: the rare paths), so a resting order costs the OES little
more than the engine's own record of it.

It is a :class:`~collections.abc.MutableMapping` of (account, order id) to
Transaction, like the plain dict it replaces: assigning a Transaction stores
its frame, reading decodes a fresh copy (changing it changes nothing stored).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TypeVar, cast, overload

from crmd_twisted.wire import Transaction, decode

__all__ = ["OrderKey", "StoredOrders"]

_T = TypeVar("_T")

#: (account, order id)
OrderKey = tuple[int, int]


class StoredOrders(MutableMapping[OrderKey, Transaction]):
    """(account, order id) -> the order's last accepted message, stored as its frame."""

    __slots__ = ("frames",)

    def __init__(self) -> None:
        #: The frames themselves: what the hot path writes (:meth:`keep_frame`).
        self.frames: dict[OrderKey, bytes] = {}

    def keep_frame(self, key: OrderKey, frame: bytes) -> None:
        """Store *frame* (an encoded transaction) as the message of order *key*."""
        self.frames[key] = frame

    def frame(self, key: OrderKey) -> bytes | None:
        """The stored frame of order *key*, or None."""
        return self.frames.get(key)

    def discard(self, key: OrderKey) -> None:
        """Forget order *key* if it is stored (no decoding, unlike ``pop``)."""
        self.frames.pop(key, None)

    def __getitem__(self, key: OrderKey) -> Transaction:
        return cast(Transaction, decode(self.frames[key]))

    @overload
    def get(self, key: OrderKey, /) -> Transaction | None: ...
    @overload
    def get(self, key: OrderKey, default: Transaction | _T, /) -> Transaction | _T: ...

    def get(self, key: OrderKey, default: object = None) -> object:
        frame = self.frames.get(key)
        return default if frame is None else cast(Transaction, decode(frame))

    def __setitem__(self, key: OrderKey, message: Transaction) -> None:
        self.frames[key] = message.encode()

    def __delitem__(self, key: OrderKey) -> None:
        del self.frames[key]

    def __contains__(self, key: object) -> bool:
        return key in self.frames

    def __iter__(self) -> Iterator[OrderKey]:
        return iter(self.frames)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<StoredOrders of {len(self.frames)} orders>"
