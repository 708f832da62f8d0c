"""The 17 message classes of the CRMD protocol, one declaration each.

Every class names its layout in :data:`~crmd_twisted.wire.layout.LAYOUTS`;
the metaclass of :class:`Message` (:mod:`._base`) adds the slots and the
generated codec (:mod:`._codegen`).  What a class declares here is only what
the layout cannot say: derived views such as ``ClientLogon.primary_oes`` or
``FiveLevelData.levels``.

Type checkers read ``messages.pyi`` instead of this file: that stub is
generated from the layout table (``python -m crmd_twisted.wire.stubgen``) and
declares every field, the keyword-only ``__init__`` and ``replace`` with
their types.  Keep this module free of logic that needs type checking.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from crmd_twisted.address import parse_address_or_none

from ._base import Message, decode
from .enums import ATTRIBUTE_COUNT, Attribute
from .errors import UnknownMessageTypeError
from .layout import LAYOUTS

__all__ = [
    "MESSAGES_BY_NAME",
    "MESSAGE_TYPES",
    "ClientLogon",
    "CollateralData",
    "CollateralRequest",
    "Entry",
    "FiveLevelData",
    "InstrumentRequest",
    "InstrumentResponse",
    "Level",
    "MdExecReport",
    "MdSubscribe",
    "Message",
    "OpenOrderRequest",
    "RiskUpdateRequest",
    "RiskUserSymbol",
    "Subscription",
    "TenLevelData",
    "ThirtyLevelData",
    "ThreeLevelData",
    "TopOfBook",
    "Transaction",
    "TwentyLevelData",
    "decode",
    "message_class",
]


class Level(NamedTuple):
    """One price level of ``three_level_data`` / ``five_level_data``."""

    buy_price: float
    buy_volume: float
    buy_orders: int
    sell_price: float
    sell_volume: float
    sell_orders: int


class Entry(NamedTuple):
    """One entry of the deep-book messages."""

    price: float
    volume: float
    side: int


class Subscription(NamedTuple):
    """One slot of ``md_subscribe``."""

    symbol_enum: int
    symbol: str
    symbol_type: int
    layers: int
    action: str


class ClientLogon(Message):
    """The ``*_address`` properties parse "host:port" (None if empty or malformed)."""

    LAYOUT = LAYOUTS["client_logon"]

    @property
    def primary_oes(self) -> tuple[str, int] | None:
        return parse_address_or_none(self.primary_oes_address)

    @property
    def secondary_oes(self) -> tuple[str, int] | None:
        return parse_address_or_none(self.secondary_oes_address)

    @property
    def primary_mds(self) -> tuple[str, int] | None:
        return parse_address_or_none(self.primary_mds_address)

    @property
    def secondary_mds(self) -> tuple[str, int] | None:
        return parse_address_or_none(self.secondary_mds_address)


class InstrumentRequest(Message):
    LAYOUT = LAYOUTS["instrument_request"]


class InstrumentResponse(Message):
    """``price_increment``, ``min_size`` and ``max_size`` are binary16: encoding rounds them."""

    LAYOUT = LAYOUTS["instrument_response"]


class RiskUpdateRequest(Message):
    LAYOUT = LAYOUTS["risk_update_request"]


class RiskUserSymbol(Message):
    LAYOUT = LAYOUTS["risk_user_symbol"]


class OpenOrderRequest(Message):
    LAYOUT = LAYOUTS["open_order_request"]


class CollateralRequest(Message):
    LAYOUT = LAYOUTS["collateral_request"]


class CollateralData(Message):
    LAYOUT = LAYOUTS["collateral_data"]


class Transaction(Message):
    """``attributes`` is 12 'Y'/'N' flags indexed by :class:`~.enums.Attribute`."""

    LAYOUT = LAYOUTS["transaction"]

    def attribute_set(self, attribute: Attribute | int) -> bool:
        """True if the flag at position ``attribute`` is 'Y'."""
        flags: str = self.attributes
        return len(flags) > attribute and flags[attribute] == "Y"

    def with_attributes(self, *attributes: Attribute | int) -> Transaction:
        """A copy whose attributes field has exactly ``attributes`` set."""
        flags = ["N"] * ATTRIBUTE_COUNT
        for a in attributes:
            flags[a] = "Y"
        return self.replace(attributes="".join(flags))


class MdSubscribe(Message):
    LAYOUT = LAYOUTS["md_subscribe"]

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(Subscription(*v) for v in self.group("sub"))


class MdExecReport(Message):
    LAYOUT = LAYOUTS["md_exec_report"]


class TopOfBook(Message):
    LAYOUT = LAYOUTS["top_of_book"]


class _Levels(Message):
    __slots__ = ()

    @property
    def levels(self) -> tuple[Level, ...]:
        return tuple(Level(*v) for v in self.group("level"))


class _Entries(Message):
    __slots__ = ()

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(Entry(*v) for v in self.group("entry"))


class ThreeLevelData(_Levels):
    LAYOUT = LAYOUTS["three_level_data"]


class FiveLevelData(_Levels):
    LAYOUT = LAYOUTS["five_level_data"]


class TenLevelData(_Entries):
    LAYOUT = LAYOUTS["ten_level_data"]


class TwentyLevelData(_Entries):
    LAYOUT = LAYOUTS["twenty_level_data"]


class ThirtyLevelData(_Entries):
    LAYOUT = LAYOUTS["thirty_level_data"]


_CLASSES: tuple[type[Message], ...] = (
    ClientLogon, InstrumentRequest, InstrumentResponse, RiskUpdateRequest, RiskUserSymbol,
    OpenOrderRequest, CollateralRequest, CollateralData, Transaction, MdSubscribe, MdExecReport,
    TopOfBook, ThreeLevelData, FiveLevelData, TenLevelData, TwentyLevelData, ThirtyLevelData,
)

#: Type character -> message class.
MESSAGE_TYPES: Mapping[str, type[Message]] = MappingProxyType({c.TYPE_CHAR: c for c in _CLASSES})
#: Canonical name -> message class.
MESSAGES_BY_NAME: Mapping[str, type[Message]] = MappingProxyType({c.NAME: c for c in _CLASSES})


def message_class(name_or_char: str) -> type[Message]:
    """Look a class up by type char ("T"), canonical name ("transaction") or class name."""
    cls = MESSAGE_TYPES.get(name_or_char) or MESSAGES_BY_NAME.get(name_or_char)
    if cls is None:
        for c in _CLASSES:
            if c.__name__ == name_or_char:
                return c
        raise UnknownMessageTypeError(name_or_char, 0)
    return cls
