"""Byte-exact, I/O-free codec of the CRMD binary protocol.

* :func:`decode` turns one complete frame into a :class:`Message` subclass;
  ``msg.encode()`` turns it back into bytes.
* ``msg.to_fields()`` / ``Class.from_fields(d)`` convert to and from the flat
  field dictionaries of the golden vectors.
* :class:`FrameBuffer` cuts a byte stream into frames.
* :func:`two_fa_code` computes the logon ``two_fa`` code.

Every failure is a :class:`WireError`.  Nothing here imports Twisted.
"""

from __future__ import annotations

from .errors import (
    BadTextError,
    FrameLengthError,
    IncompleteFrameError,
    TextTooLongError,
    UnknownFieldError,
    UnknownMessageTypeError,
    ValueOutOfRangeError,
    WireError,
    WrongLengthError,
    WrongMessageTypeError,
)
from .framing import HEADER_SIZE, FrameBuffer
from .layout import LAYOUTS, LAYOUTS_BY_CHAR, FieldKind, FieldSpec, Group, MessageLayout
from .messages import (
    MESSAGE_TYPES,
    MESSAGES_BY_NAME,
    ClientLogon,
    CollateralData,
    CollateralRequest,
    Entry,
    FiveLevelData,
    InstrumentRequest,
    InstrumentResponse,
    Level,
    MdExecReport,
    MdSubscribe,
    Message,
    OpenOrderRequest,
    RiskUpdateRequest,
    RiskUserSymbol,
    Subscription,
    TenLevelData,
    ThirtyLevelData,
    ThreeLevelData,
    TopOfBook,
    Transaction,
    TwentyLevelData,
    decode,
    message_class,
)
from .twofa import two_fa_code

__all__ = [
    "HEADER_SIZE",
    "LAYOUTS",
    "LAYOUTS_BY_CHAR",
    "MESSAGES_BY_NAME",
    "MESSAGE_TYPES",
    "BadTextError",
    "ClientLogon",
    "CollateralData",
    "CollateralRequest",
    "Entry",
    "FieldKind",
    "FieldSpec",
    "FiveLevelData",
    "FrameBuffer",
    "FrameLengthError",
    "Group",
    "IncompleteFrameError",
    "InstrumentRequest",
    "InstrumentResponse",
    "Level",
    "MdExecReport",
    "MdSubscribe",
    "Message",
    "MessageLayout",
    "OpenOrderRequest",
    "RiskUpdateRequest",
    "RiskUserSymbol",
    "Subscription",
    "TenLevelData",
    "TextTooLongError",
    "ThirtyLevelData",
    "ThreeLevelData",
    "TopOfBook",
    "Transaction",
    "TwentyLevelData",
    "UnknownFieldError",
    "UnknownMessageTypeError",
    "ValueOutOfRangeError",
    "WireError",
    "WrongLengthError",
    "WrongMessageTypeError",
    "decode",
    "message_class",
    "two_fa_code",
]
