"""Which book-snapshot message carries which depth (PROTOCOL.md section 7.12).

The one table the market-data server (which message to build for a
subscription) and the client's local book (how deep a received frame is) both
read.
"""

from __future__ import annotations

from enum import IntEnum

from .messages import (
    FiveLevelData,
    Message,
    TenLevelData,
    ThirtyLevelData,
    ThreeLevelData,
    TopOfBook,
    TwentyLevelData,
)

__all__ = ["DEPTH_MESSAGES", "DEPTH_OF_MESSAGE", "Depth"]


class Depth(IntEnum):
    """The depths of the book-snapshot messages; each has its own message."""

    TOP = 1
    THREE = 3
    FIVE = 5
    TEN = 10
    TWENTY = 20
    THIRTY = 30


#: depth -> message class carrying it
DEPTH_MESSAGES: dict[Depth, type[Message]] = {
    Depth.TOP: TopOfBook,
    Depth.THREE: ThreeLevelData,
    Depth.FIVE: FiveLevelData,
    Depth.TEN: TenLevelData,
    Depth.TWENTY: TwentyLevelData,
    Depth.THIRTY: ThirtyLevelData,
}

#: message class -> the depth it carries
DEPTH_OF_MESSAGE: dict[type[Message], Depth] = {cls: d for d, cls in DEPTH_MESSAGES.items()}
