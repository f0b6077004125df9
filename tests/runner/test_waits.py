"""One wait per broken behaviour: runner/tasks/waits.py."""

from __future__ import annotations

import time

import pytest

from conformance.runner.tasks import expect, waits
from conformance.runner.tasks.waits import Waits

DEADLINE = 0.3


def _never() -> Waits:
    book = Waits(DEADLINE, 0.05)
    with pytest.raises(expect.TimedOut, match="waited 0.3 s for the thing"):
        book.poll(waits.GONE, lambda: 1, lambda n: False, waiting_for="the thing", last=lambda n: f"n={n}")
    return book


def test_a_second_wait_of_a_kind_that_timed_out_is_refused_at_once_with_the_first_words() -> None:
    book = _never()
    started = time.monotonic()
    with pytest.raises(expect.Blocked) as refused:
        book.poll(waits.GONE, lambda: 1, lambda n: True, waiting_for="another")
    assert time.monotonic() - started < DEADLINE / 3
    assert "not waiting again for a deleted task to answer 404 to get: earlier, waited 0.3 s for the thing" in str(
        refused.value)
    assert refused.value.requirements == ("DELETE-GONE-GET",)


def test_other_kinds_still_wait_and_succeed() -> None:
    book = _never()
    calls = []
    assert book.poll(waits.LOGGED, lambda: calls.append(1) or len(calls), lambda n: n >= 3, waiting_for="x") == 3
    assert book.timed_out(waits.LOGGED) is None


def test_a_kind_that_comes_after_a_timed_out_one_is_refused_by_the_earlier_cause() -> None:
    book = Waits(DEADLINE, 0.05)
    with pytest.raises(expect.TimedOut):
        book.poll(waits.LOGGED, lambda: 0, lambda n: False, waiting_for="input")
    with pytest.raises(expect.Blocked) as refused:
        book.poll(waits.REPLY, lambda: 0, lambda n: True, waiting_for="reply")
    assert refused.value.requirements == ("SEND-INPUT-LOGGED",)


def test_a_probe_that_fails_is_not_remembered_as_a_timeout() -> None:
    book = Waits(DEADLINE, 0.05)

    def probe() -> int:
        raise expect.fail("get answered 500")

    with pytest.raises(expect.CheckFailure, match="500"):
        book.poll(waits.ACTIVE, probe, lambda n: True, waiting_for="active")
    assert book.timed_out(waits.ACTIVE) is None


def test_the_deadline_counts_from_since() -> None:
    book = Waits(DEADLINE, 0.02)
    started = time.monotonic()
    with pytest.raises(expect.TimedOut):
        book.poll(waits.ACTIVE, lambda: 0, lambda n: False, waiting_for="x", since=started - DEADLINE * 0.8)
    assert time.monotonic() - started < DEADLINE * 0.6
