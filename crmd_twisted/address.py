"""The one parser of "host:port" text (logon replies, options, client arguments).

Pure: no I/O, no Twisted.  Every place that reads an address uses
:func:`parse_address`, so they all agree on what is one:

* ``host:port`` with exactly one ``:``; ``host`` a name or IPv4 address,
  ASCII, without whitespace;
* ``[v6-address]:port`` for IPv6 (the brackets are not part of the host);
* ``port`` decimal digits only, 0..65535;
* text after a NUL is padding of the wire field and ignored.

Anything else raises :class:`ValueError` saying what is wrong with it.
"""

from __future__ import annotations

import ipaddress

__all__ = [
    "MAX_PORT",
    "format_address",
    "parse_address",
    "parse_address_or_none",
    "parse_port",
]

MAX_PORT = 65535


def parse_port(text: str) -> int:
    """A port number 0..65535 from decimal digits; ValueError naming the problem."""
    if not text:
        raise ValueError("missing port")
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"port {text!r} is not a number")
    port = int(text)
    if port > MAX_PORT:
        raise ValueError(f"port {port} is outside 0..{MAX_PORT}")
    return port


def _check_host(host: str, text: str) -> None:
    if not host:
        raise ValueError(f"missing host in {text!r}")
    if not host.isascii() or any(c.isspace() for c in host):
        raise ValueError(f"host {host!r} must be ASCII without spaces")


def parse_address(text: str) -> tuple[str, int]:
    """``(host, port)`` of a ``"host:port"`` or ``"[v6]:port"`` text.

    Raises :class:`ValueError` naming the problem: missing port, port not a
    number or above 65535, missing host, more than one ``:`` outside brackets.
    """
    text = text.split("\x00", 1)[0]
    if not text:
        raise ValueError("empty address")
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise ValueError(f"no closing ']' in {text!r}")
        if not rest.startswith(":"):
            raise ValueError(f"missing port after ']' in {text!r}")
        try:
            ipaddress.IPv6Address(host.partition("%")[0])
        except ValueError:
            raise ValueError(f"{host!r} in brackets is not an IPv6 address") from None
        return host, parse_port(rest[1:])
    host, sep, port = text.partition(":")
    if not sep:
        raise ValueError(f"missing port in {text!r} (expected HOST:PORT)")
    if ":" in port:
        raise ValueError(f"more than one ':' in {text!r} (an IPv6 host needs [brackets])")
    _check_host(host, text)
    return host, parse_port(port)


def parse_address_or_none(text: str) -> tuple[str, int] | None:
    """:func:`parse_address`, or None where it raises (an empty or placeholder field)."""
    try:
        return parse_address(text)
    except ValueError:
        return None


def format_address(host: str, port: int) -> str:
    """The text :func:`parse_address` reads back as ``(host, port)``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
