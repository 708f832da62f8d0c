"""``--config exchange.toml``: one settings file for a whole simulator.

Precedence is built-in default < file < command line; an unknown key or a bad
value is one line naming the key.  Most tests build the services exactly as
the plugins do (in-process); one runs ``twistd`` to see the line a user sees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from twisted.internet import defer, reactor
from twisted.trial import unittest

from crmd_twisted.accounts import ConfigError
from crmd_twisted.engine import DEFAULT_INSTRUMENTS, EngineRules, TrailingMode, TriggerSource
from crmd_twisted.keys import SessionKeys
from crmd_twisted.tap import aes as tap_aes
from crmd_twisted.tap import exchange as tap_exchange
from crmd_twisted.tap import oes as tap_oes
from crmd_twisted.tap.config import OptionKind, load_config
from crmd_twisted.wire.enums import LoginStatus, Side, TransactionType

from tests.server_helpers import ReactorFriendly, close_all, connect
from tests.test_plugins import LOOPBACK0, twistd_command

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "exchange.toml"

#: Every option of crmd-exchange set to something other than its default.
EVERY_KEY = """
aes_listen = "tcp:0:interface=127.0.0.1"
oes_listen = "tcp:0:interface=127.0.0.1"
secondary_oes_listen = "tcp:0:interface=127.0.0.1"
md_listen = "tcp:0:interface=127.0.0.1"
secondary_md_listen = "tcp:0:interface=127.0.0.1"
advertise_host = "localhost"
secret = "file-secret"
strict = true
no_key_check = true
match_delay = 0.25
log_frames = true
wire_trace = true
admin = "tcp:0:interface=127.0.0.1"
admin_token = "file-token"
cancel_on_disconnect = true

[[accounts]]
account = 7
user = "carol"
api_key = "carol-key"
open_order_limit = 5
disabled = true
cancel_on_disconnect = false
balances = { BTC = 3, USD = 40 }

[[instruments]]
symbol_enum = 9
symbol = "ETHUSD"
base = "ETH"
quote = "USD"
price_increment = 0.25
min_size = 0.01
max_size = 100

[engine]
stop_trigger = "OPPOSITE_BEST"
sniper_trigger = "LAST_TRADE"
trailing_mode = "FIXED_TICKS"
trailing_ticks = 3
tsl_limit_trails = false
day_length_ns = 3_600_000_000_000
day_end_offset_ns = 60_000_000_000
"""


def write(case: unittest.TestCase, text: str, name: str = "exchange.toml") -> Path:
    folder = Path(tempfile.mkdtemp(prefix="crmd-config-"))
    case.addCleanup(shutil.rmtree, folder, True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def exchange_from(*argv: str) -> tap_exchange.ExchangeService:
    options = tap_exchange.Options()
    options.parseOptions(list(argv))
    return tap_exchange.build(options, reactor)


class ConfigFileTests(unittest.TestCase):
    def assertConfigError(self, text: str, *fragments: str, plugin: Any = tap_exchange) -> None:
        path = write(self, text)
        options = plugin.Options()
        options.parseOptions([f"--config={path}"])
        with self.assertRaises(SystemExit) as caught:
            plugin.makeService(options)
        message = str(caught.exception.code)
        self.assertEqual(message.count("\n"), 0, message)
        self.assertTrue(message.startswith(f"crmd-{plugin.__name__.rsplit('.', 1)[1]}: error: "
                                           f"{path}: "), message)
        for fragment in fragments:
            self.assertIn(fragment, message)

    def test_every_key(self) -> None:
        service = exchange_from(f"--config={write(self, EVERY_KEY)}")
        core = service.factories[0].core
        self.assertTrue(core.strict)
        self.assertFalse(core.check_keys)
        self.assertEqual(core.keys, SessionKeys.from_text("file-secret"))
        self.assertEqual(service.advertise_host, "localhost")
        self.assertEqual(len(service.oes_listeners), 2)  # secondary_oes_listen
        self.assertEqual(sorted(service.md_listeners), [0, 1])  # md_listen, secondary_md_listen
        for factory in (service.aes, *service.factories):
            self.assertTrue(factory.logFrames)
            self.assertTrue(factory.wireTrace)
        for factory in service.factories:
            self.assertEqual(factory.matchDelay, 0.25)
        [carol] = list(core.directory)
        self.assertFalse(core.directory.open)
        self.assertEqual((carol.account, carol.user, carol.api_key, carol.open_order_limit,
                          carol.disabled, dict(carol.balances)),
                         (7, "carol", "carol-key", 5, True, {"BTC": 3.0, "USD": 40.0}))
        self.assertIs(carol.cancel_on_disconnect, False)
        self.assertIs(service.aes.core.directory, core.directory)
        self.assertTrue(core.cancel_on_disconnect)
        assert service.admin_listener is not None
        # one control plane for the AES and both OES listeners
        self.assertIsNotNone(service.aes.control)
        for factory in service.factories:
            self.assertIs(factory.control, service.aes.control)
        self.assertEqual([i.symbol for i in core.instruments.values()], ["ETHUSD"])
        self.assertEqual(core.engine.rules, EngineRules(
            stop_trigger=TriggerSource.OPPOSITE_BEST, sniper_trigger=TriggerSource.LAST_TRADE,
            trailing_mode=TrailingMode.FIXED_TICKS, trailing_ticks=3, tsl_limit_trails=False,
            day_length_ns=3_600_000_000_000, day_end_offset_ns=60_000_000_000,
        ))

    def test_example_file_documents_the_defaults(self) -> None:
        config = load_config(EXAMPLE, tap_exchange.Options().optionKinds())
        defaults = tap_exchange.Options()
        defaults.parseOptions([])
        documented = dict(config.options)
        for name, value in documented.items():
            default = defaults[name]
            if isinstance(value, bool):
                self.assertEqual(value, bool(default), name)
            elif name == "match-delay":
                self.assertEqual(float(value), float(default), name)
            else:
                self.assertEqual(value, default, name)
        # every option is in it (the secondary OES, off by default, as a comment)
        undocumented = set(tap_exchange.Options().optionKinds()) - set(documented)
        self.assertEqual(undocumented, {"secondary-oes-listen", "secondary-md-listen",
                                        "accounts", "instruments", "state", "admin-token"})
        self.assertIn("# secondary_oes_listen = ", EXAMPLE.read_text())
        self.assertIn("# secondary_md_listen = ", EXAMPLE.read_text())
        self.assertIn("# state = ", EXAMPLE.read_text())
        self.assertIn("# admin_token = ", EXAMPLE.read_text())
        self.assertEqual(config.rules, EngineRules())
        self.assertEqual(config.instruments, tuple(DEFAULT_INSTRUMENTS))
        assert config.accounts is not None
        self.assertEqual([(a.account, a.user) for a in config.accounts],
                         [(1001, "alice"), (1002, "bob")])

    def test_command_line_overrides_the_file(self) -> None:
        path = write(self, EVERY_KEY)
        other = write(self, '[[accounts]]\naccount = 8\nuser = "dave"\n', "accounts.toml")
        service = exchange_from(f"--config={path}", "--match-delay=0", "--advertise-host=h",
                                f"--accounts={other}", "--secret=cli")
        core = service.factories[0].core
        self.assertEqual(service.factories[0].matchDelay, 0.0)
        self.assertEqual(service.advertise_host, "h")
        self.assertEqual([a.user for a in core.directory], ["dave"])
        self.assertEqual(core.keys, SessionKeys.from_text("cli"))
        self.assertTrue(core.strict)  # not on the command line: the file's value

    def test_the_file_overrides_the_defaults_only_where_it_says(self) -> None:
        service = exchange_from(f"--config={write(self, 'strict = true')}")
        core = service.factories[0].core
        self.assertTrue(core.strict)
        self.assertTrue(core.directory.open)
        self.assertEqual(core.engine.rules, EngineRules())
        self.assertEqual(tuple(core.instruments.values()), tuple(DEFAULT_INSTRUMENTS))

    def test_file_names_are_relative_to_the_file(self) -> None:
        path = write(self, 'accounts = "people.toml"\n')
        (path.parent / "people.toml").write_text('[[accounts]]\naccount = 3\nuser = "eve"\n')
        service = exchange_from(f"--config={path}")
        self.assertEqual([a.user for a in service.factories[0].core.directory], ["eve"])

    def test_oes_and_aes_take_their_own_options(self) -> None:
        path = write(self, 'listen = "tcp:0:interface=127.0.0.1"\nstrict = true\n'
                           '[engine]\ntrailing_ticks = 4\n')
        options = tap_oes.Options()
        options.parseOptions([f"--config={path}"])
        core = tap_oes.build_core(options)
        self.assertEqual((options["listen"], core.strict, core.engine.rules.trailing_ticks),
                         ("tcp:0:interface=127.0.0.1", True, 4))
        aes_path = write(self, 'oes = "127.0.0.1:5555"\n[[accounts]]\naccount = 1\nuser = "a"\n')
        options = tap_aes.Options()
        options.parseOptions([f"--config={aes_path}", f"--listen={LOOPBACK0}"])
        factory, _ = tap_aes.build(options, reactor)
        self.assertEqual(factory.core.primary_oes, "127.0.0.1:5555")
        self.assertEqual([a.user for a in factory.core.directory], ["a"])

    def test_unknown_key(self) -> None:
        self.assertConfigError('lisen = "tcp:1"', "unknown key 'lisen'")
        self.assertConfigError("[engine]\nstop_triger = 'LAST_TRADE'",
                               "unknown key 'engine.stop_triger'")
        self.assertConfigError("[engine]\ntrailing_ticks = 3", "unknown key 'engine'",
                               plugin=tap_aes)
        self.assertConfigError('aes_listen = "tcp:1"', "unknown key 'aes_listen'",
                               plugin=tap_oes)
        self.assertConfigError('config = "other.toml"', "unknown key 'config'")

    def test_bad_values(self) -> None:
        self.assertConfigError('strict = "yes"', "'strict' must be true or false")
        self.assertConfigError("aes_listen = 4444", "'aes_listen' must be a string")
        self.assertConfigError("match_delay = true", "'match_delay' must be a number")
        self.assertConfigError("[engine]\nstop_trigger = 'LAST'",
                               "'engine.stop_trigger' must be one of LAST_TRADE, OPPOSITE_BEST")
        self.assertConfigError("[engine]\ntrailing_ticks = 0", "'engine.trailing_ticks'")
        self.assertConfigError("[engine]\ntsl_limit_trails = 1", "'engine.tsl_limit_trails'")
        self.assertConfigError("engine = 3", "'engine' must be a table")
        self.assertConfigError("accounts = 3", "'accounts' must be [[accounts]] tables")
        self.assertConfigError('[[accounts]]\naccount = 1\nuser = "toolonguser"',
                               "accounts entry 1", "'user'")
        self.assertConfigError("[[instruments]]\nsymbol_enum = 1", "instruments entry 1")
        self.assertConfigError("strict = ", "invalid TOML")

    def test_values_checked_by_the_plugin_name_the_option(self) -> None:
        with self.assertRaises(SystemExit) as caught:
            tap_exchange.makeService(self._parsed(write(self, 'match_delay = "-1"')))
        self.assertIn("--match-delay: must be >= 0", str(caught.exception.code))

    def _parsed(self, path: Path) -> tap_exchange.Options:
        options = tap_exchange.Options()
        options.parseOptions([f"--config={path}"])
        return options

    def test_unknown_balance_currency(self) -> None:
        self.assertConfigError(
            '[[accounts]]\naccount = 1\nuser = "a"\nbalances = { BCT = 1 }\n',
            "account 1 user 'a': unknown currency 'BCT' in balances",
            "known: BTC, ETH, FLY, USD, USDT",
        )
        # the currencies of the configured instruments are known
        text = EVERY_KEY.replace('"ETHUSD"', '"SOLUSD"').replace('"ETH"', '"SOL"')
        service = exchange_from(f"--config={write(self, text.replace('BTC = 3', 'SOL = 3'))}")
        [carol] = list(service.factories[0].core.directory)
        self.assertEqual(dict(carol.balances), {"SOL": 3.0, "USD": 40.0})

    def test_unknown_balance_currency_in_an_accounts_file(self) -> None:
        path = write(self, '[[accounts]]\naccount = 1\nuser = "a"\nbalances = { BCT = 1 }\n')
        options = tap_oes.Options()
        options.parseOptions([f"--accounts={path}"])
        with self.assertRaises(ConfigError) as caught:
            tap_oes.build_core(options)
        self.assertIn(f"{path}: account 1 user 'a': unknown currency 'BCT'", str(caught.exception))

    def test_option_kinds(self) -> None:
        kinds = tap_exchange.Options().optionKinds()
        self.assertEqual(kinds["strict"], OptionKind.FLAG)
        self.assertEqual(kinds["match-delay"], OptionKind.NUMBER)
        self.assertEqual(kinds["aes-listen"], OptionKind.TEXT)
        self.assertNotIn("config", kinds)


class ListenDefaultsTests(unittest.TestCase):
    """Without options the simulators listen on loopback only."""

    def test_defaults_bind_loopback(self) -> None:
        for plugin, names in ((tap_aes, ["listen"]), (tap_oes, ["listen"]),
                              (tap_exchange, ["aes-listen", "oes-listen", "md-listen"])):
            options = plugin.Options()
            options.parseOptions([])
            for name in names:
                self.assertTrue(options[name].endswith(":interface=127.0.0.1"), (plugin, name))


class ConfiguredExchangeTests(ReactorFriendly, unittest.TestCase):
    """A whole session on an exchange configured by a file only."""

    async def test_session_on_a_configured_exchange(self) -> None:
        clients: list[Any] = []
        self.addCleanup(lambda: close_all(clients))
        text = EVERY_KEY.replace("disabled = true", "disabled = false").replace(
            "strict = true", "strict = false").replace("match_delay = 0.25", "match_delay = 0")
        service = exchange_from(f"--config={write(self, text)}")
        service.privilegedStartService()
        service.startService()
        self.addCleanup(lambda: defer.maybeDeferred(service.stopService))
        aes_port = await service.aes_listener.whenListening()
        [await listener.whenListening() for listener in service.oes_listeners]
        aes = await connect(("127.0.0.1", aes_port.getHost().port))
        clients.append(aes)
        grant = await aes.logOn(7, "carol", api_key="carol-key")
        self.assertEqual(grant.primary_oes[0], "localhost")
        oes = await connect(("127.0.0.1", grant.primary_oes[1]))
        clients.append(oes)
        reply = await oes.logOn(7, "carol", api_key="carol-key", session_key=grant.session_key,
                                trading_session_id=0)
        self.assertEqual(reply.login_status, LoginStatus.SUCCESS)
        oes.cursor = len(oes.received)
        oes.send(oes.order(Side.BUY, 1.0, 10.0, order_id=1, symbol_enum=9, symbol="ETHUSD"))
        self.assertEqual((await oes.one()).message_type, TransactionType.ORDER_ACK)


class ConfigCommandLineTests(unittest.TestCase):
    """What ``twistd`` prints for a bad file: one line, status 1."""

    def test_unknown_key_is_one_line(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="crmd-twistd-"))
        self.addCleanup(shutil.rmtree, folder, True)
        (folder / "exchange.toml").write_text('lisen = "tcp:4444"\n')
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        result = subprocess.run(
            [*twistd_command(), "-n", "--pidfile=", "crmd-exchange", "--config=exchange.toml"],
            cwd=folder, capture_output=True, text=True, timeout=30, env=env,
        )
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr.strip(),
                         "crmd-exchange: error: exchange.toml: unknown key 'lisen'")
        self.assertNotIn("Traceback", result.stdout)
