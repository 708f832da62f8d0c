"""``crmd-wire``: decode and encode CRMD frames from the command line.

``crmd-wire decode HEX...`` splits the bytes into frames and prints each one
as soon as it is decoded (offset, type, name, length and a field table, enum
values as ``ORDER_ACK (14)``; or JSON lines with ``--json``, enum values as
numbers); ``-`` reads hex from stdin and ``--file F`` reads a raw binary stream
(``--file -``: binary from stdin).  At the first bad byte it stops with the
offset and the reason - "unknown message type" (the type byte names no
message), a header length that does not match the type, a frame the input
ends in the middle of, or a field that does not decode - after printing every
good frame before it.

``crmd-wire encode [JSON]`` reads the same JSON (an object, a list of objects,
or JSON lines; each either ``{"message": .., "fields": {..}}`` or a bare fields
dict naming its class with ``"message"`` or ``"type_char"``) and prints
uppercase hex, one line per frame; enum fields take numbers or names
(``"side": "BUY"``, ``"ORDER_NEW (1)"``).  Errors print a single
``crmd-wire: error: ...`` line on stderr and exit with status 1.
"""

from __future__ import annotations

import argparse
import binascii
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from enum import IntEnum
from typing import IO, Any

from .enums import (
    LoginStatus,
    LogonType,
    OrderType,
    RejectCode,
    RequestType,
    ResponseType,
    Side,
    SymbolEnum,
    SymbolType,
    TimeInForce,
    TransactionType,
)
from .errors import WireError
from .framing import HEADER_SIZE
from .messages import MESSAGE_TYPES, Message, decode, message_class

__all__ = ["ENUM_FIELDS", "StreamError", "frames_of", "main"]

PROG = "crmd-wire"
_CHUNK = 1 << 16

#: Field name -> the enumeration its values come from (in every message).
ENUM_FIELDS: dict[str, type[IntEnum]] = {
    "message_type": TransactionType,
    "order_type": OrderType,
    "side": Side,
    "time_in_force": TimeInForce,
    "symbol_enum": SymbolEnum,
    "symbol_type": SymbolType,
    "request_type": RequestType,
    "response_type": ResponseType,
    "logon_type": LogonType,
    "login_status": LoginStatus,
    "reject_reason": RejectCode,
}


class CliError(Exception):
    """A user-facing error; the message is printed as one line."""


class StreamError(CliError):
    """The byte stream has a bad frame at ``offset``; ``reason`` says why."""

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        super().__init__(f"offset {offset}: {reason}")


def _read_hex(parts: Sequence[str]) -> bytes:
    text = "".join(sys.stdin.read() if p == "-" else p for p in parts)
    digits = "".join(text.split())
    if digits.lower().startswith("0x"):
        digits = digits[2:]
    try:
        return binascii.unhexlify(digits)
    except (binascii.Error, ValueError) as exc:
        raise CliError(f"bad hex input: {exc}") from None


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def _file_chunks(path: str) -> Iterator[bytes]:
    if path == "-":
        yield from _chunks(sys.stdin.buffer)
        return
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        try:
            yield from _chunks(fh)
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None


def _type_text(char: str) -> str:
    """A type byte as the user reads it: ``'Z'``, or ``0x01`` when not printable ASCII."""
    return repr(char) if " " < char < "\x7f" else f"0x{ord(char):02X}"


def _frame_size(buf: bytes | bytearray, pos: int, offset: int) -> int:
    """Length of the frame starting at ``buf[pos]`` (stream offset *offset*).

    The type byte is checked before the length, so garbage is named as such.
    Returns the length even when the frame is not complete yet.
    """
    char = chr(buf[pos])
    cls = MESSAGE_TYPES.get(char)
    left = len(buf) - pos
    if left < HEADER_SIZE:
        if cls is None:
            ending = f"{left} byte{'s' if left > 1 else ''} left"
            raise StreamError(offset, f"unknown message type {_type_text(char)} ({ending})")
        return cls.LENGTH
    declared = buf[pos + 2] | buf[pos + 3] << 8
    if cls is None:
        raise StreamError(offset, f"unknown message type {_type_text(char)} (length {declared})")
    if declared != cls.LENGTH:
        raise StreamError(
            offset,
            f"{char!r} {cls.NAME} header declares length {declared}, "
            f"a {cls.NAME} frame is {cls.LENGTH} bytes",
        )
    return declared


def frames_of(chunks: Iterable[bytes]) -> Iterator[tuple[int, Message]]:
    """(stream offset, message) of every frame, decoded as the chunks arrive.

    Raises :class:`StreamError` at the first bad frame (after yielding every
    good frame before it), also when the input ends in the middle of a frame.
    """
    buf = bytearray()
    base = 0  # stream offset of buf[0]
    for chunk in chunks:
        buf += chunk
        pos = 0
        while pos < len(buf):
            size = _frame_size(buf, pos, base + pos)
            if len(buf) - pos < size:
                break
            try:
                yield base + pos, decode(bytes(buf[pos : pos + size]))
            except WireError as exc:
                raise StreamError(base + pos, str(exc)) from None
            pos += size
        del buf[:pos]
        base += pos
    if buf:
        need = _frame_size(buf, 0, base)
        name = MESSAGE_TYPES[chr(buf[0])].NAME
        raise StreamError(
            base,
            f"truncated {chr(buf[0])!r} {name} frame: {len(buf)} of {need} bytes present,"
            f" {need - len(buf)} missing",
        )


def _frame_json(offset: int, msg: Message) -> dict[str, Any]:
    return {
        "offset": offset,
        "message": msg.NAME,
        "type_char": msg.TYPE_CHAR,
        "length": msg.LENGTH,
        "fields": msg.to_fields(),
    }


def _shown(name: str, value: Any) -> str:
    """A field's value for the table: enum values as ``NAME (number)``."""
    kind = ENUM_FIELDS.get(name)
    if kind is not None and isinstance(value, int) and not isinstance(value, bool):
        try:
            return f"{kind(value).name} ({int(value)})"
        except ValueError:
            pass
    return repr(value)


def _table(msg: Message) -> str:
    fields = msg.to_fields()
    width = max(len(k) for k in fields)
    return "\n".join(f"  {k:<{width}}  {_shown(k, v)}" for k, v in fields.items())


def _cmd_decode(args: argparse.Namespace) -> int:
    chunks: Iterable[bytes]
    if args.file:
        if args.hex:
            raise CliError("give either HEX arguments or --file, not both")
        chunks = _file_chunks(args.file)
    else:
        if not args.hex:
            raise CliError("nothing to decode: give HEX, '-' or --file")
        chunks = [_read_hex(args.hex)]
    out = sys.stdout
    for offset, msg in frames_of(chunks):
        if args.json:
            out.write(json.dumps(_frame_json(offset, msg)) + "\n")
        else:
            out.write(
                f"offset {offset}: {msg.TYPE_CHAR!r} {msg.NAME} length {msg.LENGTH}\n"
                f"{_table(msg)}\n"
            )
        out.flush()
    return 0


def _enum_value(name: str, value: Any, index: int) -> Any:
    """An enum field given by name (``"BUY"``, ``"ORDER_NEW (1)"``) as its number."""
    kind = ENUM_FIELDS.get(name)
    if kind is None or not isinstance(value, str):
        return value
    text = value.strip().split(" (", 1)[0].strip().upper()
    try:
        return int(kind[text])
    except KeyError:
        known = ", ".join(m.name for m in kind)
        raise CliError(
            f"item {index}: {name!r}: unknown {kind.__name__} {value!r} (known: {known})"
        ) from None


def _json_documents(text: str) -> list[Any]:
    text = text.strip()
    if not text:
        raise CliError("no JSON input")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        docs = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    docs.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise CliError(f"bad JSON on line {n}: {exc.msg}") from None
        return docs
    return doc if isinstance(doc, list) else [doc]


def _message_from_json(doc: Any, index: int) -> Message:
    if not isinstance(doc, dict):
        raise CliError(f"item {index}: expected a JSON object")
    fields = doc.get("fields", doc)
    if not isinstance(fields, dict):
        raise CliError(f"item {index}: 'fields' must be an object")
    fields = dict(fields)
    key = doc.get("message") or doc.get("type_char") or fields.get("type_char")
    if not isinstance(key, str):
        raise CliError(f"item {index}: name the message with 'message' or 'type_char'")
    if fields is not doc.get("fields"):
        fields.pop("message", None)
        fields.pop("offset", None)
    fields = {name: _enum_value(name, value, index) for name, value in fields.items()}
    try:
        cls = message_class(key)
        return cls.from_fields(fields)
    except WireError as exc:
        raise CliError(f"item {index}: {exc}") from None
    except TypeError as exc:
        raise CliError(f"item {index}: {exc}") from None


def _cmd_encode(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.json in (None, "-") else args.json
    messages = [_message_from_json(d, i) for i, d in enumerate(_json_documents(text))]
    lines = []
    for i, msg in enumerate(messages):
        try:
            lines.append(msg.encode().hex().upper())
        except WireError as exc:
            raise CliError(f"item {i}: {exc}") from None
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Decode and encode CRMD frames.")
    sub = parser.add_subparsers(dest="command", required=True)
    dec = sub.add_parser("decode", help="decode hex or a binary stream of frames")
    dec.add_argument("hex", nargs="*", help="hex bytes (spaces allowed); '-' reads stdin")
    dec.add_argument("--file", "-f",
                     help="read a raw binary byte stream from this file ('-': stdin)")
    dec.add_argument("--json", action="store_true", help="print one JSON object per line")
    dec.set_defaults(run=_cmd_decode)
    enc = sub.add_parser("encode", help="encode JSON messages to hex")
    enc.add_argument("json", nargs="?", help="JSON text (default or '-': stdin)")
    enc.set_defaults(run=_cmd_encode)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except CliError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 1
    except WireError as exc:
        sys.stderr.write(f"{PROG}: error: {exc}\n")
        return 1
    except BrokenPipeError:  # e.g. piped into `head`; nothing useful left to say
        return 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
