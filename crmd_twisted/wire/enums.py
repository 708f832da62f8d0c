"""Enumerations of the CRMD binary protocol.

This module is the single home of every protocol enumeration; the codec, the
matching engine, the simulators and the client all import from here.

Decoded messages keep enum-typed fields as plain integers (or one-character
strings), so that a value the enumeration does not know survives a
decode/encode round trip.  Use :func:`coerce` to turn a raw value into its
member when one exists.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import TypeVar

__all__ = [
    "ATTRIBUTE_COUNT",
    "NO_ATTRIBUTES",
    "REJECT_TRANSACTION_TYPES",
    "UNIMPLEMENTED_ORDER_TYPES",
    "Attribute",
    "LoginStatus",
    "LogonType",
    "OrderType",
    "RejectCode",
    "RequestType",
    "ResponseType",
    "Side",
    "SubscribeAction",
    "SymbolEnum",
    "SymbolType",
    "TimeInForce",
    "TransactionType",
    "coerce",
]


class LogonType(IntEnum):
    """``client_logon.logon_type``."""

    LOGIN = 1
    LOGOUT = 2


class LoginStatus(IntEnum):
    """``client_logon.login_status`` (0 in requests)."""

    NOT_SET = 0
    SUCCESS = 1
    FAILURE = 2


class TransactionType(IntEnum):
    """The ``message_type`` field; 1-20 are ``transaction`` sub-types."""

    ORDER_NEW = 1
    CANCEL_REPLACE = 2
    MARGIN_CANCEL_REPLACE = 3
    MARGIN_EXECUTE = 4
    ORDER_STATUS = 5
    ORDER_CANCEL = 6
    MARGIN_CANCEL = 7
    EXECUTION = 8
    EXECUTION_PARTIAL = 9
    MARGIN_EXECUTION = 10
    MARGIN_PARTIAL_EXECUTION = 11
    REJECT = 12
    ORDER_REJECT = 13
    ORDER_ACK = 14
    CANCELLED = 15
    REPLACED = 16
    QUOTE_FILL = 17
    QUOTE_FILL_PARTIAL = 18
    MARGIN_REPLACED = 19
    CANCEL_REPLACE_REJECT = 20
    INSTRUMENT = 21
    INSTRUMENT_REQUEST = 22
    RISK_REJECT = 23
    TOB_MSG = 24
    THREE_LAYER_MD_MSG = 25
    FIVE_LAYER_MD_MSG = 26
    TEN_LAYER_MD_MSG = 27
    TWENTY_LAYER_MD_MSG = 28
    THIRTY_LAYER_MD_MSG = 29
    EXEC_REPORT = 30
    COLLATERAL_DATA = 31
    COLLATERAL_UPDATE_REQ = 32
    RISK_USER_SYMBOL = 33
    RISK_UPDATE_REQUEST = 34
    OPEN_ORDER_REQUEST = 35
    CLIENT_LOGON = 36
    MD_SNAPSHOT = 37
    MD_SUBSCRIBE = 38


#: Every ``message_type`` a client must read as "the request was refused".
REJECT_TRANSACTION_TYPES = frozenset(
    {
        TransactionType.REJECT,
        TransactionType.ORDER_REJECT,
        TransactionType.CANCEL_REPLACE_REJECT,
        TransactionType.RISK_REJECT,
    }
)


class OrderType(IntEnum):
    """``transaction.order_type``."""

    LMT = 1
    MKT = 2
    STOP_MKT = 3
    STOP_LMT = 4
    PEG = 5
    HIDDEN = 6
    PEG_HIDDEN = 7
    OCO = 8
    ICE = 9
    OCO_ICE = 10
    BRACKET = 11
    SNIPER_MKT = 12
    SNIPER_LMT = 13
    TSM = 14
    TSL = 15
    TPSL_MARKET = 16
    TPSL_LIMIT = 17


#: Order types that exist on the wire but that no exchange implements.
UNIMPLEMENTED_ORDER_TYPES = frozenset(
    {OrderType.OCO_ICE, OrderType.BRACKET, OrderType.TPSL_MARKET, OrderType.TPSL_LIMIT}
)


class Side(IntEnum):
    """``transaction.side`` and market-data sides; SELLSHORT trades as SELL."""

    BUY = 1
    SELL = 2
    SELLSHORT = 3


class TimeInForce(IntEnum):
    """``transaction.time_in_force`` (documentation numbering)."""

    FOK = 1
    GTC = 2
    IOC = 3
    POO = 4
    RED = 5
    DAY = 6


class SymbolEnum(IntEnum):
    """The instrument numbers named by the documentation (configurable in the OES)."""

    BTCUSD = 1
    USDUSDT = 2
    FLYUSDT = 3
    BTCUSDT = 4


class SymbolType(IntEnum):
    """``symbol_type``."""

    SPOT = 1
    FUTURES = 2


class RequestType(IntEnum):
    """``request_type`` of the instrument, risk and collateral requests."""

    ALL = 1
    SYMBOL_ENUM = 2


class ResponseType(IntEnum):
    """``instrument_response.response_type``."""

    SNAPSHOT = 1
    SNAPSHOT_START = 2
    SNAPSHOT_CONTINUATION = 3
    SNAPSHOT_FINISH = 4
    UPDATE = 5
    UNSOLICITED = 6
    POSS_DUP = 7


class SubscribeAction(StrEnum):
    """``md_subscribe`` slot action; the empty string marks an unused slot."""

    UNUSED = ""
    SUBSCRIBE = "S"
    #: project rule (PROTOCOL.md 7.12 rule 5): stop a subscription
    UNSUBSCRIBE = "U"


class Attribute(IntEnum):
    """Positions in the 12-character ``transaction.attributes`` field."""

    RESERVED = 0
    HIDDEN = 1
    DISPLAY_SIZE = 2
    SIZE_INCREMENT = 3
    POST = 4
    PRICE_INCREMENT = 5
    OFFSET = 6
    STOP_MKT = 7
    STOP_LMT = 8
    PEG = 9
    TSL = 10
    TSM = 11


ATTRIBUTE_COUNT = 12
#: The attributes field of a transaction with no attribute set.
NO_ATTRIBUTES = "N" * ATTRIBUTE_COUNT


class RejectCode(IntEnum):
    """``reject_reason`` values (one table for every message).

    ``INSTRUMENT_WOULD_CAUSE_MARGIN_TO_BE_EXCEEDED`` (37) is spelled correctly
    here; ``USER_ALREADY_LGGGED_IN`` (53) keeps the public misspelling because
    the correct spelling already names 34.  0 means "no reject".  Codes 4/51
    and 34/53 mean the same condition; servers emit 4 and 53.
    """

    NO_REJECT = 0
    ORDER_NOT_FOUND = 1
    USER_NOT_FOUND = 2
    ACCOUNT_NOT_FOUND = 3
    INVALID_KEY = 4
    ACCOUNT_DISABLED = 5
    TRADING_SESSION_INVALID = 6
    RISK_ACCOUNT_NOT_FOUND = 7
    RISK_SYMBOL_NOT_FOUND = 8
    MES_NOT_AVAILABLE_TRADING_DISABLED = 9
    OES_NOT_AVAILABLE_TRADING_DISABLED = 10
    MDS_NOT_AVAILABLE_TRADING_DISABLED = 11
    MSG_TYPE_INVALID = 12
    ORD_TYPE_INVALID = 13
    PRICE_INVALID = 14
    SIZE_INVALID = 15
    STOP_PRICE_INVALID = 16
    STOP_SIZE_INVALID = 17
    ORDER_SIDE_INVALID = 18
    ACCOUNT_INVALID = 19
    ORDERID_INVALID = 20
    SENDING_TIME_INVALID = 21
    ORIG_PRICE_INVALID = 22
    ORIG_SIZE_INVALID = 23
    ICE_SIZEINCREMENT_TIMES_LAYERS_NOT_EQUAL_ORDQTY = 24
    ORIG_ORDER_ID_INVALID = 25
    SYMBOL_ENUM_INVALID = 26
    SIZE_INCREMENT_INVALID = 27
    PRICE_OFFSET_INVALID = 28
    PRICE_INCREMENT_INVALID = 29
    EXCEEDED_MAX_LAYERS = 30
    DISPLAY_SIZE_INVALID = 31
    REFRESH_SIZE_INVALID = 32
    INVALID_SECURITY_KEY = 33
    USER_ALREADY_LOGGED_IN = 34
    INVALID_FIELD_VALUE = 35
    PERCENTAGE_MOVE_EXCEEDED_COOLING_OFF_PERIOD_IN_FORCE = 36
    INSTRUMENT_WOULD_CAUSE_MARGIN_TO_BE_EXCEEDED = 37
    INSTRUMENT_MARGIN_EXCEEDED = 38
    MARGIN_BUY_ORDER_CANCELLATION_IN_PROGRESS = 39
    MARGIN_SELL_ORDER_CANCELLATION_IN_PROGRESS = 40
    MARGIN_LONG_POSITION_LIQUIDATION_IN_PROGRESS = 41
    MARGIN_SHORT_POSITION_LIQUIDATION_IN_PROGRESS = 42
    OUTSTANDING_OPEN_REQUESTS_EXCEEDED = 43
    NO_RISK_DATA = 44
    DUPLICATE_ORDER_ID = 45
    EXCEEDS_OPEN_ORDER_REQUESTS = 46
    NOT_ENOUGH_EQUITY_TO_COMPLETE = 47
    MATCHING_ENGINE_REJECTED = 48
    NONE = 49
    ACCEPTED = 50
    KEY_INVALID = 51
    MSG_SEQ_NUM_INVALID = 52
    USER_ALREADY_LGGGED_IN = 53  # sic: the public name; 34 already owns the right spelling
    ORIG_ORDER_NOT_FOUND = 54
    INVALID_LOGON_TYPE = 55
    CANT_EXECUTE_AGAINST_EXCHANGE_ORDER = 56
    NO_MARKET_MAKER_VOLUME = 57


_E = TypeVar("_E", bound=IntEnum)


def coerce(enum: type[_E], value: int) -> _E | int:
    """Return the member of *enum* for *value*, or *value* itself if unknown."""
    try:
        return enum(value)
    except ValueError:
        return value
