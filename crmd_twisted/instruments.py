"""Instrument configuration for the OES simulator (TOML, read with ``tomllib``)::

    [[instruments]]
    symbol_enum = 1
    symbol = "BTCUSD"          # at most 12 ASCII characters
    base = "BTC"
    quote = "USD"
    price_increment = 0.5      # tick
    min_size = 0.00001
    max_size = 1000
    lot_size = 0.00001         # optional quantity step (defaults to the engine's)

Values travel as binary16 in ``instrument_response``, so each of tick, min and
max must survive that rounding to within 0.1 %.
"""

from __future__ import annotations

import struct
from dataclasses import fields
from pathlib import Path
from typing import Any

from crmd_twisted.accounts import ConfigError, read_toml
from crmd_twisted.engine import Instrument

__all__ = ["fits_binary16", "load_instruments"]


def fits_binary16(value: float) -> bool:
    """True if *value* survives a binary16 round trip within 0.1 %."""
    try:
        back = struct.unpack("<e", struct.pack("<e", value))[0]
    except (OverflowError, struct.error):
        return False
    return abs(back - value) <= 1e-3 * abs(value)


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
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: not a table")
        unknown = set(entry) - known
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        values: dict[str, Any] = dict(entry)
        for key in ("symbol_enum", "symbol", "base", "quote", "price_increment",
                    "min_size", "max_size"):
            if key not in values:
                raise ConfigError(f"{where}: missing '{key}'")
        number = values["symbol_enum"]
        if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 65536:
            raise ConfigError(f"{where}: 'symbol_enum' must be an integer in 1..65535")
        if number in seen:
            raise ConfigError(f"{where}: symbol_enum {number} listed twice")
        seen.add(number)
        symbol = values["symbol"]
        if not isinstance(symbol, str) or not symbol or len(symbol) > 12 or not symbol.isascii():
            raise ConfigError(f"{where}: 'symbol' must be 1..12 ASCII characters")
        for key in ("price_increment", "min_size", "max_size"):
            v = values[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                raise ConfigError(f"{where}: '{key}' must be a number > 0")
            if not fits_binary16(float(v)):
                raise ConfigError(f"{where}: '{key}' = {v} cannot be sent as binary16")
            values[key] = float(v)
        if values["min_size"] > values["max_size"]:
            raise ConfigError(f"{where}: 'min_size' exceeds 'max_size'")
        try:
            result.append(Instrument(**values))
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: {e}") from None
    return tuple(result)
