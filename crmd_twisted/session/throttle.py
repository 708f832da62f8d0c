"""Failed logons throttled per source address and per account, free of I/O.

K1, the key the AES hands out, carries a 16-bit MAC tag (:mod:`crmd_twisted.keys`):
a guessed key passes with a chance of 1 in 65,536.  Unthrottled, a client made
28,666 guesses in 9 s and found one.  A :class:`LogonThrottle` records every
failed logon under each of its keys - ``("address", host)`` and
``("account", number)`` - and locks a key out for a while once it failed more
than ``free_failures`` times in a row: the n-th failure past the free ones
locks it for ``base_lockout * 2 ** (n - 1)`` seconds, at most ``max_lockout``.
While any key of a logon is locked out, the server refuses it without checking
it (so a guess made then tells nothing).  A successful logon clears its keys.

With the defaults (5 free failures, 1 s doubling up to 900 s) an account takes
about 15 failures in the first ~17 minutes and then one per 15 minutes; finding
a key needs 65,536 guesses on average: about 65,536 x 900 s = 1.9 years per
account, whatever the number of source addresses used.  The price: a guesser
also locks the real user of that account out of new logons (sessions already
logged on are not affected); see docs/hardening.md.

Memory is bounded: at most ``max_entries`` keys are remembered; keys whose
last failure is older than ``forget_after`` go first, then the oldest.
Nothing here imports Twisted.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["LogonThrottle", "ThrottlePolicy", "account_key", "address_key"]


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How failed logons are throttled."""

    #: Failures in a row a key may have before it is locked out.
    free_failures: int = 5
    #: Seconds of the first lock-out; each further failure doubles it.
    base_lockout: float = 1.0
    #: Longest lock-out in seconds.
    max_lockout: float = 900.0
    #: Seconds after its last failure a key is forgotten (its count starts again).
    forget_after: float = 3600.0
    #: Most keys remembered at once.
    max_entries: int = 100_000

    def __post_init__(self) -> None:
        if self.free_failures < 0:
            raise ValueError(f"free_failures must be >= 0, got {self.free_failures}")
        if self.base_lockout < 0 or self.max_lockout < self.base_lockout:
            raise ValueError("need 0 <= base_lockout <= max_lockout")
        if self.max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {self.max_entries}")

    def lockout(self, failures: int) -> float:
        """Seconds a key with *failures* failures in a row stays locked out."""
        over = failures - self.free_failures
        if over <= 0:
            return 0.0
        if over > 64:  # 2 ** 64 s is past any cap
            return self.max_lockout
        return min(self.base_lockout * 2.0 ** (over - 1), self.max_lockout)

    def seconds_to_forge(self, guesses: int = 65_536) -> float:
        """Least seconds *guesses* failed logons on one account take under this policy."""
        total = 0.0
        for failures in range(1, guesses + 1):
            wait = self.lockout(failures)
            if wait >= self.max_lockout:
                return total + (guesses - failures + 1) * self.max_lockout
            total += wait
        return total


def address_key(host: str) -> tuple[str, str]:
    """The throttle key of a source address."""
    return ("address", host)


def account_key(account: int) -> tuple[str, int]:
    """The throttle key of an account number."""
    return ("account", account)


@dataclass(slots=True)
class _Record:
    failures: int
    locked_until: float
    last_failure: float


class LogonThrottle:
    """Counts failed logons per key and says which keys are locked out."""

    __slots__ = ("_records", "policy")

    def __init__(self, policy: ThrottlePolicy | None = None) -> None:
        self.policy = policy if policy is not None else ThrottlePolicy()
        self._records: dict[Hashable, _Record] = {}

    def __len__(self) -> int:
        return len(self._records)

    def locked_until(self, now: float, *keys: Hashable) -> float | None:
        """The time the last lock-out among *keys* ends, or None if none is locked at *now*."""
        until: float | None = None
        for key in keys:
            record = self._records.get(key)
            if record is not None and record.locked_until > now:
                if until is None or record.locked_until > until:
                    until = record.locked_until
        return until

    def failures(self, key: Hashable) -> int:
        """Failures in a row recorded for *key*."""
        record = self._records.get(key)
        return 0 if record is None else record.failures

    def failed(self, now: float, *keys: Hashable) -> float | None:
        """Record a failed logon under every one of *keys*; returns when the longest
        lock-out this starts ends (None: no key is locked out)."""
        policy = self.policy
        until: float | None = None
        for key in keys:
            record = self._records.get(key)
            if record is None or now - record.last_failure > policy.forget_after:
                record = self._records[key] = _Record(0, 0.0, now)
            record.failures += 1
            record.last_failure = now
            wait = policy.lockout(record.failures)
            if wait > 0:
                record.locked_until = now + wait
                if until is None or record.locked_until > until:
                    until = record.locked_until
        if len(self._records) > policy.max_entries:
            self._prune(now)
        return until

    def succeeded(self, *keys: Hashable) -> None:
        """A logon under *keys* succeeded: their counts start again."""
        for key in keys:
            self._records.pop(key, None)

    def _prune(self, now: float) -> None:
        policy = self.policy
        records = self._records
        for key in [k for k, r in records.items() if now - r.last_failure > policy.forget_after]:
            del records[key]
        excess = len(records) - policy.max_entries
        if excess > 0:
            oldest = sorted(records, key=lambda k: records[k].last_failure)[:excess]
            for key in oldest:
                del records[key]
