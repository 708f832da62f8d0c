"""The generated type stub of the message classes: up to date, true, and useful to mypy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mypy import api as mypy_api

from crmd_twisted.wire import stubgen

# Any mypy run here uses its own empty config: the project's adds the mypy-zope plugin
# (a dev tool), and the snippets need no plugin.
_CONFIG = "[mypy]\nwarn_unused_ignores = True\n"


def test_committed_stub_matches_the_layout_table() -> None:
    # a layout change without `python -m crmd_twisted.wire.stubgen` fails here
    assert stubgen.STUB_PATH.read_text(encoding="utf-8") == stubgen.stub_text()


def test_stubgen_check_reports_a_stale_stub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "messages.pyi"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(stubgen, "STUB_PATH", stale)
    assert stubgen.main(["--check"]) == 1
    assert capsys.readouterr().err == (
        f"{stale} is out of date: run python -m crmd_twisted.wire.stubgen\n"
    )
    assert stubgen.main([]) == 0
    assert stubgen.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == stubgen.stub_text()


def test_stub_agrees_with_the_runtime_classes(tmp_path: Path) -> None:
    # mypy's stubtest imports the module and compares every name, field and signature
    (tmp_path / "mypy.ini").write_text(_CONFIG, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "crmd_twisted.wire.messages",
         "--mypy-config-file", "mypy.ini"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


_BAD = """\
from crmd_twisted.wire import Transaction, decode
tx = Transaction(ordr_id=5)
seen = tx.ordr_id
x: str = tx.order_id
tx.price = "high"
later = tx.replace(symbl="BTCUSD")
"""

_GOOD = """\
from crmd_twisted.wire import ClientLogon, MdSubscribe, Message, Transaction, decode
from crmd_twisted.wire.enums import Side, TransactionType

tx = Transaction(message_type=TransactionType.ORDER_NEW, side=Side.BUY, price=1, symbol="BTC")
order_id: int = tx.order_id
price: float = tx.price
symbol: str = tx.symbol
tx.msg_seq_num = 5
frame: bytes = tx.replace(order_id=7, price=2.5).encode_seq(6)
msg: Message = decode(frame)
if isinstance(msg, Transaction):
    qty: float = msg.order_qty
back: Transaction = Transaction.decode(frame)
logon = ClientLogon(last_seq_num=3, user_name="me")
where: tuple[str, int] | None = logon.primary_oes
slots = MdSubscribe().subscriptions[0].symbol
"""


def _mypy_errors(tmp_path: Path) -> dict[str, list[tuple[int, str]]]:
    """mypy's errors per snippet file: [(line, "message  [code]")]."""
    (tmp_path / "bad.py").write_text(_BAD, encoding="utf-8")
    (tmp_path / "good.py").write_text(_GOOD, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text(_CONFIG, encoding="utf-8")
    out, err, _status = mypy_api.run([
        "--config-file", str(tmp_path / "mypy.ini"),
        "--cache-dir", str(tmp_path / "cache"),
        "--no-error-summary", "--hide-error-context", "--show-error-codes",
        str(tmp_path / "bad.py"), str(tmp_path / "good.py"),
    ])
    assert not err, err
    errors: dict[str, list[tuple[int, str]]] = {"bad.py": [], "good.py": []}
    for line in out.splitlines():
        m = re.match(r".*[/\\](\w+\.py):(\d+): (error|note): (.*)", line)
        assert m, line
        if m[3] == "error":
            errors[m[1]].append((int(m[2]), m[4]))
    return errors


def test_mypy_rejects_misspelled_fields_and_wrong_types(tmp_path: Path) -> None:
    errors = _mypy_errors(tmp_path)
    print("\n".join(f"bad.py:{n}: {text}" for n, text in errors["bad.py"]))
    by_line = dict(errors["bad.py"])
    assert sorted(by_line) == [2, 3, 4, 5, 6], errors["bad.py"]
    assert 'Unexpected keyword argument "ordr_id" for "Transaction"' in by_line[2]
    assert '"Transaction" has no attribute "ordr_id"' in by_line[3]
    assert "[attr-defined]" in by_line[3]
    assert 'expression has type "int", variable has type "str"' in by_line[4]
    assert 'expression has type "str", variable has type "float"' in by_line[5]
    assert 'Unexpected keyword argument "symbl" for "replace" of "Transaction"' in by_line[6]
    assert errors["good.py"] == []


def test_stub_declares_fields_keyword_only_init_replace_and_encode_seq() -> None:
    text = stubgen.stub_text()
    block = text[text.index("class OpenOrderRequest(Message):"):]
    block = block[: block.index("\nclass ")]
    fields = ["reserved: str", "message_type: int", "account: int", "symbol_enum: int",
              "symbol: str", "trading_session_id: int", "sending_time: int", "msg_seq_num: int"]
    assert block.splitlines()[1:9] == [f"    {f}" for f in fields]
    init = block[block.index("def __init__("):block.index(") -> None: ...")]
    assert "*," in init and 'symbol: str = "",' in init and "msg_seq_num: int = 0," in init
    replace = block[block.index("def replace("):block.index(") -> OpenOrderRequest: ...")]
    assert "*," in replace and "symbol: str = ...," in replace
    assert block.rstrip().endswith("def encode_seq(self, seq: int) -> bytes: ...")
    # the two messages without a sequence number get no encode_seq of their own
    three = text[text.index("class ThreeLevelData(_Levels):"):]
    assert "encode_seq" not in three[: three.index("\nclass ")]
