"""What a fault is: its kind, its scope and its parameters, and their validation.

Pure (no Twisted).  :func:`parse_fault` checks a fault description (the JSON body
of ``POST /api/v1/faults`` or the keywords of ``FaultRegistry.add``) and raises
:class:`FaultError` with one line for a person; :data:`SCHEMAS` lists every
kind's parameters (``crmd-ctl`` builds its options from it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import MappingProxyType

from crmd_twisted.wire.enums import RejectCode

__all__ = [
    "GLOBAL_KINDS",
    "SCHEMAS",
    "FaultError",
    "FaultKind",
    "ParamSpec",
    "ParamType",
    "ServerKind",
    "SessionIdentity",
    "parse_fault",
]

_MAX_ACCOUNT = 0x7FFFFFFF
_USER_WIDTH = 6

class FaultError(ValueError):
    """A fault description is unusable; the message is one line for a person."""


class ServerKind(StrEnum):
    """Which server a connection belongs to."""

    AES = "aes"
    OES = "oes"
    MDS = "mds"


@dataclass(frozen=True, slots=True)
class SessionIdentity:
    """Who a connection is, as far as faults care (account/user None before logon)."""

    server: ServerKind
    account: int | None = None
    user: str | None = None


class FaultKind(StrEnum):
    """The faults an exchange can inject (docs/admin-api.md)."""

    REJECT = "reject"
    DELAY = "delay"
    DROP = "drop"
    LOGOUT = "logout"
    BLACK_HOLE = "black_hole"
    GARBLE = "garble"
    SEQ_GAP = "seq_gap"
    OES_DOWN = "oes_down"
    THROTTLE = "throttle"


class ParamType(Enum):
    INT = "an integer"
    FLOAT = "a number"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of a fault kind; ``default`` None means required."""

    name: str
    type: ParamType
    default: float | None = None
    minimum: float = 0.0
    #: True: the value must be greater than ``minimum``; False: at least ``minimum``.
    above: bool = False
    help: str = ""


def _p(name: str, kind: ParamType, default: float | None = None, minimum: float = 0.0,
       above: bool = False, help: str = "") -> ParamSpec:
    return ParamSpec(name, kind, default, minimum, above, help)


_INT, _FLOAT = ParamType.INT, ParamType.FLOAT

#: The parameters of every kind, in the order they are documented.
SCHEMAS: Mapping[FaultKind, tuple[ParamSpec, ...]] = MappingProxyType({
    FaultKind.REJECT: (
        _p("code", _INT, help="reject_reason of the REJECT"),
        _p("count", _INT, 1, 1, help="transactions to reject"),
    ),
    FaultKind.DELAY: (
        _p("seconds", _FLOAT, help="delay of every frame sent"),
        _p("jitter", _FLOAT, 0.0, help="extra random delay, uniform in [0, jitter]"),
    ),
    FaultKind.DROP: (
        _p("after_frames", _INT, 0, help="client frames still handled before the cut"),
    ),
    FaultKind.LOGOUT: (_p("code", _INT, help="reject_reason of the server logout"),),
    FaultKind.BLACK_HOLE: (),
    FaultKind.GARBLE: (_p("count", _INT, 1, 1, help="frames to corrupt"),),
    FaultKind.SEQ_GAP: (_p("skip", _INT, 1, 1, help="sequence numbers to skip"),),
    FaultKind.OES_DOWN: (_p("seconds", _FLOAT, above=True, help="how long the OES is down"),),
    FaultKind.THROTTLE: (_p("limit", _INT, help="outstanding-request limit"),),
})

#: Kinds that act on every session; a scope (account/user/server) makes no sense.
GLOBAL_KINDS = frozenset({FaultKind.OES_DOWN})
_SCOPE_KEYS = ("account", "user", "server")


def _check_number(kind: FaultKind, spec: ParamSpec, value: object) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultError(f"{kind}: '{spec.name}' must be {spec.type.value}, got {value!r}")
    if spec.type is ParamType.INT:
        if isinstance(value, float):
            if not value.is_integer():
                raise FaultError(f"{kind}: '{spec.name}' must be an integer, got {value!r}")
            value = int(value)
    elif not math.isfinite(value):
        raise FaultError(f"{kind}: '{spec.name}' must be a finite number, got {value!r}")
    else:
        value = float(value)
    low = spec.minimum
    if value < low or (spec.above and value == low):
        bound = f"> {low:g}" if spec.above else f">= {low:g}"
        raise FaultError(f"{kind}: '{spec.name}' must be {bound}, got {value!r}")
    return value


def _check_code(kind: FaultKind, code: int) -> int:
    try:
        member = RejectCode(code)
    except ValueError:
        member = RejectCode.NO_REJECT
    if member is RejectCode.NO_REJECT:
        raise FaultError(f"{kind}: 'code' {code} is not a reject code (1..57)")
    return code


def _check_scope(body: Mapping[str, object]) -> tuple[int | None, str | None, ServerKind | None]:
    account = body.get("account")
    if account is not None and (
        isinstance(account, bool) or not isinstance(account, int)
        or not 0 < account <= _MAX_ACCOUNT
    ):
        raise FaultError(f"'account' must be an integer in 1..{_MAX_ACCOUNT}, got {account!r}")
    user = body.get("user")
    if user is not None and (
        not isinstance(user, str) or not 0 < len(user) <= _USER_WIDTH or not user.isascii()
    ):
        raise FaultError(f"'user' must be 1..{_USER_WIDTH} ASCII characters, got {user!r}")
    server = body.get("server")
    if server is not None:
        try:
            server = ServerKind(str(server))
        except ValueError:
            names = ", ".join(s.value for s in ServerKind)
            raise FaultError(f"'server' must be one of {names}, got {server!r}") from None
    return account, user, server


def _check_kind(value: object) -> FaultKind:
    names = ", ".join(k.value for k in FaultKind)
    if value is None:
        raise FaultError(f"missing 'kind' (one of {names})")
    try:
        return FaultKind(str(value))
    except ValueError:
        raise FaultError(f"unknown fault kind {value!r} (one of {names})") from None


def parse_fault(
    body: object,
) -> tuple[FaultKind, int | None, str | None, ServerKind | None, dict[str, float | int]]:
    """Check a fault description (a JSON body): kind, scope and parameters.

    Raises :class:`FaultError` with one line saying what is wrong.
    """
    if not isinstance(body, Mapping):
        raise FaultError("a fault must be a JSON object")
    kind = _check_kind(body.get("kind"))
    specs = SCHEMAS[kind]
    known = {s.name for s in specs}
    extra = sorted(set(body) - known - {"kind", *_SCOPE_KEYS})
    if extra:
        takes = ", ".join(s.name for s in specs) or "no parameters"
        raise FaultError(f"{kind}: unknown parameter '{extra[0]}' (takes {takes})")
    account, user, server = _check_scope(body)
    if kind in GLOBAL_KINDS and (account, user, server) != (None, None, None):
        raise FaultError(f"{kind} applies to every OES session: no account, user or server")
    params: dict[str, float | int] = {}
    for spec in specs:
        value = body.get(spec.name)
        if value is None:
            if spec.default is None:
                raise FaultError(f"{kind} needs '{spec.name}' ({spec.help})")
            value = spec.default
        params[spec.name] = _check_number(kind, spec, value)
    if "code" in params:
        _check_code(kind, int(params["code"]))
    return kind, account, user, server, params
