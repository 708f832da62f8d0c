"""pytest fixtures for testing code against the simulators (needs pytest-twisted).

Installed packages register this module through the ``pytest11`` entry point,
so the fixtures are available without any import:

* ``crmd_exchange`` - a started :class:`~crmd_twisted.testing.SimulatedExchange`
  (AES, primary and secondary OES on loopback), stopped after the test;
* ``crmd_client`` - a ready :class:`~crmd_twisted.client.session.CRMDClient`
  (account 1001, user "trader") on that exchange, logged out after the test.

Tests using them run in the reactor: decorate them with
``@pytest_twisted.ensureDeferred`` (``async def``) or ``@pytest_twisted.inlineCallbacks``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_twisted

from crmd_twisted.client.session import CRMDClient
from crmd_twisted.testing import SimulatedExchange, client_ready


@pytest_twisted.async_yield_fixture
async def crmd_exchange() -> AsyncIterator[SimulatedExchange]:
    exchange = SimulatedExchange(secondary=True)
    await exchange.start()
    yield exchange
    await exchange.stop()


@pytest_twisted.async_yield_fixture
async def crmd_client(crmd_exchange: SimulatedExchange) -> AsyncIterator[CRMDClient]:
    client = crmd_exchange.client(account=1001, user="trader")
    await client_ready(client)
    yield client
    await client.stopService()
