"""What the console shows, read from an exchange's control plane (pure, no Twisted).

:class:`ConsoleState` refreshes a :class:`~crmd_twisted.webconsole.board.TopicBoard`
from an :class:`~crmd_twisted.control.admin.ExchangeControl` with the admin API's
own views, so the console and ``GET /api/v1/...`` always agree.  Topics:

* ``health`` - uptime (whole seconds), session count, the boot id;
* ``instruments`` and ``fault_kinds`` (the fault schema the panel builds its form from);
* ``book:{symbol_enum}`` - visible depth, best first; ``trades:{symbol_enum}`` -
  the newest trades, newest last (every instrument is posted, empty or not, so a
  reconnecting page replaces what it showed before a restart);
* ``sessions`` (with frame counters) and ``faults``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from crmd_twisted.control.fault_schema import GLOBAL_KINDS, SCHEMAS, ParamType
from crmd_twisted.control.views import book_view, instruments_view, sessions_view, trades_view
from crmd_twisted.webconsole.board import ConsoleEvent, TopicBoard

if TYPE_CHECKING:
    from crmd_twisted.control.admin import ExchangeControl

__all__ = ["CONSOLE_DEPTH", "CONSOLE_TRADES", "ConsoleState", "fault_kinds_view"]

#: Levels per side the ladder shows.
CONSOLE_DEPTH = 15
#: Trades per instrument the chart and the tape show.
CONSOLE_TRADES = 200

_TYPE_NAMES = {ParamType.INT: "int", ParamType.FLOAT: "float"}


def fault_kinds_view() -> list[dict[str, Any]]:
    """Every fault kind with its parameters, as the console's fault form needs them."""
    return [
        {
            "kind": kind.value,
            "scoped": kind not in GLOBAL_KINDS,
            "params": [
                {
                    "name": spec.name,
                    "type": _TYPE_NAMES[spec.type],
                    "default": spec.default,
                    "minimum": spec.minimum,
                    "help": spec.help,
                }
                for spec in specs
            ],
        }
        for kind, specs in SCHEMAS.items()
    ]


class ConsoleState:
    """The console's topics of one exchange, refreshed on demand."""

    def __init__(
        self,
        control: ExchangeControl,
        *,
        depth: int = CONSOLE_DEPTH,
        trades: int = CONSOLE_TRADES,
        boot: str | None = None,
    ) -> None:
        self.control = control
        self.depth = depth
        self.trades = trades
        #: changes when the exchange restarts (a page may then clear what it holds)
        self.boot = boot if boot is not None else uuid.uuid4().hex[:12]
        self.board = TopicBoard()
        self.board.post("fault_kinds", ConsoleEvent.FAULT_KINDS, fault_kinds_view())

    def refresh(self) -> int:
        """Read the exchange and post every topic; how many topics changed."""
        control = self.control
        engine = control.engine
        board = self.board
        changed = 0
        changed += board.post("health", ConsoleEvent.HEALTH, {
            "status": "ok",
            "uptime_s": int(control.uptime()),
            "sessions": len(control.sessions),
            "boot": self.boot,
        })
        changed += board.post("instruments", ConsoleEvent.INSTRUMENTS, instruments_view(engine))
        for inst in engine.instruments:
            number = inst.symbol_enum
            changed += board.post(f"book:{number}", ConsoleEvent.BOOK,
                                  book_view(engine, inst, self.depth))
            changed += board.post(f"trades:{number}", ConsoleEvent.TRADES, {
                "symbol": inst.symbol,
                "symbol_enum": number,
                "trades": trades_view(control.tape, inst, self.trades),
            })
        changed += board.post("sessions", ConsoleEvent.SESSIONS, sessions_view(control.sessions))
        changed += board.post("faults", ConsoleEvent.FAULTS, control.faults.as_json())
        return changed
