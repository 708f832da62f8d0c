"""The exchange's web console, served on the admin endpoint (docs/console.md).

* :mod:`~crmd_twisted.webconsole.board` - :class:`TopicBoard`, the newest state per
  topic (pure);
* :mod:`~crmd_twisted.webconsole.state` - :class:`ConsoleState`, those topics read
  from an :class:`~crmd_twisted.control.admin.ExchangeControl` (pure);
* :mod:`~crmd_twisted.webconsole.sse` - Server-Sent Events framing (pure);
* :mod:`~crmd_twisted.webconsole.stream` - :class:`ConsoleHub` and the conflated
  ``/api/v1/stream`` resource (``twisted.web``);
* :mod:`~crmd_twisted.webconsole.resource` - :func:`install_console`: the page and
  its files on the admin site.

(``crmd_twisted.console`` is the command-line helpers' module; the web console
lives here.)
"""

from crmd_twisted.webconsole.board import ConsoleEvent, Posting, TopicBoard
from crmd_twisted.webconsole.resource import STATIC_DIR, install_console
from crmd_twisted.webconsole.state import ConsoleState, fault_kinds_view
from crmd_twisted.webconsole.stream import ConsoleHub, StreamClient, StreamResource

__all__ = [
    "STATIC_DIR",
    "ConsoleEvent",
    "ConsoleHub",
    "ConsoleState",
    "Posting",
    "StreamClient",
    "StreamResource",
    "TopicBoard",
    "fault_kinds_view",
    "install_console",
]
