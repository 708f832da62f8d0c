"""``twistd crmd-oes``: the Order Entry server simulator."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any, cast

from twisted.application.service import IService, MultiService, Service
from twisted.internet import defer
from twisted.logger import Logger
from twisted.internet.protocol import Factory
from twisted.python import usage

from collections.abc import Iterable

from crmd_twisted.accounts import DEFAULT_BALANCES, AccountDirectory, ConfigError
from crmd_twisted.control.admin import ExchangeControl, admin_site
from crmd_twisted.engine import Instrument, MatchingEngine
from crmd_twisted.mds import MDSFactory, market_data_for
from crmd_twisted.oes.core import OrderEntryCore
from crmd_twisted.oes.journal import InputClock, JournalingCore, ReplayError
from crmd_twisted.oes.protocol import OESFactory
from crmd_twisted.oes.state import StateError, StateFile, SyncMode, TurnCommitter
from crmd_twisted.tap.common import (
    LimitsOptionsMixin,
    Listener,
    SecretOptionsMixin,
    check_positive_float,
    endpoint_from,
    fail,
    harden,
    keys_from,
    limits_from,
    log_frames_from,
    throttle_policy_from,
)
from crmd_twisted.wire.enums import RejectCode
from crmd_twisted.tap.options import (
    ConfigFileMixin,
    _from_file,
    accounts_from,
    apply_config,
    instruments_from,
    rules_from,
)

__all__ = [
    "GC_THRESHOLDS",
    "OESService",
    "Options",
    "build_admin",
    "check_balance_currencies",
    "makeService",
    "run_by_twistd",
    "tune_gc",
]


class OESOptionsMixin:
    """Options of the OES (shared with ``crmd-exchange``)."""

    optParameters: list[list[Any]] = [
        ["instruments", None, None, "TOML file of instruments (default: the four documented)."],
        ["match-delay", None, "0", "Seconds each request waits before it is processed."],
        ["state", None, None,
         "SQLite file that keeps accounts, balances, open orders and used order ids "
         "across restarts (created if missing; default: in memory only)."],
        ["state-sync", None, "normal",
         "normal: a commit survives a crash of the process; full: also a power loss "
         "(fsync per commit, slower)."],
        ["admin-token", None, None,
         "Bearer token the admin API requires (Authorization: Bearer TOKEN); default: none."],
    ]
    optFlags: list[list[str | None]] = [
        ["strict", None, "Reject sequence numbers that do not increase (MSG_SEQ_NUM_INVALID)."],
        ["no-key-check", None, "Accept any session key (the docs' test system does)."],
        ["cancel-on-disconnect", None,
         "Cancel an account's open orders when its last OES session is lost without a "
         "logout (accounts may set cancel_on_disconnect themselves)."],
    ]
    numberOptions: tuple[str, ...] = ("match-delay",)


class Options(
    ConfigFileMixin, OESOptionsMixin, LimitsOptionsMixin, SecretOptionsMixin, usage.Options
):
    synopsis = "[options]"
    longdesc = (
        "Run the CRMD Order Entry server simulator: logon with the AES key, instrument, "
        "risk, open-order and collateral requests, validated transactions with reject "
        "codes, and fills from a price-time matching engine."
    )
    optParameters = [
        ["listen", "l", "tcp:4445:interface=127.0.0.1",
         "Endpoint to listen on (Twisted endpoint syntax; tcp:4445 listens on every "
         "interface)."],
        ["md-listen", None, None,
         "Endpoint of a market-data server fed by this OES's engine, e.g. "
         "tcp:4446:interface=127.0.0.1 (default: none)."],
        ["admin", None, None,
         "Endpoint of the admin HTTP API (docs/admin-api.md), e.g. "
         "tcp:4480:interface=127.0.0.1; default: none."],
    ]


#: gen-0 threshold of the OES process (Python's default is 700 allocations).
GC_THRESHOLDS = (50_000, 50, 100)


def tune_gc(thresholds: tuple[int, int, int] = GC_THRESHOLDS) -> None:
    """Move everything alive now out of the collector's sight and collect rarely.

    Why: the OES allocates several container objects per order and keeps those of
    every resting order (stored request, engine order, reservation), so with the
    default thresholds the collector keeps re-walking an ever bigger heap of
    objects that are never garbage: the cost per order grew with the book (about
    22 -> 43 us over a few 100k orders).  ``gc.freeze()`` takes the start-up
    objects (modules, instruments, accounts) out of every collection; a gen-0
    threshold of 50 000 and rarer older collections keep the cost per order flat
    without giving up cycle collection.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)


def run_by_twistd(options: usage.Options) -> bool:
    """Whether *options* are a plugin's sub-options of a ``twistd`` command line.

    twistd parses the plugin's options as a sub-command (they get a ``parent``);
    a program that builds a service itself parses them on their own.
    """
    return getattr(options, "parent", None) is not None


class OESService(MultiService):
    """The OES listeners; stopping it logs every client out (OES not available)."""

    #: Tune the garbage collector (:func:`tune_gc`) once the reactor runs.  Only
    #: ``makeService`` sets it, and only for options parsed by ``twistd`` (a process
    #: of its own): a host process that builds or starts the service in-process
    #: keeps its GC settings.
    tuneGC: bool = False

    def __init__(self, factories: list[OESFactory]) -> None:
        super().__init__()
        self.factories = factories
        #: The market-data servers (one per OES listener that has one).
        self.md_factories: list[MDSFactory] = []

    def startService(self) -> None:
        super().startService()
        if self.tuneGC:
            from twisted.internet import reactor

            reactor.callWhenRunning(tune_gc)

    def stopService(self) -> defer.Deferred[None]:
        for factory in self.factories:
            factory.disconnectAll()
        for md in self.md_factories:
            md.disconnectAll(RejectCode.OES_NOT_AVAILABLE_TRADING_DISABLED)
        return super().stopService()


def build_core(options: usage.Options) -> OrderEntryCore:
    """The OES core from parsed options and ``--config`` (ConfigError if unusable)."""
    config = apply_config(options)
    instruments = instruments_from(options)
    directory = accounts_from(options)
    source = options["accounts"] or (str(config.path) if config is not None else "accounts")
    check_balance_currencies(directory, instruments, source)
    core: OrderEntryCore
    if options["state"]:
        core = JournalingCore(
            directory,
            keys_from(options["secret"]),
            instruments,
            rules=rules_from(options),
            clock=InputClock(),
            check_keys=not options["no-key-check"],
            strict=bool(options["strict"]),
        )
    else:
        core = OrderEntryCore(
            directory,
            keys_from(options["secret"]),
            instruments,
            check_keys=not options["no-key-check"],
            strict=bool(options["strict"]),
            engine=MatchingEngine(instruments, rules_from(options)),
        )
    core.cancel_on_disconnect = bool(options["cancel-on-disconnect"])
    return core


def check_balance_currencies(
    directory: AccountDirectory, instruments: Iterable[Instrument], source: str
) -> None:
    """Refuse a balance in a currency no instrument trades (a typo such as ``BCT``)."""
    known = set(DEFAULT_BALANCES)
    for instrument in instruments:
        known.update((instrument.base.upper(), instrument.quote.upper()))
    for account in directory:
        for currency in account.balances:
            if currency.upper() not in known:
                raise ConfigError(
                    f"{source}: account {account.account} user {account.user!r}: unknown "
                    f"currency {currency!r} in balances (known: {', '.join(sorted(known))})"
                )


class StateService(Service):
    """Flushes and closes the state file when the OES stops."""

    def __init__(self, committer: TurnCommitter) -> None:
        self.committer = committer

    def stopService(self) -> None:
        super().stopService()
        self.committer.close()


def state_path(options: usage.Options) -> Path:
    """``--state``; a relative path from the settings file is relative to that file."""
    path = Path(options["state"])
    config = _from_file(options, "state")
    if config is not None and not path.is_absolute():
        path = config.path.parent / path
    return path


def open_state(options: usage.Options, core: OrderEntryCore, reactor: Any) -> TurnCommitter | None:
    """Open ``--state``, replay its journal into *core* and return the committer
    (None without ``--state``).  Raises :class:`StateError` (a ConfigError)."""
    if not isinstance(core, JournalingCore):
        return None
    try:
        sync = SyncMode(str(options["state-sync"]).lower())
    except ValueError:
        raise ConfigError(
            f"--state-sync: expected normal or full, got {options['state-sync']!r}"
        ) from None
    path = state_path(options)
    state = StateFile(path, core.fingerprint, sync)
    start = time.perf_counter()
    try:
        count = core.replay(state.rows())
    except ReplayError as e:
        state.close()
        raise StateError(f"{path}: {e}") from None
    core.release_unused_accounts()
    Logger(namespace="crmd_twisted.oes.state").info(
        "state file {path}: replayed {count} records in {seconds:.3f} s",
        path=str(path), count=count, seconds=time.perf_counter() - start,
    )
    return TurnCommitter(core, state, reactor)


def attach_state(
    service: MultiService, factories: list[OESFactory], committer: TurnCommitter | None
) -> None:
    """Let *factories* commit through *committer* and close it with *service*."""
    if committer is None:
        return
    for factory in factories:
        factory.committer = committer
    StateService(committer).setServiceParent(service)


def build_factory(options: usage.Options, core: OrderEntryCore) -> OESFactory:
    factory = OESFactory(
        core,
        wireTrace=bool(options["wire-trace"]),
        matchDelay=check_positive_float(options, "match-delay"),
    )
    factory.logFrames = log_frames_from(options)
    return factory


def build_md(
    options: usage.Options, core: OrderEntryCore, reactor: Any, option: str, tool: str
) -> tuple[MDSFactory, Listener] | None:
    """The market-data server of endpoint option *option*, fed by *core* (None if not given)."""
    description = options[option]
    if not description:
        return None
    factory = market_data_for(core, wireTrace=bool(options["wire-trace"]))
    factory.logFrames = log_frames_from(options)
    listener = Listener(
        endpoint_from(reactor, description, option, limits_from(options).backlog), factory, option,
        option=option, tool=tool
    )
    return factory, listener
def build_admin(
    options: usage.Options, reactor: Any, core: OrderEntryCore, factories: list[Any], tool: str
) -> Listener | None:
    """The admin API listener of ``--admin`` (None without it); gives *factories* the
    control plane it serves (sessions register, faults apply)."""
    description = options["admin"]
    if not description:
        return None
    endpoint = endpoint_from(reactor, description, "admin", limits_from(options).backlog)
    token = options["admin-token"]
    if token is not None and (not token or not token.isascii() or not token.isprintable()):
        raise ConfigError("--admin-token: must be printable ASCII text, not empty")
    control = ExchangeControl.for_core(core, clock=reactor.seconds)
    for factory in factories:
        factory.control = control
    site = cast(Factory, admin_site(control, token))  # a Site is a server factory
    return Listener(endpoint, site, "admin", option="admin", tool=tool)


def makeService(options: usage.Options) -> IService:
    from twisted.internet import reactor

    try:
        core = build_core(options)
        factory = build_factory(options, core)
        limits = limits_from(options)
        harden([factory], limits, throttle_policy_from(options))
        listener = Listener(
            endpoint_from(reactor, options["listen"], "listen", limits.backlog), factory, "oes",
            tool="crmd-oes",
        )
        committer = open_state(options, core, reactor)
        md = build_md(options, core, reactor, "md-listen", "crmd-oes")
        served = [factory] if md is None else [factory, md[0]]
        admin = build_admin(options, reactor, core, served, "crmd-oes")
    except ConfigError as e:
        raise fail("crmd-oes", str(e)) from None
    top = OESService([factory])
    top.tuneGC = run_by_twistd(options)
    attach_state(top, [factory], committer)
    listener.setServiceParent(top)
    if md is not None:
        top.md_factories.append(md[0])
        md[1].setServiceParent(top)
    if admin is not None:
        admin.setServiceParent(top)
    return top
