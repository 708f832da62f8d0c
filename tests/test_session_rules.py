"""The shared session rules and logon checks, as plain calls; and that the pure
layers (session, AES core, OES core) import no Twisted."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.session import (
    NS_PER_DAY,
    check_logon,
    counts_toward_limit,
    sending_time_ok,
)
from crmd_twisted.wire import ClientLogon, two_fa_code
from crmd_twisted.wire.enums import LogonType, RejectCode, TransactionType

ROOT = Path(__file__).resolve().parents[1]
NOW = 1_800_000_000 * 10**9


def test_sending_time_window_is_open_one_day_each_side() -> None:
    assert sending_time_ok(NOW, NOW)
    assert sending_time_ok(NOW - NS_PER_DAY + 1, NOW)
    assert sending_time_ok(NOW + NS_PER_DAY - 1, NOW)
    assert not sending_time_ok(NOW - NS_PER_DAY, NOW)
    assert not sending_time_ok(NOW + NS_PER_DAY, NOW)
    assert not sending_time_ok(0, NOW)
    assert sending_time_ok(0, NOW, zero_ok=True)


def test_new_and_cancel_replace_count_toward_the_limit() -> None:
    counted = {t for t in TransactionType if counts_toward_limit(t)}
    assert counted == {TransactionType.ORDER_NEW, TransactionType.CANCEL_REPLACE}


def logon(**kw: object) -> ClientLogon:
    fields: dict[str, object] = dict(
        logon_type=LogonType.LOGIN, account=1001, user_name="alice",
        two_fa=two_fa_code("k"), sending_time=NOW,
    )
    fields.update(kw)
    return ClientLogon(**fields)


DIRECTORY = AccountDirectory(
    [Account(1001, "alice", api_key="k"), Account(2002, "off", disabled=True)], open=False
)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sending_time": NOW - 2 * NS_PER_DAY}, RejectCode.SENDING_TIME_INVALID),
        ({"account": 9}, RejectCode.ACCOUNT_NOT_FOUND),
        ({"user_name": "mallor"}, RejectCode.USER_NOT_FOUND),
        ({"account": 2002, "user_name": "off"}, RejectCode.ACCOUNT_DISABLED),
        ({"two_fa": "000000"}, RejectCode.INVALID_SECURITY_KEY),
        # the time is checked first, before the identity
        ({"sending_time": 0, "account": 9}, RejectCode.SENDING_TIME_INVALID),
    ],
)
def test_check_logon_answers_the_first_failed_check(
    changes: dict[str, object], expected: RejectCode
) -> None:
    assert check_logon(DIRECTORY, logon(**changes), NOW) == expected


def test_check_logon_returns_the_account() -> None:
    assert check_logon(DIRECTORY, logon(), NOW) == Account(1001, "alice", api_key="k")
