"""Noticing a silent OES: the client's optional liveness probe.

The wire has no heartbeat (PROTOCOL.md 7.11): a peer that stops answering but
keeps TCP open looks exactly like a quiet market.  With ``probe_interval`` set,
a :class:`~crmd_twisted.client.CRMDClient` asks the OES for its collateral (one
``collateral_request``, always answered with one ``collateral_data``) whenever
the ready connection has received nothing for ``probe_interval`` seconds, and
drops the connection - the session then reconnects as after any loss - when
nothing at all arrives within ``probe_timeout`` of the probe.

:class:`ProbeRule` is the rule, free of I/O (plain calls with the time);
:class:`LivenessProbe` is its one timer on a connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from crmd_twisted.client.queries import QueryKind

if TYPE_CHECKING:
    from crmd_twisted.client.connection import SessionProtocol
    from crmd_twisted.client.session import CRMDClient

__all__ = ["DEFAULT_PROBE_TIMEOUT", "LivenessProbe", "ProbeAction", "ProbeRule", "probe_session"]

log = Logger()

#: Seconds a probe may go unanswered before the connection is dropped.
DEFAULT_PROBE_TIMEOUT = 5.0


class ProbeAction(Enum):
    """What the rule says at a deadline."""

    WAIT = "wait"  #: nothing to do yet (something was heard)
    PROBE = "probe"  #: quiet for probe_interval: send the probe
    RECONNECT = "reconnect"  #: the probe went unanswered for probe_timeout


@dataclass(slots=True)
class ProbeRule:
    """When to probe and when to give up on a connection (seconds, any clock)."""

    interval: float
    timeout: float
    #: when the connection last received anything
    last_heard: float = 0.0
    #: when the unanswered probe went out (None: none is out)
    probe_sent: float | None = None

    def start(self, now: float) -> None:
        """A fresh ready connection: quiet from *now*."""
        self.last_heard = now
        self.probe_sent = None

    def heard(self, now: float) -> None:
        """The connection received a frame (any frame shows the peer is alive)."""
        self.last_heard = now
        self.probe_sent = None

    @property
    def next_deadline(self) -> float:
        if self.probe_sent is not None:
            return self.probe_sent + self.timeout
        return self.last_heard + self.interval

    def due(self, now: float) -> ProbeAction:
        """What to do at *now*; PROBE marks the probe as sent."""
        if self.probe_sent is not None:
            return ProbeAction.RECONNECT if now >= self.probe_sent + self.timeout else (
                ProbeAction.WAIT)
        if now >= self.last_heard + self.interval:
            self.probe_sent = now
            return ProbeAction.PROBE
        return ProbeAction.WAIT


class LivenessProbe:
    """The rule's timer on one ready connection.

    *probe* sends the probe request; *reconnect* drops the connection.  Frames
    only update the rule (:meth:`heard`): the timer is not reset per frame, it
    fires at the rule's deadline and re-arms from there.
    """

    def __init__(
        self,
        clock: IReactorTime,
        interval: float,
        timeout: float,
        probe: Callable[[], None],
        reconnect: Callable[[], None],
    ) -> None:
        self.clock = clock
        self.rule = ProbeRule(interval, timeout)
        self._probe = probe
        self._reconnect = reconnect
        self._timer: IDelayedCall | None = None
        #: probes sent / connections given up on (for tests and logs)
        self.probes = 0
        self.reconnects = 0

    @property
    def running(self) -> bool:
        return self._timer is not None

    def start(self) -> None:
        self.stop()
        self.rule.start(self.clock.seconds())
        self._arm()

    def stop(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def heard(self) -> None:
        if self._timer is not None:
            self.rule.heard(self.clock.seconds())

    def _arm(self) -> None:
        delay = max(self.rule.next_deadline - self.clock.seconds(), 0.0)
        self._timer = self.clock.callLater(delay, self._fired)

    def _fired(self) -> None:
        self._timer = None
        action = self.rule.due(self.clock.seconds())
        if action is ProbeAction.RECONNECT:
            self.reconnects += 1
            self._reconnect()
            return
        self._arm()
        if action is ProbeAction.PROBE:
            self.probes += 1
            self._probe()


def probe_session(client: CRMDClient, proto: SessionProtocol) -> LivenessProbe | None:
    """The probe of *client*'s ready connection *proto* (None without probe_interval)."""
    interval = client.probe_interval
    if interval is None:
        return None
    desk = client._queries

    def probe() -> None:
        if client.connection is not proto:
            return
        query = desk.add(QueryKind.COLLATERAL, internal=True)
        query.waiter.addErrback(lambda _failure: None)  # dies with the connection
        desk.send(query, proto)

    def reconnect() -> None:
        log.warn("session {account}/{user}: the OES did not answer within {t}s of a "
                 "liveness probe; reconnecting", account=client.account, user=client.user,
                 t=client.probe_timeout)
        proto.abortConnection()

    live = LivenessProbe(client.clock, interval, client.probe_timeout, probe, reconnect)
    live.start()
    return live
