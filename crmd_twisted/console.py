"""Running an ``async def main(reactor)`` as a command-line program.

:func:`react_main` wraps :func:`twisted.internet.task.react` the way a person at a
terminal wants it: the expected failures of a trading session (a refused logon,
an unreachable server, a rejected order, a time-out) end the program with one
line ``PROG: error: ...`` on stderr and status 1 instead of a traceback; anything
else is a bug and keeps its traceback.  The demo and the examples use it::

    def main() -> int:
        return react_main(lambda reactor: run(reactor, args), "my-client")
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

from twisted.internet import defer, task
from twisted.internet.error import ConnectError

from crmd_twisted.client.errors import CRMDClientError

__all__ = ["EXPECTED_FAILURES", "react_main"]

#: Failures that are the world's fault, not the program's: reported in one line.
EXPECTED_FAILURES: tuple[type[BaseException], ...] = (
    CRMDClientError,
    ConnectError,
    ConnectionError,
    defer.TimeoutError,
)


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectError):
        return f"cannot connect: {error}"
    if isinstance(error, defer.TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__


def react_main(
    main: Callable[[Any], Awaitable[Any]],
    prog: str,
    expected: tuple[type[BaseException], ...] = EXPECTED_FAILURES,
) -> int:
    """Run ``main(reactor)`` in the reactor; the exit status (0, or 1 on failure)."""
    problems: list[str] = []

    async def guarded(reactor: Any) -> None:
        try:
            await main(reactor)
        except expected as e:
            problems.append(_describe(e))

    try:
        task.react(lambda reactor: defer.ensureDeferred(guarded(reactor)))
    except SystemExit as e:
        if e.code:
            return 1  # an unexpected failure: task.react already logged its traceback
    if problems:
        sys.stderr.write(f"{prog}: error: {problems[0]}\n")
        return 1
    return 0
