"""``twistd crmd-oes``: the Order Entry server simulator."""

from __future__ import annotations

import gc
from typing import Any

from twisted.application.service import IService, MultiService
from twisted.internet import defer
from twisted.python import usage

from collections.abc import Iterable

from crmd_twisted.accounts import DEFAULT_BALANCES, AccountDirectory, ConfigError
from crmd_twisted.engine import Instrument, MatchingEngine
from crmd_twisted.oes.core import OrderEntryCore
from crmd_twisted.oes.protocol import OESFactory
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
from crmd_twisted.tap.options import (
    ConfigFileMixin,
    accounts_from,
    apply_config,
    instruments_from,
    rules_from,
)

__all__ = [
    "GC_THRESHOLDS",
    "OESService",
    "Options",
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
    ]
    optFlags: list[list[str | None]] = [
        ["strict", None, "Reject sequence numbers that do not increase (MSG_SEQ_NUM_INVALID)."],
        ["no-key-check", None, "Accept any session key (the docs' test system does)."],
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

    def startService(self) -> None:
        super().startService()
        if self.tuneGC:
            from twisted.internet import reactor

            reactor.callWhenRunning(tune_gc)

    def stopService(self) -> defer.Deferred[None]:
        for factory in self.factories:
            factory.disconnectAll()
        return super().stopService()


def build_core(options: usage.Options) -> OrderEntryCore:
    """The OES core from parsed options and ``--config`` (ConfigError if unusable)."""
    config = apply_config(options)
    instruments = instruments_from(options)
    directory = accounts_from(options)
    source = options["accounts"] or (str(config.path) if config is not None else "accounts")
    check_balance_currencies(directory, instruments, source)
    return OrderEntryCore(
        directory,
        keys_from(options["secret"]),
        instruments,
        check_keys=not options["no-key-check"],
        strict=bool(options["strict"]),
        engine=MatchingEngine(instruments, rules_from(options)),
    )


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


def build_factory(options: usage.Options, core: OrderEntryCore) -> OESFactory:
    factory = OESFactory(
        core,
        wireTrace=bool(options["wire-trace"]),
        matchDelay=check_positive_float(options, "match-delay"),
    )
    factory.logFrames = log_frames_from(options)
    return factory


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
    except ConfigError as e:
        raise fail("crmd-oes", str(e)) from None
    top = OESService([factory])
    top.tuneGC = run_by_twistd(options)
    listener.setServiceParent(top)
    return top
