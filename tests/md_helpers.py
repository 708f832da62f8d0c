"""Shared pieces of the market-data tests: an engine + MDS core, orders, subscribe frames."""

from __future__ import annotations

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.engine import MatchingEngine, NewOrder
from crmd_twisted.keys import SessionKeys
from crmd_twisted.mds import DirectoryKeyCheck, MarketDataCore
from crmd_twisted.wire import MdSubscribe
from crmd_twisted.wire.enums import OrderType, TimeInForce

KEYS = SessionKeys.from_text("md-test-secret")
ACCOUNT, USER, SESSION = 1001, "alice", 77
K1 = KEYS.aes_key(ACCOUNT, USER, SESSION)
NOW = 1_700_000_000_000_000_000
HIDDEN = "NYNNNNNNNNNN"
DISPLAY = "NNYNNNNNNNNN"


class FakeClock:
    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def directory() -> AccountDirectory:
    return AccountDirectory([Account(ACCOUNT, USER), Account(1002, "bob")], open=False)


def make_core(
    max_trade_backlog: int = 1000, clock: FakeClock | None = None
) -> tuple[MatchingEngine, MarketDataCore]:
    clock = clock or FakeClock()
    engine = MatchingEngine(clock=clock)
    core = MarketDataCore(
        engine, DirectoryKeyCheck(KEYS, directory()), clock=clock,
        max_trade_backlog=max_trade_backlog,
    )
    return engine, core


def subscribe_frame(
    *slots: tuple[int, str, int, str], key: int = K1, tsid: int = 0, account: int = ACCOUNT
) -> MdSubscribe:
    """md_subscribe with (symbol_enum, symbol, layers, action) slots."""
    fields: dict[str, object] = {
        "account": account, "session_key": key, "trading_session_id": tsid, "message_type": 38,
    }
    for n, (sym, name, layers, action) in enumerate(slots, 1):
        fields.update({
            f"sub{n}_symbol_enum": sym, f"sub{n}_symbol": name, f"sub{n}_symbol_type": 1,
            f"sub{n}_layers": layers, f"sub{n}_action": action,
        })
    return MdSubscribe(**fields)


class Orders:
    """Numbered limit/market orders on BTCUSD (tick 0.5)."""

    def __init__(self) -> None:
        self.next_id = 0

    def limit(
        self, side: int, price: float, qty: float, account: int = ACCOUNT, **kw: object
    ) -> NewOrder:
        self.next_id += 1
        return NewOrder(
            account, self.next_id, 1, side, kw.pop("order_type", OrderType.LMT),  # type: ignore[arg-type]
            price, qty, TimeInForce.GTC, **kw,  # type: ignore[arg-type]
        )

    def market(self, side: int, qty: float, account: int = ACCOUNT) -> NewOrder:
        self.next_id += 1
        return NewOrder(account, self.next_id, 1, side, OrderType.MKT, 0.0, qty, TimeInForce.GTC)
