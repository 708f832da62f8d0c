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

__all__ = [
    "Listener",
    "SecretOptionsMixin",
    "check_address",
    "directory_from",
    "endpoint_from",
    "fail",
    "keys_from",
    "log_frames_from",
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


def endpoint_from(reactor: Any, description: str, option: str) -> IStreamServerEndpoint:
    """Parse a server endpoint description, e.g. ``tcp:4444:interface=127.0.0.1``."""
    try:
        return serverFromString(reactor, description)
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
