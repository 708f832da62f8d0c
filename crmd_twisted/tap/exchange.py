"""``twistd crmd-exchange``: AES and OES (optionally a secondary OES) in one process.

The OES listeners share one order book, so a client that fails over from the
primary to the secondary OES finds its open orders there.  The AES advertises
the addresses the OES listeners actually bound (useful with port 0).
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import IService
from twisted.internet.interfaces import IListeningPort
from twisted.python import usage

from crmd_twisted.accounts import ConfigError
from crmd_twisted.aes import AdminCore, AESFactory
from crmd_twisted.oes.protocol import OESFactory
from crmd_twisted.tap.common import (
    LimitsOptionsMixin,
    Listener,
    SecretOptionsMixin,
    endpoint_from,
    fail,
    harden,
    keys_from,
    limits_from,
    log_frames_from,
    throttle_policy_from,
)
from crmd_twisted.mds import MDSFactory
from crmd_twisted.tap.oes import (
    OESOptionsMixin,
    OESService,
    attach_state,
    build_admin,
    build_core,
    build_factory,
    build_md,
    open_state,
    run_by_twistd,
)
from crmd_twisted.tap.options import ConfigFileMixin

__all__ = ["ExchangeService", "Options", "makeService"]


class Options(
    ConfigFileMixin, OESOptionsMixin, LimitsOptionsMixin, SecretOptionsMixin, usage.Options
):
    synopsis = "[options]"
    longdesc = (
        "Run a whole CRMD test exchange in one process: the Admin server, the Order "
        "Entry server and, with --secondary-oes-listen, a fail-over OES on the same book."
    )
    optParameters = [
        ["aes-listen", None, "tcp:4444:interface=127.0.0.1",
         "Endpoint of the AES (tcp:4444 listens on every interface)."],
        ["oes-listen", None, "tcp:4445:interface=127.0.0.1", "Endpoint of the primary OES."],
        ["secondary-oes-listen", None, None, "Endpoint of a secondary OES (same order book)."],
        ["advertise-host", None, "127.0.0.1", "Host name the AES gives clients for the OES."],
        ["md-listen", None, "tcp:4446:interface=127.0.0.1",
         "Endpoint of the primary OES's market-data server (empty: none)."],
        ["secondary-md-listen", None, None,
         "Endpoint of the secondary OES's market-data server (with --secondary-oes-listen)."],
        ["admin", None, "tcp:4480:interface=127.0.0.1",
         "Endpoint of the admin HTTP API (docs/admin-api.md); an empty value turns it off."],
    ]


class ExchangeService(OESService):
    """AES + OES listeners; exposes the pieces for in-process use."""

    def __init__(
        self,
        aes: AESFactory,
        oes: list[OESFactory],
        aes_listener: Listener,
        oes_listeners: list[Listener],
        advertise_host: str,
    ) -> None:
        super().__init__(oes)
        #: The market-data listeners: index 0 primary, 1 secondary (either may be absent).
        self.md_listeners: dict[int, Listener] = {}
        self.aes = aes
        self.aes_listener = aes_listener
        self.oes_listeners = oes_listeners
        self.advertise_host = advertise_host
        #: The admin API's listener (None without ``--admin``).
        self.admin_listener: Listener | None = None
        for listener in oes_listeners:
            listener.setServiceParent(self)
        aes_listener.setServiceParent(self)

    def add_market_data(self, index: int, factory: MDSFactory, listener: Listener) -> None:
        """The MDS of OES *index*; the AES advertises the address it binds."""
        self.md_factories.append(factory)
        self.md_listeners[index] = listener
        listener.setServiceParent(self)

    def startService(self) -> None:
        super().startService()
        for index, listener in enumerate(self.oes_listeners):
            listener.whenListening().addCallback(self._advertise, index)
        for index, listener in self.md_listeners.items():
            listener.whenListening().addCallback(self._advertise_md, index)

    def _advertise_md(self, port: IListeningPort, index: int) -> None:
        address = f"{self.advertise_host}:{port.getHost().port}"  # type: ignore[attr-defined]
        if index == 0:
            self.aes.core.primary_mds = address
        else:
            self.aes.core.secondary_mds = address

    def _advertise(self, port: IListeningPort, index: int) -> None:
        address = f"{self.advertise_host}:{port.getHost().port}"  # type: ignore[attr-defined]
        if index == 0:
            self.aes.core.primary_oes = address
        else:
            self.aes.core.secondary_oes = address


def build(options: usage.Options, reactor: Any) -> ExchangeService:
    """The whole exchange from parsed options and ``--config`` (ConfigError if unusable)."""
    core = build_core(options)  # reads --config first
    keys = keys_from(options["secret"])
    host = options["advertise-host"]
    if not host or ":" in host or len(host) > 18 or not host.isascii():
        raise ConfigError(f"--advertise-host: bad host {host!r}")
    aes_core = AdminCore(core.directory, keys, primary_oes="", secondary_oes="")
    aes_factory = AESFactory(aes_core, wireTrace=bool(options["wire-trace"]))
    aes_factory.logFrames = log_frames_from(options)
    limits = limits_from(options)
    aes_listener = Listener(
        endpoint_from(reactor, options["aes-listen"], "aes-listen", limits.backlog),
        aes_factory, "aes",
        option="aes-listen", tool="crmd-exchange",
    )
    descriptions = [("oes-listen", options["oes-listen"])]
    if options["secondary-oes-listen"]:
        descriptions.append(("secondary-oes-listen", options["secondary-oes-listen"]))
    factories = []
    listeners = []
    for index, (option, description) in enumerate(descriptions):
        factory = build_factory(options, core)
        factories.append(factory)
        listeners.append(
            Listener(endpoint_from(reactor, description, option, limits.backlog), factory,
                     f"oes{index}",
                     option=option, tool="crmd-exchange")
        )
    harden([aes_factory, *factories], limits, throttle_policy_from(options))
    committer = open_state(options, core, reactor)
    service = ExchangeService(aes_factory, factories, aes_listener, listeners, host)
    attach_state(service, factories, committer)
    md_options = ["md-listen", "secondary-md-listen"]
    if options["secondary-md-listen"] and not options["secondary-oes-listen"]:
        raise ConfigError("--secondary-md-listen: needs --secondary-oes-listen")
    for index, option in enumerate(md_options):
        md = build_md(options, core, reactor, option, "crmd-exchange")
        if md is not None:
            service.add_market_data(index, *md)
    admin = build_admin(
        options, reactor, core, [aes_factory, *factories, *service.md_factories], "crmd-exchange"
    )
    service.admin_listener = admin
    if admin is not None:
        admin.setServiceParent(service)
    return service


def makeService(options: usage.Options) -> IService:
    from twisted.internet import reactor

    try:
        service = build(options, reactor)
    except ConfigError as e:
        raise fail("crmd-exchange", str(e)) from None
    service.tuneGC = run_by_twistd(options)  # see OESService.tuneGC
    return service
