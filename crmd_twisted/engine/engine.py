"""The public facade: :class:`MatchingEngine`, one price-time book per instrument.

Pure Python, no I/O, no reactor: :meth:`MatchingEngine.submit` takes one
command and returns the list of events it caused.  Same commands (and same
clock readings) in, same events out.

The engine is built from one mixin per concern, each in its own module
(docs/engine.md has the map): :mod:`~crmd_twisted.engine.state` (shared
state, trading days) <- :mod:`~crmd_twisted.engine.matching` (aggress, fills,
kill) <- :mod:`~crmd_twisted.engine.triggers` (stop, sniper, trailing, OCO)
<- :mod:`~crmd_twisted.engine.amend` (cancel, replace) <-
:mod:`~crmd_twisted.engine.new_order` (validation steps, entry, the LMT hot
path) <- this facade (public commands and views).  The data structures live
in :mod:`~crmd_twisted.engine.book`.
"""

from __future__ import annotations

from crmd_twisted.engine.book import (
    _DONE,
    _NO_EXT,
    _Book,
    _Ext,
    _Order,
    market_cost,
    order_view,
)
from crmd_twisted.engine.new_order import OFF_PATH, OrderEntry
from crmd_twisted.engine.order_types import LMT
from crmd_twisted.engine.positions import _Pos
from crmd_twisted.engine.types import (
    CancelOrder,
    CancelReason,
    DepthLevel,
    Event,
    Instrument,
    NewOrder,
    OrderView,
    PositionView,
    ReplaceOrder,
)
from crmd_twisted.engine.validation import LimitRiskCheck, RiskCheck
from crmd_twisted.wire.enums import NO_ATTRIBUTES

# _Order, _Ext and _NO_EXT stay importable from here (tests inspect them)
__all__ = ["_NO_EXT", "LimitRiskCheck", "MatchingEngine", "RiskCheck", "_Ext", "_Order"]


class MatchingEngine(OrderEntry):
    """Price-time matching of every supported order type of PROTOCOL.md 5.4.

    ``clock`` returns nanoseconds since the epoch; it is read once per
    command (DAY expiry) and never otherwise, so a fixed clock makes the
    engine fully deterministic.
    """

    # ------------------------------------------------------------------ commands

    @property
    def instruments(self) -> tuple[Instrument, ...]:
        """The configured instruments, in configuration order."""
        return tuple(b.inst for b in self._books.values())

    def instrument(self, symbol_enum: int) -> Instrument | None:
        """The instrument numbered ``symbol_enum``, or None."""
        b = self._books.get(symbol_enum)
        return b.inst if b is not None else None

    def submit(
        self,
        command: NewOrder | CancelOrder | ReplaceOrder,
        risk_check: RiskCheck | None = None,
        limit_risk: LimitRiskCheck | None = None,
    ) -> list[Event]:
        """Apply one command and return the events it caused, in wire order.

        ``risk_check`` runs after field validation and before matching (new
        orders and replaces only); a non-None answer rejects the command with
        that code and leaves the engine untouched.  ``limit_risk``, given with
        it, is the same check made cheap for a plain LMT order without
        attributes (GTC, DAY or IOC): such an order then takes the hot path and
        ``limit_risk`` is asked in ``risk_check``'s place, at the same point of
        the check order (after the price and size grid checks).
        """
        ev: list[Event] = []
        if self._day_orders and self._clock() >= self._next_day_ns:
            self._roll_day(ev)
        # exact type tests (no subclasses), written out so that mypy narrows ``command``
        if type(command) is NewOrder:
            if (
                command.order_type == LMT
                and (risk_check is None or limit_risk is not None)
                and command.attributes == NO_ATTRIBUTES
            ):
                book = self._fast_limit(command, ev, risk_check, limit_risk)
            else:
                book = self._new(command, risk_check, ev)
        elif type(command) is CancelOrder:
            book = self._cancel(command, ev)
        elif type(command) is ReplaceOrder:
            book = self._replace(command, risk_check, ev)
        else:
            raise TypeError(f"not a command: {command!r}")
        if book is not None and (book.ndormant or book.pegs):
            self._settle(book, ev)
        return ev

    def submit_limit(
        self,
        account: int,
        order_id: int,
        symbol_enum: int,
        side: int,
        price: float,
        order_qty: float,
        time_in_force: int,
        limit_risk: LimitRiskCheck | None = None,
    ) -> list[Event] | None:
        """:meth:`submit` of a plain LMT :class:`NewOrder` without attributes, from
        its values (no command object), for callers that read them from a frame.

        It takes the hot path only: None (and nothing changed) for an order that
        path does not take, every validation reject included, or when the trading
        day has to roll first; :meth:`submit` the :class:`NewOrder` then (with the
        full ``risk_check``).  Otherwise the events, as :meth:`submit` returns them.
        """
        if self._day_orders and self._clock() >= self._next_day_ns:
            return None
        ev: list[Event] = []
        book = self._hot_limit(
            account, order_id, symbol_enum, side, price, order_qty, time_in_force, limit_risk, ev
        )
        if book is OFF_PATH:
            return None
        if book is not None and (book.ndormant or book.pegs):
            self._settle(book, ev)
        return ev

    def advance_time(self) -> list[Event]:
        """Read the clock and expire DAY orders if a trading day ended."""
        ev: list[Event] = []
        if self._clock() >= self._next_day_ns:
            self._roll_day(ev)
        return ev

    def expire_day(self) -> list[Event]:
        """End the trading day now: cancel every live DAY order (DAY_EXPIRED)."""
        ev: list[Event] = []
        for o in self._day_orders:
            if o.state != _DONE:
                self._kill(o, o.oid, CancelReason.DAY_EXPIRED, ev)
        self._day_orders = []
        return ev

    def cancel_all(self, account: int, symbol_enum: int = 0) -> list[Event]:
        """Cancel every live order of ``account`` (of one instrument if given)."""
        ev: list[Event] = []
        acct = self._accounts.get(account)
        if acct is None:
            return ev
        touched: list[_Book] = []
        for o in list(acct.live.values()):
            if symbol_enum and o.book.sym != symbol_enum:
                continue
            self._kill(o, o.oid, CancelReason.USER, ev)
            if o.book not in touched:
                touched.append(o.book)
        for b in touched:
            if b.ndormant or b.pegs:
                self._settle(b, ev)
        return ev

    def _roll_day(self, ev: list[Event]) -> None:
        """The clock passed the end of the day: expire the DAY orders of past days."""
        now = self._clock()
        self._day = self._day_index(now)
        self._next_day_ns = self._day_start(self._day + 1)
        keep: list[_Order] = []
        for o in self._day_orders:
            if o.state == _DONE:
                continue
            if o.day < self._day:
                self._kill(o, o.oid, CancelReason.DAY_EXPIRED, ev)
            else:
                keep.append(o)
        self._day_orders = keep

    # ------------------------------------------------------------------ views

    def depth(
        self, symbol_enum: int, levels: int = 10
    ) -> tuple[list[DepthLevel], list[DepthLevel]]:
        """Top ``levels`` visible levels per side, best first (hidden quantity excluded)."""
        book = self._books[symbol_enum]
        pf = book.pg.to_float
        qf = book.qg.to_float
        out: list[list[DepthLevel]] = []
        for side in (book.bids, book.asks):
            res: list[DepthLevel] = []
            keys = side.keys
            lv = side.levels
            i = len(keys) - 1
            while i >= 0 and len(res) < levels:
                lvl = lv[keys[i]]
                if lvl.vis > 0:
                    res.append(DepthLevel(pf(lvl.price), qf(lvl.vis), lvl.n - lvl.nhid))
                i -= 1
            out.append(res)
        return out[0], out[1]

    def best_bid_ask(self, symbol_enum: int) -> tuple[float | None, float | None]:
        """Best executable bid and ask prices (hidden liquidity included)."""
        book = self._books[symbol_enum]
        b, a = book.bids.best(), book.asks.best()
        pf = book.pg.to_float
        return (pf(b) if b is not None else None, pf(a) if a is not None else None)

    def last_trade_price(self, symbol_enum: int) -> float | None:
        """Price of the last execution on the instrument, or None."""
        book = self._books[symbol_enum]
        return book.pg.to_float(book.last) if book.last is not None else None

    def market_cost(self, symbol_enum: int, side: int, qty: float) -> float:
        """Quote-currency value a market order of ``qty`` would execute now.

        Walks the opposite side (hidden and reserve quantity included) only as
        deep as ``qty`` needs; quantity the book cannot fill costs nothing.
        """
        return market_cost(self._books[symbol_enum], side, qty)

    def knows_order_id(self, account: int, order_id: int) -> bool:
        """True if ``order_id`` was used by an accepted command of ``account``."""
        acct = self._accounts.get(account)
        return acct is not None and order_id in acct.seen

    def forget_account(self, account: int) -> bool:
        """Drop ``account`` if no command of it was ever accepted (no used id, no
        live order, no position); True if the engine holds nothing for it now."""
        acct = self._accounts.get(account)
        if acct is None:
            return True
        if acct.live or acct.seen or acct.pos:
            return False
        del self._accounts[account]
        return True

    def order(self, account: int, order_id: int) -> OrderView | None:
        """The live order currently known as ``order_id``, or None."""
        acct = self._accounts.get(account)
        if acct is None:
            return None
        o = acct.live.get(order_id)
        return order_view(o) if o is not None else None

    def open_orders(self, account: int, symbol_enum: int = 0) -> list[OrderView]:
        """Live orders of ``account`` (0 = every instrument), oldest id first."""
        acct = self._accounts.get(account)
        if acct is None:
            return []
        return [
            order_view(o)
            for o in acct.live.values()
            if not symbol_enum or o.book.sym == symbol_enum
        ]

    def position(self, account: int, symbol_enum: int) -> PositionView:
        """Open and executed long/short quantity and cash of one account and instrument."""
        book = self._books[symbol_enum]
        acct = self._accounts.get(account)
        p = acct.pos.get(symbol_enum) if acct is not None else None
        if p is None:
            p = _Pos()
        qf = book.qg.to_float
        cf = book.cg.to_float
        return PositionView(
            account, symbol_enum, qf(p.ol), qf(p.os), cf(p.olc), cf(p.osc),
            qf(p.el), qf(p.es), cf(p.elc), cf(p.esc),
        )  # fmt: skip
