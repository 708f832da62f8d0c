"""One TOML settings file for a whole simulator (``--config exchange.toml``); pure, no Twisted.

The file holds, at its top level, every command-line option of the plugin under
its long name spelled with underscores (``aes_listen``, ``match_delay``,
``wire_trace``); flags take ``true`` / ``false``.  Besides the options it may hold:

* ``[[accounts]]`` tables (the format of an accounts file), or ``accounts = "file"``;
* ``[[instruments]]`` tables (the format of an instruments file), or
  ``instruments = "file"`` (OES and exchange only);
* an ``[engine]`` table with the fields of :class:`~crmd_twisted.engine.EngineRules`,
  enums by name: ``stop_trigger = "LAST_TRADE"`` (OES and exchange only).

File names in the file are relative to the file's folder.  Every problem is a
one-line :class:`~crmd_twisted.accounts.ConfigError` naming the file and the key.
``examples/exchange.toml`` documents every key with its default.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmd_twisted.accounts import AccountDirectory, ConfigError, load_accounts, read_toml
from crmd_twisted.engine import EngineRules, Instrument
from crmd_twisted.instruments import load_instruments

__all__ = [
    "ENGINE_KEYS",
    "ConfigFile",
    "OptionKind",
    "load_config",
    "option_key",
    "parse_engine_rules",
]


class OptionKind(enum.Enum):
    """What value a command-line option takes in the file."""

    #: a ``--flag``: ``true`` or ``false``
    FLAG = "true or false"
    #: an option with a text value
    TEXT = "a string"
    #: an option with a number value (a string of a number is accepted too)
    NUMBER = "a number"


#: The table names the file may hold besides the options.
ACCOUNTS_TABLE = "accounts"
INSTRUMENTS_TABLE = "instruments"
ENGINE_TABLE = "engine"

#: Field name -> default of every key of the ``[engine]`` table.
ENGINE_KEYS: Mapping[str, Any] = {
    f.name: f.default for f in dataclasses.fields(EngineRules)
}


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """What a settings file says.

    ``options`` maps command-line option names (with dashes, as ``usage.Options``
    keys them) to their values: ``bool`` for flags, ``str`` for the others.
    ``accounts`` / ``instruments`` / ``rules`` are None when the file does not set them.
    """

    path: Path
    options: Mapping[str, Any]
    accounts: AccountDirectory | None = None
    instruments: tuple[Instrument, ...] | None = None
    rules: EngineRules | None = None


def option_key(option: str) -> str:
    """The file's key of a command-line option: ``aes-listen`` -> ``aes_listen``."""
    return option.replace("-", "_")


def load_config(
    path: str | Path,
    options: Mapping[str, OptionKind],
    *,
    instruments: bool = True,
    engine: bool = True,
) -> ConfigFile:
    """Read a settings file for a plugin taking *options* (option name -> kind).

    ``instruments`` / ``engine``: whether the plugin takes those tables.
    """
    p = Path(path)
    data = read_toml(p)
    by_key = {option_key(name): (name, kind) for name, kind in options.items()}
    known = set(by_key) | {ACCOUNTS_TABLE}
    if instruments:
        known.add(INSTRUMENTS_TABLE)
    if engine:
        known.add(ENGINE_TABLE)
    for key in data:
        if key not in known:
            raise ConfigError(f"{p}: unknown key {key!r}")
    values: dict[str, Any] = {}
    for key, (name, kind) in by_key.items():
        if key in data and key not in (ACCOUNTS_TABLE, INSTRUMENTS_TABLE):
            values[name] = _option_value(p, key, kind, data[key])
    directory: AccountDirectory | None = None
    if ACCOUNTS_TABLE in data:
        directory = _tables_or_file(p, data, ACCOUNTS_TABLE, values, load_accounts)
    instrument_list: tuple[Instrument, ...] | None = None
    if INSTRUMENTS_TABLE in data:
        instrument_list = _tables_or_file(p, data, INSTRUMENTS_TABLE, values, load_instruments)
    rules = parse_engine_rules(p, data[ENGINE_TABLE]) if ENGINE_TABLE in data else None
    return ConfigFile(p, values, directory, instrument_list, rules)


def _option_value(path: Path, key: str, kind: OptionKind, value: Any) -> Any:
    if kind is OptionKind.FLAG:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: {key!r} must be true or false, got {value!r}")
        return value
    if kind is OptionKind.NUMBER and isinstance(value, (int, float)) and not isinstance(
        value, bool
    ):
        return str(value)
    if not isinstance(value, str):
        raise ConfigError(f"{path}: {key!r} must be {kind.value}, got {value!r}")
    return value


def _tables_or_file(
    path: Path, data: Mapping[str, Any], key: str, values: dict[str, Any], load: Any
) -> Any:
    """``[[key]]`` tables of this file, or ``key = "other file"`` (read relative to it)."""
    value = data[key]
    if isinstance(value, str):
        # a file name: the plugin's --accounts / --instruments option reads it
        values[key] = str(path.parent / value) if value else ""
        return None
    if not isinstance(value, list):
        raise ConfigError(f"{path}: {key!r} must be [[{key}]] tables or a file name")
    return load(path)


def parse_engine_rules(path: str | Path, table: Any) -> EngineRules:
    """The ``[engine]`` table as :class:`EngineRules` (unset keys keep their defaults)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'engine' must be a table: [engine]")
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key not in ENGINE_KEYS:
            raise ConfigError(f"{path}: unknown key 'engine.{key}'")
        changes[key] = _engine_value(path, key, ENGINE_KEYS[key], value)
    return EngineRules(**changes)


def _engine_value(path: str | Path, key: str, default: Any, value: Any) -> Any:
    where = f"{path}: 'engine.{key}'"
    if isinstance(default, enum.Enum):
        kind = type(default)
        names = [m.name for m in kind]
        if not isinstance(value, str) or value.upper() not in names:
            raise ConfigError(f"{where} must be one of {', '.join(names)}, got {value!r}")
        return kind[value.upper()]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be an integer, got {value!r}")
    if key == "trailing_ticks" and value < 1:
        raise ConfigError(f"{where} must be >= 1, got {value}")
    if key == "day_length_ns" and value < 1:
        raise ConfigError(f"{where} must be > 0, got {value}")
    return value
