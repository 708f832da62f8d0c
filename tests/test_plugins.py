"""The twistd plugins: wiring (in-process, through the tap builders) and the command line.

Command-line tests run ``twistd`` in a subprocess from a temporary directory with
``-n --pidfile=`` and a timeout.  What twistd prints for a bad option value: the
plugin's ``makeService`` raises ``SystemExit("crmd-...: error: ...")``, which twistd
writes as exactly one line on stderr (exit status 1).  A port that cannot be bound
is only found once twistd has started logging (stderr is then redirected into the
log, which goes to stdout with ``-n``): the same one-line message appears as a
single ``[stderr#error]`` log line, exit status 1, no traceback.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from twisted.internet import defer, reactor
from twisted.trial import unittest

from crmd_twisted.tap import aes as tap_aes
from crmd_twisted.tap import exchange as tap_exchange
from crmd_twisted.tap import oes as tap_oes
from crmd_twisted.wire import two_fa_code
from crmd_twisted.wire.enums import LoginStatus, RejectCode, Side, TransactionType

from tests.server_helpers import ReactorFriendly, close_all, connect, logon_request, write_temp

LOOPBACK0 = "tcp:0:interface=127.0.0.1"

ACCOUNTS = """
[[accounts]]
account = 1001
user = "alice"
api_key = "alice-key"

[[accounts]]
account = 2002
user = "bob"
api_key = "bob-key"
"""


def twistd_command() -> list[str]:
    script = Path(sys.executable).with_name("twistd")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]


class TapWiringTests(ReactorFriendly, unittest.TestCase):
    """Services built exactly as the plugins build them, on loopback port 0."""

    def setUp(self) -> None:
        self.clients: list[Any] = []
        self.services: list[Any] = []
        self.addCleanup(self._stopServices)
        self.addCleanup(lambda: close_all(self.clients))

    async def _stopServices(self) -> None:
        for service in reversed(self.services):
            if service.running:
                await defer.maybeDeferred(service.stopService)

    async def start(self, service: Any) -> None:
        self.services.append(service)
        service.privilegedStartService()
        service.startService()

    async def connectTo(self, address):
        client = await connect(address)
        self.clients.append(client)
        return client

    async def test_exchange_plugin_serves_a_whole_session(self) -> None:
        options = tap_exchange.Options()
        options.parseOptions([
            f"--aes-listen={LOOPBACK0}", f"--oes-listen={LOOPBACK0}",
            f"--secondary-oes-listen={LOOPBACK0}", f"--md-listen={LOOPBACK0}",
            f"--admin={LOOPBACK0}",
            f"--accounts={write_temp(self, 'accounts.toml', ACCOUNTS)}",
        ])
        service = tap_exchange.build(options, reactor)
        await self.start(service)
        aes_port = await service.aes_listener.whenListening()
        oes_ports = [await lst.whenListening() for lst in service.oes_listeners]
        aes = await self.connectTo(("127.0.0.1", aes_port.getHost().port))
        grant = await aes.logOn(1001, "alice", api_key="alice-key")
        # the AES advertises the ports the OES listeners really bound
        self.assertEqual(grant.primary_oes, ("127.0.0.1", oes_ports[0].getHost().port))
        self.assertEqual(grant.secondary_oes, ("127.0.0.1", oes_ports[1].getHost().port))
        oes = await self.connectTo(grant.primary_oes)
        reply = await oes.logOn(1001, "alice", api_key="alice-key",
                                session_key=grant.session_key, trading_session_id=0)
        self.assertEqual(reply.login_status, LoginStatus.SUCCESS)
        oes.cursor = len(oes.received)
        oes.send(oes.order(Side.BUY, 1.0, 29000.0, order_id=1))
        self.assertEqual((await oes.one()).message_type, TransactionType.ORDER_ACK)
        # the secondary OES shares the book: bob trades with alice's order there
        bob_aes = await self.connectTo(("127.0.0.1", aes_port.getHost().port))
        bob_grant = await bob_aes.logOn(2002, "bob", api_key="bob-key")
        bob = await self.connectTo(bob_grant.secondary_oes)
        await bob.logOn(2002, "bob", api_key="bob-key", session_key=bob_grant.session_key,
                        trading_session_id=bob_grant.trading_session_id)
        bob.cursor = len(bob.received)
        bob.send(bob.order(Side.SELL, 1.0, 29000.0, order_id=1))
        self.assertEqual((await bob.one()).message_type, TransactionType.QUOTE_FILL)
        self.assertEqual((await oes.one()).message_type, TransactionType.EXECUTION)
        # stopping the service logs the OES clients out with 10
        await defer.maybeDeferred(service.stopService)
        logout = await oes.one()
        self.assertEqual(logout.reject_reason, RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED)
        await oes.waitClosed()

    async def start_pair(self, aes_secret: str, oes_secret: str) -> tuple[Any, Any]:
        accounts = write_temp(self, "accounts.toml", ACCOUNTS)
        oes_options = tap_oes.Options()
        oes_options.parseOptions([f"--listen={LOOPBACK0}", f"--accounts={accounts}",
                                  f"--secret={oes_secret}"])
        oes_service = tap_oes.makeService(oes_options)
        await self.start(oes_service)
        oes_port = await oes_service.getServiceNamed("oes").whenListening()
        aes_options = tap_aes.Options()
        aes_options.parseOptions([f"--listen={LOOPBACK0}", f"--accounts={accounts}",
                                  f"--secret={aes_secret}",
                                  f"--oes=127.0.0.1:{oes_port.getHost().port}"])
        aes_service = tap_aes.makeService(aes_options)
        await self.start(aes_service)
        aes_port = await aes_service.getServiceNamed("aes").whenListening()
        return ("127.0.0.1", aes_port.getHost().port), ("127.0.0.1", oes_port.getHost().port)

    async def test_separate_aes_and_oes_plugins_agree_on_keys(self) -> None:
        aes_address, oes_address = await self.start_pair("s3cret", "s3cret")
        aes = await self.connectTo(aes_address)
        grant = await aes.logOn(1001, "alice", api_key="alice-key")
        self.assertEqual(grant.primary_oes, oes_address)
        oes = await self.connectTo(oes_address)
        reply = await oes.logOn(1001, "alice", api_key="alice-key",
                                session_key=grant.session_key, trading_session_id=0)
        self.assertEqual(reply.trading_session_id, grant.trading_session_id)

    async def test_different_secrets_mean_invalid_key(self) -> None:
        aes_address, oes_address = await self.start_pair("one", "two")
        aes = await self.connectTo(aes_address)
        grant = await aes.logOn(1001, "alice", api_key="alice-key")
        oes = await self.connectTo(oes_address)
        oes.sendMessage(logon_request(1001, "alice", two_fa=two_fa_code("alice-key"),
                                      session_key=grant.session_key))
        reply = await oes.one()
        self.assertEqual((reply.login_status, reply.reject_reason),
                         (LoginStatus.FAILURE, RejectCode.INVALID_KEY))


class CommandLineTests(unittest.TestCase):
    """``twistd`` itself, in a subprocess."""

    def setUp(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="crmd-twistd-"))
        self.addCleanup(shutil.rmtree, self.workdir, True)

    def twistd(self, *args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        return subprocess.run(
            [*twistd_command(), *args], cwd=self.workdir, capture_output=True, text=True,
            timeout=timeout, env=env,
        )

    def assertOneLineError(self, result: subprocess.CompletedProcess[str], tool: str,
                           *fragments: str) -> None:
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("Traceback", result.stderr + result.stdout)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith(f"{tool}: error: "), lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def run_service(self, plugin: str, *options: str) -> subprocess.CompletedProcess[str]:
        return self.twistd("-n", "--pidfile=", plugin, *options)

    def test_help_lists_the_three_plugins(self) -> None:
        result = self.twistd("--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        for name, words in [("crmd-aes", "Admin server"), ("crmd-oes", "Order Entry"),
                            ("crmd-exchange", "AES + OES")]:
            line = next((ln for ln in result.stdout.splitlines() if name in ln), "")
            self.assertIn(words, line, result.stdout)

    def test_oes_help_documents_every_option(self) -> None:
        result = self.twistd("crmd-oes", "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        for option in ("--listen=", "--accounts=", "--secret=", "--instruments=",
                       "--strict", "--no-key-check", "--match-delay=", "--wire-trace",
                       "--log-frames"):
            self.assertIn(option, result.stdout)
        self.assertIn("Order Entry server", result.stdout)

    def test_exchange_and_aes_help(self) -> None:
        exchange = self.twistd("crmd-exchange", "--help").stdout
        for option in ("--aes-listen=", "--oes-listen=", "--secondary-oes-listen=",
                       "--advertise-host=", "--accounts=", "--strict", "--match-delay="):
            self.assertIn(option, exchange)
        aes = self.twistd("crmd-aes", "--help").stdout
        for option in ("--listen=", "--oes=", "--secondary-oes=", "--accounts=", "--secret="):
            self.assertIn(option, aes)
        for text in (exchange, aes):
            self.assertIn("--log-frames", text)

    def test_bad_endpoint(self) -> None:
        self.assertOneLineError(self.run_service("crmd-oes", "--listen=bogus:1"),
                                "crmd-oes", "--listen", "bogus:1")

    def test_bad_endpoint_port_text(self) -> None:
        self.assertOneLineError(
            self.run_service("crmd-exchange", "--aes-listen=tcp:notaport"),
            "crmd-exchange", "--aes-listen")

    def test_unreadable_accounts_file(self) -> None:
        self.assertOneLineError(
            self.run_service("crmd-oes", f"--listen={LOOPBACK0}", "--accounts=missing.toml"),
            "crmd-oes", "missing.toml")

    def test_bad_toml(self) -> None:
        (self.workdir / "bad.toml").write_text("[[accounts]\nuser = ")
        self.assertOneLineError(
            self.run_service("crmd-aes", f"--listen={LOOPBACK0}", "--accounts=bad.toml"),
            "crmd-aes", "bad.toml", "invalid TOML")

    def test_accounts_file_with_a_bad_entry(self) -> None:
        (self.workdir / "acc.toml").write_text('[[accounts]]\naccount = 1\nuser = "toolonguser"\n')
        self.assertOneLineError(
            self.run_service("crmd-exchange", f"--aes-listen={LOOPBACK0}",
                             f"--oes-listen={LOOPBACK0}", "--accounts=acc.toml"),
            "crmd-exchange", "user")

    def test_bad_instruments_file(self) -> None:
        (self.workdir / "inst.toml").write_text("[[instruments]]\nsymbol_enum = 1\n")
        self.assertOneLineError(
            self.run_service("crmd-oes", f"--listen={LOOPBACK0}", "--instruments=inst.toml"),
            "crmd-oes", "inst.toml", "missing")

    def test_bad_oes_address(self) -> None:
        self.assertOneLineError(
            self.run_service("crmd-aes", f"--listen={LOOPBACK0}", "--oes=no-port-here"),
            "crmd-aes", "--oes", "HOST:PORT")

    def test_bad_match_delay(self) -> None:
        self.assertOneLineError(
            self.run_service("crmd-oes", f"--listen={LOOPBACK0}", "--match-delay=-1"),
            "crmd-oes", "--match-delay")

    def test_port_in_use(self) -> None:
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = self.run_service("crmd-oes", f"--listen=tcp:{port}:interface=127.0.0.1")
        self.assertEqual(result.returncode, 1)
        output = result.stdout + result.stderr
        self.assertNotIn("Traceback", output)
        errors = [ln for ln in output.splitlines() if "error" in ln.lower()]
        self.assertEqual(len(errors), 1, output)
        self.assertIn(f"crmd-oes: error: --listen: cannot listen on 127.0.0.1:{port}", errors[0])


class FrameLoggingOptionTests(unittest.TestCase):
    """``--log-frames``: per-frame log events of the plugins' factories, off by default."""

    def factories(self, plugin: str, *args: str) -> list[Any]:
        if plugin == "aes":
            options = tap_aes.Options()
            options.parseOptions([f"--listen={LOOPBACK0}", *args])
            return [tap_aes.build(options, reactor)[0]]
        if plugin == "oes":
            options = tap_oes.Options()
            options.parseOptions([f"--listen={LOOPBACK0}", *args])
            return list(tap_oes.makeService(options).factories)
        options = tap_exchange.Options()
        options.parseOptions([f"--aes-listen={LOOPBACK0}", f"--oes-listen={LOOPBACK0}",
                              f"--secondary-oes-listen={LOOPBACK0}", f"--md-listen={LOOPBACK0}",
                              *args])
        service = tap_exchange.build(options, reactor)
        return [service.aes, *service.factories]

    def test_off_by_default(self) -> None:
        for plugin in ("aes", "oes", "exchange"):
            for factory in self.factories(plugin):
                self.assertIs(factory.logFrames, False, (plugin, factory))

    def test_log_frames_switches_them_on(self) -> None:
        for plugin in ("aes", "oes", "exchange"):
            factories = self.factories(plugin, "--log-frames")
            self.assertEqual(len(factories), 1 if plugin != "exchange" else 3)
            for factory in factories:
                self.assertIs(factory.logFrames, True, (plugin, factory))
                self.assertFalse(factory.wireTrace)

    def test_wire_trace_implies_frame_logging(self) -> None:
        for plugin in ("aes", "oes", "exchange"):
            for factory in self.factories(plugin, "--wire-trace"):
                self.assertIs(factory.logFrames, True, (plugin, factory))
                self.assertTrue(factory.wireTrace)

    def test_the_library_default_is_off_too(self) -> None:
        from crmd_twisted.protocol import CRMDFactory, CRMDProtocol

        self.assertIs(CRMDFactory.logFrames, False)
        self.assertIs(CRMDProtocol.logFrames, False)


class GCTuningTests(ReactorFriendly, unittest.TestCase):
    """Only services made for twistd tune the GC; in-process users keep theirs."""

    def test_only_twistd_options_ask_for_it(self) -> None:
        from twisted.scripts.twistd import ServerOptions

        for tap in (tap_oes, tap_exchange):
            options = tap.Options()
            options.parseOptions(["--listen=" + LOOPBACK0] if tap is tap_oes else
                                 [f"--aes-listen={LOOPBACK0}", f"--oes-listen={LOOPBACK0}"])
            self.assertFalse(tap.makeService(options).tuneGC)
            options.parent = ServerOptions()  # what twistd's sub-command parsing sets
            self.assertTrue(tap.makeService(options).tuneGC)
        self.assertFalse(tap_oes.OESService([]).tuneGC)

    async def test_started_in_process_leaves_the_gc_alone(self) -> None:
        import gc

        before = (gc.get_threshold(), gc.get_freeze_count())
        options = tap_oes.Options()
        options.parseOptions([f"--listen={LOOPBACK0}"])
        service = tap_oes.makeService(options)
        service.privilegedStartService()
        service.startService()
        await service.getServiceNamed("oes").whenListening()
        await defer.maybeDeferred(service.stopService)
        self.assertEqual((gc.get_threshold(), gc.get_freeze_count()), before)

    def test_tune_gc(self) -> None:
        import gc

        thresholds = gc.get_threshold()
        self.addCleanup(gc.set_threshold, *thresholds)
        if gc.get_freeze_count() == 0:
            self.addCleanup(gc.unfreeze)
        tap_oes.tune_gc((12_345, 20, 30))
        self.assertEqual(gc.get_threshold(), (12_345, 20, 30))
        self.assertGreater(gc.get_freeze_count(), 0)


class TwoServersInOneFolderTests(unittest.TestCase):
    """What the README says: ``--pidfile=NAME.pid`` lets two twistd run from one folder."""

    def setUp(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="crmd-twistd-"))
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.env = dict(os.environ)
        self.env.pop("PYTHONPATH", None)

    def start(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [*twistd_command(), "-n", *args], cwd=self.workdir, env=self.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self.addCleanup(self.stop, proc)
        return proc

    def stop(self, proc: subprocess.Popen[str]) -> None:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=20)

    def waitForPidfile(self, name: str, proc: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + 30
        while not (self.workdir / name).exists():
            self.assertIsNone(proc.poll(), f"twistd ended before writing {name}")
            self.assertLess(time.monotonic(), deadline, f"no {name} after 30 s")
            time.sleep(0.05)

    def test_own_pidfiles_let_both_run(self) -> None:
        aes = self.start("--pidfile=aes.pid", "crmd-aes", f"--listen={LOOPBACK0}")
        self.waitForPidfile("aes.pid", aes)
        oes = self.start("--pidfile=oes.pid", "crmd-oes", f"--listen={LOOPBACK0}")
        self.waitForPidfile("oes.pid", oes)
        self.assertIsNone(aes.poll())
        self.assertIsNone(oes.poll())

    def test_the_default_pidfile_stops_the_second(self) -> None:
        first = self.start("crmd-aes", f"--listen={LOOPBACK0}")
        self.waitForPidfile("twistd.pid", first)
        second = self.start("crmd-oes", f"--listen={LOOPBACK0}")
        out, err = second.communicate(timeout=30)
        self.assertEqual(second.returncode, 1)
        self.assertIn("Another twistd server is running", out + err)
        self.assertIsNone(first.poll())
