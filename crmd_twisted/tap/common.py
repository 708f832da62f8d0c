"""Pieces the three service makers share: listeners, option checks, one-line errors."""

from __future__ import annotations

from typing import Any

from twisted.application.internet import StreamServerEndpointService
from twisted.internet import defer
from twisted.internet.endpoints import serverFromString
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IListeningPort, IStreamServerEndpoint
from twisted.internet.protocol import Factory
from twisted.python import usage

from crmd_twisted.address import parse_address
from crmd_twisted.accounts import AccountDirectory, ConfigError, load_accounts
from crmd_twisted.keys import DEFAULT_SECRET, SessionKeys
from crmd_twisted.protocol import CRMDFactory
from crmd_twisted.session.limits import DEFAULT_LIMITS, ConnectionAdmission, ServerLimits
from crmd_twisted.session.ratelimit import LogRateLimiter
from crmd_twisted.session.throttle import LogonThrottle, ThrottlePolicy

__all__ = [
    "LimitsOptionsMixin",
    "Listener",
    "SecretOptionsMixin",
    "check_address",
    "directory_from",
    "endpoint_from",
    "fail",
    "harden",
    "keys_from",
    "limits_from",
    "log_frames_from",
    "throttle_policy_from",
    "with_backlog",
]

_ADDRESS_WIDTH = 24


class Listener(StreamServerEndpointService):
    """A listening endpoint service that tells when (and where) it listens."""

    _raiseSynchronously = True

    def __init__(
        self,
        endpoint: IStreamServerEndpoint,
        factory: Factory,
        name: str,
        *,
        option: str = "listen",
        tool: str = "crmd",
    ) -> None:
        super().__init__(endpoint, factory)
        self.setName(name)
        self.option = option
        self.tool = tool
        self.port: IListeningPort | None = None
        self._waiters: list[defer.Deferred[IListeningPort]] = []

    def privilegedStartService(self) -> None:
        # A port in use (or not allowed) is a bad option value too: one line, no traceback.
        try:
            super().privilegedStartService()
        except CannotListenError as e:
            reason = e.socketError
            text = getattr(reason, "strerror", None) or str(reason)
            where = f"{e.interface or '*'}:{e.port}"
            raise fail(self.tool, f"--{self.option}: cannot listen on {where}: {text}") from None
        self._waitingForPort.addCallback(self._bound)

    def _bound(self, port: IListeningPort) -> IListeningPort:
        self.port = port
        waiters, self._waiters = self._waiters, []
        for d in waiters:
            d.callback(port)
        return port

    def whenListening(self) -> defer.Deferred[IListeningPort]:
        """A Deferred that fires with the listening port once it is bound."""
        if self.port is not None:
            return defer.succeed(self.port)
        d: defer.Deferred[IListeningPort] = defer.Deferred()
        self._waiters.append(d)
        return d


def fail(tool: str, message: str) -> SystemExit:
    """The exception that stops ``twistd`` with one line on stderr and status 1."""
    return SystemExit(f"{tool}: error: {message}")


#: Server endpoint types that take ``backlog=``.
_BACKLOG_ENDPOINTS = frozenset({"tcp", "tcp6", "ssl", "unix"})


def with_backlog(description: str, backlog: int | None) -> str:
    """*description* with ``:backlog=N`` added when it is a TCP / SSL / UNIX endpoint
    without one (Twisted's own default backlog is 50)."""
    if not backlog:
        return description
    kind = description.split(":", 1)[0].strip().lower()
    if kind not in _BACKLOG_ENDPOINTS or ":" not in description:
        return description
    if any(part.strip().lower().startswith("backlog=") for part in description.split(":")):
        return description
    return f"{description}:backlog={backlog}"


def endpoint_from(
    reactor: Any, description: str, option: str, backlog: int | None = None
) -> IStreamServerEndpoint:
    """Parse a server endpoint description, e.g. ``tcp:4444:interface=127.0.0.1``
    (``ssl:`` for TLS; *backlog* is applied when the description sets none)."""
    try:
        return serverFromString(reactor, with_backlog(description, backlog))
    except Exception as e:  # serverFromString raises many kinds for bad text
        raise ConfigError(f"--{option}: bad endpoint {description!r}: {e}") from None


def check_address(text: str, option: str) -> str:
    """Validate a "host:port" address as it must travel in a logon reply."""
    if not text:
        return ""
    try:
        _host, port = parse_address(text)
    except ValueError as e:
        raise ConfigError(f"--{option}: expected HOST:PORT, got {text!r}: {e}") from None
    if port == 0:
        raise ConfigError(f"--{option}: port 0 cannot be connected to, got {text!r}")
    if len(text) > _ADDRESS_WIDTH or not text.isascii():
        raise ConfigError(f"--{option}: {text!r} does not fit 24 ASCII characters")
    return text


def directory_from(path: str | None) -> AccountDirectory:
    """The account directory of ``--accounts`` (open to anyone without a file)."""
    return AccountDirectory(open=True) if not path else load_accounts(path)


def keys_from(secret: str) -> SessionKeys:
    if not secret:
        raise ConfigError("--secret: must not be empty")
    return SessionKeys.from_text(secret)


class SecretOptionsMixin:
    """Options every simulator takes."""

    optParameters: list[list[Any]] = [
        ["accounts", None, None, "TOML file of accounts that may log on (default: anyone)."],
        ["secret", None, DEFAULT_SECRET,
         "Secret shared by AES and OES to derive session keys (same default in both)."],
    ]
    optFlags: list[list[str | None]] = [
        ["wire-trace", None,
         "Log every frame in and out as hex plus decoded fields (implies --log-frames)."],
        ["log-frames", None,
         "Log one structured event per frame in and out (off by default: twistd's log "
         "file has no level filter, so per-frame events cost more than handling the "
         "frame; the library's default, CRMDFactory.logFrames, is off too)."],
    ]


def log_frames_from(options: usage.Options) -> bool:
    """Whether the factories log every frame: ``--log-frames`` or ``--wire-trace``."""
    return bool(options["log-frames"] or options["wire-trace"])


def check_positive_float(options: usage.Options, name: str) -> float:
    try:
        value = float(options[name])
    except (TypeError, ValueError):
        raise ConfigError(f"--{name}: expected a number, got {options[name]!r}") from None
    if value < 0:
        raise ConfigError(f"--{name}: must be >= 0")
    return value


class LimitsOptionsMixin:
    """Resource-limit and logon-throttle options every server takes (docs/hardening.md)."""

    optParameters: list[list[Any]] = [
        ["backlog", None, str(DEFAULT_LIMITS.backlog),
         "Listen backlog of endpoints that do not give backlog= themselves."],
        ["max-connections", None, str(DEFAULT_LIMITS.max_connections),
         "Most open connections of the process (0: no cap); more are refused."],
        ["max-connections-per-address", None, str(DEFAULT_LIMITS.max_connections_per_address),
         "Most open connections from one source address (0: no cap)."],
        ["idle-timeout", None, "0",
         "Seconds a logged-on session may send nothing before it is logged out (0: never)."],
        ["malformed-frame-budget", None, str(DEFAULT_LIMITS.malformed_frame_budget),
         "Skipped (unknown-type) frames a connection may send before it is logged out "
         "with 35."],
        ["log-interval", None, "10",
         "Seconds between two log lines of one kind of repeated incident (0: every one)."],
        ["write-high-water", None, str(DEFAULT_LIMITS.write_high_water),
         "Unsent output bytes above which a connection stops being read from."],
        ["write-grace", None, "10",
         "Seconds a connection's output may stay above the high-water mark before it "
         "is closed."],
        ["max-unsent", None, str(DEFAULT_LIMITS.max_unsent),
         "Bytes a connection's output may grow by above the high-water mark before it "
         "is closed."],
        ["logon-free-failures", None, str(ThrottlePolicy().free_failures),
         "Failed logons in a row per address and per account before lock-outs start."],
        ["logon-lockout", None, "1",
         "Seconds of the first logon lock-out; each further failure doubles it."],
        ["logon-max-lockout", None, "900", "Longest logon lock-out in seconds."],
    ]
    numberOptions: tuple[str, ...] = (
        "backlog", "max-connections", "max-connections-per-address", "idle-timeout",
        "malformed-frame-budget", "log-interval", "write-high-water", "write-grace",
        "max-unsent", "logon-free-failures", "logon-lockout", "logon-max-lockout",
    )


def _whole(options: usage.Options, name: str) -> int:
    text = options[name]
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"--{name}: expected a whole number, got {text!r}") from None
    if value < 0 or value != int(value):
        raise ConfigError(f"--{name}: expected a whole number >= 0, got {text!r}")
    return int(value)


def limits_from(options: usage.Options) -> ServerLimits:
    """The :class:`ServerLimits` of the parsed options (ConfigError if unusable)."""
    idle = check_positive_float(options, "idle-timeout")
    return ServerLimits(
        backlog=_whole(options, "backlog"),
        max_connections=_whole(options, "max-connections"),
        max_connections_per_address=_whole(options, "max-connections-per-address"),
        idle_timeout=idle or None,
        malformed_frame_budget=_whole(options, "malformed-frame-budget"),
        log_interval=check_positive_float(options, "log-interval"),
        write_high_water=_whole(options, "write-high-water"),
        write_grace=check_positive_float(options, "write-grace"),
        max_unsent=_whole(options, "max-unsent"),
    )


def throttle_policy_from(options: usage.Options) -> ThrottlePolicy:
    """The logon throttle's policy from the parsed options (ConfigError if unusable)."""
    base = check_positive_float(options, "logon-lockout")
    most = check_positive_float(options, "logon-max-lockout")
    if most < base:
        raise ConfigError("--logon-max-lockout: must be >= --logon-lockout")
    return ThrottlePolicy(
        free_failures=_whole(options, "logon-free-failures"), base_lockout=base, max_lockout=most
    )


def harden(factories: list[CRMDFactory], limits: ServerLimits, policy: ThrottlePolicy) -> None:
    """Give *factories* (the servers of one process) their limits and one shared
    admission, log limiter and logon throttle."""
    admission = ConnectionAdmission.from_limits(limits)
    limiter = LogRateLimiter(limits.log_interval)
    throttle = LogonThrottle(policy)
    for factory in factories:
        factory.limits = limits
        factory.admission = admission
        factory.logLimiter = limiter
        factory.logonThrottle = throttle
