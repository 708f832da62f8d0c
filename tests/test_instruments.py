"""Instrument files: the documented parameters load, unusable ones give one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmd_twisted.accounts import ConfigError
from crmd_twisted.instruments import fits_binary16, load_instruments

DOCUMENTED = """
[[instruments]]
symbol_enum = 1
symbol = "BTCUSD"
base = "BTC"
quote = "USD"
price_increment = 0.5
min_size = 0.00001
max_size = 1000

[[instruments]]
symbol_enum = 2
symbol = "USDUSDT"
base = "USD"
quote = "USDT"
price_increment = 0.01
min_size = 0.00001
max_size = 5000
lot_size = 0.001
"""


def test_documented_parameters_load_and_lot_defaults_to_min_size(tmp_path: Path) -> None:
    path = tmp_path / "instruments.toml"
    path.write_text(DOCUMENTED)
    btc, usd = load_instruments(path)
    assert (btc.symbol, btc.price_increment, btc.min_size, btc.max_size) == (
        "BTCUSD", 0.5, 0.00001, 1000.0)
    assert btc.lot_size == 0.00001
    assert usd.lot_size == 0.001


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("max_size = 1000", "max_size = 70000"), "cannot be sent as binary16"),
        (("symbol_enum = 2", "symbol_enum = 1"), "symbol_enum 1 listed twice"),
        (('symbol = "BTCUSD"', 'symbol = "BTCUSD-PERPETUAL"'), "1..12 ASCII"),
        (("lot_size = 0.001", "lot_size = 0"), "'lot_size' must be a number > 0"),
        (("price_increment = 0.5", "tick = 0.5"), "unknown key(s) tick"),
    ],
)
def test_bad_files_give_one_line_errors(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(DOCUMENTED.replace(*edit, 1))
    with pytest.raises(ConfigError) as info:
        load_instruments(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_binary16_survival_rule() -> None:
    assert fits_binary16(0.00001) and fits_binary16(0.01) and fits_binary16(60000)
    assert not fits_binary16(70000)
    assert not fits_binary16(0.0)
