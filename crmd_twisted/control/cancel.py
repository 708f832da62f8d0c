"""Mass cancel through the engine, with the owners told (pure, no Twisted).

:func:`mass_cancel` cancels every live order of one account (or of every
account), optionally of one instrument, and sends each owner's live sessions
the CANCELLED frames exactly as the OES core sends engine-initiated cancels.
"""

from __future__ import annotations

from collections.abc import Callable

from crmd_twisted.engine import Cancelled, CancelReason, Event
from crmd_twisted.oes.core import OrderEntryCore

__all__ = ["mass_cancel"]


def mass_cancel(
    core: OrderEntryCore,
    account: int | None = None,
    symbol_enum: int = 0,
    observe: Callable[[list[Event]], object] | None = None,
) -> int:
    """Cancel the live orders of *account* (None: every account) on *symbol_enum* (0: all).

    Returns how many orders were cancelled.  *observe* sees every engine event
    (a cancel can wake stop orders that then trade: feed a trade tape with it).
    """
    events = core.cancel_all(account, symbol_enum)
    if observe is not None and events:
        observe(events)
    return sum(1 for e in events if type(e) is Cancelled and e.reason == CancelReason.USER)
