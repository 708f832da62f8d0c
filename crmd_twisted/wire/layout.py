"""The single declarative table of every CRMD message layout.

Everything else in :mod:`crmd_twisted.wire` is derived from :data:`LAYOUTS`:
struct formats, field names, default values, the generated message classes,
their docstrings, the hypothesis strategies of the tests and the CLI tables.
A message is a header (type char, reserved byte, uint16 length) followed by
an ordered list of fields; repeated groups (market-data levels, subscription
slots) are written once and expanded with a numbered prefix
(``level1_buy_price`` ... ``level3_sell_orders``), matching the golden
vectors' ``field_order``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "HEADER",
    "INT_RANGES",
    "LAYOUTS",
    "LAYOUTS_BY_CHAR",
    "SEQ_FIELDS",
    "FieldKind",
    "FieldSpec",
    "Group",
    "MessageLayout",
]


class FieldKind(StrEnum):
    """How a field's wire bytes map to a Python value."""

    INT = "int"  #: struct integer code, Python int
    FLOAT = "float"  #: IEEE binary64 ('d'), Python float
    HALF = "float16"  #: IEEE binary16 ('e'), Python float (rounded on encode)
    TEXT = "text"  #: NUL padded ASCII ('Ns'), Python str without the padding


#: Inclusive value range of every integer struct code used by the protocol.
INT_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "B": (0, 2**8 - 1),
        "H": (0, 2**16 - 1),
        "h": (-(2**15), 2**15 - 1),
        "I": (0, 2**32 - 1),
        "i": (-(2**31), 2**31 - 1),
        "Q": (0, 2**64 - 1),
        "q": (-(2**63), 2**63 - 1),
    }
)


#: Names of the sequence number field: ``last_seq_num`` in ``client_logon``,
#: ``msg_seq_num`` elsewhere (``three_level_data``/``five_level_data`` have none).
SEQ_FIELDS = ("msg_seq_num", "last_seq_num")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One wire field: canonical name, struct code and value kind."""

    name: str
    code: str
    kind: FieldKind

    @property
    def width(self) -> int:
        """Size of the field on the wire in bytes."""
        return struct.calcsize("<" + self.code)

    @property
    def default(self) -> int | float | str:
        """Value of the field in a freshly constructed message."""
        if self.kind is FieldKind.TEXT:
            return ""
        if self.kind is FieldKind.INT:
            return 0
        return 0.0

    def __post_init__(self) -> None:
        expected = {
            FieldKind.INT: self.code in INT_RANGES,
            FieldKind.FLOAT: self.code == "d",
            FieldKind.HALF: self.code == "e",
            FieldKind.TEXT: self.code.endswith("s") and self.code[:-1].isdigit(),
        }[self.kind]
        if not expected:
            raise ValueError(f"field {self.name}: code {self.code!r} does not fit kind {self.kind}")


@dataclass(frozen=True, slots=True)
class Group:
    """A block of fields repeated ``count`` times, named ``{prefix}{n}_{field}``."""

    prefix: str
    count: int
    fields: tuple[FieldSpec, ...]

    def expand(self) -> tuple[FieldSpec, ...]:
        return tuple(
            FieldSpec(f"{self.prefix}{n}_{f.name}", f.code, f.kind)
            for n in range(1, self.count + 1)
            for f in self.fields
        )


@dataclass(frozen=True)
class MessageLayout:
    """The complete, flat layout of one message type (header included)."""

    name: str
    type_char: str
    class_name: str
    doc_name: str
    summary: str
    fields: tuple[FieldSpec, ...]
    groups: tuple[Group, ...] = field(default=())

    @property
    def struct_format(self) -> str:
        return "<" + "".join(f.code for f in self.fields)

    @property
    def length(self) -> int:
        return struct.calcsize(self.struct_format)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def seq_field(self) -> str | None:
        """The sequence number field (see :data:`SEQ_FIELDS`), None if the message has none."""
        return next((n for n in SEQ_FIELDS if n in self.field_names), None)

    @property
    def body_fields(self) -> tuple[FieldSpec, ...]:
        """Every field except ``type_char`` and ``length`` (which the class owns)."""
        return tuple(f for f in self.fields if f.name not in ("type_char", "length"))


# Short aliases that keep the table readable: N(umber), F(loat64), E (binary16), T(ext).
N, F, E, T = FieldKind.INT, FieldKind.FLOAT, FieldKind.HALF, FieldKind.TEXT

_Row = tuple[str, str, FieldKind] | Group

#: The 4-byte header every frame starts with.
HEADER: tuple[FieldSpec, ...] = (
    FieldSpec("type_char", "1s", T),
    FieldSpec("reserved", "1s", T),
    FieldSpec("length", "H", N),
)


def _group(prefix: str, count: int, rows: Iterable[tuple[str, str, FieldKind]]) -> Group:
    return Group(prefix, count, tuple(FieldSpec(*r) for r in rows))


_LEVEL = (
    ("buy_price", "d", F),
    ("buy_volume", "d", F),
    ("buy_orders", "H", N),
    ("sell_price", "d", F),
    ("sell_volume", "d", F),
    ("sell_orders", "H", N),
)
_ENTRY = (("price", "d", F), ("volume", "d", F), ("side", "B", N))
_MD_HEAD: tuple[_Row, ...] = (
    ("message_type", "H", N),
    ("padding", "H", N),
    ("symbol_enum", "H", N),
    ("symbol_type", "H", N),
)
_BOOK_HEAD: tuple[_Row, ...] = (
    *_MD_HEAD,
    ("symbol", "12s", T),
    ("last_trade_price", "d", F),
    ("last_24h_volume", "d", F),
    ("high", "d", F),
    ("low", "d", F),
)
_DEPTH_HEAD: tuple[_Row, ...] = (
    *_MD_HEAD,
    ("sending_time", "q", N),
    ("msg_seq_num", "I", N),
    ("start_layer", "H", N),
    ("symbol", "12s", T),
)
_RISK: tuple[_Row, ...] = (
    ("message_type", "H", N),
    ("padding", "H", N),
    ("user_name", "6s", T),
    ("account", "I", N),
    ("symbol_enum", "H", N),
    ("leverage", "d", F),
    ("long_position", "d", F),
    ("short_position", "d", F),
    ("long_cash", "d", F),
    ("short_cash", "d", F),
    ("symbol_disabled", "B", N),
    ("account_equity", "d", F),
    ("instrument_equity", "d", F),
    ("executed_long_cash", "d", F),
    ("executed_long_position", "d", F),
    ("executed_short_cash", "d", F),
    ("executed_short_position", "d", F),
    ("btc_equity", "d", F),
    ("usdt_equity", "d", F),
    ("eth_equity", "d", F),
    ("usd_equity", "d", F),
    ("fly_equity", "d", F),
    ("open_order_request_limit", "I", N),
    ("trading_session_id", "I", N),
    ("msg_seq_num", "I", N),
)
_SMALL_REQUEST: tuple[_Row, ...] = (
    ("message_type", "H", N),
    ("request_type", "H", N),
    ("account", "I", N),
    ("trading_session_id", "I", N),
    ("symbol_enum", "H", N),
    ("session_key", "I", N),
    ("msg_seq_num", "I", N),
    ("sending_time", "Q", N),
)

# name, type char, class name, documentation name, summary, rows after the header
_TABLE: tuple[tuple[str, str, str, str, str, tuple[_Row, ...]], ...] = (
    ("client_logon", "H", "ClientLogon", "BOClientLogon",
     "Logon / logout request and reply exchanged with the AES and the OES.", (
        ("logon_type", "H", N),
        ("account", "I", N),
        ("two_fa", "6s", T),
        ("user_name", "6s", T),
        ("trading_session_id", "I", N),
        ("primary_oes_address", "24s", T),
        ("secondary_oes_address", "24s", T),
        ("primary_mds_address", "24s", T),
        ("secondary_mds_address", "24s", T),
        ("sending_time", "Q", N),
        ("last_seq_num", "I", N),
        ("session_key", "I", N),
        ("login_status", "H", N),
        ("reject_reason", "H", N),
        ("risk_master", "1s", T),
    )),
    ("instrument_request", "Y", "InstrumentRequest", "BOInstrumentRequest",
     "Client asks the OES for one or all instrument definitions.", (
        ("message_type", "H", N),
        ("reject_reason", "I", N),
        ("account", "I", N),
        ("request_type", "H", N),
        ("session_key", "I", N),
        ("symbol", "24s", T),
        ("symbol_type", "H", N),
        ("symbol_enum", "H", N),
        ("trading_session_id", "I", N),
        ("sending_time", "Q", N),
        ("msg_seq_num", "I", N),
    )),
    ("instrument_response", "Q", "InstrumentResponse", "BOInstrument",
     "One instrument definition; the size/tick fields are binary16 floats.", (
        ("message_type", "H", N),
        ("padding", "H", N),
        ("response_type", "H", N),
        ("symbol_enum", "H", N),
        ("symbol", "24s", T),
        ("symbol_type", "H", N),
        ("price_increment", "e", E),
        ("min_size", "e", E),
        ("max_size", "e", E),
        ("sending_time", "Q", N),
        ("msg_seq_num", "I", N),
    )),
    ("risk_update_request", "w", "RiskUpdateRequest", "BORiskUpdateRequest",
     "Client asks the OES for its risk figures.", _SMALL_REQUEST),
    ("risk_user_symbol", "N", "RiskUserSymbol", "BORiskUserSymbol",
     "Risk figures of one account and instrument.", _RISK),
    ("open_order_request", "E", "OpenOrderRequest", "BOOpenOrderRequest",
     "Client asks for its open orders (signed fields, no session key).", (
        ("message_type", "h", N),
        ("account", "i", N),
        ("symbol_enum", "h", N),
        ("symbol", "12s", T),
        ("trading_session_id", "i", N),
        ("sending_time", "q", N),
        ("msg_seq_num", "i", N),
    )),
    ("collateral_request", "f", "CollateralRequest", "BOCollateralRequest",
     "Client asks for its collateral balances (same bytes as a risk request).", _SMALL_REQUEST),
    ("collateral_data", "h", "CollateralData", "BOCollateralData",
     "Collateral balances (same bytes as risk_user_symbol).", _RISK),
    ("transaction", "T", "Transaction", "BOTransaction",
     "Order entry request or OES response (250-byte form).", (
        ("message_type", "H", N),
        ("padding", "H", N),
        ("account", "I", N),
        ("order_id", "Q", N),
        ("symbol_enum", "H", N),
        ("order_type", "H", N),
        ("symbol_type", "H", N),
        ("price", "d", F),
        ("side", "H", N),
        ("order_qty", "d", F),
        ("time_in_force", "H", N),
        ("stop_limit_price", "d", F),
        ("symbol", "12s", T),
        ("orig_order_id", "Q", N),
        ("cancel_qty", "d", F),
        ("exec_id", "Q", N),
        ("exec_qty", "d", F),
        ("remaining_qty", "d", F),
        ("exec_fee", "d", F),
        ("expiration_date", "12s", T),
        ("trader_id", "6s", T),
        ("reject_reason", "H", N),
        ("sending_time", "Q", N),
        ("trading_session_id", "i", N),
        ("session_key", "i", N),
        ("display_size", "d", F),
        ("refresh_size", "d", F),
        ("layers", "h", N),
        ("size_increment", "d", F),
        ("price_increment", "d", F),
        ("price_offset", "d", F),
        ("orig_price", "d", F),
        ("exec_price", "d", F),
        ("msg_seq_num", "q", N),
        ("take_profit_price", "d", F),
        ("trigger_type", "H", N),
        ("second_leg_price", "d", F),
        ("route_enum", "H", N),
        ("modify_type", "H", N),
        ("attributes", "12s", T),
    )),
    ("md_subscribe", "s", "MdSubscribe", "BOMDSubscribe",
     "Client subscribes to market data (five subscription slots).", (
        ("message_type", "H", N),
        ("padding", "H", N),
        ("account", "I", N),
        ("session_key", "I", N),
        ("trading_session_id", "I", N),
        ("sending_time", "q", N),
        ("msg_seq_num", "I", N),
        _group("sub", 5, (
            ("symbol_enum", "H", N),
            ("symbol", "16s", T),
            ("symbol_type", "H", N),
            ("layers", "H", N),
            ("action", "1s", T),
        )),
    )),
    ("md_exec_report", "V", "MdExecReport", "BOMDExecReport",
     "Public trade report from the MDS.", (
         *_MD_HEAD,
         ("price", "d", F),
         ("volume", "d", F),
         ("sending_time", "q", N),
         ("msg_seq_num", "I", N),
         ("side", "H", N),
         ("symbol", "12s", T),
     )),
    ("top_of_book", "t", "TopOfBook", "BOTOBMsg",
     "Best bid/offer and 24 h statistics.", (
         *_BOOK_HEAD,
         ("buy_price", "d", F),
         ("buy_volume", "d", F),
         ("sell_price", "d", F),
         ("sell_volume", "d", F),
         ("sending_time", "q", N),
         ("msg_seq_num", "I", N),
     )),
    ("three_level_data", "M", "ThreeLevelData", "BOThreeLevelData",
     "Three price levels per side.", (*_BOOK_HEAD, _group("level", 3, _LEVEL))),
    ("five_level_data", "m", "FiveLevelData", "BOFiveLevelData",
     "Five price levels per side.", (*_BOOK_HEAD, _group("level", 5, _LEVEL))),
    ("ten_level_data", "O", "TenLevelData", "BOTenLevelData",
     "Deep book: 20 (price, volume, side) entries.", (*_DEPTH_HEAD, _group("entry", 20, _ENTRY))),
    ("twenty_level_data", "S", "TwentyLevelData", "BOTwentyLevelData",
     "Deep book: 40 (price, volume, side) entries.", (*_DEPTH_HEAD, _group("entry", 40, _ENTRY))),
    ("thirty_level_data", "U", "ThirtyLevelData", "BOThirtyLevelData",
     "Deep book: 60 (price, volume, side) entries.", (*_DEPTH_HEAD, _group("entry", 60, _ENTRY))),
)


def _build(row: tuple[str, str, str, str, str, tuple[_Row, ...]]) -> MessageLayout:
    name, char, cls, doc_name, summary, rows = row
    fields: list[FieldSpec] = list(HEADER)
    groups: list[Group] = []
    for r in rows:
        if isinstance(r, Group):
            groups.append(r)
            fields.extend(r.expand())
        else:
            fields.append(FieldSpec(*r))
    return MessageLayout(name, char, cls, doc_name, summary, tuple(fields), tuple(groups))


#: Canonical message name -> layout, in catalogue order.
LAYOUTS: Mapping[str, MessageLayout] = MappingProxyType({r[0]: _build(r) for r in _TABLE})
#: Type character -> layout.
LAYOUTS_BY_CHAR: Mapping[str, MessageLayout] = MappingProxyType(
    {lay.type_char: lay for lay in LAYOUTS.values()}
)
