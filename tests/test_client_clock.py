"""CRMDClient retry behaviour on a ``task.Clock``: no real time, no sockets.

The session gets ``clock=task.Clock()`` and an ``endpoint_factory`` of in-memory
fake servers (:class:`client_helpers.FakeNetwork`): addresses without a server
refuse the connection, the others answer frames as each test scripts it.  Every
connection attempt is recorded with the clock time it happened at.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import task
from twisted.internet.error import ConnectionRefusedError

from crmd_twisted.client import CRMDClient, LogonRejected, LogonTimeout, NotConnected
from crmd_twisted.wire import ClientLogon, Message
from crmd_twisted.wire.enums import LoginStatus, LogonType, RejectCode

from tests.client_helpers import FakeNetwork, FakeServer, TrialTestCase, vector_frame

AES = ("10.0.0.1", 5000)
OES1 = ("10.0.0.2", 6001)
OES2 = ("10.0.0.3", 6002)


def aes_success(pipe: Any, message: Message) -> bytes | None:
    """An AES that grants every LOGIN (both OES addresses, key 77, session 9)."""
    if not isinstance(message, ClientLogon) or message.logon_type != LogonType.LOGIN:
        return None
    return ClientLogon(
        logon_type=LogonType.LOGIN,
        account=message.account,
        user_name=message.user_name,
        trading_session_id=9,
        primary_oes_address=f"{OES1[0]}:{OES1[1]}",
        secondary_oes_address=f"{OES2[0]}:{OES2[1]}",
        session_key=77,
        login_status=LoginStatus.SUCCESS,
        reject_reason=RejectCode.ACCEPTED,
    ).encode()


def oes_refusing(code: RejectCode) -> Any:
    def reply(pipe: Any, message: Message) -> bytes | None:
        if isinstance(message, ClientLogon) and message.logon_type == LogonType.LOGIN:
            return message.replace(login_status=LoginStatus.FAILURE, reject_reason=code).encode()
        return None

    return reply


class ClockTestCase(TrialTestCase):
    def setUp(self) -> None:
        self.clock = task.Clock()
        self.net = FakeNetwork(self.clock)
        self.policy_calls: list[int] = []

    def client(self, delays: list[float], **kw: Any) -> CRMDClient:
        def policy(attempt: int) -> float:
            self.policy_calls.append(attempt)
            return delays[min(attempt, len(delays)) - 1]

        kw.setdefault("logon_timeout", 10.0)
        kw.setdefault("reconcile", False)
        client = CRMDClient(
            AES, 1001, "trader", "key",
            clock=self.clock, endpoint_factory=self.net.endpoint, retry_policy=policy, **kw,
        )
        self.addCleanup(self._stop, client)
        return client

    def _stop(self, client: CRMDClient) -> None:
        client.stopService()
        self.clock.advance(0)  # let the in-memory connections close

    def times(self, address: tuple[str, int] | None = None) -> list[float]:
        return [t for t, h, p in self.net.attempts if address is None or (h, p) == address]

    def advance_to(self, when: float) -> None:
        """Move the clock to *when*, stopping at every delayed call on the way.

        (``Clock.advance(n)`` runs what is due at the end time, so calls scheduled
        meanwhile would count from the end time rather than from when they were made.)
        """
        while True:
            due = [c.getTime() for c in self.clock.getDelayedCalls() if c.getTime() <= when]
            if not due:
                break
            self.clock.advance(max(min(due) - self.clock.seconds(), 0.0))
        self.clock.advance(when - self.clock.seconds())


class BackoffTests(ClockTestCase):
    def test_retry_policy_delays_are_honoured(self) -> None:
        """Nothing answers: attempts happen exactly at the policy's cumulative delays."""
        delays = [0.5, 1.0, 2.0, 4.0, 8.0]
        client = self.client(delays)
        client.startService()
        expected = [0.0]
        for delay in [*delays, 8.0, 8.0]:
            expected.append(expected[-1] + delay)
        for i, when in enumerate(expected[1:], start=1):
            self.advance_to(when - 0.001)
            self.assertEqual(len(self.times()), i, f"attempt {i + 1} came early")
            self.advance_to(when)
            self.assertEqual(len(self.times()), i + 1, f"attempt {i + 1} missing at t={when}")
        self.assertEqual(self.times(), expected)
        self.assertEqual(self.policy_calls, list(range(1, len(expected) + 1)))
        self.assertEqual({(h, p) for _, h, p in self.net.attempts}, {AES})
        self.assertIsNotNone(client.last_error)
        assert client.last_error is not None
        self.assertTrue(client.last_error.check(ConnectionRefusedError))
        self.assertFalse(client.ready)
        self.assertEqual(client.state, "retrying")

    def test_neither_oes_reachable_goes_back_through_the_aes(self) -> None:
        """AES grants, both OES refuse: AES, OES1, OES2, wait, AES, OES1, OES2, ..."""
        self.net.servers[AES] = FakeServer(aes_success)
        client = self.client([1.0, 2.0, 4.0])
        client.startService()
        self.clock.advance(0)
        self.advance_to(1.0)
        self.advance_to(3.0)
        seq = [((h, p), t) for t, h, p in self.net.attempts]
        self.assertEqual(
            seq,
            [(AES, 0.0), (OES1, 0.0), (OES2, 0.0),
             (AES, 1.0), (OES1, 1.0), (OES2, 1.0),
             (AES, 3.0), (OES1, 3.0), (OES2, 3.0)],
        )
        self.assertEqual(client.aes_logons, 3)
        # each grant was given back: a LOGIN and a LOGOUT per AES connection
        kinds = [m.logon_type for m in self.net.servers[AES].frames]  # type: ignore[attr-defined]
        self.assertEqual(kinds, [LogonType.LOGIN, LogonType.LOGOUT] * 3)


class LogonTimeoutTests(ClockTestCase):
    def test_silent_aes_times_out_then_retries_per_policy(self) -> None:
        self.net.servers[AES] = FakeServer(None)  # accepts, never answers
        client = self.client([3.0])
        ready = client.when_ready()
        client.startService()
        self.assertEqual(self.times(), [0.0])
        self.clock.advance(9.999)
        self.assertEqual(client.failed_attempts, 0)
        self.clock.advance(0.001)  # t = 10: no logon reply -> LogonTimeout
        self.assertEqual(client.failed_attempts, 1)
        assert client.last_error is not None
        self.assertTrue(client.last_error.check(LogonTimeout))
        self.clock.advance(0)
        self.assertTrue(all(p.closed for p in self.net.servers[AES].connections))
        self.advance_to(12.999)
        self.assertEqual(self.times(), [0.0])
        self.advance_to(13.0)  # 10 s timeout + 3 s policy delay
        self.assertEqual(self.times(), [0.0, 13.0])
        self.advance_to(26.0)
        self.assertEqual(self.times(), [0.0, 13.0, 26.0])
        self.assertFalse(ready.called)
        self.assertIsNone(client.fatal)
        self._stop(client)  # stopping fails whoever still waits
        self.failureResultOf(ready, NotConnected)

    def test_silent_oes_times_out_and_keeps_the_grant(self) -> None:
        """The OES logon times out: retry the OES directly, not through the AES."""
        self.net.servers[AES] = FakeServer(aes_success)
        oes = self.net.servers[OES1] = FakeServer(None)
        client = self.client([2.0], logon_timeout=5.0)
        client.startService()
        self.clock.advance(0)
        self.assertEqual(self.times(OES1), [0.0])
        self.advance_to(5.0)
        assert client.last_error is not None
        self.assertTrue(client.last_error.check(LogonTimeout))
        self.advance_to(7.0)
        self.advance_to(14.0)
        self.assertEqual(self.times(OES1), [0.0, 7.0, 14.0])
        self.assertEqual(self.times(AES), [0.0])
        self.assertEqual(client.aes_logons, 1)
        logons = [m for m in oes.frames if isinstance(m, ClientLogon)]
        self.assertEqual({(m.session_key, m.trading_session_id) for m in logons}, {(77, 9)})


class RejectedLogonTests(ClockTestCase):
    def test_aes_refusal_is_fatal(self) -> None:
        """Status 2 from the AES: when_ready fails with the code's name, no retry ever."""
        refusal = vector_frame("client_logon", "AES logon reply, failure USER_NOT_FOUND")
        self.net.servers[AES] = FakeServer(lambda pipe, m: refusal)
        client = self.client([0.1])
        ready = client.when_ready()
        client.startService()
        self.clock.advance(0)
        failure = self.failureResultOf(ready, LogonRejected)
        self.assertEqual(failure.value.name, "USER_NOT_FOUND")
        self.assertEqual(failure.value.code, RejectCode.USER_NOT_FOUND)
        for _ in range(100):
            self.clock.advance(60.0)
        self.assertEqual(self.times(), [0.0])
        self.assertEqual(client.state, "failed")
        late = self.failureResultOf(client.when_ready(), LogonRejected)
        self.assertEqual(late.value.name, "USER_NOT_FOUND")

    def test_oes_refusal_after_a_fresh_grant_is_fatal(self) -> None:
        self.net.servers[AES] = FakeServer(aes_success)
        self.net.servers[OES1] = FakeServer(oes_refusing(RejectCode.ACCOUNT_DISABLED))
        client = self.client([0.1])
        ready = client.when_ready()
        client.startService()
        self.clock.advance(0)
        failure = self.failureResultOf(ready, LogonRejected)
        self.assertEqual(failure.value.name, RejectCode.ACCOUNT_DISABLED.name)
        for _ in range(50):
            self.clock.advance(10.0)
        self.assertEqual(self.times(), [0.0, 0.0])

    def test_stale_key_after_reconnect_goes_through_the_aes_once(self) -> None:
        """INVALID_KEY at the OES on a reused grant: one more AES logon, then fatal."""
        self.net.servers[AES] = FakeServer(aes_success)
        accepted: list[int] = []

        def oes(pipe: Any, message: Message) -> bytes | None:
            if not isinstance(message, ClientLogon) or message.logon_type != LogonType.LOGIN:
                return None
            if not accepted:
                accepted.append(1)
                return message.replace(
                    login_status=LoginStatus.SUCCESS, reject_reason=0, session_key=88
                ).encode()
            return message.replace(
                login_status=LoginStatus.FAILURE, reject_reason=RejectCode.INVALID_KEY
            ).encode()

        server = self.net.servers[OES1] = FakeServer(oes)
        client = self.client([1.0])
        client.startService()
        self.clock.advance(0)
        self.assertTrue(client.ready)
        server.connections[0].loseConnection()  # the OES drops us
        self.clock.advance(0)
        self.assertEqual(client.disconnects, 1)
        self.advance_to(1.0)  # reused grant -> INVALID_KEY -> forget it
        self.advance_to(2.0)  # fresh AES grant -> INVALID_KEY again -> fatal
        for _ in range(20):
            self.clock.advance(10.0)
        self.assertEqual(self.times(AES), [0.0, 2.0])
        self.assertEqual(self.times(OES1), [0.0, 1.0, 2.0])
        failure = self.failureResultOf(client.when_ready(), LogonRejected)
        self.assertEqual(failure.value.name, "INVALID_KEY")
