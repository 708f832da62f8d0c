"""The client side: a subclassable protocol and a reconnecting session with a Deferred API."""

from crmd_twisted.client.errors import (
    CRMDClientError,
    LogonRejected,
    LogonTimeout,
    NotConnected,
    RequestRejected,
    RequestTimeout,
)
from crmd_twisted.client.orders import OrderState, OrderTracker, TrackedOrder
from crmd_twisted.client.protocol import CRMDClientFactory, CRMDClientProtocol, Credentials
from crmd_twisted.client.session import ClientEvent, CRMDClient, parse_address

__all__ = [
    "CRMDClient",
    "CRMDClientError",
    "CRMDClientFactory",
    "CRMDClientProtocol",
    "ClientEvent",
    "Credentials",
    "LogonRejected",
    "LogonTimeout",
    "NotConnected",
    "OrderState",
    "OrderTracker",
    "RequestRejected",
    "RequestTimeout",
    "TrackedOrder",
    "parse_address",
]
