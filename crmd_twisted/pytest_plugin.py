"""pytest fixtures for testing code against the simulators (they need pytest-twisted).

Installed packages register this module through the ``pytest11`` entry point,
so the fixtures are available without any import:

* ``crmd_exchange`` - a started :class:`~crmd_twisted.testing.SimulatedExchange`
  (AES, primary and secondary OES on loopback, each OES with its market-data
  server: ``crmd_exchange.mds_address(0)`` / ``(1)``), stopped after the test;
* ``crmd_client`` - a ready :class:`~crmd_twisted.client.session.CRMDClient`
  (account 1001, user "trader") on that exchange, logged out after the test;
  ``await crmd_client.subscribe(1, depth=5)`` gives its first book snapshot.

Tests using them run in the reactor: decorate them with
``@pytest_twisted.ensureDeferred`` (``async def``) or ``@pytest_twisted.inlineCallbacks``.

Without pytest-twisted this module still imports (pytest loads it in every
environment crmd-twisted is installed in, whatever is being tested): the two
fixtures then exist but fail with a message saying what to install.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

__all__ = ["MISSING_PYTEST_TWISTED", "crmd_client", "crmd_exchange"]

#: What a test using the fixtures is told when pytest-twisted is not installed.
MISSING_PYTEST_TWISTED = (
    "the crmd_exchange / crmd_client fixtures need pytest-twisted: "
    "python -m pip install pytest-twisted (or crmd-twisted[test])"
)

try:
    import pytest_twisted
except ImportError:
    pytest_twisted = None


if pytest_twisted is not None:
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

else:

    @pytest.fixture
    def crmd_exchange() -> Iterator[Any]:
        pytest.fail(MISSING_PYTEST_TWISTED, pytrace=False)
        yield None  # pragma: no cover - pytest.fail raises

    @pytest.fixture
    def crmd_client(crmd_exchange: Any) -> Iterator[Any]:
        pytest.fail(MISSING_PYTEST_TWISTED, pytrace=False)
        yield None  # pragma: no cover
