"""Mass cancel through the engine, with the owners told (pure, no Twisted).

:func:`mass_cancel` cancels every live order of one account (or of every
account), optionally of one instrument, and sends each owner's live sessions
the CANCELLED frames exactly as the OES core sends engine-initiated cancels.
"""

from __future__ import annotations

from crmd_twisted.engine import Cancelled, CancelReason
from crmd_twisted.oes.core import OrderEntryCore

__all__ = ["mass_cancel"]


def mass_cancel(
    core: OrderEntryCore,
    account: int | None = None,
    symbol_enum: int = 0,
) -> int:
    """Cancel the live orders of *account* (None: every account) on *symbol_enum* (0: all).

    Returns how many orders were cancelled.  The events reach the core's
    ``observers`` (trade tape, market data) like every other engine event.
    """
    events = core.cancel_all(account, symbol_enum)
    return sum(1 for e in events if type(e) is Cancelled and e.reason == CancelReason.USER)
