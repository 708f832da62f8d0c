"""The client side: a subclassable protocol and a reconnecting session with a Deferred API.

The names below are loaded on first use, so the pure modules of this package
(:mod:`~crmd_twisted.client.orders`, :mod:`~crmd_twisted.client.queries`,
:mod:`~crmd_twisted.client.routing`, :mod:`~crmd_twisted.client.events`,
:mod:`~crmd_twisted.client.order_ids`) can be imported without Twisted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmd_twisted.client.errors import (
        ConnectionFailed,
        CRMDClientError,
        LogonRejected,
        LogonTimeout,
        NotConnected,
        RequestRejected,
        RequestTimeout,
    )
    from crmd_twisted.client.events import ClientEvent, EventKind, SessionState
    from crmd_twisted.client.market_data import MarketDataRefused
    from crmd_twisted.client.orders import OrderState, OrderTracker, TrackedOrder
    from crmd_twisted.client.protocol import CRMDClientFactory, CRMDClientProtocol, Credentials
    from crmd_twisted.client.connector import endpoint_factory_from
    from crmd_twisted.client.session import CRMDClient, parse_address

#: public name -> the module that defines it
_HOMES = {
    "CRMDClient": "session",
    "parse_address": "session",
    "ClientEvent": "events",
    "EventKind": "events",
    "SessionState": "events",
    "CRMDClientFactory": "protocol",
    "CRMDClientProtocol": "protocol",
    "Credentials": "protocol",
    "OrderState": "orders",
    "OrderTracker": "orders",
    "TrackedOrder": "orders",
    "ConnectionFailed": "errors",
    "CRMDClientError": "errors",
    "LogonRejected": "errors",
    "LogonTimeout": "errors",
    "NotConnected": "errors",
    "RequestRejected": "errors",
    "RequestTimeout": "errors",
    "MarketDataRefused": "market_data",
    "endpoint_factory_from": "connector",
}

__all__ = [
    "CRMDClient",
    "CRMDClientError",
    "CRMDClientFactory",
    "CRMDClientProtocol",
    "ClientEvent",
    "ConnectionFailed",
    "Credentials",
    "EventKind",
    "LogonRejected",
    "LogonTimeout",
    "MarketDataRefused",
    "NotConnected",
    "OrderState",
    "OrderTracker",
    "RequestRejected",
    "RequestTimeout",
    "SessionState",
    "TrackedOrder",
    "endpoint_factory_from",
    "parse_address",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
