"""The latest state of every console topic, with versions (pure, no Twisted).

The console is conflated: :class:`TopicBoard` keeps only the newest payload of
each topic (``book:1``, ``trades:1``, ``sessions``, ...), numbered by one
counter that grows whenever a topic's payload changes.  A browser's stream
remembers the number it has seen (its *cursor*); when its connection can take
more it gets :meth:`TopicBoard.changed_after` its cursor - one posting per
changed topic, however many times it changed meanwhile.  A slow browser
therefore costs the same as a fast one: nothing queues up for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["ConsoleEvent", "Posting", "TopicBoard", "encode_payload"]


class ConsoleEvent(StrEnum):
    """The event names of the console stream (the ``event:`` line of SSE)."""

    HELLO = "hello"
    HEALTH = "health"
    INSTRUMENTS = "instruments"
    FAULT_KINDS = "fault_kinds"
    BOOK = "book"
    TRADES = "trades"
    SESSIONS = "sessions"
    FAULTS = "faults"


def encode_payload(payload: Any) -> bytes:
    """Compact JSON on one line (an SSE ``data:`` line cannot hold a newline)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


@dataclass(frozen=True, slots=True)
class Posting:
    """The newest payload of one topic and the board version it was posted at."""

    topic: str
    event: ConsoleEvent
    data: bytes
    version: int


class TopicBoard:
    """The newest payload per topic; versions grow by one per change."""

    def __init__(self) -> None:
        self._postings: dict[str, Posting] = {}
        self.version = 0

    def post(self, topic: str, event: ConsoleEvent, payload: Any) -> bool:
        """Make *payload* the state of *topic*; False if it is what the board has."""
        data = encode_payload(payload)
        current = self._postings.get(topic)
        if current is not None and current.data == data:
            return False
        self.version += 1
        self._postings[topic] = Posting(topic, event, data, self.version)
        return True

    def changed_after(self, cursor: int) -> tuple[list[Posting], int]:
        """The postings newer than *cursor* (oldest first) and the new cursor."""
        if cursor >= self.version:
            return [], cursor
        fresh = [p for p in self._postings.values() if p.version > cursor]
        fresh.sort(key=lambda p: p.version)
        return fresh, self.version

    def get(self, topic: str) -> Posting | None:
        return self._postings.get(topic)

    def __len__(self) -> int:
        return len(self._postings)
