"""Attach an MDS to an OES core: the one place the simulator wires market data in.

The MDS shares the OES process because it must see every change of the book in
the order the engine made it: :func:`market_data_for` builds a
:class:`~.core.MarketDataCore` on the core's engine and registers its factory's
``on_events`` in ``core.observers`` (called after every transaction, tick and
mass cancel, once the owners' frames are out), so no event is copied between
processes and order entry never waits for a subscriber.

Keys: ``md_subscribe`` names no user, so the key is checked by
:class:`~.core.DirectoryKeyCheck` on the core's own directory and secret - the
very rule the OES applies at logon (a valid K1 for a user of that account, the
session id recovered from the key), so a key the OES accepts is accepted by its
MDS and ``--no-key-check`` switches both off.  In ``crmd-exchange`` and
:class:`~crmd_twisted.testing.SimulatedExchange` the AES shares that directory,
so every user the AES granted a session is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet.interfaces import IReactorTime

from crmd_twisted.mds.core import DEFAULT_TRADE_BACKLOG, DirectoryKeyCheck, MarketDataCore
from crmd_twisted.mds.protocol import MDSFactory

if TYPE_CHECKING:
    from crmd_twisted.oes.core import OrderEntryCore

__all__ = ["market_data_for"]


def market_data_for(
    core: OrderEntryCore,
    *,
    clock: IReactorTime | None = None,
    wireTrace: bool = False,
    max_trade_backlog: int = DEFAULT_TRADE_BACKLOG,
) -> MDSFactory:
    """An :class:`MDSFactory` fed by *core*'s engine, in event order (already registered).

    Each call makes an MDS of its own (its own subscribers and sequence numbers):
    one per listener, as a primary and a secondary OES each have their own MDS.
    """
    key_check = DirectoryKeyCheck(core.keys, core.directory, check_keys=core.check_keys)
    md_core = MarketDataCore(
        core.engine, key_check, clock=core.clock, max_trade_backlog=max_trade_backlog
    )
    factory = MDSFactory(md_core, clock=clock, wireTrace=wireTrace)
    core.observers.append(factory.on_events)
    return factory
