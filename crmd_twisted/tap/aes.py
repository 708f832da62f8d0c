"""``twistd crmd-aes``: the Admin server simulator."""

from __future__ import annotations

from typing import Any

from twisted.application.service import IService, MultiService
from twisted.python import usage

from crmd_twisted.accounts import ConfigError
from crmd_twisted.aes import AdminCore, AESFactory
from crmd_twisted.tap.common import (
    LimitsOptionsMixin,
    Listener,
    SecretOptionsMixin,
    check_address,
    endpoint_from,
    fail,
    harden,
    keys_from,
    limits_from,
    log_frames_from,
    throttle_policy_from,
)
from crmd_twisted.tap.options import ConfigFileMixin, accounts_from, apply_config

__all__ = ["Options", "makeService"]


class Options(ConfigFileMixin, LimitsOptionsMixin, SecretOptionsMixin, usage.Options):
    synopsis = "[options]"
    longdesc = (
        "Run the CRMD Admin server simulator: checks logons (2FA when an accounts file "
        "gives API keys), issues session keys and trading session ids, and redirects "
        "clients to the primary / secondary OES."
    )
    optParameters = [
        ["listen", "l", "tcp:4444:interface=127.0.0.1",
         "Endpoint to listen on (Twisted endpoint syntax; tcp:4444 listens on every "
         "interface)."],
        ["oes", None, "127.0.0.1:4445", "Primary OES address HOST:PORT sent to clients."],
        ["secondary-oes", None, "", "Secondary (fail-over) OES address HOST:PORT."],
        ["mds", None, "", "Market-data server address HOST:PORT sent to clients, if any."],
        ["secondary-mds", None, "", "Secondary market-data server address HOST:PORT, if any."],
    ]
    takesBook = False  # the AES has no instruments and no matching engine


def build(options: usage.Options, reactor: Any) -> tuple[AESFactory, Listener]:
    """The AES factory and its listener from parsed options (ConfigError if unusable)."""
    apply_config(options)
    core = AdminCore(
        accounts_from(options),
        keys_from(options["secret"]),
        primary_oes=check_address(options["oes"], "oes"),
        secondary_oes=check_address(options["secondary-oes"], "secondary-oes"),
        primary_mds=check_address(options["mds"], "mds"),
        secondary_mds=check_address(options["secondary-mds"], "secondary-mds"),
    )
    factory = AESFactory(core, wireTrace=bool(options["wire-trace"]))
    factory.logFrames = log_frames_from(options)
    limits = limits_from(options)
    harden([factory], limits, throttle_policy_from(options))
    listener = Listener(
        endpoint_from(reactor, options["listen"], "listen", limits.backlog), factory, "aes",
        tool="crmd-aes",
    )
    return factory, listener


def makeService(options: usage.Options) -> IService:
    from twisted.internet import reactor

    try:
        _, listener = build(options, reactor)
    except ConfigError as e:
        raise fail("crmd-aes", str(e)) from None
    top = MultiService()
    listener.setServiceParent(top)
    return top
