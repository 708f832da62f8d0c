"""The plugins run the MDS: crmd-exchange (primary + secondary), crmd-oes --md-listen, crmd-aes.

Services are built as the plugins build them, on loopback port 0; a subscriber
uses the MDS address and key of a real AES logon reply.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.trial import unittest

from crmd_twisted.marketdata import CRMDMarketDataProtocol
from crmd_twisted.tap import aes as tap_aes
from crmd_twisted.tap import exchange as tap_exchange
from crmd_twisted.tap import oes as tap_oes
from crmd_twisted.wire.enums import RejectCode, Side
from tests.client_helpers import wait_for
from tests.server_helpers import ReactorFriendly, close_all, connect
from tests.test_plugins import LOOPBACK0


def parsed(plugin: Any, *argv: str) -> Any:
    options = plugin.Options()
    options.parseOptions(list(argv))
    return options


class ExchangeMarketDataTests(ReactorFriendly, unittest.TestCase):
    def setUp(self) -> None:
        self.clients: list[Any] = []
        self.feeds: list[CRMDMarketDataProtocol] = []
        self.addCleanup(lambda: close_all(self.clients))
        self.addCleanup(self.closeFeeds)

    async def closeFeeds(self) -> None:
        for feed in self.feeds:
            if feed.connected:
                feed.loseConnection()
            await feed.whenClosed()

    async def feed(self, address: tuple[str, int], account: int, key: int) -> Any:
        feed = CRMDMarketDataProtocol()
        await connectProtocol(TCP4ClientEndpoint(reactor, *address, timeout=5), feed)
        self.feeds.append(feed)
        feed.setCredentials(account, key, 0)
        return feed

    async def test_grant_names_the_bound_mds_and_the_book_streams(self) -> None:
        service = tap_exchange.build(parsed(
            tap_exchange, f"--aes-listen={LOOPBACK0}", f"--oes-listen={LOOPBACK0}",
            f"--secondary-oes-listen={LOOPBACK0}", f"--md-listen={LOOPBACK0}",
            f"--secondary-md-listen={LOOPBACK0}", "--admin=",
        ), reactor)
        service.privilegedStartService()
        service.startService()
        self.addCleanup(lambda: defer.maybeDeferred(service.stopService)
                        if service.running else None)
        aes_port = await service.aes_listener.whenListening()
        md_ports = [(await service.md_listeners[i].whenListening()).getHost().port
                    for i in (0, 1)]
        [await listener.whenListening() for listener in service.oes_listeners]
        aes = await connect(("127.0.0.1", aes_port.getHost().port))
        self.clients.append(aes)
        grant = await aes.logOn(1001, "alice")
        self.assertEqual(grant.primary_mds, ("127.0.0.1", md_ports[0]))
        self.assertEqual(grant.secondary_mds, ("127.0.0.1", md_ports[1]))
        oes = await connect(grant.primary_oes)
        self.clients.append(oes)
        await oes.logOn(1001, "alice", session_key=grant.session_key, trading_session_id=0)
        feeds = [await self.feed(address, 1001, grant.session_key)
                 for address in (grant.primary_mds, grant.secondary_mds)]
        for feed in feeds:
            feed.subscribe([(1, "BTCUSD", 3)])
        await wait_for(lambda: all(1 in f.books for f in feeds))
        oes.send(oes.order(Side.BUY, 1.0, 29000.0, order_id=1))
        # both MDS are fed by the one engine
        await wait_for(lambda: all(f.books[1].bids == [(29000.0, 1.0, 1)] for f in feeds))
        # stopping the exchange logs the subscribers out with 10 (OES not available)
        await defer.maybeDeferred(service.stopService)
        await wait_for(lambda: not any(f.connected for f in feeds))
        self.assertEqual([f.logoutReason for f in feeds],
                         [RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED] * 2)

    def test_market_data_defaults_and_switches(self) -> None:
        defaults = parsed(tap_exchange)
        self.assertEqual(defaults["md-listen"], "tcp:4446:interface=127.0.0.1")
        self.assertIsNone(defaults["secondary-md-listen"])
        base = [f"--aes-listen={LOOPBACK0}", f"--oes-listen={LOOPBACK0}", "--admin="]
        without = tap_exchange.build(parsed(tap_exchange, *base, "--md-listen="), reactor)
        self.assertEqual((without.md_listeners, without.md_factories), ({}, []))
        self.assertEqual(without.factories[0].core.observers, [])
        with_md = tap_exchange.build(parsed(tap_exchange, *base, f"--md-listen={LOOPBACK0}"),
                                     reactor)
        [md] = with_md.md_factories
        self.assertEqual(with_md.factories[0].core.observers, [md.on_events])
        with self.assertRaises(SystemExit) as caught:
            tap_exchange.makeService(parsed(tap_exchange, *base,
                                            f"--secondary-md-listen={LOOPBACK0}"))
        self.assertEqual(str(caught.exception.code), "crmd-exchange: error: "
                         "--secondary-md-listen: needs --secondary-oes-listen")


class OESAndAESMarketDataTests(unittest.TestCase):
    def test_oes_runs_an_mds_only_with_md_listen(self) -> None:
        plain = tap_oes.makeService(parsed(tap_oes, f"--listen={LOOPBACK0}"))
        self.assertEqual(plain.md_factories, [])
        self.assertEqual([s.name for s in plain], ["oes"])
        served = tap_oes.makeService(parsed(tap_oes, f"--listen={LOOPBACK0}",
                                            f"--md-listen={LOOPBACK0}", "--no-key-check"))
        [md] = served.md_factories
        self.assertEqual(served.factories[0].core.observers, [md.on_events])
        self.assertEqual(sorted(s.name for s in served), ["md-listen", "oes"])
        # --no-key-check switches the MDS key check off as well
        self.assertFalse(md.core.key_check.check_keys)  # type: ignore[attr-defined]
        with self.assertRaises(SystemExit) as caught:
            tap_oes.makeService(parsed(tap_oes, f"--listen={LOOPBACK0}", "--md-listen=tcp:x"))
        self.assertIn("crmd-oes: error: --md-listen: bad endpoint", str(caught.exception.code))

    def test_aes_sends_both_mds_addresses(self) -> None:
        factory, _ = tap_aes.build(parsed(
            tap_aes, f"--listen={LOOPBACK0}", "--mds=10.0.0.1:4446",
            "--secondary-mds=10.0.0.2:4446"), reactor)
        self.assertEqual((factory.core.primary_mds, factory.core.secondary_mds),
                         ("10.0.0.1:4446", "10.0.0.2:4446"))
        with self.assertRaises(SystemExit) as caught:
            tap_aes.makeService(parsed(tap_aes, f"--listen={LOOPBACK0}", "--secondary-mds=x"))
        self.assertIn("crmd-aes: error: --secondary-mds: expected HOST:PORT",
                      str(caught.exception.code))
