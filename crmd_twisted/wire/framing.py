"""Sans-I/O splitting of a TCP byte stream into frames.

:class:`FrameBuffer` knows only the 4-byte header: it cuts the stream at the
declared lengths and hands back complete frames as ``bytes``, whatever their
type (an unknown type is framed by its length like any other; deciding what
to do with it is the caller's business).  It performs no I/O and no
decoding, so protocol objects of any framework can drive it.
"""

from __future__ import annotations

from .errors import FrameLengthError

__all__ = ["HEADER_SIZE", "FrameBuffer"]

HEADER_SIZE = 4


class FrameBuffer:
    """Accumulates stream chunks and returns the complete frames they finish.

    Work is linear in the bytes fed: frames are cut with offsets into one
    ``bytes`` object per call, and a partial frame whose length is already
    known is only appended to until it is complete, so feeding a large frame
    one byte at a time does not copy the buffer on every call.
    """

    __slots__ = ("_buf", "_need", "_offset")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._need = HEADER_SIZE  # bytes needed before the next cut can succeed
        self._offset = 0  # stream offset of the first buffered byte

    @property
    def pending(self) -> int:
        """Number of bytes buffered that do not yet form a complete frame."""
        return len(self._buf)

    @property
    def offset(self) -> int:
        """Stream offset of the first buffered byte (= bytes framed so far)."""
        return self._offset

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Append ``data``; return the frames now complete, in stream order.

        Raises :class:`FrameLengthError` (with the stream offset) when a
        header declares a length below 4; the buffer is then unusable.  The
        frames completed before the bad header in this call travel on the
        exception as ``error.frames``.
        """
        buf = self._buf
        if buf:
            buf += data
            if len(buf) < self._need:
                return []
            src = bytes(buf)
        elif type(data) is bytes:
            src = data
        else:
            src = bytes(data)
        end = len(src)
        pos = 0
        frames: list[bytes] = []
        append = frames.append
        while end - pos >= 4:
            size = src[pos + 2] | src[pos + 3] << 8
            if size < 4:
                self._buf = bytearray(src[pos:])
                self._offset += pos
                raise FrameLengthError(size, self._offset, frames)
            nxt = pos + size
            if nxt > end:
                break
            append(src[pos:nxt])
            pos = nxt
        self._offset += pos
        if pos == end:
            if buf:
                buf.clear()
            self._need = HEADER_SIZE
        else:
            self._buf = bytearray(src[pos:]) if pos or not buf else buf
            rest = end - pos
            self._need = (src[pos + 2] | src[pos + 3] << 8) if rest >= 4 else HEADER_SIZE
        return frames
