# Generated from crmd_twisted/wire/layout.py by `python -m crmd_twisted.wire.stubgen`.
# Do not edit: change the layout table (or stubgen.py) and regenerate.

from collections.abc import Mapping
from typing import NamedTuple

from ._base import Message as Message
from ._base import decode as decode
from .enums import Attribute

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

MESSAGE_TYPES: Mapping[str, type[Message]]
MESSAGES_BY_NAME: Mapping[str, type[Message]]

def message_class(name_or_char: str) -> type[Message]: ...

class Level(NamedTuple):
    buy_price: float
    buy_volume: float
    buy_orders: int
    sell_price: float
    sell_volume: float
    sell_orders: int

class Entry(NamedTuple):
    price: float
    volume: float
    side: int

class Subscription(NamedTuple):
    symbol_enum: int
    symbol: str
    symbol_type: int
    layers: int
    action: str

class _Levels(Message):
    @property
    def levels(self) -> tuple[Level, ...]: ...

class _Entries(Message):
    @property
    def entries(self) -> tuple[Entry, ...]: ...

class ClientLogon(Message):
    reserved: str
    logon_type: int
    account: int
    two_fa: str
    user_name: str
    trading_session_id: int
    primary_oes_address: str
    secondary_oes_address: str
    primary_mds_address: str
    secondary_mds_address: str
    sending_time: int
    last_seq_num: int
    session_key: int
    login_status: int
    reject_reason: int
    risk_master: str
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        logon_type: int = 0, account: int = 0, two_fa: str = "", user_name: str = "",
        trading_session_id: int = 0, primary_oes_address: str = "", secondary_oes_address: str = "",
        primary_mds_address: str = "", secondary_mds_address: str = "", sending_time: int = 0,
        last_seq_num: int = 0, session_key: int = 0, login_status: int = 0, reject_reason: int = 0,
        risk_master: str = "",
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., logon_type: int = ..., account: int = ..., two_fa: str = ...,
        user_name: str = ..., trading_session_id: int = ..., primary_oes_address: str = ...,
        secondary_oes_address: str = ..., primary_mds_address: str = ...,
        secondary_mds_address: str = ..., sending_time: int = ..., last_seq_num: int = ...,
        session_key: int = ..., login_status: int = ..., reject_reason: int = ...,
        risk_master: str = ...,
    ) -> ClientLogon: ...
    def encode_seq(self, seq: int) -> bytes: ...
    @property
    def primary_oes(self) -> tuple[str, int] | None: ...
    @property
    def secondary_oes(self) -> tuple[str, int] | None: ...
    @property
    def primary_mds(self) -> tuple[str, int] | None: ...
    @property
    def secondary_mds(self) -> tuple[str, int] | None: ...

class InstrumentRequest(Message):
    reserved: str
    message_type: int
    reject_reason: int
    account: int
    request_type: int
    session_key: int
    symbol: str
    symbol_type: int
    symbol_enum: int
    trading_session_id: int
    sending_time: int
    msg_seq_num: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, reject_reason: int = 0, account: int = 0, request_type: int = 0,
        session_key: int = 0, symbol: str = "", symbol_type: int = 0, symbol_enum: int = 0,
        trading_session_id: int = 0, sending_time: int = 0, msg_seq_num: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., reject_reason: int = ..., account: int = ...,
        request_type: int = ..., session_key: int = ..., symbol: str = ..., symbol_type: int = ...,
        symbol_enum: int = ..., trading_session_id: int = ..., sending_time: int = ...,
        msg_seq_num: int = ...,
    ) -> InstrumentRequest: ...
    def encode_seq(self, seq: int) -> bytes: ...

class InstrumentResponse(Message):
    reserved: str
    message_type: int
    padding: int
    response_type: int
    symbol_enum: int
    symbol: str
    symbol_type: int
    price_increment: float
    min_size: float
    max_size: float
    sending_time: int
    msg_seq_num: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, response_type: int = 0, symbol_enum: int = 0,
        symbol: str = "", symbol_type: int = 0, price_increment: float = 0.0, min_size: float = 0.0,
        max_size: float = 0.0, sending_time: int = 0, msg_seq_num: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., response_type: int = ...,
        symbol_enum: int = ..., symbol: str = ..., symbol_type: int = ...,
        price_increment: float = ..., min_size: float = ..., max_size: float = ...,
        sending_time: int = ..., msg_seq_num: int = ...,
    ) -> InstrumentResponse: ...
    def encode_seq(self, seq: int) -> bytes: ...

class RiskUpdateRequest(Message):
    reserved: str
    message_type: int
    request_type: int
    account: int
    trading_session_id: int
    symbol_enum: int
    session_key: int
    msg_seq_num: int
    sending_time: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, request_type: int = 0, account: int = 0, trading_session_id: int = 0,
        symbol_enum: int = 0, session_key: int = 0, msg_seq_num: int = 0, sending_time: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., request_type: int = ..., account: int = ...,
        trading_session_id: int = ..., symbol_enum: int = ..., session_key: int = ...,
        msg_seq_num: int = ..., sending_time: int = ...,
    ) -> RiskUpdateRequest: ...
    def encode_seq(self, seq: int) -> bytes: ...

class RiskUserSymbol(Message):
    reserved: str
    message_type: int
    padding: int
    user_name: str
    account: int
    symbol_enum: int
    leverage: float
    long_position: float
    short_position: float
    long_cash: float
    short_cash: float
    symbol_disabled: int
    account_equity: float
    instrument_equity: float
    executed_long_cash: float
    executed_long_position: float
    executed_short_cash: float
    executed_short_position: float
    btc_equity: float
    usdt_equity: float
    eth_equity: float
    usd_equity: float
    fly_equity: float
    open_order_request_limit: int
    trading_session_id: int
    msg_seq_num: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, user_name: str = "", account: int = 0,
        symbol_enum: int = 0, leverage: float = 0.0, long_position: float = 0.0,
        short_position: float = 0.0, long_cash: float = 0.0, short_cash: float = 0.0,
        symbol_disabled: int = 0, account_equity: float = 0.0, instrument_equity: float = 0.0,
        executed_long_cash: float = 0.0, executed_long_position: float = 0.0,
        executed_short_cash: float = 0.0, executed_short_position: float = 0.0,
        btc_equity: float = 0.0, usdt_equity: float = 0.0, eth_equity: float = 0.0,
        usd_equity: float = 0.0, fly_equity: float = 0.0, open_order_request_limit: int = 0,
        trading_session_id: int = 0, msg_seq_num: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., user_name: str = ...,
        account: int = ..., symbol_enum: int = ..., leverage: float = ...,
        long_position: float = ..., short_position: float = ..., long_cash: float = ...,
        short_cash: float = ..., symbol_disabled: int = ..., account_equity: float = ...,
        instrument_equity: float = ..., executed_long_cash: float = ...,
        executed_long_position: float = ..., executed_short_cash: float = ...,
        executed_short_position: float = ..., btc_equity: float = ..., usdt_equity: float = ...,
        eth_equity: float = ..., usd_equity: float = ..., fly_equity: float = ...,
        open_order_request_limit: int = ..., trading_session_id: int = ..., msg_seq_num: int = ...,
    ) -> RiskUserSymbol: ...
    def encode_seq(self, seq: int) -> bytes: ...

class OpenOrderRequest(Message):
    reserved: str
    message_type: int
    account: int
    symbol_enum: int
    symbol: str
    trading_session_id: int
    sending_time: int
    msg_seq_num: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, account: int = 0, symbol_enum: int = 0, symbol: str = "",
        trading_session_id: int = 0, sending_time: int = 0, msg_seq_num: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., account: int = ..., symbol_enum: int = ...,
        symbol: str = ..., trading_session_id: int = ..., sending_time: int = ...,
        msg_seq_num: int = ...,
    ) -> OpenOrderRequest: ...
    def encode_seq(self, seq: int) -> bytes: ...

class CollateralRequest(Message):
    reserved: str
    message_type: int
    request_type: int
    account: int
    trading_session_id: int
    symbol_enum: int
    session_key: int
    msg_seq_num: int
    sending_time: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, request_type: int = 0, account: int = 0, trading_session_id: int = 0,
        symbol_enum: int = 0, session_key: int = 0, msg_seq_num: int = 0, sending_time: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., request_type: int = ..., account: int = ...,
        trading_session_id: int = ..., symbol_enum: int = ..., session_key: int = ...,
        msg_seq_num: int = ..., sending_time: int = ...,
    ) -> CollateralRequest: ...
    def encode_seq(self, seq: int) -> bytes: ...

class CollateralData(Message):
    reserved: str
    message_type: int
    padding: int
    user_name: str
    account: int
    symbol_enum: int
    leverage: float
    long_position: float
    short_position: float
    long_cash: float
    short_cash: float
    symbol_disabled: int
    account_equity: float
    instrument_equity: float
    executed_long_cash: float
    executed_long_position: float
    executed_short_cash: float
    executed_short_position: float
    btc_equity: float
    usdt_equity: float
    eth_equity: float
    usd_equity: float
    fly_equity: float
    open_order_request_limit: int
    trading_session_id: int
    msg_seq_num: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, user_name: str = "", account: int = 0,
        symbol_enum: int = 0, leverage: float = 0.0, long_position: float = 0.0,
        short_position: float = 0.0, long_cash: float = 0.0, short_cash: float = 0.0,
        symbol_disabled: int = 0, account_equity: float = 0.0, instrument_equity: float = 0.0,
        executed_long_cash: float = 0.0, executed_long_position: float = 0.0,
        executed_short_cash: float = 0.0, executed_short_position: float = 0.0,
        btc_equity: float = 0.0, usdt_equity: float = 0.0, eth_equity: float = 0.0,
        usd_equity: float = 0.0, fly_equity: float = 0.0, open_order_request_limit: int = 0,
        trading_session_id: int = 0, msg_seq_num: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., user_name: str = ...,
        account: int = ..., symbol_enum: int = ..., leverage: float = ...,
        long_position: float = ..., short_position: float = ..., long_cash: float = ...,
        short_cash: float = ..., symbol_disabled: int = ..., account_equity: float = ...,
        instrument_equity: float = ..., executed_long_cash: float = ...,
        executed_long_position: float = ..., executed_short_cash: float = ...,
        executed_short_position: float = ..., btc_equity: float = ..., usdt_equity: float = ...,
        eth_equity: float = ..., usd_equity: float = ..., fly_equity: float = ...,
        open_order_request_limit: int = ..., trading_session_id: int = ..., msg_seq_num: int = ...,
    ) -> CollateralData: ...
    def encode_seq(self, seq: int) -> bytes: ...

class Transaction(Message):
    reserved: str
    message_type: int
    padding: int
    account: int
    order_id: int
    symbol_enum: int
    order_type: int
    symbol_type: int
    price: float
    side: int
    order_qty: float
    time_in_force: int
    stop_limit_price: float
    symbol: str
    orig_order_id: int
    cancel_qty: float
    exec_id: int
    exec_qty: float
    remaining_qty: float
    exec_fee: float
    expiration_date: str
    trader_id: str
    reject_reason: int
    sending_time: int
    trading_session_id: int
    session_key: int
    display_size: float
    refresh_size: float
    layers: int
    size_increment: float
    price_increment: float
    price_offset: float
    orig_price: float
    exec_price: float
    msg_seq_num: int
    take_profit_price: float
    trigger_type: int
    second_leg_price: float
    route_enum: int
    modify_type: int
    attributes: str
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, account: int = 0, order_id: int = 0,
        symbol_enum: int = 0, order_type: int = 0, symbol_type: int = 0, price: float = 0.0,
        side: int = 0, order_qty: float = 0.0, time_in_force: int = 0,
        stop_limit_price: float = 0.0, symbol: str = "", orig_order_id: int = 0,
        cancel_qty: float = 0.0, exec_id: int = 0, exec_qty: float = 0.0,
        remaining_qty: float = 0.0, exec_fee: float = 0.0, expiration_date: str = "",
        trader_id: str = "", reject_reason: int = 0, sending_time: int = 0,
        trading_session_id: int = 0, session_key: int = 0, display_size: float = 0.0,
        refresh_size: float = 0.0, layers: int = 0, size_increment: float = 0.0,
        price_increment: float = 0.0, price_offset: float = 0.0, orig_price: float = 0.0,
        exec_price: float = 0.0, msg_seq_num: int = 0, take_profit_price: float = 0.0,
        trigger_type: int = 0, second_leg_price: float = 0.0, route_enum: int = 0,
        modify_type: int = 0, attributes: str = "",
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., account: int = ...,
        order_id: int = ..., symbol_enum: int = ..., order_type: int = ..., symbol_type: int = ...,
        price: float = ..., side: int = ..., order_qty: float = ..., time_in_force: int = ...,
        stop_limit_price: float = ..., symbol: str = ..., orig_order_id: int = ...,
        cancel_qty: float = ..., exec_id: int = ..., exec_qty: float = ...,
        remaining_qty: float = ..., exec_fee: float = ..., expiration_date: str = ...,
        trader_id: str = ..., reject_reason: int = ..., sending_time: int = ...,
        trading_session_id: int = ..., session_key: int = ..., display_size: float = ...,
        refresh_size: float = ..., layers: int = ..., size_increment: float = ...,
        price_increment: float = ..., price_offset: float = ..., orig_price: float = ...,
        exec_price: float = ..., msg_seq_num: int = ..., take_profit_price: float = ...,
        trigger_type: int = ..., second_leg_price: float = ..., route_enum: int = ...,
        modify_type: int = ..., attributes: str = ...,
    ) -> Transaction: ...
    def encode_seq(self, seq: int) -> bytes: ...
    def attribute_set(self, attribute: Attribute | int) -> bool: ...
    def with_attributes(self, *attributes: Attribute | int) -> Transaction: ...

class MdSubscribe(Message):
    reserved: str
    message_type: int
    padding: int
    account: int
    session_key: int
    trading_session_id: int
    sending_time: int
    msg_seq_num: int
    sub1_symbol_enum: int
    sub1_symbol: str
    sub1_symbol_type: int
    sub1_layers: int
    sub1_action: str
    sub2_symbol_enum: int
    sub2_symbol: str
    sub2_symbol_type: int
    sub2_layers: int
    sub2_action: str
    sub3_symbol_enum: int
    sub3_symbol: str
    sub3_symbol_type: int
    sub3_layers: int
    sub3_action: str
    sub4_symbol_enum: int
    sub4_symbol: str
    sub4_symbol_type: int
    sub4_layers: int
    sub4_action: str
    sub5_symbol_enum: int
    sub5_symbol: str
    sub5_symbol_type: int
    sub5_layers: int
    sub5_action: str
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, account: int = 0, session_key: int = 0,
        trading_session_id: int = 0, sending_time: int = 0, msg_seq_num: int = 0,
        sub1_symbol_enum: int = 0, sub1_symbol: str = "", sub1_symbol_type: int = 0,
        sub1_layers: int = 0, sub1_action: str = "", sub2_symbol_enum: int = 0,
        sub2_symbol: str = "", sub2_symbol_type: int = 0, sub2_layers: int = 0,
        sub2_action: str = "", sub3_symbol_enum: int = 0, sub3_symbol: str = "",
        sub3_symbol_type: int = 0, sub3_layers: int = 0, sub3_action: str = "",
        sub4_symbol_enum: int = 0, sub4_symbol: str = "", sub4_symbol_type: int = 0,
        sub4_layers: int = 0, sub4_action: str = "", sub5_symbol_enum: int = 0,
        sub5_symbol: str = "", sub5_symbol_type: int = 0, sub5_layers: int = 0,
        sub5_action: str = "",
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., account: int = ...,
        session_key: int = ..., trading_session_id: int = ..., sending_time: int = ...,
        msg_seq_num: int = ..., sub1_symbol_enum: int = ..., sub1_symbol: str = ...,
        sub1_symbol_type: int = ..., sub1_layers: int = ..., sub1_action: str = ...,
        sub2_symbol_enum: int = ..., sub2_symbol: str = ..., sub2_symbol_type: int = ...,
        sub2_layers: int = ..., sub2_action: str = ..., sub3_symbol_enum: int = ...,
        sub3_symbol: str = ..., sub3_symbol_type: int = ..., sub3_layers: int = ...,
        sub3_action: str = ..., sub4_symbol_enum: int = ..., sub4_symbol: str = ...,
        sub4_symbol_type: int = ..., sub4_layers: int = ..., sub4_action: str = ...,
        sub5_symbol_enum: int = ..., sub5_symbol: str = ..., sub5_symbol_type: int = ...,
        sub5_layers: int = ..., sub5_action: str = ...,
    ) -> MdSubscribe: ...
    def encode_seq(self, seq: int) -> bytes: ...
    @property
    def subscriptions(self) -> tuple[Subscription, ...]: ...

class MdExecReport(Message):
    reserved: str
    message_type: int
    padding: int
    symbol_enum: int
    symbol_type: int
    price: float
    volume: float
    sending_time: int
    msg_seq_num: int
    side: int
    symbol: str
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, symbol_enum: int = 0, symbol_type: int = 0,
        price: float = 0.0, volume: float = 0.0, sending_time: int = 0, msg_seq_num: int = 0,
        side: int = 0, symbol: str = "",
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., symbol_enum: int = ...,
        symbol_type: int = ..., price: float = ..., volume: float = ..., sending_time: int = ...,
        msg_seq_num: int = ..., side: int = ..., symbol: str = ...,
    ) -> MdExecReport: ...
    def encode_seq(self, seq: int) -> bytes: ...

class TopOfBook(Message):
    reserved: str
    message_type: int
    padding: int
    symbol_enum: int
    symbol_type: int
    symbol: str
    last_trade_price: float
    last_24h_volume: float
    high: float
    low: float
    buy_price: float
    buy_volume: float
    sell_price: float
    sell_volume: float
    sending_time: int
    msg_seq_num: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, symbol_enum: int = 0, symbol_type: int = 0,
        symbol: str = "", last_trade_price: float = 0.0, last_24h_volume: float = 0.0,
        high: float = 0.0, low: float = 0.0, buy_price: float = 0.0, buy_volume: float = 0.0,
        sell_price: float = 0.0, sell_volume: float = 0.0, sending_time: int = 0,
        msg_seq_num: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., symbol_enum: int = ...,
        symbol_type: int = ..., symbol: str = ..., last_trade_price: float = ...,
        last_24h_volume: float = ..., high: float = ..., low: float = ..., buy_price: float = ...,
        buy_volume: float = ..., sell_price: float = ..., sell_volume: float = ...,
        sending_time: int = ..., msg_seq_num: int = ...,
    ) -> TopOfBook: ...
    def encode_seq(self, seq: int) -> bytes: ...

class ThreeLevelData(_Levels):
    reserved: str
    message_type: int
    padding: int
    symbol_enum: int
    symbol_type: int
    symbol: str
    last_trade_price: float
    last_24h_volume: float
    high: float
    low: float
    level1_buy_price: float
    level1_buy_volume: float
    level1_buy_orders: int
    level1_sell_price: float
    level1_sell_volume: float
    level1_sell_orders: int
    level2_buy_price: float
    level2_buy_volume: float
    level2_buy_orders: int
    level2_sell_price: float
    level2_sell_volume: float
    level2_sell_orders: int
    level3_buy_price: float
    level3_buy_volume: float
    level3_buy_orders: int
    level3_sell_price: float
    level3_sell_volume: float
    level3_sell_orders: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, symbol_enum: int = 0, symbol_type: int = 0,
        symbol: str = "", last_trade_price: float = 0.0, last_24h_volume: float = 0.0,
        high: float = 0.0, low: float = 0.0, level1_buy_price: float = 0.0,
        level1_buy_volume: float = 0.0, level1_buy_orders: int = 0, level1_sell_price: float = 0.0,
        level1_sell_volume: float = 0.0, level1_sell_orders: int = 0, level2_buy_price: float = 0.0,
        level2_buy_volume: float = 0.0, level2_buy_orders: int = 0, level2_sell_price: float = 0.0,
        level2_sell_volume: float = 0.0, level2_sell_orders: int = 0, level3_buy_price: float = 0.0,
        level3_buy_volume: float = 0.0, level3_buy_orders: int = 0, level3_sell_price: float = 0.0,
        level3_sell_volume: float = 0.0, level3_sell_orders: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., symbol_enum: int = ...,
        symbol_type: int = ..., symbol: str = ..., last_trade_price: float = ...,
        last_24h_volume: float = ..., high: float = ..., low: float = ...,
        level1_buy_price: float = ..., level1_buy_volume: float = ..., level1_buy_orders: int = ...,
        level1_sell_price: float = ..., level1_sell_volume: float = ...,
        level1_sell_orders: int = ..., level2_buy_price: float = ...,
        level2_buy_volume: float = ..., level2_buy_orders: int = ...,
        level2_sell_price: float = ..., level2_sell_volume: float = ...,
        level2_sell_orders: int = ..., level3_buy_price: float = ...,
        level3_buy_volume: float = ..., level3_buy_orders: int = ...,
        level3_sell_price: float = ..., level3_sell_volume: float = ...,
        level3_sell_orders: int = ...,
    ) -> ThreeLevelData: ...

class FiveLevelData(_Levels):
    reserved: str
    message_type: int
    padding: int
    symbol_enum: int
    symbol_type: int
    symbol: str
    last_trade_price: float
    last_24h_volume: float
    high: float
    low: float
    level1_buy_price: float
    level1_buy_volume: float
    level1_buy_orders: int
    level1_sell_price: float
    level1_sell_volume: float
    level1_sell_orders: int
    level2_buy_price: float
    level2_buy_volume: float
    level2_buy_orders: int
    level2_sell_price: float
    level2_sell_volume: float
    level2_sell_orders: int
    level3_buy_price: float
    level3_buy_volume: float
    level3_buy_orders: int
    level3_sell_price: float
    level3_sell_volume: float
    level3_sell_orders: int
    level4_buy_price: float
    level4_buy_volume: float
    level4_buy_orders: int
    level4_sell_price: float
    level4_sell_volume: float
    level4_sell_orders: int
    level5_buy_price: float
    level5_buy_volume: float
    level5_buy_orders: int
    level5_sell_price: float
    level5_sell_volume: float
    level5_sell_orders: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, symbol_enum: int = 0, symbol_type: int = 0,
        symbol: str = "", last_trade_price: float = 0.0, last_24h_volume: float = 0.0,
        high: float = 0.0, low: float = 0.0, level1_buy_price: float = 0.0,
        level1_buy_volume: float = 0.0, level1_buy_orders: int = 0, level1_sell_price: float = 0.0,
        level1_sell_volume: float = 0.0, level1_sell_orders: int = 0, level2_buy_price: float = 0.0,
        level2_buy_volume: float = 0.0, level2_buy_orders: int = 0, level2_sell_price: float = 0.0,
        level2_sell_volume: float = 0.0, level2_sell_orders: int = 0, level3_buy_price: float = 0.0,
        level3_buy_volume: float = 0.0, level3_buy_orders: int = 0, level3_sell_price: float = 0.0,
        level3_sell_volume: float = 0.0, level3_sell_orders: int = 0, level4_buy_price: float = 0.0,
        level4_buy_volume: float = 0.0, level4_buy_orders: int = 0, level4_sell_price: float = 0.0,
        level4_sell_volume: float = 0.0, level4_sell_orders: int = 0, level5_buy_price: float = 0.0,
        level5_buy_volume: float = 0.0, level5_buy_orders: int = 0, level5_sell_price: float = 0.0,
        level5_sell_volume: float = 0.0, level5_sell_orders: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., symbol_enum: int = ...,
        symbol_type: int = ..., symbol: str = ..., last_trade_price: float = ...,
        last_24h_volume: float = ..., high: float = ..., low: float = ...,
        level1_buy_price: float = ..., level1_buy_volume: float = ..., level1_buy_orders: int = ...,
        level1_sell_price: float = ..., level1_sell_volume: float = ...,
        level1_sell_orders: int = ..., level2_buy_price: float = ...,
        level2_buy_volume: float = ..., level2_buy_orders: int = ...,
        level2_sell_price: float = ..., level2_sell_volume: float = ...,
        level2_sell_orders: int = ..., level3_buy_price: float = ...,
        level3_buy_volume: float = ..., level3_buy_orders: int = ...,
        level3_sell_price: float = ..., level3_sell_volume: float = ...,
        level3_sell_orders: int = ..., level4_buy_price: float = ...,
        level4_buy_volume: float = ..., level4_buy_orders: int = ...,
        level4_sell_price: float = ..., level4_sell_volume: float = ...,
        level4_sell_orders: int = ..., level5_buy_price: float = ...,
        level5_buy_volume: float = ..., level5_buy_orders: int = ...,
        level5_sell_price: float = ..., level5_sell_volume: float = ...,
        level5_sell_orders: int = ...,
    ) -> FiveLevelData: ...

class TenLevelData(_Entries):
    reserved: str
    message_type: int
    padding: int
    symbol_enum: int
    symbol_type: int
    sending_time: int
    msg_seq_num: int
    start_layer: int
    symbol: str
    entry1_price: float
    entry1_volume: float
    entry1_side: int
    entry2_price: float
    entry2_volume: float
    entry2_side: int
    entry3_price: float
    entry3_volume: float
    entry3_side: int
    entry4_price: float
    entry4_volume: float
    entry4_side: int
    entry5_price: float
    entry5_volume: float
    entry5_side: int
    entry6_price: float
    entry6_volume: float
    entry6_side: int
    entry7_price: float
    entry7_volume: float
    entry7_side: int
    entry8_price: float
    entry8_volume: float
    entry8_side: int
    entry9_price: float
    entry9_volume: float
    entry9_side: int
    entry10_price: float
    entry10_volume: float
    entry10_side: int
    entry11_price: float
    entry11_volume: float
    entry11_side: int
    entry12_price: float
    entry12_volume: float
    entry12_side: int
    entry13_price: float
    entry13_volume: float
    entry13_side: int
    entry14_price: float
    entry14_volume: float
    entry14_side: int
    entry15_price: float
    entry15_volume: float
    entry15_side: int
    entry16_price: float
    entry16_volume: float
    entry16_side: int
    entry17_price: float
    entry17_volume: float
    entry17_side: int
    entry18_price: float
    entry18_volume: float
    entry18_side: int
    entry19_price: float
    entry19_volume: float
    entry19_side: int
    entry20_price: float
    entry20_volume: float
    entry20_side: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, symbol_enum: int = 0, symbol_type: int = 0,
        sending_time: int = 0, msg_seq_num: int = 0, start_layer: int = 0, symbol: str = "",
        entry1_price: float = 0.0, entry1_volume: float = 0.0, entry1_side: int = 0,
        entry2_price: float = 0.0, entry2_volume: float = 0.0, entry2_side: int = 0,
        entry3_price: float = 0.0, entry3_volume: float = 0.0, entry3_side: int = 0,
        entry4_price: float = 0.0, entry4_volume: float = 0.0, entry4_side: int = 0,
        entry5_price: float = 0.0, entry5_volume: float = 0.0, entry5_side: int = 0,
        entry6_price: float = 0.0, entry6_volume: float = 0.0, entry6_side: int = 0,
        entry7_price: float = 0.0, entry7_volume: float = 0.0, entry7_side: int = 0,
        entry8_price: float = 0.0, entry8_volume: float = 0.0, entry8_side: int = 0,
        entry9_price: float = 0.0, entry9_volume: float = 0.0, entry9_side: int = 0,
        entry10_price: float = 0.0, entry10_volume: float = 0.0, entry10_side: int = 0,
        entry11_price: float = 0.0, entry11_volume: float = 0.0, entry11_side: int = 0,
        entry12_price: float = 0.0, entry12_volume: float = 0.0, entry12_side: int = 0,
        entry13_price: float = 0.0, entry13_volume: float = 0.0, entry13_side: int = 0,
        entry14_price: float = 0.0, entry14_volume: float = 0.0, entry14_side: int = 0,
        entry15_price: float = 0.0, entry15_volume: float = 0.0, entry15_side: int = 0,
        entry16_price: float = 0.0, entry16_volume: float = 0.0, entry16_side: int = 0,
        entry17_price: float = 0.0, entry17_volume: float = 0.0, entry17_side: int = 0,
        entry18_price: float = 0.0, entry18_volume: float = 0.0, entry18_side: int = 0,
        entry19_price: float = 0.0, entry19_volume: float = 0.0, entry19_side: int = 0,
        entry20_price: float = 0.0, entry20_volume: float = 0.0, entry20_side: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., symbol_enum: int = ...,
        symbol_type: int = ..., sending_time: int = ..., msg_seq_num: int = ...,
        start_layer: int = ..., symbol: str = ..., entry1_price: float = ...,
        entry1_volume: float = ..., entry1_side: int = ..., entry2_price: float = ...,
        entry2_volume: float = ..., entry2_side: int = ..., entry3_price: float = ...,
        entry3_volume: float = ..., entry3_side: int = ..., entry4_price: float = ...,
        entry4_volume: float = ..., entry4_side: int = ..., entry5_price: float = ...,
        entry5_volume: float = ..., entry5_side: int = ..., entry6_price: float = ...,
        entry6_volume: float = ..., entry6_side: int = ..., entry7_price: float = ...,
        entry7_volume: float = ..., entry7_side: int = ..., entry8_price: float = ...,
        entry8_volume: float = ..., entry8_side: int = ..., entry9_price: float = ...,
        entry9_volume: float = ..., entry9_side: int = ..., entry10_price: float = ...,
        entry10_volume: float = ..., entry10_side: int = ..., entry11_price: float = ...,
        entry11_volume: float = ..., entry11_side: int = ..., entry12_price: float = ...,
        entry12_volume: float = ..., entry12_side: int = ..., entry13_price: float = ...,
        entry13_volume: float = ..., entry13_side: int = ..., entry14_price: float = ...,
        entry14_volume: float = ..., entry14_side: int = ..., entry15_price: float = ...,
        entry15_volume: float = ..., entry15_side: int = ..., entry16_price: float = ...,
        entry16_volume: float = ..., entry16_side: int = ..., entry17_price: float = ...,
        entry17_volume: float = ..., entry17_side: int = ..., entry18_price: float = ...,
        entry18_volume: float = ..., entry18_side: int = ..., entry19_price: float = ...,
        entry19_volume: float = ..., entry19_side: int = ..., entry20_price: float = ...,
        entry20_volume: float = ..., entry20_side: int = ...,
    ) -> TenLevelData: ...
    def encode_seq(self, seq: int) -> bytes: ...

class TwentyLevelData(_Entries):
    reserved: str
    message_type: int
    padding: int
    symbol_enum: int
    symbol_type: int
    sending_time: int
    msg_seq_num: int
    start_layer: int
    symbol: str
    entry1_price: float
    entry1_volume: float
    entry1_side: int
    entry2_price: float
    entry2_volume: float
    entry2_side: int
    entry3_price: float
    entry3_volume: float
    entry3_side: int
    entry4_price: float
    entry4_volume: float
    entry4_side: int
    entry5_price: float
    entry5_volume: float
    entry5_side: int
    entry6_price: float
    entry6_volume: float
    entry6_side: int
    entry7_price: float
    entry7_volume: float
    entry7_side: int
    entry8_price: float
    entry8_volume: float
    entry8_side: int
    entry9_price: float
    entry9_volume: float
    entry9_side: int
    entry10_price: float
    entry10_volume: float
    entry10_side: int
    entry11_price: float
    entry11_volume: float
    entry11_side: int
    entry12_price: float
    entry12_volume: float
    entry12_side: int
    entry13_price: float
    entry13_volume: float
    entry13_side: int
    entry14_price: float
    entry14_volume: float
    entry14_side: int
    entry15_price: float
    entry15_volume: float
    entry15_side: int
    entry16_price: float
    entry16_volume: float
    entry16_side: int
    entry17_price: float
    entry17_volume: float
    entry17_side: int
    entry18_price: float
    entry18_volume: float
    entry18_side: int
    entry19_price: float
    entry19_volume: float
    entry19_side: int
    entry20_price: float
    entry20_volume: float
    entry20_side: int
    entry21_price: float
    entry21_volume: float
    entry21_side: int
    entry22_price: float
    entry22_volume: float
    entry22_side: int
    entry23_price: float
    entry23_volume: float
    entry23_side: int
    entry24_price: float
    entry24_volume: float
    entry24_side: int
    entry25_price: float
    entry25_volume: float
    entry25_side: int
    entry26_price: float
    entry26_volume: float
    entry26_side: int
    entry27_price: float
    entry27_volume: float
    entry27_side: int
    entry28_price: float
    entry28_volume: float
    entry28_side: int
    entry29_price: float
    entry29_volume: float
    entry29_side: int
    entry30_price: float
    entry30_volume: float
    entry30_side: int
    entry31_price: float
    entry31_volume: float
    entry31_side: int
    entry32_price: float
    entry32_volume: float
    entry32_side: int
    entry33_price: float
    entry33_volume: float
    entry33_side: int
    entry34_price: float
    entry34_volume: float
    entry34_side: int
    entry35_price: float
    entry35_volume: float
    entry35_side: int
    entry36_price: float
    entry36_volume: float
    entry36_side: int
    entry37_price: float
    entry37_volume: float
    entry37_side: int
    entry38_price: float
    entry38_volume: float
    entry38_side: int
    entry39_price: float
    entry39_volume: float
    entry39_side: int
    entry40_price: float
    entry40_volume: float
    entry40_side: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, symbol_enum: int = 0, symbol_type: int = 0,
        sending_time: int = 0, msg_seq_num: int = 0, start_layer: int = 0, symbol: str = "",
        entry1_price: float = 0.0, entry1_volume: float = 0.0, entry1_side: int = 0,
        entry2_price: float = 0.0, entry2_volume: float = 0.0, entry2_side: int = 0,
        entry3_price: float = 0.0, entry3_volume: float = 0.0, entry3_side: int = 0,
        entry4_price: float = 0.0, entry4_volume: float = 0.0, entry4_side: int = 0,
        entry5_price: float = 0.0, entry5_volume: float = 0.0, entry5_side: int = 0,
        entry6_price: float = 0.0, entry6_volume: float = 0.0, entry6_side: int = 0,
        entry7_price: float = 0.0, entry7_volume: float = 0.0, entry7_side: int = 0,
        entry8_price: float = 0.0, entry8_volume: float = 0.0, entry8_side: int = 0,
        entry9_price: float = 0.0, entry9_volume: float = 0.0, entry9_side: int = 0,
        entry10_price: float = 0.0, entry10_volume: float = 0.0, entry10_side: int = 0,
        entry11_price: float = 0.0, entry11_volume: float = 0.0, entry11_side: int = 0,
        entry12_price: float = 0.0, entry12_volume: float = 0.0, entry12_side: int = 0,
        entry13_price: float = 0.0, entry13_volume: float = 0.0, entry13_side: int = 0,
        entry14_price: float = 0.0, entry14_volume: float = 0.0, entry14_side: int = 0,
        entry15_price: float = 0.0, entry15_volume: float = 0.0, entry15_side: int = 0,
        entry16_price: float = 0.0, entry16_volume: float = 0.0, entry16_side: int = 0,
        entry17_price: float = 0.0, entry17_volume: float = 0.0, entry17_side: int = 0,
        entry18_price: float = 0.0, entry18_volume: float = 0.0, entry18_side: int = 0,
        entry19_price: float = 0.0, entry19_volume: float = 0.0, entry19_side: int = 0,
        entry20_price: float = 0.0, entry20_volume: float = 0.0, entry20_side: int = 0,
        entry21_price: float = 0.0, entry21_volume: float = 0.0, entry21_side: int = 0,
        entry22_price: float = 0.0, entry22_volume: float = 0.0, entry22_side: int = 0,
        entry23_price: float = 0.0, entry23_volume: float = 0.0, entry23_side: int = 0,
        entry24_price: float = 0.0, entry24_volume: float = 0.0, entry24_side: int = 0,
        entry25_price: float = 0.0, entry25_volume: float = 0.0, entry25_side: int = 0,
        entry26_price: float = 0.0, entry26_volume: float = 0.0, entry26_side: int = 0,
        entry27_price: float = 0.0, entry27_volume: float = 0.0, entry27_side: int = 0,
        entry28_price: float = 0.0, entry28_volume: float = 0.0, entry28_side: int = 0,
        entry29_price: float = 0.0, entry29_volume: float = 0.0, entry29_side: int = 0,
        entry30_price: float = 0.0, entry30_volume: float = 0.0, entry30_side: int = 0,
        entry31_price: float = 0.0, entry31_volume: float = 0.0, entry31_side: int = 0,
        entry32_price: float = 0.0, entry32_volume: float = 0.0, entry32_side: int = 0,
        entry33_price: float = 0.0, entry33_volume: float = 0.0, entry33_side: int = 0,
        entry34_price: float = 0.0, entry34_volume: float = 0.0, entry34_side: int = 0,
        entry35_price: float = 0.0, entry35_volume: float = 0.0, entry35_side: int = 0,
        entry36_price: float = 0.0, entry36_volume: float = 0.0, entry36_side: int = 0,
        entry37_price: float = 0.0, entry37_volume: float = 0.0, entry37_side: int = 0,
        entry38_price: float = 0.0, entry38_volume: float = 0.0, entry38_side: int = 0,
        entry39_price: float = 0.0, entry39_volume: float = 0.0, entry39_side: int = 0,
        entry40_price: float = 0.0, entry40_volume: float = 0.0, entry40_side: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., symbol_enum: int = ...,
        symbol_type: int = ..., sending_time: int = ..., msg_seq_num: int = ...,
        start_layer: int = ..., symbol: str = ..., entry1_price: float = ...,
        entry1_volume: float = ..., entry1_side: int = ..., entry2_price: float = ...,
        entry2_volume: float = ..., entry2_side: int = ..., entry3_price: float = ...,
        entry3_volume: float = ..., entry3_side: int = ..., entry4_price: float = ...,
        entry4_volume: float = ..., entry4_side: int = ..., entry5_price: float = ...,
        entry5_volume: float = ..., entry5_side: int = ..., entry6_price: float = ...,
        entry6_volume: float = ..., entry6_side: int = ..., entry7_price: float = ...,
        entry7_volume: float = ..., entry7_side: int = ..., entry8_price: float = ...,
        entry8_volume: float = ..., entry8_side: int = ..., entry9_price: float = ...,
        entry9_volume: float = ..., entry9_side: int = ..., entry10_price: float = ...,
        entry10_volume: float = ..., entry10_side: int = ..., entry11_price: float = ...,
        entry11_volume: float = ..., entry11_side: int = ..., entry12_price: float = ...,
        entry12_volume: float = ..., entry12_side: int = ..., entry13_price: float = ...,
        entry13_volume: float = ..., entry13_side: int = ..., entry14_price: float = ...,
        entry14_volume: float = ..., entry14_side: int = ..., entry15_price: float = ...,
        entry15_volume: float = ..., entry15_side: int = ..., entry16_price: float = ...,
        entry16_volume: float = ..., entry16_side: int = ..., entry17_price: float = ...,
        entry17_volume: float = ..., entry17_side: int = ..., entry18_price: float = ...,
        entry18_volume: float = ..., entry18_side: int = ..., entry19_price: float = ...,
        entry19_volume: float = ..., entry19_side: int = ..., entry20_price: float = ...,
        entry20_volume: float = ..., entry20_side: int = ..., entry21_price: float = ...,
        entry21_volume: float = ..., entry21_side: int = ..., entry22_price: float = ...,
        entry22_volume: float = ..., entry22_side: int = ..., entry23_price: float = ...,
        entry23_volume: float = ..., entry23_side: int = ..., entry24_price: float = ...,
        entry24_volume: float = ..., entry24_side: int = ..., entry25_price: float = ...,
        entry25_volume: float = ..., entry25_side: int = ..., entry26_price: float = ...,
        entry26_volume: float = ..., entry26_side: int = ..., entry27_price: float = ...,
        entry27_volume: float = ..., entry27_side: int = ..., entry28_price: float = ...,
        entry28_volume: float = ..., entry28_side: int = ..., entry29_price: float = ...,
        entry29_volume: float = ..., entry29_side: int = ..., entry30_price: float = ...,
        entry30_volume: float = ..., entry30_side: int = ..., entry31_price: float = ...,
        entry31_volume: float = ..., entry31_side: int = ..., entry32_price: float = ...,
        entry32_volume: float = ..., entry32_side: int = ..., entry33_price: float = ...,
        entry33_volume: float = ..., entry33_side: int = ..., entry34_price: float = ...,
        entry34_volume: float = ..., entry34_side: int = ..., entry35_price: float = ...,
        entry35_volume: float = ..., entry35_side: int = ..., entry36_price: float = ...,
        entry36_volume: float = ..., entry36_side: int = ..., entry37_price: float = ...,
        entry37_volume: float = ..., entry37_side: int = ..., entry38_price: float = ...,
        entry38_volume: float = ..., entry38_side: int = ..., entry39_price: float = ...,
        entry39_volume: float = ..., entry39_side: int = ..., entry40_price: float = ...,
        entry40_volume: float = ..., entry40_side: int = ...,
    ) -> TwentyLevelData: ...
    def encode_seq(self, seq: int) -> bytes: ...

class ThirtyLevelData(_Entries):
    reserved: str
    message_type: int
    padding: int
    symbol_enum: int
    symbol_type: int
    sending_time: int
    msg_seq_num: int
    start_layer: int
    symbol: str
    entry1_price: float
    entry1_volume: float
    entry1_side: int
    entry2_price: float
    entry2_volume: float
    entry2_side: int
    entry3_price: float
    entry3_volume: float
    entry3_side: int
    entry4_price: float
    entry4_volume: float
    entry4_side: int
    entry5_price: float
    entry5_volume: float
    entry5_side: int
    entry6_price: float
    entry6_volume: float
    entry6_side: int
    entry7_price: float
    entry7_volume: float
    entry7_side: int
    entry8_price: float
    entry8_volume: float
    entry8_side: int
    entry9_price: float
    entry9_volume: float
    entry9_side: int
    entry10_price: float
    entry10_volume: float
    entry10_side: int
    entry11_price: float
    entry11_volume: float
    entry11_side: int
    entry12_price: float
    entry12_volume: float
    entry12_side: int
    entry13_price: float
    entry13_volume: float
    entry13_side: int
    entry14_price: float
    entry14_volume: float
    entry14_side: int
    entry15_price: float
    entry15_volume: float
    entry15_side: int
    entry16_price: float
    entry16_volume: float
    entry16_side: int
    entry17_price: float
    entry17_volume: float
    entry17_side: int
    entry18_price: float
    entry18_volume: float
    entry18_side: int
    entry19_price: float
    entry19_volume: float
    entry19_side: int
    entry20_price: float
    entry20_volume: float
    entry20_side: int
    entry21_price: float
    entry21_volume: float
    entry21_side: int
    entry22_price: float
    entry22_volume: float
    entry22_side: int
    entry23_price: float
    entry23_volume: float
    entry23_side: int
    entry24_price: float
    entry24_volume: float
    entry24_side: int
    entry25_price: float
    entry25_volume: float
    entry25_side: int
    entry26_price: float
    entry26_volume: float
    entry26_side: int
    entry27_price: float
    entry27_volume: float
    entry27_side: int
    entry28_price: float
    entry28_volume: float
    entry28_side: int
    entry29_price: float
    entry29_volume: float
    entry29_side: int
    entry30_price: float
    entry30_volume: float
    entry30_side: int
    entry31_price: float
    entry31_volume: float
    entry31_side: int
    entry32_price: float
    entry32_volume: float
    entry32_side: int
    entry33_price: float
    entry33_volume: float
    entry33_side: int
    entry34_price: float
    entry34_volume: float
    entry34_side: int
    entry35_price: float
    entry35_volume: float
    entry35_side: int
    entry36_price: float
    entry36_volume: float
    entry36_side: int
    entry37_price: float
    entry37_volume: float
    entry37_side: int
    entry38_price: float
    entry38_volume: float
    entry38_side: int
    entry39_price: float
    entry39_volume: float
    entry39_side: int
    entry40_price: float
    entry40_volume: float
    entry40_side: int
    entry41_price: float
    entry41_volume: float
    entry41_side: int
    entry42_price: float
    entry42_volume: float
    entry42_side: int
    entry43_price: float
    entry43_volume: float
    entry43_side: int
    entry44_price: float
    entry44_volume: float
    entry44_side: int
    entry45_price: float
    entry45_volume: float
    entry45_side: int
    entry46_price: float
    entry46_volume: float
    entry46_side: int
    entry47_price: float
    entry47_volume: float
    entry47_side: int
    entry48_price: float
    entry48_volume: float
    entry48_side: int
    entry49_price: float
    entry49_volume: float
    entry49_side: int
    entry50_price: float
    entry50_volume: float
    entry50_side: int
    entry51_price: float
    entry51_volume: float
    entry51_side: int
    entry52_price: float
    entry52_volume: float
    entry52_side: int
    entry53_price: float
    entry53_volume: float
    entry53_side: int
    entry54_price: float
    entry54_volume: float
    entry54_side: int
    entry55_price: float
    entry55_volume: float
    entry55_side: int
    entry56_price: float
    entry56_volume: float
    entry56_side: int
    entry57_price: float
    entry57_volume: float
    entry57_side: int
    entry58_price: float
    entry58_volume: float
    entry58_side: int
    entry59_price: float
    entry59_volume: float
    entry59_side: int
    entry60_price: float
    entry60_volume: float
    entry60_side: int
    def __init__(
        self,
        *,
        type_char: str | None = None, length: int | None = None, reserved: str = "",
        message_type: int = 0, padding: int = 0, symbol_enum: int = 0, symbol_type: int = 0,
        sending_time: int = 0, msg_seq_num: int = 0, start_layer: int = 0, symbol: str = "",
        entry1_price: float = 0.0, entry1_volume: float = 0.0, entry1_side: int = 0,
        entry2_price: float = 0.0, entry2_volume: float = 0.0, entry2_side: int = 0,
        entry3_price: float = 0.0, entry3_volume: float = 0.0, entry3_side: int = 0,
        entry4_price: float = 0.0, entry4_volume: float = 0.0, entry4_side: int = 0,
        entry5_price: float = 0.0, entry5_volume: float = 0.0, entry5_side: int = 0,
        entry6_price: float = 0.0, entry6_volume: float = 0.0, entry6_side: int = 0,
        entry7_price: float = 0.0, entry7_volume: float = 0.0, entry7_side: int = 0,
        entry8_price: float = 0.0, entry8_volume: float = 0.0, entry8_side: int = 0,
        entry9_price: float = 0.0, entry9_volume: float = 0.0, entry9_side: int = 0,
        entry10_price: float = 0.0, entry10_volume: float = 0.0, entry10_side: int = 0,
        entry11_price: float = 0.0, entry11_volume: float = 0.0, entry11_side: int = 0,
        entry12_price: float = 0.0, entry12_volume: float = 0.0, entry12_side: int = 0,
        entry13_price: float = 0.0, entry13_volume: float = 0.0, entry13_side: int = 0,
        entry14_price: float = 0.0, entry14_volume: float = 0.0, entry14_side: int = 0,
        entry15_price: float = 0.0, entry15_volume: float = 0.0, entry15_side: int = 0,
        entry16_price: float = 0.0, entry16_volume: float = 0.0, entry16_side: int = 0,
        entry17_price: float = 0.0, entry17_volume: float = 0.0, entry17_side: int = 0,
        entry18_price: float = 0.0, entry18_volume: float = 0.0, entry18_side: int = 0,
        entry19_price: float = 0.0, entry19_volume: float = 0.0, entry19_side: int = 0,
        entry20_price: float = 0.0, entry20_volume: float = 0.0, entry20_side: int = 0,
        entry21_price: float = 0.0, entry21_volume: float = 0.0, entry21_side: int = 0,
        entry22_price: float = 0.0, entry22_volume: float = 0.0, entry22_side: int = 0,
        entry23_price: float = 0.0, entry23_volume: float = 0.0, entry23_side: int = 0,
        entry24_price: float = 0.0, entry24_volume: float = 0.0, entry24_side: int = 0,
        entry25_price: float = 0.0, entry25_volume: float = 0.0, entry25_side: int = 0,
        entry26_price: float = 0.0, entry26_volume: float = 0.0, entry26_side: int = 0,
        entry27_price: float = 0.0, entry27_volume: float = 0.0, entry27_side: int = 0,
        entry28_price: float = 0.0, entry28_volume: float = 0.0, entry28_side: int = 0,
        entry29_price: float = 0.0, entry29_volume: float = 0.0, entry29_side: int = 0,
        entry30_price: float = 0.0, entry30_volume: float = 0.0, entry30_side: int = 0,
        entry31_price: float = 0.0, entry31_volume: float = 0.0, entry31_side: int = 0,
        entry32_price: float = 0.0, entry32_volume: float = 0.0, entry32_side: int = 0,
        entry33_price: float = 0.0, entry33_volume: float = 0.0, entry33_side: int = 0,
        entry34_price: float = 0.0, entry34_volume: float = 0.0, entry34_side: int = 0,
        entry35_price: float = 0.0, entry35_volume: float = 0.0, entry35_side: int = 0,
        entry36_price: float = 0.0, entry36_volume: float = 0.0, entry36_side: int = 0,
        entry37_price: float = 0.0, entry37_volume: float = 0.0, entry37_side: int = 0,
        entry38_price: float = 0.0, entry38_volume: float = 0.0, entry38_side: int = 0,
        entry39_price: float = 0.0, entry39_volume: float = 0.0, entry39_side: int = 0,
        entry40_price: float = 0.0, entry40_volume: float = 0.0, entry40_side: int = 0,
        entry41_price: float = 0.0, entry41_volume: float = 0.0, entry41_side: int = 0,
        entry42_price: float = 0.0, entry42_volume: float = 0.0, entry42_side: int = 0,
        entry43_price: float = 0.0, entry43_volume: float = 0.0, entry43_side: int = 0,
        entry44_price: float = 0.0, entry44_volume: float = 0.0, entry44_side: int = 0,
        entry45_price: float = 0.0, entry45_volume: float = 0.0, entry45_side: int = 0,
        entry46_price: float = 0.0, entry46_volume: float = 0.0, entry46_side: int = 0,
        entry47_price: float = 0.0, entry47_volume: float = 0.0, entry47_side: int = 0,
        entry48_price: float = 0.0, entry48_volume: float = 0.0, entry48_side: int = 0,
        entry49_price: float = 0.0, entry49_volume: float = 0.0, entry49_side: int = 0,
        entry50_price: float = 0.0, entry50_volume: float = 0.0, entry50_side: int = 0,
        entry51_price: float = 0.0, entry51_volume: float = 0.0, entry51_side: int = 0,
        entry52_price: float = 0.0, entry52_volume: float = 0.0, entry52_side: int = 0,
        entry53_price: float = 0.0, entry53_volume: float = 0.0, entry53_side: int = 0,
        entry54_price: float = 0.0, entry54_volume: float = 0.0, entry54_side: int = 0,
        entry55_price: float = 0.0, entry55_volume: float = 0.0, entry55_side: int = 0,
        entry56_price: float = 0.0, entry56_volume: float = 0.0, entry56_side: int = 0,
        entry57_price: float = 0.0, entry57_volume: float = 0.0, entry57_side: int = 0,
        entry58_price: float = 0.0, entry58_volume: float = 0.0, entry58_side: int = 0,
        entry59_price: float = 0.0, entry59_volume: float = 0.0, entry59_side: int = 0,
        entry60_price: float = 0.0, entry60_volume: float = 0.0, entry60_side: int = 0,
    ) -> None: ...
    def replace(  # type: ignore[override]
        self,
        *,
        reserved: str = ..., message_type: int = ..., padding: int = ..., symbol_enum: int = ...,
        symbol_type: int = ..., sending_time: int = ..., msg_seq_num: int = ...,
        start_layer: int = ..., symbol: str = ..., entry1_price: float = ...,
        entry1_volume: float = ..., entry1_side: int = ..., entry2_price: float = ...,
        entry2_volume: float = ..., entry2_side: int = ..., entry3_price: float = ...,
        entry3_volume: float = ..., entry3_side: int = ..., entry4_price: float = ...,
        entry4_volume: float = ..., entry4_side: int = ..., entry5_price: float = ...,
        entry5_volume: float = ..., entry5_side: int = ..., entry6_price: float = ...,
        entry6_volume: float = ..., entry6_side: int = ..., entry7_price: float = ...,
        entry7_volume: float = ..., entry7_side: int = ..., entry8_price: float = ...,
        entry8_volume: float = ..., entry8_side: int = ..., entry9_price: float = ...,
        entry9_volume: float = ..., entry9_side: int = ..., entry10_price: float = ...,
        entry10_volume: float = ..., entry10_side: int = ..., entry11_price: float = ...,
        entry11_volume: float = ..., entry11_side: int = ..., entry12_price: float = ...,
        entry12_volume: float = ..., entry12_side: int = ..., entry13_price: float = ...,
        entry13_volume: float = ..., entry13_side: int = ..., entry14_price: float = ...,
        entry14_volume: float = ..., entry14_side: int = ..., entry15_price: float = ...,
        entry15_volume: float = ..., entry15_side: int = ..., entry16_price: float = ...,
        entry16_volume: float = ..., entry16_side: int = ..., entry17_price: float = ...,
        entry17_volume: float = ..., entry17_side: int = ..., entry18_price: float = ...,
        entry18_volume: float = ..., entry18_side: int = ..., entry19_price: float = ...,
        entry19_volume: float = ..., entry19_side: int = ..., entry20_price: float = ...,
        entry20_volume: float = ..., entry20_side: int = ..., entry21_price: float = ...,
        entry21_volume: float = ..., entry21_side: int = ..., entry22_price: float = ...,
        entry22_volume: float = ..., entry22_side: int = ..., entry23_price: float = ...,
        entry23_volume: float = ..., entry23_side: int = ..., entry24_price: float = ...,
        entry24_volume: float = ..., entry24_side: int = ..., entry25_price: float = ...,
        entry25_volume: float = ..., entry25_side: int = ..., entry26_price: float = ...,
        entry26_volume: float = ..., entry26_side: int = ..., entry27_price: float = ...,
        entry27_volume: float = ..., entry27_side: int = ..., entry28_price: float = ...,
        entry28_volume: float = ..., entry28_side: int = ..., entry29_price: float = ...,
        entry29_volume: float = ..., entry29_side: int = ..., entry30_price: float = ...,
        entry30_volume: float = ..., entry30_side: int = ..., entry31_price: float = ...,
        entry31_volume: float = ..., entry31_side: int = ..., entry32_price: float = ...,
        entry32_volume: float = ..., entry32_side: int = ..., entry33_price: float = ...,
        entry33_volume: float = ..., entry33_side: int = ..., entry34_price: float = ...,
        entry34_volume: float = ..., entry34_side: int = ..., entry35_price: float = ...,
        entry35_volume: float = ..., entry35_side: int = ..., entry36_price: float = ...,
        entry36_volume: float = ..., entry36_side: int = ..., entry37_price: float = ...,
        entry37_volume: float = ..., entry37_side: int = ..., entry38_price: float = ...,
        entry38_volume: float = ..., entry38_side: int = ..., entry39_price: float = ...,
        entry39_volume: float = ..., entry39_side: int = ..., entry40_price: float = ...,
        entry40_volume: float = ..., entry40_side: int = ..., entry41_price: float = ...,
        entry41_volume: float = ..., entry41_side: int = ..., entry42_price: float = ...,
        entry42_volume: float = ..., entry42_side: int = ..., entry43_price: float = ...,
        entry43_volume: float = ..., entry43_side: int = ..., entry44_price: float = ...,
        entry44_volume: float = ..., entry44_side: int = ..., entry45_price: float = ...,
        entry45_volume: float = ..., entry45_side: int = ..., entry46_price: float = ...,
        entry46_volume: float = ..., entry46_side: int = ..., entry47_price: float = ...,
        entry47_volume: float = ..., entry47_side: int = ..., entry48_price: float = ...,
        entry48_volume: float = ..., entry48_side: int = ..., entry49_price: float = ...,
        entry49_volume: float = ..., entry49_side: int = ..., entry50_price: float = ...,
        entry50_volume: float = ..., entry50_side: int = ..., entry51_price: float = ...,
        entry51_volume: float = ..., entry51_side: int = ..., entry52_price: float = ...,
        entry52_volume: float = ..., entry52_side: int = ..., entry53_price: float = ...,
        entry53_volume: float = ..., entry53_side: int = ..., entry54_price: float = ...,
        entry54_volume: float = ..., entry54_side: int = ..., entry55_price: float = ...,
        entry55_volume: float = ..., entry55_side: int = ..., entry56_price: float = ...,
        entry56_volume: float = ..., entry56_side: int = ..., entry57_price: float = ...,
        entry57_volume: float = ..., entry57_side: int = ..., entry58_price: float = ...,
        entry58_volume: float = ..., entry58_side: int = ..., entry59_price: float = ...,
        entry59_volume: float = ..., entry59_side: int = ..., entry60_price: float = ...,
        entry60_volume: float = ..., entry60_side: int = ...,
    ) -> ThirtyLevelData: ...
    def encode_seq(self, seq: int) -> bytes: ...
