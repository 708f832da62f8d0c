"""Who may log on: the account directory shared by the AES and OES simulators.

Without a file the simulators behave like the reference servers and let anyone
in, creating each account on its first logon with the demo balances.  With a
TOML file only the listed (account, user) pairs may log on, and their 2FA code
is checked against the API key configured for them::

    [[accounts]]
    account = 1001
    user = "alice"            # at most 6 ASCII characters
    api_key = "alice-key"     # the API trading key the 2FA code derives from
    open_order_limit = 1000   # optional, in-flight NEW/CANCEL_REPLACE limit
    disabled = false          # optional, refuse logons with ACCOUNT_DISABLED
    cancel_on_disconnect = true   # optional, default: the server's --cancel-on-disconnect
    balances = { BTC = 100, USD = 1000000 }   # optional, demo balances if absent
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from crmd_twisted.config import ConfigError, read_toml  # re-exported for old importers

__all__ = [
    "DEFAULT_BALANCES",
    "DEFAULT_OPEN_ORDER_LIMIT",
    "Account",
    "AccountDirectory",
    "ConfigError",
    "load_accounts",
    "read_toml",
]

#: Balances of an account created on first logon (every default instrument tradable).
DEFAULT_BALANCES: Mapping[str, float] = MappingProxyType(
    {"BTC": 100.0, "ETH": 1_000.0, "USD": 1_000_000.0, "USDT": 1_000_000.0, "FLY": 1_000_000.0}
)
DEFAULT_OPEN_ORDER_LIMIT = 1000
_USER_WIDTH = 6


@dataclass(frozen=True, slots=True)
class Account:
    """One (account, user) that may log on."""

    account: int
    user: str
    api_key: str | None = None
    balances: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_BALANCES))
    open_order_limit: int = DEFAULT_OPEN_ORDER_LIMIT
    disabled: bool = False
    #: Cancel this account's open orders when its last session is lost without a
    #: logout; None: the server's ``--cancel-on-disconnect`` decides.
    cancel_on_disconnect: bool | None = None


class AccountDirectory:
    """The accounts a simulator knows.

    ``open`` directories (no file) accept any account and user and do not check
    the 2FA code; closed ones accept only what was configured.
    """

    def __init__(self, accounts: Iterable[Account] = (), *, open: bool = True) -> None:
        self.open = open
        self._by_key: dict[tuple[int, str], Account] = {}
        self._made_on_demand: set[tuple[int, str]] = set()
        for acc in accounts:
            self._by_key[(acc.account, acc.user)] = acc

    def __iter__(self) -> Iterator[Account]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def lookup(self, account: int, user: str) -> Account | None:
        """The configured account, a fresh demo account in an open directory, or None."""
        found = self._by_key.get((account, user))
        if found is None and self.open and account > 0:
            found = Account(account=account, user=user)
            self._by_key[(account, user)] = found
            self._made_on_demand.add((account, user))
        return found

    def forget(self, account: int) -> None:
        """Drop the demo users of *account* an open directory created on demand
        (configured users stay; a later logon creates a demo user afresh)."""
        made = self._made_on_demand
        for key in [k for k in made if k[0] == account]:
            made.discard(key)
            del self._by_key[key]

    def knows_account(self, account: int) -> bool:
        # an open directory creates any account > 0 on demand; 0 names no account
        if self.open and account > 0:
            return True
        return any(a.account == account for a in self._by_key.values())


def _require(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in entry:
        raise ConfigError(f"{where}: missing '{key}'")
    value = entry[key]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise ConfigError(f"{where}: '{key}' must be {kind.__name__}, got {value!r}")
    return value


_KEYS = frozenset({
    "account", "user", "api_key", "balances", "open_order_limit", "disabled",
    "cancel_on_disconnect",
})


def _balances(entry: Mapping[str, Any], where: str) -> dict[str, float]:
    raw = entry.get("balances", DEFAULT_BALANCES)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: 'balances' must be a table of currency = amount")
    balances: dict[str, float] = {}
    for cur, amount in raw.items():
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
            raise ConfigError(f"{where}: balance {cur} must be a number >= 0, got {amount!r}")
        balances[str(cur).upper()] = float(amount)
    return balances


def _account(entry: object, where: str) -> Account:
    """One ``[[accounts]]`` table as an :class:`Account` (ConfigError if unusable)."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: not a table")
    unknown = set(entry) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    number = _require(entry, "account", int, where)
    if not 0 < number <= 0x7FFFFFFF:
        raise ConfigError(f"{where}: 'account' must be in 1..2147483647, got {number}")
    user = _require(entry, "user", str, where)
    if not user or len(user) > _USER_WIDTH or not user.isascii():
        raise ConfigError(f"{where}: 'user' must be 1..6 ASCII characters, got {user!r}")
    api_key = entry.get("api_key")
    if api_key is not None and (not isinstance(api_key, str) or not api_key.isascii()):
        raise ConfigError(f"{where}: 'api_key' must be ASCII text")
    balances = _balances(entry, where)
    limit = entry.get("open_order_limit", DEFAULT_OPEN_ORDER_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"{where}: 'open_order_limit' must be a positive integer")
    disabled = entry.get("disabled", False)
    if not isinstance(disabled, bool):
        raise ConfigError(f"{where}: 'disabled' must be true or false")
    cancel = entry.get("cancel_on_disconnect")
    if cancel is not None and not isinstance(cancel, bool):
        raise ConfigError(f"{where}: 'cancel_on_disconnect' must be true or false")
    return Account(number, user, api_key, balances, limit, disabled, cancel)


def load_accounts(path: str | Path) -> AccountDirectory:
    """Read an accounts TOML file into a closed directory."""
    data = read_toml(path)
    entries = data.get("accounts")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected one or more [[accounts]] tables")
    accounts: list[Account] = []
    seen: set[tuple[int, str]] = set()
    for i, entry in enumerate(entries, 1):
        where = f"{path}: accounts entry {i}"
        account = _account(entry, where)
        ident = (account.account, account.user)
        if ident in seen:
            raise ConfigError(f"{where}: account {ident[0]} user {ident[1]!r} listed twice")
        seen.add(ident)
        accounts.append(account)
    return AccountDirectory(accounts, open=False)
