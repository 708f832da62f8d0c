"""One log event per CRMD frame, for :class:`~crmd_twisted.protocol.CRMDProtocol`.

Off unless asked for (``logFrames``, or ``wireTrace`` for hex plus decoded
fields): an event per frame costs more than handling the frame once an
observer is attached.
"""

from __future__ import annotations

from typing import ClassVar

from twisted.logger import Logger

from crmd_twisted.wire import Message, decode

__all__ = ["FrameLogMixin"]


class FrameLogMixin:
    """``_logFrame(direction, message, frame)`` for a protocol with ``log``, ``peer``
    and ``wireTrace``."""

    log: ClassVar[Logger]
    peer: str
    wireTrace: bool
    _frameLogFormats: dict[tuple[str, str, int], str]

    def _logFrame(self, direction: str, message: Message, frame: bytes | None) -> None:
        """One event per frame; *frame* is None for a received one (it re-encodes
        to the same bytes, which only the wire trace needs)."""
        length = message.LENGTH
        if self.wireTrace:
            if frame is None:
                frame = message.encode()
            self.log.info(
                "[wire] {direction} {peer} {type_char} {name} len={length} {hex} {fields}",
                direction=direction,
                peer=self.peer,
                type_char=message.TYPE_CHAR,
                name=message.NAME,
                length=length,
                hex=frame.hex().upper(),
                fields=decode(frame).to_fields(),
            )
        else:
            # The text is fixed per (direction, type, length) on a connection, so it is
            # the format string itself: observers that render the event (twistd's log
            # file) then substitute no field, which halves their cost per frame.  The
            # fields stay in the event for observers that read them.
            key = (direction, message.TYPE_CHAR, length)
            text = self._frameLogFormats.get(key)
            if text is None:
                text = f"{direction} {self.peer} {message.TYPE_CHAR} {message.NAME} len={length}"
                text = text.replace("{", "{{").replace("}", "}}")
                self._frameLogFormats[key] = text
            self.log.debug(
                text,
                direction=direction,
                peer=self.peer,
                type_char=message.TYPE_CHAR,
                name=message.NAME,
                length=length,
            )
