"""Throughput of the wire codec beside the raw ``struct`` ceiling.

Run ``python benchmarks/bench_codec.py`` (about 20 s).  For ClientLogon and
Transaction it times ``decode(frame)`` against ``Struct.unpack_from(frame)``
of the same layout and ``msg.encode()`` against ``Struct.pack(*values)`` of
the same values; then :class:`FrameBuffer` fed a mixed stream in 4 KiB
chunks against a bare loop that reads each header and slices the frame out
of the whole stream.  Each rate is the best of several repeats.

``--steps``: where decode's time goes beyond the raw unpack (see
:func:`decode_steps`).

Ours and the ceiling of a row are timed in alternating rounds (ours, ceiling,
ours, ...), both as a call of a one-argument-free callable, so that a busy
machine slows both sides alike; each side's rate is its best round.
"""

from __future__ import annotations

import inspect
import random
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crmd_twisted.wire import (
    LAYOUTS,
    MESSAGES_BY_NAME,
    ClientLogon,
    FrameBuffer,
    Message,
    Transaction,
    decode,
)
from crmd_twisted.wire.enums import NO_ATTRIBUTES, OrderType, Side, TransactionType


def rate(func: Callable[[], object], n: int, repeats: int = 5) -> float:
    """Best calls-per-second of ``func`` over ``repeats`` runs of ``n`` calls."""
    best = float("inf")
    loop = range(n)
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in loop:
            func()
        best = min(best, time.perf_counter() - start)
    return n / best


def paired_rates(
    ours: Callable[[], object], ceiling: Callable[[], object], n: int, rounds: int = 15
) -> tuple[float, float]:
    """Best calls-per-second of ``ours`` and ``ceiling``, timed in alternating rounds."""
    best = [float("inf"), float("inf")]
    loop = range(n)
    for _ in range(rounds):
        for side, func in enumerate((ours, ceiling)):
            start = time.perf_counter()
            for _ in loop:
                func()
            best[side] = min(best[side], time.perf_counter() - start)
    return n / best[0], n / best[1]


def sample_messages() -> dict[str, Message]:
    logon = ClientLogon(
        logon_type=1, account=100700, two_fa="517846", user_name="trader",
        trading_session_id=506, primary_oes_address="10.0.0.1:4445",
        secondary_oes_address="10.0.0.2:4445", sending_time=1_700_000_000_000_000_000,
        last_seq_num=12, session_key=432451, login_status=1, reject_reason=50,
    )
    txn = Transaction(
        message_type=TransactionType.ORDER_NEW, account=100700, order_id=123456789,
        symbol_enum=1, order_type=OrderType.LMT, symbol_type=1, price=43250.5,
        side=Side.BUY, order_qty=0.25, time_in_force=2, symbol="BTCUSD",
        sending_time=1_700_000_000_000_000_000, trading_session_id=506,
        session_key=432451, msg_seq_num=77, attributes=NO_ATTRIBUTES,
    )
    return {"ClientLogon": logon, "Transaction": txn}


def codec_rows(n: int) -> list[tuple[str, float, float]]:
    rows = []
    for name, msg in sample_messages().items():
        frame = msg.encode()
        s = struct.Struct(type(msg).STRUCT.format)
        values = s.unpack(frame)
        unpack_from = s.unpack_from
        pack = s.pack
        assert decode(frame) == msg
        ours, ceiling = paired_rates(
            lambda f=frame: decode(f),  # type: ignore[misc]
            lambda u=unpack_from, f=frame: u(f),  # type: ignore[misc]
            n,
        )
        rows.append((f"decode {name}", ours, ceiling))
        ours, ceiling = paired_rates(
            lambda m=msg: m.encode(),  # type: ignore[misc]
            lambda p=pack, v=values: p(*v),  # type: ignore[misc]
            n,
        )
        rows.append((f"encode {name}", ours, ceiling))
        if name == "Transaction":  # the OES lane's read: 14 fields, checked text
            from crmd_twisted.oes.lane import _RECORD

            ours, ceiling = paired_rates(
                lambda r=_RECORD.read, f=frame: r(f),  # type: ignore[misc]
                lambda u=unpack_from, f=frame: u(f),  # type: ignore[misc]
                n,
            )
            rows.append(("FrameRecord.read (lane)", ours, ceiling))
    return rows


def mixed_stream(count: int) -> tuple[bytes, int]:
    rnd = random.Random(7)
    protos = [cls() for cls in MESSAGES_BY_NAME.values()]
    common = [sample_messages()["Transaction"]] * 6 + protos
    frames = [rnd.choice(common).encode() for _ in range(count)]
    return b"".join(frames), count


def framing_rows(count: int) -> list[tuple[str, float, float]]:
    stream, frames = mixed_stream(count)
    chunks = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]

    def ours() -> None:
        buf = FrameBuffer()
        out = 0
        for c in chunks:
            out += len(buf.feed(c))
        assert out == frames

    def bare() -> None:
        pos, end, out = 0, len(stream), []
        data = stream
        while end - pos >= 4:
            n = data[pos + 2] | data[pos + 3] << 8
            out.append(data[pos : pos + n])
            pos += n
        assert len(out) == frames

    return [("FrameBuffer mixed 4KiB", rate(ours, 1, 7) * frames, rate(bare, 1, 7) * frames)]


def decode_steps(n: int) -> list[tuple[str, float, float]]:
    """Where ``decode(frame)`` spends its time beyond the raw unpack, step by step.

    Each row adds one step of the generated decoder to the one before, timed
    against the raw ``unpack_from`` ceiling in alternating rounds: the decode
    struct's unpack alone (text runs read as one ``bytes``), + the instance and
    one slot store per field, + the text conversions (the generated
    ``_decode_frame``), + the dispatch on the type byte (``decode``).
    """
    rows = []
    for name, msg in sample_messages().items():
        cls = type(msg)
        frame = msg.encode()
        ceiling = struct.Struct(cls.STRUCT.format).unpack_from
        fn = cls._decode_frame
        code = fn.__code__
        ns = fn.__globals__
        unpack = ns["_unpack"]
        src = inspect.getsource(fn)
        stores = src.split("= _unpack(frame)")[0].split("try:")[1].strip()
        env = dict(ns)
        # the generated decoder without its text conversions
        body = f"    o = _new(_cls)\n    {stores} = _unpack(frame)\n    return o\n"
        exec(f"def _slots(frame):\n{body}", env)
        slots_only = env["_slots"]
        assert code is not None
        for label, func in (
            ("unpack (decode struct)", lambda u=unpack, f=frame: u(f)),
            ("+ instance, slot stores", lambda s=slots_only, f=frame: s(f)),
            ("+ text (_decode_frame)", lambda d=fn, f=frame: d(f)),
            ("+ dispatch (decode)", lambda f=frame: decode(f)),
        ):
            ours, ceil = paired_rates(func, lambda u=ceiling, f=frame: u(f), n, rounds=7)  # type: ignore[misc]
            rows.append((f"{name[:11]} {label}", ours, ceil))
    return rows


def main() -> int:
    n = 50_000
    if "--steps" in sys.argv:
        print(f"{'decode step':<40}{'msg/s':>12}{'ceiling':>12}{'ratio':>8}")
        for label, ours, ceiling in decode_steps(n):
            print(f"{label:<40}{ours:>12,.0f}{ceiling:>12,.0f}{ours / ceiling:>8.2f}")
        return 0
    rows = codec_rows(n) + framing_rows(200_000)
    print(f"Python {sys.version.split()[0]}; {len(LAYOUTS)} layouts")
    print(f"{'operation':<26}{'ours msg/s':>14}{'ceiling msg/s':>16}{'ratio':>8}")
    for label, ours, ceiling in rows:
        print(f"{label:<26}{ours:>14,.0f}{ceiling:>16,.0f}{ours / ceiling:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
