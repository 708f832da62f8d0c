"""The client's liveness probe: the pure rule with plain calls, the timer with task.Clock."""

from __future__ import annotations

import pytest
from twisted.internet import task

from crmd_twisted.client import CRMDClient
from crmd_twisted.client.liveness import LivenessProbe, ProbeAction, ProbeRule


def test_rule_probes_after_quiet_then_gives_up() -> None:
    rule = ProbeRule(interval=2.0, timeout=1.0)
    rule.start(10.0)
    assert rule.next_deadline == 12.0
    assert rule.due(11.9) is ProbeAction.WAIT
    assert rule.due(12.0) is ProbeAction.PROBE
    assert rule.next_deadline == 13.0
    assert rule.due(12.5) is ProbeAction.WAIT
    assert rule.due(13.0) is ProbeAction.RECONNECT


def test_rule_anything_heard_answers_the_probe() -> None:
    rule = ProbeRule(interval=2.0, timeout=1.0)
    rule.start(0.0)
    assert rule.due(2.0) is ProbeAction.PROBE
    rule.heard(2.5)
    assert rule.probe_sent is None
    assert rule.due(3.0) is ProbeAction.WAIT
    assert rule.next_deadline == 4.5


def test_timer_probes_and_reconnects_on_the_clock() -> None:
    clock = task.Clock()
    calls: list[str] = []
    live = LivenessProbe(clock, 2.0, 1.0, lambda: calls.append("probe"),
                         lambda: calls.append("reconnect"))
    live.start()
    clock.advance(1.5)
    live.heard()  # traffic pushes the probe back
    clock.advance(1.0)
    assert calls == []
    clock.advance(1.0)  # 2 s after the last frame
    assert calls == ["probe"]
    clock.advance(0.5)
    live.heard()  # the answer
    clock.advance(1.9)
    assert calls == ["probe"]
    clock.advance(0.1)
    assert calls == ["probe", "probe"]
    clock.advance(1.0)  # unanswered
    assert calls == ["probe", "probe", "reconnect"]
    assert not live.running and live.reconnects == 1
    assert clock.getDelayedCalls() == []


def test_stop_leaves_no_timer() -> None:
    clock = task.Clock()
    live = LivenessProbe(clock, 1.0, 1.0, lambda: None, lambda: None)
    live.start()
    live.stop()
    assert clock.getDelayedCalls() == []


@pytest.mark.parametrize("kw", [{"probe_interval": 0}, {"probe_interval": -1.0},
                                {"probe_timeout": 0}])
def test_bad_probe_arguments_are_refused(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kw))):
        CRMDClient(("127.0.0.1", 4444), 1001, "alice", "key", **kw)
