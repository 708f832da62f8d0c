"""``crmd-demo``: a whole trading session in one command.

Starts an AES and an OES in this process on free loopback ports, then two
clients go through the full flow - AES logon, redirect, OES logon, instruments,
two crossing orders and their fills, a resting order and its cancel, risk and
collateral, logout - and a readable transcript is printed.  Exit status 0 when
every step gave the expected answer.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from twisted.internet import task
from twisted.internet.interfaces import IReactorTCP

from crmd_twisted.client.session import ClientEvent, CRMDClient
from crmd_twisted.console import EXPECTED_FAILURES, CommandLineParser, react_main
from crmd_twisted.testing import SimulatedExchange, client_ready
from crmd_twisted.wire import Transaction
from crmd_twisted.wire.enums import OrderType, Side, SymbolEnum, TransactionType, coerce

__all__ = ["main", "run_demo"]


class DemoFailed(Exception):
    """A step of the demo did not give the expected answer."""


def _kind(tx: Transaction) -> str:
    t = coerce(TransactionType, tx.message_type)
    return t.name if isinstance(t, TransactionType) else str(t)


class Transcript:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.step = 0

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def section(self, text: str) -> None:
        self.step += 1
        self.say(f"\n[{self.step}] {text}")

    def observer(self, who: str) -> Any:
        def observe(event: ClientEvent) -> None:
            if event.kind == "order" and isinstance(event.message, Transaction):
                tx = event.message
                detail = f"order {tx.order_id}"
                if tx.orig_order_id and tx.orig_order_id != tx.order_id:
                    # a cancel / replace answer: name the order it acted on first
                    detail = f"order {tx.orig_order_id} (request {tx.order_id})"
                if tx.exec_qty:
                    detail += f" exec {tx.exec_qty:g} @ {tx.exec_price:g} (exec_id {tx.exec_id})"
                if tx.cancel_qty:
                    detail += f" cancelled {tx.cancel_qty:g}"
                self.say(f"    {who} <- {_kind(tx)} {detail}")
            elif event.kind == "state" and event.state in ("disconnected", "retrying", "failed"):
                self.say(f"    {who}: session {event.state}")

        return observe


async def run_demo(out: TextIO, reactor: IReactorTCP | None = None) -> None:
    t = Transcript(out)
    exchange = SimulatedExchange(reactor=reactor)
    await exchange.start()
    host, aes_port = exchange.aes_address
    oes_host, oes_port = exchange.oes_address()
    t.say(f"AES listening on {host}:{aes_port}, OES on {oes_host}:{oes_port}")
    clients: list[CRMDClient] = []
    try:
        t.section("alice and bob log on: AES logon -> redirect -> OES logon")
        alice = exchange.client(
            account=1001, user="alice", api_key="alice-key", first_order_id=10_001
        )
        bob = exchange.client(account=1002, user="bob", api_key="bob-key", first_order_id=20_001)
        for name, c in (("alice", alice), ("bob", bob)):
            c.add_observer(t.observer(name))
            clients.append(c)
            await client_ready(c)
            t.say(f"    {name}: AES logon ok, OES logon ok "
                  f"(trading session {c.connection.credentials.trading_session_id})"
                  if c.connection and c.connection.credentials else f"    {name}: ready")

        t.section("instruments")
        instruments = await alice.instruments()
        for inst in instruments:
            t.say(f"    {inst.symbol_enum} {inst.symbol:<8} tick {inst.price_increment:.3g} "
                  f"size {inst.min_size:.3g}..{inst.max_size:g}")
        if not instruments:
            raise DemoFailed("no instruments")

        symbol = SymbolEnum.BTCUSD
        t.section("bob offers 2 BTC at 30000; alice buys 1.5 BTC at 30000")
        ack = await bob.new_order(symbol, Side.SELL, 2.0, price=30000.0)
        t.say(f"    bob: {_kind(ack)} for order {ack.order_id}")
        if ack.message_type != TransactionType.ORDER_ACK:
            raise DemoFailed(f"bob's offer got {_kind(ack)}")
        fill = await alice.new_order(symbol, Side.BUY, 1.5, price=30000.0)
        t.say(f"    alice: {_kind(fill)} {fill.exec_qty:g} @ {fill.exec_price:g}")
        if fill.message_type != TransactionType.QUOTE_FILL:
            raise DemoFailed(f"alice's bid got {_kind(fill)}")
        await task.deferLater(exchange.clock, 0.05, lambda: None)

        t.section("alice rests a bid at 29000 and cancels it")
        resting = await alice.new_order(
            symbol, Side.BUY, 1.0, price=29000.0, order_type=OrderType.LMT
        )
        t.say(f"    alice: {_kind(resting)} for order {resting.order_id}")
        listing = await alice.open_orders()
        t.say(f"    alice open orders: {[tx.order_id for tx in listing]}")
        cancelled = await alice.cancel(resting.order_id)
        t.say(f"    alice: {_kind(cancelled)} {cancelled.cancel_qty:g} of order "
              f"{resting.order_id}")
        if cancelled.message_type != TransactionType.CANCELLED:
            raise DemoFailed("the cancel was not confirmed")

        t.section("risk and collateral after the trade")
        risk = await alice.risk(symbol)
        r = risk[0]
        t.say(f"    alice BTCUSD executed long {r.executed_long_position:g} "
              f"(cash {r.executed_long_cash:g}); BTC {r.btc_equity:g}, USD {r.usd_equity:g}")
        collateral = await bob.collateral()
        t.say(f"    bob collateral: BTC {collateral.btc_equity:g}, USD {collateral.usd_equity:g}")
        if abs(r.executed_long_position - 1.5) > 1e-9:
            raise DemoFailed("risk does not show the fill")

        t.section("logout")
    finally:
        for c in clients:
            await c.stopService()
        await exchange.stop()
    t.say("    both sessions logged out; demo complete")


def main(argv: list[str] | None = None) -> int:
    parser = CommandLineParser(prog="crmd-demo", description=__doc__.split("\n\n")[1])
    parser.parse_args(argv)
    return react_main(lambda reactor: run_demo(sys.stdout, reactor), "crmd-demo",
                      (*EXPECTED_FAILURES, DemoFailed))


if __name__ == "__main__":
    raise SystemExit(main())
