"""The sans-I/O line: the pure cores load no Twisted module at all.

Each module is imported in a fresh interpreter, so nothing another test (or
pytest-twisted) imported earlier can hide a Twisted import.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PURE_MODULES = [
    "crmd_twisted.wire",
    "crmd_twisted.engine",
    "crmd_twisted.session",
    "crmd_twisted.config",
    "crmd_twisted.address",
    "crmd_twisted.accounts",
    "crmd_twisted.keys",
    "crmd_twisted.instruments",
    "crmd_twisted.aes.core",
    "crmd_twisted.oes.core",
    "crmd_twisted.oes.ledger",
    "crmd_twisted.oes.journal",
    "crmd_twisted.oes.lane",
    "crmd_twisted.mds.core",
    "crmd_twisted.mds.snapshot",
    "crmd_twisted.marketdata.book",
    "crmd_twisted.marketdata.ladder",
    "crmd_twisted.client.orders",
    "crmd_twisted.client.queries",
    "crmd_twisted.client.routing",
    "crmd_twisted.client.events",
    "crmd_twisted.client.order_requests",
    "crmd_twisted.control",
    "crmd_twisted.control.ctl",
    "crmd_twisted.webconsole",
    "crmd_twisted.webconsole.sse",
    "crmd_twisted.webconsole.board",
    "crmd_twisted.wire.depth",
    "crmd_twisted.wire.record",
    "crmd_twisted.control.faults",
    "crmd_twisted.control.tape",
]

_PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'twisted')))
"""


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_loads_no_twisted(module: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"{module} loads {len(loaded)} Twisted modules: {loaded[:5]}"
