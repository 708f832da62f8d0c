"""Checks of the :class:`~crmd_twisted.client.CRMDClient` arguments, free of I/O.

Each bad value raises :class:`ValueError` naming the argument and the limit, when
the client is constructed - not as a traceback or a hang once it runs.
"""

from __future__ import annotations

from crmd_twisted.address import MAX_PORT, parse_address
from crmd_twisted.client.order_ids import MAX_ORDER_ID

__all__ = [
    "MAX_USER_LENGTH",
    "check_aes",
    "check_all",
    "check_api_key",
    "check_int",
    "check_positive",
    "check_user",
]

#: ``client_logon.user_name`` is char[6].
MAX_USER_LENGTH = 6
MAX_UINT32 = 2**32 - 1


def check_aes(aes: object) -> tuple[str, int]:
    """``(host, port)``, or ``"host:port"`` text, with port 1..65535."""
    if isinstance(aes, str):
        try:
            host, port = parse_address(aes)
        except ValueError as e:
            raise ValueError(f"aes: {e}") from None
    elif (
        isinstance(aes, tuple)
        and len(aes) == 2
        and isinstance(aes[0], str)
        and isinstance(aes[1], int)
    ):
        host, port = aes
    else:
        raise ValueError(f"aes: expected (host, port) or 'host:port', got {aes!r}")
    if not host:
        raise ValueError("aes: empty host")
    if not 0 < port <= MAX_PORT:
        raise ValueError(f"aes: port {port} is outside 1..{MAX_PORT}")
    return host, port


def check_user(user: object) -> str:
    if not isinstance(user, str) or not user:
        raise ValueError(f"user: expected a non-empty name, got {user!r}")
    if not user.isascii() or "\x00" in user:
        raise ValueError(f"user: {user!r} must be ASCII without NUL")
    if len(user) > MAX_USER_LENGTH:
        raise ValueError(
            f"user: {user!r} has {len(user)} characters; the logon field holds "
            f"at most {MAX_USER_LENGTH}"
        )
    return user


def check_api_key(api_key: object) -> str:
    if not isinstance(api_key, str) or not api_key or not api_key.isascii():
        raise ValueError("api_key: expected a non-empty ASCII text")
    return api_key


def check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name}: expected an integer in {low}..{high}, got {value!r}")
    return value


def check_positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name}: expected a number of seconds > 0, got {value!r}")
    return float(value)


def check_all(
    aes: object,
    account: object,
    user: object,
    api_key: object,
    *,
    timeouts: dict[str, object],
    open_order_limit: object,
    first_order_id: object,
    max_attempts: object,
) -> tuple[str, int]:
    """Every argument check of a CRMDClient; returns the AES address as a tuple."""
    address = check_aes(aes)
    check_int("account", account, 1, MAX_UINT32)
    check_user(user)
    check_api_key(api_key)
    for name, value in timeouts.items():
        check_positive(name, value)
    check_int("open_order_limit", open_order_limit, 1, MAX_UINT32)
    if first_order_id is not None:
        check_int("first_order_id", first_order_id, 1, MAX_ORDER_ID)
    if max_attempts is not None:
        check_int("max_attempts", max_attempts, 1, 2**31)
    return address
