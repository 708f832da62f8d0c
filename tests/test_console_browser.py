"""The web console in a real headless Chromium (Selenium) against a running exchange.

The exchange runs in this process's reactor; every Selenium call blocks, so it
runs in a thread (``deferToThread``) while the reactor keeps serving the page.
Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them)
and the ``browser`` extra (Selenium).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import pytest_twisted
from console_helpers import TOKEN, ConsoleExchange
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from twisted.internet import threads

from crmd_twisted.client.errors import RequestRejected
from crmd_twisted.client.session import CRMDClient
from crmd_twisted.testing import client_ready
from crmd_twisted.wire.enums import OrderType, RejectCode, Side, TransactionType

BTCUSD = 1
#: what the issue asks: the book and the trade show in the browser within 2 s
SEEN_WITHIN = 2.0
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1500,1000",
)


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail("the browser tests need chromium and chromedriver on PATH "
                    "(Debian: apt-get install chromium chromium-driver)")
    return browser, driver


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    binary, driver_path = chromium_paths()
    with tempfile.TemporaryDirectory(prefix="crmd-chromium-") as profile:
        options = Options()
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.binary_location = binary
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
        try:
            driver.set_page_load_timeout(10)
            driver.set_script_timeout(10)
            yield driver
        finally:
            driver.quit()


@pytest_twisted.async_yield_fixture
async def console() -> AsyncIterator[ConsoleExchange]:
    exchange = ConsoleExchange()
    await exchange.start()
    try:
        yield exchange
    finally:
        await exchange.stop()


class Page:
    """The console page in the browser; every call runs in a thread."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        return await threads.deferToThread(func, *args)

    async def open(self, url: str) -> None:
        await self.run(self.driver.get, url)

    async def js(self, script: str, *args: Any) -> Any:
        return await self.run(self.driver.execute_script, script, *args)

    async def until(self, script: str, timeout: float, what: str, *args: Any) -> Any:
        """Poll a JS function body (``return ...``) until it is truthy; its value."""
        def wait() -> Any:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
                lambda d: d.execute_script(script, *args), f"{what} (within {timeout} s)"
            )
        return await self.run(wait)

    async def text(self, element_id: str) -> str:
        return str(await self.js(f"return document.getElementById('{element_id}').textContent"))

    async def fill(self, element_id: str, value: str) -> None:
        def fill() -> None:
            element = self.driver.find_element(By.ID, element_id)
            element.clear()
            element.send_keys(value)
        await self.run(fill)

    async def select(self, element_id: str, value: str) -> None:
        await self.run(lambda: Select(self.driver.find_element(By.ID, element_id))
                       .select_by_value(value))

    async def click(self, css: str) -> None:
        await self.run(lambda: self.driver.find_element(By.CSS_SELECTOR, css).click())

    async def result_line(self, contains: str) -> str:
        """The action line once it shows *contains* (what the panel confirmed)."""
        return str(await self.until(
            "const t = document.getElementById('action-result').textContent;"
            f"return t.includes({contains!r}) ? t : null", 3.0, f"action line with {contains!r}",
        ))

    async def live(self, timeout: float = 5.0) -> None:
        await self.until("return document.getElementById('status').textContent === 'live'",
                         timeout, "the stream is live")


LADDER = """
return Array.from(document.querySelectorAll('#ladder tr.' + arguments[0])).map(
  r => [Number(r.dataset.price), r.querySelector('.size').textContent,
        r.querySelector('.orders').textContent]);
"""


async def trader(exchange: ConsoleExchange, account: int, user: str) -> CRMDClient:
    client = exchange.exchange.client(account=account, user=user)
    return await client_ready(client)


@pytest_twisted.ensureDeferred
async def test_book_trades_faults_and_mass_cancel_in_the_browser(
    console: ConsoleExchange, browser: webdriver.Chrome
) -> None:
    page = Page(browser)
    await page.open(console.url)
    await page.live()
    alice = await trader(console, 1001, "alice")
    bob = await trader(console, 1002, "bob")
    try:
        # resting orders appear in the ladder
        started = time.monotonic()
        await alice.new_order(BTCUSD, Side.BUY, 1.0, price=30000.0)
        await alice.new_order(BTCUSD, Side.BUY, 2.0, price=29999.5)
        await bob.new_order(BTCUSD, Side.SELL, 0.5, price=30010.0)
        await page.until(
            "return document.querySelectorAll('#ladder tr.bid').length === 2 &&"
            " document.querySelectorAll('#ladder tr.ask').length === 1",
            SEEN_WITHIN, "two bid levels and one offer in the ladder",
        )
        assert time.monotonic() - started < SEEN_WITHIN + 0.5
        assert await page.js(LADDER, "bid") == [[30000.0, "1", "1"], [29999.5, "2", "1"]]
        assert await page.js(LADDER, "ask") == [[30010.0, "0.5", "1"]]
        assert await page.text("spread") == "spread 10.0 \u00b7 mid 30005.0"

        # a trade reaches the tape and the chart
        started = time.monotonic()
        fill = await bob.new_order(BTCUSD, Side.SELL, 0.25, order_type=OrderType.MKT)
        assert fill.message_type == TransactionType.QUOTE_FILL
        tape = await page.until(
            "const r = document.querySelector('#tape-body tr[data-price]');"
            "return r ? [Number(r.dataset.price), Number(r.dataset.size)] : null",
            SEEN_WITHIN, "the trade on the tape",
        )
        assert tape == [30000.0, 0.25]
        assert await page.until(
            "return document.querySelectorAll('#chart circle.trade').length", SEEN_WITHIN,
            "the trade on the chart",
        ) == 1
        assert time.monotonic() - started < SEEN_WITHIN + 0.5
        assert await page.js(LADDER, "bid") == [[30000.0, "0.75", "1"], [29999.5, "2", "1"]]

        # the sessions table shows both traders with frame counts; click opens the account
        await page.until("return document.querySelectorAll('#sessions-body a[data-account]')"
                         ".length === 2", SEEN_WITHIN, "two logged-on sessions")
        frames = await page.js(
            "return Array.from(document.querySelectorAll('#sessions-body tr')).map("
            "r => Number(r.querySelector('.frames-in').textContent))")
        assert all(n >= 3 for n in frames), frames
        await page.click("#sessions-body a[data-account='1001']")
        orders = await page.until(
            "return document.querySelectorAll('#orders-body tr[data-order]').length",
            3.0, "alice's open orders in the account panel",
        )
        assert orders == 2
        # 64-bit order ids arrive whole (a JS number would round them)
        shown = await page.js("return Array.from(document.querySelectorAll("
                              "'#orders-body tr[data-order]')).map(r => r.dataset.order)")
        engine = console.exchange.oes_core.engine
        assert sorted(shown) == sorted(str(v.order_id) for v in engine.open_orders(1001))
        assert "BTC" in await page.text("balances-body")

        # a reject fault added from the panel rejects alice's next order
        await page.select("fault-kind", "reject")
        await page.fill("param-code", str(int(RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE)))
        await page.fill("param-count", "5")
        await page.fill("fault-account", "1001")
        await page.click("#fault-add")
        line = await page.result_line("added")
        assert line.startswith("fault ") and line.endswith("added (reject)"), line
        fault_id = line.split()[1]
        assert [f.id for f in console.control.faults] == [fault_id]
        with pytest.raises(RequestRejected) as rejected:
            await alice.new_order(BTCUSD, Side.BUY, 1.0, price=29000.0)
        assert rejected.value.code == RejectCode.NOT_ENOUGH_EQUITY_TO_COMPLETE
        await bob.new_order(BTCUSD, Side.SELL, 1.0, price=30020.0)  # other accounts trade on
        await page.until("return document.querySelector("
                         "`#faults-body tr[data-id='${arguments[0]}']`)"
                         "?.textContent.includes('remaining=4')", SEEN_WITHIN,
                         "the fault's remaining count in the list", fault_id)

        # removed from the panel: alice trades again
        await page.click(f"#faults-body button[data-id={fault_id!r}]")
        assert await page.result_line("removed") == f"fault {fault_id} removed"
        assert len(console.control.faults) == 0
        ack = await alice.new_order(BTCUSD, Side.BUY, 1.0, price=29000.0)
        assert ack.message_type == TransactionType.ORDER_ACK
        await page.until("return document.getElementById('faults-body').textContent"
                         ".includes('no active faults')", SEEN_WITHIN, "the fault list empty")

        # a bad fault gets the API's error line
        await page.select("fault-kind", "delay")
        await page.click("#fault-add")
        assert await page.result_line("error") == "error: delay needs 'seconds' (delay of " \
            "every frame sent)"

        # mass cancel of BTCUSD clears the ladder
        await page.select("cancel-symbol", "BTCUSD")
        await page.click("#cancel-submit")
        line = await page.result_line("cancelled")
        assert line == "cancelled 5 order(s) of every account on BTCUSD"
        await page.until("return document.querySelectorAll('#ladder tr.bid, #ladder tr.ask')"
                         ".length === 0", SEEN_WITHIN, "an empty ladder")
        assert await page.text("spread") == "no orders"
    finally:
        await alice.stopService()
        await bob.stopService()


@pytest_twisted.ensureDeferred
async def test_token_is_asked_once_and_kept_for_the_session(browser: webdriver.Chrome) -> None:
    exchange = ConsoleExchange(token=TOKEN)
    await exchange.start()
    try:
        page = Page(browser)
        await page.open(exchange.url)
        await page.until("return !document.getElementById('token-form').hidden", 5.0,
                         "the token form")
        assert await page.text("status") == "token needed"
        await page.fill("token", "wrong")
        await page.click("#token-form button")
        await page.until("return document.getElementById('token-error').textContent ==="
                         " 'wrong token'", 3.0, "'wrong token'")
        await page.fill("token", TOKEN)
        await page.click("#token-form button")
        await page.live()
        await page.until("return document.querySelectorAll('#instruments button').length", 3.0,
                         "the instrument list from the stream")
        # actions carry the token: a fault added and listed
        await page.select("fault-kind", "seq_gap")
        await page.click("#fault-add")
        assert (await page.result_line("added")).endswith("(seq_gap)")
        assert [f.kind.value for f in exchange.control.faults] == ["seq_gap"]
        # a reload keeps the token (sessionStorage): no form, straight to live
        await page.run(browser.refresh)
        await page.live()
        assert await page.js("return document.getElementById('token-form').hidden") is True
    finally:
        await exchange.stop()


@pytest_twisted.ensureDeferred
async def test_the_page_reconnects_when_the_exchange_restarts(
    console: ConsoleExchange, browser: webdriver.Chrome
) -> None:
    page = Page(browser)
    await page.open(console.url)
    await page.live()
    boot = console.hub.state.boot
    await console.stop()
    await page.until("return document.getElementById('status').textContent !== 'live'", 3.0,
                     "the page notices the exchange is gone")

    # a new exchange process on the same admin port
    restarted = ConsoleExchange()
    restarted.admin_port_number = console.admin_port_number
    await restarted.start()
    try:
        assert restarted.hub.state.boot != boot
        await page.live(timeout=5.0)
        alice = await trader(restarted, 1001, "alice")
        try:
            await alice.new_order(BTCUSD, Side.BUY, 3.0, price=31000.0)
            await page.until("return document.querySelector('#ladder tr.bid')?.dataset.price"
                             " === '31000'", SEEN_WITHIN, "the new exchange's book")
        finally:
            await alice.stopService()
    finally:
        await restarted.stop()
