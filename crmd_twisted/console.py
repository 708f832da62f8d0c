"""Running an ``async def main(reactor)`` as a command-line program.

:func:`react_main` wraps :func:`twisted.internet.task.react` the way a person at a
terminal wants it: the expected failures of a trading session (a refused logon,
an unreachable server, a rejected order, a time-out) end the program with one
line ``PROG: error: ...`` on stderr and status 1 instead of a traceback; anything
else is a bug and keeps its traceback.  The demo and the examples use it::

    def main() -> int:
        return react_main(lambda reactor: run(reactor, args), "my-client")

:class:`CommandLineParser` is the matching ``argparse`` parser: ``--help`` shows
every default, and a bad argument (``--port 99999``, a user name of 7
characters) is one ``PROG: error: ...`` line and status 1, like every other
mistake; :func:`port_number`, :func:`account_number` and :func:`user_name` are
its argument types.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from twisted.internet import defer, task
from twisted.internet.error import ConnectError

from crmd_twisted.client.errors import CRMDClientError

__all__ = [
    "EXPECTED_FAILURES",
    "BadArgument",
    "CommandLineParser",
    "account_number",
    "port_number",
    "react_main",
    "user_name",
]

#: Longest user name the protocol carries (``client_logon.user_name``).
USER_NAME_WIDTH = 6
_MAX_ACCOUNT = 0x7FFFFFFF


class BadArgument(Exception):
    """A value the user gave cannot be used (e.g. a client refused it with ValueError).

    Raise it from ``main(reactor)`` for :func:`react_main` to print as one line.
    """


#: Failures that are the world's fault, not the program's: reported in one line.
EXPECTED_FAILURES: tuple[type[BaseException], ...] = (
    BadArgument,
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


class CommandLineParser(argparse.ArgumentParser):
    """``argparse`` for a terminal program: defaults in ``--help``, errors in one line.

    A bad argument prints ``PROG: error: ...`` (no usage block) and exits with
    status 1, the status of every other failure of the program.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(1)


def port_number(text: str) -> int:
    """A TCP port 1..65535 (an ``argparse`` type)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be 1..65535, got {port}")
    return port


def account_number(text: str) -> int:
    """An account number 1..2147483647 (an ``argparse`` type)."""
    try:
        account = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an account number, got {text!r}") from None
    if not 0 < account <= _MAX_ACCOUNT:
        raise argparse.ArgumentTypeError(f"account must be 1..{_MAX_ACCOUNT}, got {account}")
    return account


def user_name(text: str) -> str:
    """A user name as the protocol carries it: 1..6 ASCII characters (an ``argparse`` type)."""
    if not text or len(text) > USER_NAME_WIDTH or not text.isascii() or "\0" in text:
        raise argparse.ArgumentTypeError(
            f"user name must be 1..{USER_NAME_WIDTH} ASCII characters, got {text!r}"
        )
    return text
