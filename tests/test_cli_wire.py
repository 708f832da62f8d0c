"""The crmd-wire command line."""

from __future__ import annotations

import json
import subprocess
import sys
from io import BytesIO, StringIO
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


def _fails(capsys: pytest.CaptureFixture[str], argv: list[str], printed: int = 0) -> str:
    """The one error line of a failing run that printed *printed* good frames first."""
    assert main(argv) == 1
    captured = capsys.readouterr()
    frames = [ln for ln in captured.out.splitlines() if ln.startswith(("offset ", '{"offset"'))]
    assert len(frames) == printed, captured.out
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
    assert captured.err.startswith("crmd-wire: error: ")
    return captured.err


def test_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "hex" in _fails(capsys, ["decode", "XYZ"])
    err = _fails(capsys, ["decode", LOGON + "5A002800" + "00" * 36], printed=1)
    assert "offset 143: unknown message type 'Z' (length 40)" in err
    err = _fails(capsys, ["decode", STREAM[:-20]], printed=2)
    assert "offset 393: truncated 't' top_of_book frame: 90 of 100 bytes present, 10 missing" in err
    err = _fails(capsys, ["decode", "54000200"])
    assert "offset 0: 'T' transaction header declares length 2, a transaction frame is 250" in err
    assert "cannot read" in _fails(capsys, ["decode", "--file", str(tmp_path / "missing")])
    assert "JSON" in _fails(capsys, ["encode", "{not json"])
    assert "transaction" in _fails(capsys, ["encode", '{"message": "transaction", "x": 1}'])
    assert "account" in _fails(capsys, ["encode", '{"message": "T", "account": -1}'])
    assert "unknown" in _fails(capsys, ["encode", '{"message": "nothing"}'])


def test_trailing_garbage_after_good_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(bytes.fromhex(LOGON + TXN) + b"\x01\x02\x03\x04\x05\x06\x07")
    err = _fails(capsys, ["decode", "--file", str(path)], printed=2)
    assert err.strip() == "crmd-wire: error: offset 393: unknown message type 0x01 (length 1027)"
    # stray bytes shorter than a header, and stray bytes that look like a frame start
    err = _fails(capsys, ["decode", LOGON + TXN + "01"], printed=2)
    assert "offset 393: unknown message type 0x01 (1 byte left)" in err
    err = _fails(capsys, ["decode", LOGON + TXN + "5400FA00AAAA"], printed=2)
    assert "offset 393: truncated 'T' transaction frame: 6 of 250 bytes present" in err


def test_garbage_in_the_middle(capsys: pytest.CaptureFixture[str]) -> None:
    # the stray bytes declare a length that would swallow the next frame: still garbage
    err = _fails(capsys, ["decode", LOGON + "0000FF00FF" + TXN], printed=1)
    assert "offset 143: unknown message type 0x00 (length 255)" in err
    assert "truncated" not in err
    err = _fails(capsys, ["decode", "--json", LOGON + "41" + TXN], printed=1)
    assert "offset 143: unknown message type 'A'" in err


def test_frames_print_as_they_are_decoded() -> None:
    from crmd_twisted.wire.cli import StreamError, frames_of

    frames = frames_of(iter([bytes.fromhex(LOGON), bytes.fromhex(TXN)[:100],
                             bytes.fromhex(TXN)[100:] + b"\xff\xff\xff\xff"]))
    assert next(frames)[0] == 0
    assert next(frames)[1].NAME == "transaction"  # a frame split over two chunks
    with pytest.raises(StreamError) as caught:
        next(frames)
    assert (caught.value.offset, caught.value.reason) == (
        393, "unknown message type 0xFF (length 65535)")


def test_binary_on_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Stdin:
        buffer = BytesIO(bytes.fromhex(STREAM))

    monkeypatch.setattr(sys, "stdin", Stdin())
    assert main(["decode", "--file", "-", "--json"]) == 0
    assert [json.loads(line)["offset"] for line in capsys.readouterr().out.splitlines()] == [
        0, 143, 393]


def test_binary_piped_into_the_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "crmd_twisted.wire.cli", "decode", "--file", "-"],
        input=bytes.fromhex(STREAM) + b"\x00\x01", capture_output=True, check=False, timeout=60,
    )
    assert proc.returncode == 1
    assert [ln.split(":")[0] for ln in proc.stdout.decode().splitlines()
            if ln.startswith("offset ")] == ["offset 0", "offset 143", "offset 393"]
    assert proc.stderr.decode() == (
        "crmd-wire: error: offset 493: unknown message type 0x00 (2 bytes left)\n"
    )


def test_enum_names_in_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", TXN]) == 0
    out = capsys.readouterr().out
    for line in ("message_type        ORDER_NEW (1)", "side                BUY (1)",
                 "order_type          LMT (1)", "time_in_force       GTC (2)",
                 "symbol_enum         BTCUSD (1)", "reject_reason       NO_REJECT (0)"):
        assert line in out, line
    assert main(["decode", "--json", TXN]) == 0  # JSON keeps the numbers
    fields = json.loads(capsys.readouterr().out)["fields"]
    assert (fields["message_type"], fields["side"]) == (1, 1)


def test_unknown_enum_values_stay_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    fields = dict(FILES["transaction"]["vectors"][1]["fields"], side=9)
    assert main(["encode", json.dumps(fields)]) == 0
    assert main(["decode", capsys.readouterr().out.strip()]) == 0
    assert "side                9\n" in capsys.readouterr().out


def test_encode_takes_enum_names(capsys: pytest.CaptureFixture[str]) -> None:
    fields = dict(FILES["transaction"]["vectors"][1]["fields"])
    named = dict(fields, message_type="ORDER_NEW (1)", side="buy", order_type="LMT",
                 time_in_force="GTC", symbol_enum="BTCUSD", symbol_type="SPOT")
    assert main(["encode", json.dumps(named)]) == 0
    assert capsys.readouterr().out.strip() == TXN
    err = _fails(capsys, ["encode", json.dumps(dict(fields, side="BUYY"))])
    assert "item 0: 'side': unknown Side 'BUYY' (known: BUY, SELL, SELLSHORT)" in err


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
