"""The CPython floor of an OES: the least a real order entry server does per order.

Run by ``benchmarks/bench_oes.py`` (``--serve-floor PORT``) beside the OES, under
the same load generator; it is not a product and knows nothing of the project.
One Twisted protocol, per 250-byte NEW frame:

* framing: the stream cut into 250-byte frames (as the echo baseline);
* decode: one ``struct.unpack`` of the whole transaction layout;
* a dozen validity checks (type, length, message type, account, order id,
  duplicate id, instrument, order type, side, TIF, price on the tick grid,
  quantity on the lot grid and within limits, session id, sending time);
* a reservation: price x quantity against the account's cash, kept per order;
* a real book: a heap of price levels per side and a deque of resting orders
  per level (an order that crosses matches against the opposite side first);
* the answer: ORDER_ACK (or REJECT) packed with one ``struct.pack`` of the
  request's values with message type, reject reason, sending time and sequence
  number changed.

Not collected by pytest (no test_ prefix).
"""

from __future__ import annotations

import heapq
import struct
import time
from collections import deque
from typing import Any

FRAME = 250
HOST = "127.0.0.1"
_T = struct.Struct("<1s1sHHHIQHHHdHdHd12sQdQddd12s6sHQiiddhdddddqdHdHH12s")
# indexes in the unpacked tuple
_MTYPE, _ACCOUNT, _OID, _SYM, _OTYPE, _PRICE, _SIDE, _QTY, _TIF = 3, 5, 6, 7, 8, 10, 11, 12, 13
_REJECT_REASON, _SENDING_TIME, _TSID, _KEY, _SEQ = 24, 25, 26, 27, 36
_ORDER_NEW, _ORDER_ACK, _REJECT = 1, 14, 12
# symbol_enum -> (ticks per price unit, lots per quantity unit, min lots, max lots)
_INSTRUMENTS = {1: (2.0, 100_000.0, 1, 100_000_000), 4: (4.0, 10_000.0, 1, 10_000_000)}
_MAX_AGE_NS = 60 * 10**9


class FloorBook:
    """Price levels in two heaps (bids negated), a deque of orders per level."""

    __slots__ = ("ask_heap", "bid_heap", "levels")

    def __init__(self) -> None:
        self.bid_heap: list[int] = []
        self.ask_heap: list[int] = []
        self.levels: dict[int, deque[list[Any]]] = {}  # signed price key -> orders

    def add(self, buy: bool, price: int, order: list[Any]) -> None:
        key = -price if buy else price
        level = self.levels.get(key)
        if level is None:
            level = self.levels[key] = deque()
            heapq.heappush(self.bid_heap if buy else self.ask_heap, key)
        level.append(order)

    def match(self, buy: bool, price: int, qty: int) -> int:
        """Take what crosses *price* on the other side; the quantity left."""
        heap = self.ask_heap if buy else self.bid_heap
        levels = self.levels
        while qty and heap:
            key = heap[0]
            level_price = key if buy else -key
            if (level_price > price) if buy else (level_price < price):
                break
            level = levels[key]
            while qty and level:
                resting = level[0]
                take = min(qty, resting[1])
                qty -= take
                resting[1] -= take
                if not resting[1]:
                    level.popleft()
            if not level:
                heapq.heappop(heap)
                del levels[key]
        return qty


def field_problem(v: list[Any], now: int, duplicate: bool, known_symbol: bool) -> int:
    """The reject code of an unpacked NEW's header and fields (0: none)."""
    if v[0] != b"T" or v[2] != FRAME or v[_MTYPE] != _ORDER_NEW:
        return 1
    if v[_ACCOUNT] <= 0:
        return 2
    if v[_OID] <= 0 or duplicate:
        return 3
    if not known_symbol:
        return 26
    if v[_OTYPE] != 1:
        return 13
    if v[_SIDE] not in (1, 2):
        return 18
    if not 1 <= v[_TIF] <= 4:
        return 35
    if v[_TSID] != 0 or v[_KEY] != 0:
        return 4
    if abs(now - v[_SENDING_TIME]) > _MAX_AGE_NS:
        return 5
    return 0


def floor_protocol() -> type[Any]:
    """A fresh floor OES protocol class (its books shared by its connections)."""
    from twisted.internet import protocol

    unpack = _T.unpack
    pack = _T.pack
    books = {sym: FloorBook() for sym in _INSTRUMENTS}
    clock = time.time_ns

    class FloorOES(protocol.Protocol):
        """One session: its accounts' cash and order reservations are its own
        (every benchmark run is a fresh connection whose order ids restart at 1)."""

        buf = b""
        seq = 0

        def connectionMade(self) -> None:
            if hasattr(self.transport, "setTcpNoDelay"):  # not on a StringTransport
                self.transport.setTcpNoDelay(True)
            self.cash: dict[int, float] = {}  # account -> cash not reserved
            self.reserved: dict[tuple[int, int], float] = {}  # (account, id) -> reservation

        def order(self, frame: bytes) -> bytes:
            v = list(unpack(frame))
            cash = self.cash
            reserved = self.reserved
            now = clock()
            account, oid, sym = v[_ACCOUNT], v[_OID], v[_SYM]
            inst = _INSTRUMENTS.get(sym)
            reason = field_problem(v, now, (account, oid) in reserved, inst is not None)
            if not reason:
                assert inst is not None
                x = v[_PRICE] * inst[0]
                price = round(x)
                y = v[_QTY] * inst[1]
                qty = round(y)
                if price < 1 or abs(x - price) > 1e-9:
                    reason = 14
                elif qty < inst[2] or qty > inst[3] or abs(y - qty) > 1e-9:
                    reason = 15
                else:
                    buy = v[_SIDE] == 1
                    cost = v[_PRICE] * v[_QTY] if buy else v[_QTY]
                    left = cash.get(account, 1e15)
                    if cost > left:
                        reason = 47
                    else:
                        cash[account] = left - cost
                        reserved[account, oid] = cost
                        book = books[sym]
                        qty = book.match(buy, price, qty)
                        if qty:
                            book.add(buy, price, [oid, qty, account])
            self.seq += 1
            v[_MTYPE] = _REJECT if reason else _ORDER_ACK
            v[_REJECT_REASON] = reason
            v[_SENDING_TIME] = now
            v[_SEQ] = self.seq
            return pack(*v)

        def dataReceived(self, data: bytes) -> None:
            buf = self.buf + data if self.buf else data
            n = len(buf) - len(buf) % FRAME
            write = self.transport.write
            order = self.order
            for off in range(0, n, FRAME):
                write(order(buf[off : off + FRAME]))
            self.buf = buf[n:]

    return FloorOES


def serve_floor(port: int) -> None:
    from twisted.internet import protocol, reactor

    factory = protocol.Factory.forProtocol(floor_protocol())
    reactor.listenTCP(port, factory, interface=HOST)  # type: ignore[attr-defined]
    print(f"floor OES listening on {port}", flush=True)
    reactor.run()  # type: ignore[attr-defined]
