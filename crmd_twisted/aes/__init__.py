"""The Admin server (AES) simulator: logon, 2FA, session keys, redirect to the OES.

* :mod:`crmd_twisted.aes.core` - :class:`AdminCore` and :class:`Grant`, free of I/O;
* :mod:`crmd_twisted.aes.protocol` - :class:`AESProtocol` and :class:`AESFactory`,
  the Twisted shell.

The shell's names load on first use, so importing the core does not import Twisted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmd_twisted.aes.core import AdminCore, Grant, format_address

if TYPE_CHECKING:
    from crmd_twisted.aes.protocol import AESFactory, AESProtocol

__all__ = ["AESFactory", "AESProtocol", "AdminCore", "Grant", "format_address"]

_SHELL = frozenset({"AESFactory", "AESProtocol"})


def __getattr__(name: str) -> Any:
    if name in _SHELL:
        from crmd_twisted.aes import protocol

        return getattr(protocol, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
