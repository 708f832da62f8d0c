"""The crmd-wire command line."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest

from crmd_twisted.wire.cli import main
from wire_helpers import load_vector_files

FILES = {d["message"]: d for d in load_vector_files()}
LOGON = FILES["client_logon"]["vectors"][0]["hex"]
TXN = FILES["transaction"]["vectors"][1]["hex"]
TOB = FILES["top_of_book"]["vectors"][0]["hex"]
STREAM = LOGON + TXN + TOB


def _spaced(hex_text: str) -> str:
    return " ".join(hex_text[i : i + 2] for i in range(0, len(hex_text), 2))


def test_decode_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", _spaced(STREAM)]) == 0
    out = capsys.readouterr().out
    assert "offset 0: 'H' client_logon length 143" in out
    assert "offset 143: 'T' transaction length 250" in out
    assert "offset 393: 't' top_of_book length 100" in out
    assert "'517846'" in out


def test_decode_json_and_encode_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--json", STREAM]) == 0
    out = capsys.readouterr().out
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["offset"] for o in objs] == [0, 143, 393]
    assert objs[1]["message"] == "transaction"
    assert objs[1]["fields"] == FILES["transaction"]["vectors"][1]["fields"]
    assert main(["encode", out]) == 0
    assert capsys.readouterr().out.split() == [LOGON, TXN, TOB]


def test_encode_bare_fields(capsys: pytest.CaptureFixture[str]) -> None:
    fields = dict(FILES["transaction"]["vectors"][1]["fields"])
    assert main(["encode", json.dumps(fields)]) == 0
    assert capsys.readouterr().out.strip() == TXN
    partial = {"message": "transaction", "account": 5, "symbol": "BTCUSD"}
    assert main(["encode", json.dumps(partial)]) == 0
    assert len(capsys.readouterr().out.strip()) == 500


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", StringIO(_spaced(LOGON) + "\n" + TXN + "\n"))
    assert main(["decode", "-", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "stream.bin"
    path.write_bytes(bytes.fromhex(STREAM))
    assert main(["decode", "--file", str(path)]) == 0
    assert "top_of_book" in capsys.readouterr().out


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert captured.err.startswith("crmd-wire: error: ")
    return captured.err


def test_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "hex" in _fails(capsys, ["decode", "XYZ"])
    err = _fails(capsys, ["decode", LOGON + "5A002800" + "00" * 36])
    assert "offset 143: unknown message type 'Z' (length 40)" in err
    err = _fails(capsys, ["decode", STREAM[:-20]])
    assert "offset 393" in err and "10 missing" in err
    assert "length" in _fails(capsys, ["decode", "54000200"])
    assert "cannot read" in _fails(capsys, ["decode", "--file", str(tmp_path / "missing")])
    assert "JSON" in _fails(capsys, ["encode", "{not json"])
    assert "transaction" in _fails(capsys, ["encode", '{"message": "transaction", "x": 1}'])
    assert "account" in _fails(capsys, ["encode", '{"message": "T", "account": -1}'])
    assert "unknown" in _fails(capsys, ["encode", '{"message": "nothing"}'])


def test_module_runs_as_script() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "crmd_twisted.wire.cli", "decode", TXN],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "transaction" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "crmd_twisted.wire.cli", "decode", TXN[:100]],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("crmd-wire: error:") and "Traceback" not in proc.stderr
