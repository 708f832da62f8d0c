"""Shared set-up of the test suite.

The shared helpers live in plain modules beside the tests - ``client_helpers``
(trial base class, waiting, fake endpoints), ``server_helpers`` (raw clients,
the exchange TestCase mixin), ``wire_helpers`` (golden vectors, hypothesis
strategies) and ``proc_helpers`` (``twistd`` subprocesses) - and every test
imports them one way: ``from tests.client_helpers import ...``.  That spelling
works under pytest and under trial (``python -m twisted.trial
tests.test_client_clock``), which never reads this file; ``tests/`` has no
``__init__.py``, so ``tests`` is a namespace package found through the
checkout root.  The editable install and ``python -m`` put the root on
``sys.path``; this makes sure of it for any other pytest invocation.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
