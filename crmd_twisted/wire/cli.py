"""``crmd-wire``: decode and encode CRMD frames from the command line.

``crmd-wire decode HEX...`` splits the bytes into frames and prints each
one (offset, type, name, length and a field table, or JSON with
``--json``); ``-`` reads hex from stdin and ``--file F`` reads a raw binary
stream.  ``crmd-wire encode [JSON]`` reads the same JSON (an object, a list
of objects, or JSON lines; each either ``{"message": .., "fields": {..}}`` or
a bare fields dict naming its class with ``"message"`` or ``"type_char"``)
and prints uppercase hex, one line per frame.  Errors print a single
``crmd-wire: error: ...`` line on stderr and exit with status 1.
"""

from __future__ import annotations

import argparse
import binascii
import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from .errors import WireError
from .framing import FrameBuffer
from .messages import Message, decode, message_class

__all__ = ["main"]

PROG = "crmd-wire"


class CliError(Exception):
    """A user-facing error; the message is printed as one line."""


def _read_hex(parts: Sequence[str]) -> bytes:
    text = "".join(sys.stdin.read() if p == "-" else p for p in parts)
    digits = "".join(text.split())
    if digits.lower().startswith("0x"):
        digits = digits[2:]
    try:
        return binascii.unhexlify(digits)
    except (binascii.Error, ValueError) as exc:
        raise CliError(f"bad hex input: {exc}") from None


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None


def _frames(data: bytes) -> Iterator[tuple[int, Message]]:
    buffer = FrameBuffer()
    offset = 0
    try:
        frames = buffer.feed(data)
    except WireError as exc:
        raise CliError(str(exc)) from None
    for frame in frames:
        try:
            yield offset, decode(frame)
        except WireError as exc:
            raise CliError(f"offset {offset}: {exc}") from None
        offset += len(frame)
    if buffer.pending:
        have = buffer.pending
        need = (data[offset + 2] | data[offset + 3] << 8) if have >= 4 else 4
        raise CliError(
            f"offset {offset}: truncated frame: {have} of {need} bytes present,"
            f" {need - have} missing"
        )


def _frame_json(offset: int, msg: Message) -> dict[str, Any]:
    return {
        "offset": offset,
        "message": msg.NAME,
        "type_char": msg.TYPE_CHAR,
        "length": msg.LENGTH,
        "fields": msg.to_fields(),
    }


def _table(msg: Message) -> str:
    fields = msg.to_fields()
    width = max(len(k) for k in fields)
    return "\n".join(f"  {k:<{width}}  {v!r}" for k, v in fields.items())


def _cmd_decode(args: argparse.Namespace) -> int:
    if args.file:
        if args.hex:
            raise CliError("give either HEX arguments or --file, not both")
        data = _read_file(args.file)
    else:
        if not args.hex:
            raise CliError("nothing to decode: give HEX, '-' or --file")
        data = _read_hex(args.hex)
    decoded = list(_frames(data))  # validate everything before printing
    out = sys.stdout
    if args.json:
        for offset, msg in decoded:
            out.write(json.dumps(_frame_json(offset, msg)) + "\n")
        return 0
    for offset, msg in decoded:
        out.write(
            f"offset {offset}: {msg.TYPE_CHAR!r} {msg.NAME} length {msg.LENGTH}\n{_table(msg)}\n"
        )
    return 0


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
    dec.add_argument("--file", "-f", help="read a raw binary byte stream from this file")
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
