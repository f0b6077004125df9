"""Polling: short first pauses, growing to poll_interval; the deadline still ends the wait."""

from __future__ import annotations

import itertools

import pytest

from conformance.runner.tasks import expect


def test_pauses_start_short_and_double_up_to_the_interval() -> None:
    assert list(itertools.islice(expect.poll_pauses(0.2), 7)) == pytest.approx(
        [0.02, 0.04, 0.08, 0.16, 0.2, 0.2, 0.2])


def test_an_interval_below_the_first_pause_is_kept() -> None:
    assert list(itertools.islice(expect.poll_pauses(0.005), 3)) == [0.005, 0.005, 0.005]


def test_poll_returns_the_first_result_that_is_done() -> None:
    results = iter([1, 2, 3, 4])
    assert expect.poll(lambda: next(results), lambda n: n >= 3, timeout=5, interval=0.01, waiting_for="3") == 3


def test_poll_fails_at_the_deadline_naming_what_it_waited_for() -> None:
    with pytest.raises(expect.CheckFailure, match=r"waited 0.05 s for the task to go; last seen: 'still here'"):
        expect.poll(lambda: "still here", lambda _: False, timeout=0.05, interval=0.01, waiting_for="the task to go")
