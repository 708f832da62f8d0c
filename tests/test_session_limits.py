"""The pure hardening modules: log rate limiter, logon throttle, connection caps,
output guard, limit settings and the backlog rule of endpoint strings."""

from __future__ import annotations

import pytest

from crmd_twisted.session.limits import (
    DEFAULT_LIMITS,
    Admission,
    ConnectionAdmission,
    OutputGuard,
    ServerLimits,
    Stall,
)
from crmd_twisted.session.ratelimit import IncidentKind, LogRateLimiter
from crmd_twisted.session.throttle import (
    LogonThrottle,
    ThrottlePolicy,
    account_key,
    address_key,
)
from crmd_twisted.tap.common import with_backlog

KIND = IncidentKind.UNKNOWN_MESSAGE_TYPE


# -- log rate limiter ------------------------------------------------------------------------


def test_one_line_per_kind_per_interval_with_the_count_held_back() -> None:
    limiter = LogRateLimiter(interval=10.0)
    lines = [limiter.allow(KIND, t / 1000) for t in range(20_001)]  # 20 s of 1000/s
    emitted = [n for n in lines if n is not None]
    assert emitted == [0, 9_999, 9_999]  # at 0 s, 10 s and 20 s
    assert limiter.allow(KIND, 20.5) is None
    assert limiter.held_back(KIND) == 1


def test_kinds_are_limited_apart() -> None:
    limiter = LogRateLimiter(interval=5.0)
    assert limiter.allow(KIND, 0.0) == 0
    assert limiter.allow(IncidentKind.BEFORE_LOGON, 0.1) == 0
    assert limiter.allow(KIND, 0.2) is None
    assert limiter.drain() == {KIND: 1}
    assert limiter.drain() == {}


def test_interval_zero_logs_every_incident() -> None:
    limiter = LogRateLimiter(interval=0.0)
    assert [limiter.allow(KIND, 1.0) for _ in range(3)] == [0, 0, 0]
    with pytest.raises(ValueError):
        LogRateLimiter(interval=-1)


# -- logon throttle --------------------------------------------------------------------------


def test_lockout_doubles_after_the_free_failures_up_to_the_cap() -> None:
    policy = ThrottlePolicy(free_failures=2, base_lockout=1.0, max_lockout=10.0)
    assert [policy.lockout(n) for n in range(1, 8)] == [0, 0, 1, 2, 4, 8, 10]


def test_locked_key_is_refused_until_the_lockout_ends() -> None:
    throttle = LogonThrottle(ThrottlePolicy(free_failures=1, base_lockout=4.0, max_lockout=60))
    keys = (address_key("10.0.0.1"), account_key(1001))
    assert throttle.failed(0.0, *keys) is None
    assert throttle.locked_until(0.0, *keys) is None
    assert throttle.failed(1.0, *keys) == 5.0
    assert throttle.locked_until(4.9, account_key(1001)) == 5.0
    # another address guessing the same account is locked out too
    assert throttle.locked_until(4.9, address_key("10.9.9.9"), account_key(1001)) == 5.0
    assert throttle.locked_until(5.0, *keys) is None
    throttle.succeeded(*keys)
    assert throttle.failures(account_key(1001)) == 0


def test_old_failures_are_forgotten_and_memory_is_bounded() -> None:
    policy = ThrottlePolicy(free_failures=1, forget_after=100.0, max_entries=50)
    throttle = LogonThrottle(policy)
    throttle.failed(0.0, account_key(1))
    throttle.failed(200.0, account_key(1))  # the first is forgotten: no lock-out
    assert throttle.locked_until(200.0, account_key(1)) is None
    for n in range(1000):
        throttle.failed(300.0 + n, address_key(f"10.0.{n // 256}.{n % 256}"))
    assert len(throttle) <= 50


def test_forging_k1_at_the_allowed_rate_takes_years() -> None:
    seconds = ThrottlePolicy().seconds_to_forge(65_536)
    assert seconds > 365 * 86_400  # about 1.9 years per account with the defaults
    assert ThrottlePolicy(free_failures=0, base_lockout=0.0, max_lockout=0.0).seconds_to_forge(
        10) == 0.0


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(free_failures=-1)
    with pytest.raises(ValueError):
        ThrottlePolicy(base_lockout=10.0, max_lockout=1.0)


# -- connection caps -------------------------------------------------------------------------


def test_caps_per_address_and_in_total() -> None:
    admission = ConnectionAdmission(max_connections=3, max_per_address=2)
    assert admission.admit("a") is None
    assert admission.admit("a") is None
    assert admission.admit("a") is Admission.TOO_MANY_FROM_ADDRESS
    assert admission.admit("b") is None
    assert admission.admit("c") is Admission.TOO_MANY_CONNECTIONS
    assert (admission.total, admission.from_address("a")) == (3, 2)
    admission.release("a")
    assert admission.admit("c") is None
    admission.release("nobody")  # never admitted: nothing changes
    assert admission.total == 3


def test_zero_means_no_cap() -> None:
    admission = ConnectionAdmission(0, 0)
    assert all(admission.admit("a") is None for _ in range(10_000))


# -- output guard ----------------------------------------------------------------------------


def test_output_guard_stalls_after_the_grace_or_too_much_unsent() -> None:
    guard = OutputGuard(grace=2.0, max_unsent=1000)
    assert guard.wrote(10_000) is None  # not paused: no bound
    guard.pause(5.0)
    assert guard.deadline == 7.0
    assert guard.check(6.9) is None
    assert guard.check(7.0) is Stall.GRACE_EXPIRED
    assert guard.wrote(600) is None
    assert guard.wrote(600) is Stall.TOO_MUCH_UNSENT
    guard.resume()
    assert (guard.paused, guard.deadline, guard.unsent_since_pause) == (False, None, 0)


# -- settings ---------------------------------------------------------------------------------


def test_default_limits_are_the_documented_ones() -> None:
    assert DEFAULT_LIMITS.backlog >= 1024
    assert DEFAULT_LIMITS.idle_timeout is None
    with pytest.raises(ValueError):
        ServerLimits(max_connections=-1)
    with pytest.raises(ValueError):
        ServerLimits(idle_timeout=0)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("tcp:4444:interface=127.0.0.1", "tcp:4444:interface=127.0.0.1:backlog=1024"),
        ("tcp:4444:backlog=10", "tcp:4444:backlog=10"),
        ("ssl:4444:privateKey=k.pem", "ssl:4444:privateKey=k.pem:backlog=1024"),
        ("systemd:domain=INET:index=0", "systemd:domain=INET:index=0"),
        ("tcp", "tcp"),
    ],
)
def test_backlog_is_added_where_the_endpoint_sets_none(given: str, expected: str) -> None:
    assert with_backlog(given, 1024) == expected
