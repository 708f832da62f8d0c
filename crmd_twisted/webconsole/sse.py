"""Server-Sent Events framing (pure): the bytes of one ``text/event-stream`` event."""

from __future__ import annotations

__all__ = ["CONTENT_TYPE", "comment", "event_frame", "retry_frame"]

CONTENT_TYPE = b"text/event-stream; charset=utf-8"


def event_frame(event: str, data: bytes) -> bytes:
    """One event; *data* is one line (compact JSON), so it needs one ``data:`` line."""
    if b"\n" in data or b"\r" in data:
        lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        body = b"".join(b"data: " + line + b"\n" for line in lines)
    else:
        body = b"data: " + data + b"\n"
    return b"event: " + event.encode() + b"\n" + body + b"\n"


def retry_frame(milliseconds: int) -> bytes:
    """Tells the browser's EventSource how long to wait before it reconnects."""
    return f"retry: {int(milliseconds)}\n\n".encode()


def comment(text: str = "") -> bytes:
    """A comment line: ignored by EventSource, keeps proxies and peers aware."""
    return b": " + text.encode() + b"\n\n"
