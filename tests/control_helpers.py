"""A real engine + OES core with logged-on fake peers, for the control-plane tests."""

from __future__ import annotations

from typing import Any

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.control import FaultRegistry, ServerKind, SessionRegistry, TradeTape
from crmd_twisted.control.admin import ExchangeControl
from crmd_twisted.engine import DEFAULT_INSTRUMENTS, MatchingEngine
from crmd_twisted.keys import SessionKeys
from crmd_twisted.oes.core import OrderEntryCore, Session
from crmd_twisted.wire import ClientLogon, Transaction
from crmd_twisted.wire.enums import (
    NO_ATTRIBUTES,
    OrderType,
    RejectCode,
    Side,
    TimeInForce,
    TransactionType,
)

NOW = 1_800_000_000 * 10**9
KEYS = SessionKeys.from_text("control-secret")


class Peer:
    """A fake connection: what the core sent it and the logouts it got."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.logouts: list[int] = []
        self.aborted = 0

    def send(self, message: Any) -> None:
        self.sent.append(message)

    def logout(self, reason: int) -> None:
        self.logouts.append(reason)

    def abort(self) -> None:
        self.aborted += 1

    def take(self) -> list[Any]:
        out, self.sent = self.sent, []
        return out

    def types(self) -> list[int]:
        return [m.message_type for m in self.take()]


class Desk:
    """An OES core on a taped engine, a session registry and a control over them."""

    def __init__(self, *, clock_ns: int = NOW, seconds: float = 100.0) -> None:
        self.now_ns = clock_ns
        self.seconds = seconds
        self.tape = TradeTape(clock=lambda: self.now_ns)
        # the control wires the tape into core.observers: every trade once
        engine = MatchingEngine(DEFAULT_INSTRUMENTS, clock=lambda: self.now_ns)
        self.core = OrderEntryCore(
            AccountDirectory(open=True), KEYS, DEFAULT_INSTRUMENTS, clock=lambda: self.now_ns,
            engine=engine,
        )
        self.sessions = SessionRegistry()
        self.faults = FaultRegistry(clock=lambda: self.seconds)
        self.control = ExchangeControl.for_core(
            self.core, faults=self.faults, tape=self.tape, sessions=self.sessions,
            clock=lambda: self.seconds,
        )
        self._ids = iter(range(1, 10**9))

    def logon(self, account: int = 1001, user: str = "alice", sid: int = 7) -> tuple[Session, Peer]:
        peer = Peer()
        request = ClientLogon(
            logon_type=1, account=account, user_name=user, two_fa="000000",
            trading_session_id=sid, session_key=KEYS.aes_key(account, user, sid),
            sending_time=self.now_ns,
        )
        outcome = self.core.logon(request, peer.send, peer.logout)
        if isinstance(outcome, RejectCode):
            raise AssertionError(f"logon refused: {outcome!r}")
        entry = self.sessions.register(
            ServerKind.OES, f"127.0.0.1:{40000 + len(self.sessions)}", self.now_ns,
            peer.logout, peer.abort,
        )
        entry.logged_on(account, user, outcome.trading_session_id)
        return outcome, peer

    def order(self, session: Session, side: int, qty: float, price: float,
              symbol_enum: int = 1, **fields: Any) -> Transaction:
        inst = self.core.instruments[symbol_enum]
        tx = Transaction(
            message_type=TransactionType.ORDER_NEW, account=session.account,
            order_id=next(self._ids), symbol_enum=symbol_enum, symbol=inst.symbol,
            symbol_type=1, order_type=OrderType.LMT, price=price, side=side, order_qty=qty,
            time_in_force=TimeInForce.GTC, trading_session_id=session.trading_session_id,
            session_key=session.key, sending_time=self.now_ns, attributes=NO_ATTRIBUTES,
        )
        for key, value in fields.items():
            setattr(tx, key, value)
        self.core.transaction(session, tx)
        return tx


BUY, SELL = Side.BUY, Side.SELL
