"""The logon checks the AES and the OES share, free of I/O.

:func:`check_logon` takes plain values (the directory, the decoded logon, the
receiver's clock) and returns either the account that may log on or the reject
code of the first check that failed, in the documented order: sending time,
account and user, account state, 2FA code.
"""

from __future__ import annotations

from crmd_twisted.accounts import Account, AccountDirectory
from crmd_twisted.session.rules import sending_time_ok
from crmd_twisted.wire import ClientLogon, two_fa_code
from crmd_twisted.wire.enums import RejectCode

__all__ = ["check_logon"]


def check_logon(
    directory: AccountDirectory, logon: ClientLogon, now: int
) -> RejectCode | Account:
    """Check a logon's time, identity, account state and 2FA code.

    Returns the account on success, or the reject code of the first failed check.
    """
    if not sending_time_ok(logon.sending_time, now):
        return RejectCode.SENDING_TIME_INVALID
    account = directory.lookup(logon.account, logon.user_name)
    if account is None:
        if directory.knows_account(logon.account):
            return RejectCode.USER_NOT_FOUND
        return RejectCode.ACCOUNT_NOT_FOUND
    if account.disabled:
        return RejectCode.ACCOUNT_DISABLED
    if account.api_key is not None and logon.two_fa != two_fa_code(account.api_key):
        return RejectCode.INVALID_SECURITY_KEY
    return account
