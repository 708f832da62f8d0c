"""Unit tests of the OES RequestPacer: match delay and outstanding-slot counting."""

from __future__ import annotations

from crmd_twisted.oes import Released, RequestPacer


def test_without_delay_requests_are_processed_at_once_and_counted_meanwhile() -> None:
    pacer: RequestPacer[str] = RequestPacer()
    assert pacer.immediate()
    assert pacer.begin(counted=True) == 1
    assert pacer.begin(counted=True) == 2  # a nested one sees both
    assert pacer.begin(counted=False) == 0
    pacer.end(counted=True)
    pacer.end(counted=True)
    assert pacer.in_flight == 0 and pacer.next_deadline is None


def test_with_delay_each_request_is_released_at_arrival_plus_delay() -> None:
    pacer: RequestPacer[str] = RequestPacer(delay=0.5)
    assert not pacer.immediate()
    pacer.hold("new-1", True, now=10.0)
    pacer.hold("query", False, now=10.1)
    pacer.hold("new-2", True, now=10.2)
    assert pacer.in_flight == 2 and pacer.waiting == 3
    assert pacer.next_deadline == 10.5
    assert pacer.release(10.4) == []
    assert pacer.release(10.6) == [Released("new-1", 1), Released("query", 0)]
    pacer.end(True)
    assert pacer.in_flight == 1 and pacer.next_deadline == 10.7
    assert pacer.release(10.7) == [Released("new-2", 2)]
    pacer.end(True)
    assert pacer.in_flight == 0 and pacer.next_deadline is None


def test_a_queue_keeps_later_requests_behind_it_even_without_delay() -> None:
    pacer: RequestPacer[str] = RequestPacer(delay=1.0)
    pacer.hold("first", True, now=0.0)
    pacer.delay = 0.0  # the switch changed while a request waits
    assert not pacer.immediate()
    pacer.hold("second", True, now=0.5)
    assert [r.item for r in pacer.release(1.0)] == ["first", "second"]


def test_clear_forgets_waiting_requests_and_their_slots() -> None:
    pacer: RequestPacer[str] = RequestPacer(delay=1.0)
    pacer.hold("a", True, now=0.0)
    pacer.clear()
    assert pacer.in_flight == 0 and pacer.release(10.0) == []
