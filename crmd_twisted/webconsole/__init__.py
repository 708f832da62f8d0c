"""The exchange's web console, served on the admin endpoint (docs/console.md).

* :mod:`~crmd_twisted.webconsole.board` - :class:`TopicBoard`, the newest state per
  topic (pure);
* :mod:`~crmd_twisted.webconsole.state` - :class:`ConsoleState`, those topics read
  from an :class:`~crmd_twisted.control.admin.ExchangeControl` (pure);
* :mod:`~crmd_twisted.webconsole.sse` - Server-Sent Events framing (pure);
* :mod:`~crmd_twisted.webconsole.stream` - :class:`~.stream.ConsoleHub` and the
  conflated ``/api/v1/stream`` resource (``twisted.web``);
* :mod:`~crmd_twisted.webconsole.resource` - :func:`~.resource.install_console`:
  the page and its files on the admin site (``twisted.web``).

Only the pure names are re-exported here, so importing this package never loads
Twisted.  (``crmd_twisted.console`` is the command-line helpers' module; the web
console lives here.)
"""

from crmd_twisted.webconsole.board import ConsoleEvent, Posting, TopicBoard
from crmd_twisted.webconsole.state import ConsoleState, fault_kinds_view

__all__ = ["ConsoleEvent", "ConsoleState", "Posting", "TopicBoard", "fault_kinds_view"]
