"""kill -9 of an OES with --state while two clients trade: nothing acknowledged is lost.

Three cycles of benchmarks/crash_cycles.py (seeded; the script runs 25): a real
``twistd crmd-oes --state`` process, killed with SIGKILL once after every request
was answered and once with requests in flight, restarted on the same file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "crash_cycles.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crash_cycles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_acknowledged_orders_balances_and_ids_survive_kill_9(tmp_path: Path) -> None:
    crash_cycles = load_script()
    reports = crash_cycles.run(3, seed=11, workdir=tmp_path)
    assert len(reports) == 3
    assert [r.quiet for r in reports] == [True, False, True]  # exact checks after quiet kills
    assert all(r.requests > 0 for r in reports) and reports[-1].fills > 0
    assert sum(r.listed for r in reports) > 0  # resting orders were there to be lost
