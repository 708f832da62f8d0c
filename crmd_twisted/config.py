"""What every configuration reader shares: one error type and a TOML reader.

Account, instrument and option readers raise :class:`ConfigError` with a
one-line message naming the file and the entry; commands print that line and
exit 1.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "read_toml"]


class ConfigError(Exception):
    """A configuration file or option value is unusable; the message is one line."""


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a one-line ConfigError."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as e:
        raise ConfigError(f"cannot read {p}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: invalid TOML: {e}") from None
