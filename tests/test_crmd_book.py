"""crmd-book: the rendered ladder after a few orders, --once over TCP, one-line errors."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import pytest_twisted

from crmd_twisted.engine import NewOrder
from crmd_twisted.marketdata import BookSet, render_ladder
from crmd_twisted.marketdata.cli import BookError, parser, run
from crmd_twisted.mds import Send
from crmd_twisted.wire import decode
from crmd_twisted.wire.enums import OrderType, Side, TimeInForce
from tests.md_helpers import ACCOUNT, K1, make_core, subscribe_frame
from tests.test_mds_loopback import Exchange

GTC = TimeInForce.GTC
ORDERS = [
    (1001, Side.SELL, 30001.0, 0.25), (1002, Side.SELL, 30002.0, 1.5),
    (1001, Side.SELL, 30002.0, 0.5),
    (1001, Side.BUY, 29999.0, 2.0), (1002, Side.BUY, 29998.5, 1.0),
]


def place(submit: object, orders: list[tuple[int, int, float, float]]) -> None:
    for oid, (account, side, price, qty) in enumerate(orders, 1):
        submit(NewOrder(account, oid, 1, side, OrderType.LMT, price, qty, GTC))  # type: ignore[operator]


def test_rendered_ladder_after_a_few_orders_and_a_trade() -> None:
    engine, core = make_core()
    place(lambda c: core.on_events(engine.submit(c)), ORDERS)
    core.on_events(engine.submit(NewOrder(1002, 99, 1, Side.BUY, OrderType.MKT, 0.0, 0.25, GTC)))
    sub = core.connect("c")
    books = BookSet()
    core.subscribe(sub, subscribe_frame((1, "BTCUSD", 5, "S")))
    core.on_events(engine.submit(NewOrder(1001, 100, 1, Side.SELL, OrderType.MKT, 0.0, 0.5, GTC)))
    for d in core.flush():
        assert isinstance(d, Send)
        for m in d.messages:
            books.feed(decode(m.encode()))
    text = render_ladder(books[1], levels=5)
    lines = text.splitlines()
    assert lines[0].startswith("BTCUSD  depth 5  last 29999")
    assert "24h vol 0.75" in lines[0] and "high 30001" in lines[0] and "low 29999" in lines[0]
    body = [line.split() for line in lines[2:]]
    # offers highest first, then the spread line, then bids best first
    assert body[0] == ["30002", "2", "2"]
    assert "spread 3" in lines[3]
    assert body[2] == ["1", "1.5", "29999"]
    assert body[3] == ["1", "1", "29998.5"]
    assert lines[-2:] == ["last trades: ", "  SELL          0.5 @ 29999"]


def args(*argv: str) -> object:
    return parser().parse_args(list(argv))


@pytest_twisted.ensureDeferred
async def test_once_prints_the_ladder_from_a_live_mds() -> None:
    from twisted.internet import reactor

    ex = Exchange()
    await ex.start()
    try:
        place(ex.engine.submit, ORDERS)
        out = io.StringIO()
        await run(reactor, args("--mds", f"127.0.0.1:{ex.port(1)}", "--account", str(ACCOUNT),
                                "--key", str(K1), "--depth", "10", "--once"), out)
        lines = out.getvalue().splitlines()
        assert lines[0].startswith("BTCUSD  depth 10")
        rows = [line.split() for line in lines[2:7]]
        # deep frames carry no order counts: "-"
        assert rows[:2] == [["30002", "2", "-"], ["30001", "0.25", "-"]]
        assert "spread 2" in lines[4]
        assert rows[3:] == [["-", "2", "29999"], ["-", "1", "29998.5"]]
        with pytest.raises(BookError, match="INVALID_KEY"):
            await run(reactor, args("--mds", f"127.0.0.1:{ex.port(1)}", "--account", "1001",
                                    "--key", str(K1 + 1), "--once"), io.StringIO())
        with pytest.raises(BookError, match="bad address"):
            await run(reactor, args("--mds", "nowhere", "--account", "1", "--once"), io.StringIO())
    finally:
        await ex.stop()


def test_refused_connection_is_one_line_and_status_1() -> None:
    proc = subprocess.run(
        [sys.executable, "-c",
         "from crmd_twisted.marketdata.cli import main; raise SystemExit(main())",
         "--mds", "127.0.0.1:1", "--account", "1", "--once", "--timeout", "3"],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("crmd-book: error: cannot connect")
    assert len(proc.stderr.strip().splitlines()) == 1


# -- against SimulatedExchange: the AES path, end to end ------------------------------------

from twisted.internet import defer, protocol  # noqa: E402

from crmd_twisted.testing import SimulatedExchange, client_ready  # noqa: E402
from crmd_twisted.wire.enums import SymbolEnum  # noqa: E402


async def exchange_with_orders() -> tuple[SimulatedExchange, object]:
    ex = SimulatedExchange()
    await ex.start()
    trader = ex.client(account=1002, user="bob")
    await client_ready(trader)
    for side, price, qty in [(Side.SELL, 30001.0, 0.25), (Side.SELL, 30002.0, 1.5),
                             (Side.SELL, 30002.0, 0.5), (Side.BUY, 29999.0, 2.0),
                             (Side.BUY, 29998.5, 1.0)]:
        await trader.new_order(SymbolEnum.BTCUSD, side, qty, price=price)
    await trader.new_order(SymbolEnum.BTCUSD, Side.BUY, 0.25, price=30001.0)  # one trade
    return ex, trader


@pytest_twisted.ensureDeferred
async def test_once_through_the_aes_grant_of_a_simulated_exchange() -> None:
    from twisted.internet import reactor

    ex, trader = await exchange_with_orders()
    try:
        host, port = ex.aes_address
        out = io.StringIO()
        await run(reactor, args("--aes", f"{host}:{port}", "--account", "1001", "--user",
                                "alice", "--api-key", "k", "--depth", "5", "--once"), out)
        lines = out.getvalue().splitlines()
        assert lines[0].startswith("BTCUSD  depth 5  last 30001  24h vol 0.25")
        assert lines[2].split() == ["30002", "2", "2"]
        assert "spread 3" in lines[3]
        assert [line.split() for line in lines[4:6]] == [["1", "2", "29999"],
                                                         ["1", "1", "29998.5"]]
        # the trade happened before the subscription: the stats show it, no trade line
        assert lines[-1] == "last trades: none"
        # the AES refuses nothing here, but an MDS-less grant is one line
        ex.aes_core.primary_mds = ""
        with pytest.raises(BookError, match="names no market-data server"):
            await run(reactor, args("--aes", f"{host}:{port}", "--account", "1001", "--user",
                                    "alice", "--once"), io.StringIO())
    finally:
        await trader.stopService()  # type: ignore[attr-defined]
        await ex.stop()


class _Live(protocol.ProcessProtocol):
    """crmd-book in live mode: stdin stays open (no 'q'), output collected."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.err: list[bytes] = []
        self.ended: defer.Deferred[int] = defer.Deferred()

    def outReceived(self, data: bytes) -> None:
        self.out.append(data)

    def errReceived(self, data: bytes) -> None:
        self.err.append(data)

    def processEnded(self, reason: object) -> None:
        value = getattr(reason, "value", None)
        code = getattr(value, "exitCode", None)
        self.ended.callback(-1 if code is None else code)

    def text(self) -> str:
        return b"".join(self.out).decode()


@pytest_twisted.ensureDeferred
async def test_live_mode_redraws_and_exits_1_when_the_mds_closes() -> None:
    from twisted.internet import reactor

    from tests.client_helpers import wait_for

    ex, trader = await exchange_with_orders()
    live = _Live()
    host, port = ex.mds_address(0)
    grant = trader.market_data._grant  # type: ignore[attr-defined]
    transport = reactor.spawnProcess(  # type: ignore[attr-defined]
        live, sys.executable,
        [sys.executable, "-c",
         "from crmd_twisted.marketdata.cli import main; raise SystemExit(main())",
         "--mds", f"{host}:{port}", "--account", "1002", "--key", str(grant.key),
         "--depth", "3"],
    )
    try:
        await wait_for(lambda: "q: quit" in live.text(), timeout=20)
        await trader.new_order(SymbolEnum.BTCUSD, Side.BUY, 0.5, price=29999.5)  # type: ignore[attr-defined]
        await wait_for(lambda: "29999.5" in live.text(), timeout=10)  # redrawn
        await ex.stop_oes(0)
        code = await live.ended.addTimeout(20, reactor)
    except BaseException:
        if not live.ended.called:
            transport.signalProcess("KILL")
        raise
    finally:
        await trader.stopService()  # type: ignore[attr-defined]
        await ex.stop()
    assert code == 1
    assert b"".join(live.err).decode() == (
        "crmd-book: error: the MDS closed the connection "
        "(logout: OES_NOT_AVAILABLE_TRADING_DISABLED)\n")
