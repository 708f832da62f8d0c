"""The console's pages on the admin site: ``/`` (the page), ``/console/...`` (its files).

The static files ship in the package (``crmd_twisted/webconsole/static``): plain
HTML, CSS and JavaScript with an SVG chart, no build step and nothing fetched
from the internet.  They hold no secret, so they are served without the admin
token; the page asks for the token when the API answers 401.
"""

from __future__ import annotations

from pathlib import Path

from twisted.web.resource import Resource
from twisted.web.static import File

from crmd_twisted.webconsole.stream import ConsoleHub, StreamResource

__all__ = ["STATIC_DIR", "install_console"]

#: Where the console's files are.
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _file(path: Path) -> File:
    resource = File(str(path))
    # the system's MIME table may lack .js or call it application/x-javascript
    resource.contentTypes = {**resource.contentTypes, ".js": "text/javascript; charset=utf-8"}
    return resource


def install_console(root: Resource, v1: Resource, hub: ConsoleHub,
                    token: str | None = None) -> None:
    """Add the console to an admin resource tree (*root* is ``/``, *v1* ``/api/v1``)."""
    root.putChild(b"", _file(STATIC_DIR / "index.html"))
    root.putChild(b"console", _file(STATIC_DIR))
    v1.putChild(b"stream", StreamResource(hub, token))
