"""Instrument configuration for the OES simulator (TOML, read with ``tomllib``)::

    [[instruments]]
    symbol_enum = 1
    symbol = "BTCUSD"          # at most 12 ASCII characters
    base = "BTC"
    quote = "USD"
    price_increment = 0.5      # tick
    min_size = 0.00001
    max_size = 1000
    lot_size = 0.00001         # optional quantity step (default: min_size)

Values travel as binary16 in ``instrument_response``, so each of tick, min and
max must survive that rounding: a receiver that rounds the binary16 value to
three significant digits must get the configured value back.
"""

from __future__ import annotations

import struct
from dataclasses import fields
from pathlib import Path
from typing import Any

from crmd_twisted.config import ConfigError, read_toml
from crmd_twisted.engine import Instrument

__all__ = ["fits_binary16", "load_instruments"]


def fits_binary16(value: float) -> bool:
    """True if *value* survives binary16: three significant digits of it give *value* back.

    0.00001 (binary16 1.0013580322265625e-05) and 0.01 pass; 70000 (above 65504) does not.
    """
    try:
        back = struct.unpack("<e", struct.pack("<e", value))[0]
    except (OverflowError, struct.error):
        return False
    return back > 0 and float(format(back, ".3g")) == float(format(value, ".3g")) and (
        abs(back - value) <= 2e-3 * abs(value)
    )


_REQUIRED = ("symbol_enum", "symbol", "base", "quote", "price_increment", "min_size", "max_size")
_SIZES = ("price_increment", "min_size", "max_size")


def _positive(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value > 0


def _instrument_values(entry: object, known: set[str], where: str) -> dict[str, Any]:
    """The checked keyword arguments of one ``[[instruments]]`` table."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: not a table")
    unknown = set(entry) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    values: dict[str, Any] = dict(entry)
    for key in _REQUIRED:
        if key not in values:
            raise ConfigError(f"{where}: missing '{key}'")
    number = values["symbol_enum"]
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 65536:
        raise ConfigError(f"{where}: 'symbol_enum' must be an integer in 1..65535")
    symbol = values["symbol"]
    if not isinstance(symbol, str) or not symbol or len(symbol) > 12 or not symbol.isascii():
        raise ConfigError(f"{where}: 'symbol' must be 1..12 ASCII characters")
    for key in _SIZES:
        v = values[key]
        if not _positive(v):
            raise ConfigError(f"{where}: '{key}' must be a number > 0")
        if not fits_binary16(float(v)):
            raise ConfigError(f"{where}: '{key}' = {v} cannot be sent as binary16")
        values[key] = float(v)
    if values["min_size"] > values["max_size"]:
        raise ConfigError(f"{where}: 'min_size' exceeds 'max_size'")
    lot = values.setdefault("lot_size", values["min_size"])
    if not _positive(lot):
        raise ConfigError(f"{where}: 'lot_size' must be a number > 0")
    values["lot_size"] = float(lot)
    return values


def load_instruments(path: str | Path) -> tuple[Instrument, ...]:
    """Read an instruments TOML file; every problem is a one-line ConfigError."""
    data = read_toml(path)
    entries = data.get("instruments")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected one or more [[instruments]] tables")
    known = {f.name for f in fields(Instrument)}
    result: list[Instrument] = []
    seen: set[int] = set()
    for i, entry in enumerate(entries, 1):
        where = f"{path}: instruments entry {i}"
        values = _instrument_values(entry, known, where)
        if values["symbol_enum"] in seen:
            raise ConfigError(f"{where}: symbol_enum {values['symbol_enum']} listed twice")
        seen.add(values["symbol_enum"])
        try:
            result.append(Instrument(**values))
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: {e}") from None
    return tuple(result)
