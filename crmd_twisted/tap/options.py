"""``--config FILE`` for the plugins' options: built-in default < file < command line.

:class:`ConfigFileMixin` remembers which options the command line gave;
:func:`apply_config` (called by each plugin's ``build``) reads the file named by
``--config`` with :func:`crmd_twisted.tap.config.load_config` and fills in every
option the command line did not give.  The accounts, instruments and engine
rules of the file are then read through :func:`accounts_from`,
:func:`instruments_from` and :func:`rules_from`.
"""

from __future__ import annotations

from typing import Any

from twisted.python import reflect, usage

from crmd_twisted.accounts import AccountDirectory
from crmd_twisted.engine import DEFAULT_INSTRUMENTS, EngineRules, Instrument
from crmd_twisted.instruments import load_instruments
from crmd_twisted.tap.common import directory_from
from crmd_twisted.tap.config import ConfigFile, OptionKind, load_config

__all__ = [
    "CONFIG_OPTION",
    "ConfigFileMixin",
    "accounts_from",
    "apply_config",
    "instruments_from",
    "rules_from",
]

CONFIG_OPTION = "config"
#: Options that are not settings and so cannot be in the file.
_NOT_IN_FILE = frozenset({CONFIG_OPTION, "help", "version"})


class ConfigFileMixin:
    """``--config FILE``, and a record of the options given on the command line."""

    optParameters: list[list[Any]] = [
        [CONFIG_OPTION, "c", None,
         "TOML settings file: any option below (underscores for dashes), [[accounts]], "
         "[[instruments]], [engine]; the command line overrides it "
         "(see examples/exchange.toml)."],
    ]
    # ``numberOptions`` (a tuple of names) of any class of the Options lists the
    # parameters whose value the file may give as a TOML number.
    #: Whether the plugin takes [[instruments]] and [engine] from the file.
    takesBook: bool = True

    #: Option names the command line gave (filled while parsing).
    givenOptions: set[str]
    #: The parsed settings file, once :func:`apply_config` has read it.
    configFile: ConfigFile | None = None

    def parseOptions(self, options: list[str] | None = None) -> None:
        self.givenOptions = set()
        dispatch: dict[str, Any] = self._dispatch  # type: ignore[attr-defined]
        for name, handler in list(dispatch.items()):
            dispatch[name] = self._recording(name, handler)
        super().parseOptions(options)  # type: ignore[misc]

    def _recording(self, name: str, handler: Any) -> Any:
        call = handler.dispatch if isinstance(handler, usage.CoerceParameter) else handler

        def record(option: str, value: Any) -> Any:
            self.givenOptions.add(name)
            return call(option, value)

        return record

    def optionKinds(self) -> dict[str, OptionKind]:
        """Every option the file may set, with the kind of value it takes."""
        kinds: dict[str, OptionKind] = {}
        flags: list[list[Any]] = []
        reflect.accumulateClassList(self.__class__, "optFlags", flags)
        for flag in flags:
            kinds[flag[0]] = OptionKind.FLAG
        parameters: list[list[Any]] = []
        reflect.accumulateClassList(self.__class__, "optParameters", parameters)
        numbers: list[str] = []  # every class's numberOptions, not only the first found
        reflect.accumulateClassList(self.__class__, "numberOptions", numbers)
        for parameter in parameters:
            number = parameter[0] in numbers
            kinds[parameter[0]] = OptionKind.NUMBER if number else OptionKind.TEXT
        for name in _NOT_IN_FILE:
            kinds.pop(name, None)
        return kinds


def apply_config(options: usage.Options) -> ConfigFile | None:
    """Read ``--config`` (once) and fill in the options the command line did not give.

    Raises :class:`~crmd_twisted.accounts.ConfigError` for an unusable file.
    """
    if not isinstance(options, ConfigFileMixin) or not options[CONFIG_OPTION]:
        return None
    if options.configFile is None:
        config = load_config(
            options[CONFIG_OPTION], options.optionKinds(),
            instruments=options.takesBook, engine=options.takesBook,
        )
        given: set[str] = getattr(options, "givenOptions", set())
        for name, value in config.options.items():
            if name not in given:
                options[name] = int(value) if isinstance(value, bool) else value
        options.configFile = config
    return options.configFile


def _from_file(options: usage.Options, name: str) -> ConfigFile | None:
    """The settings file, if it (not the command line) decides option *name*."""
    config = getattr(options, "configFile", None)
    if config is None or name in getattr(options, "givenOptions", set()):
        return None
    return config


def accounts_from(options: usage.Options) -> AccountDirectory:
    """``--accounts`` FILE, else the file's [[accounts]], else the open directory."""
    config = _from_file(options, "accounts")
    if config is not None and config.accounts is not None:
        return config.accounts
    return directory_from(options["accounts"])


def instruments_from(options: usage.Options) -> tuple[Instrument, ...]:
    """``--instruments`` FILE, else the file's [[instruments]], else the default four."""
    config = _from_file(options, "instruments")
    if config is not None and config.instruments is not None:
        return config.instruments
    if options["instruments"]:
        return load_instruments(options["instruments"])
    return tuple(DEFAULT_INSTRUMENTS)


def rules_from(options: usage.Options) -> EngineRules:
    """The file's [engine] rules, else the defaults."""
    config = getattr(options, "configFile", None)
    if config is not None and config.rules is not None:
        return config.rules
    return EngineRules()
