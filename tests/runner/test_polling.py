"""Polling: short first pauses, growing to poll_interval; the deadline still ends the wait."""

from __future__ import annotations

import itertools

import pytest

from conformance.runner.process.polling import poll_pauses, poll_until
from conformance.runner.tasks import expect


def test_pauses_start_short_and_double_up_to_the_interval() -> None:
    assert list(itertools.islice(poll_pauses(0.2), 7)) == pytest.approx(
        [0.02, 0.04, 0.08, 0.16, 0.2, 0.2, 0.2])


def test_an_interval_below_the_first_pause_is_kept() -> None:
    assert list(itertools.islice(poll_pauses(0.005), 3)) == [0.005, 0.005, 0.005]


def test_poll_returns_the_first_result_that_is_done() -> None:
    results = iter([1, 2, 3, 4])
    assert expect.poll(lambda: next(results), lambda n: n >= 3, timeout=5, interval=0.01, waiting_for="3") == 3


def test_poll_fails_at_the_deadline_naming_what_it_waited_for() -> None:
    with pytest.raises(expect.CheckFailure, match=r"waited 0.05 s for the task to go; last seen: 'still here'"):
        expect.poll(lambda: "still here", lambda _: False, timeout=0.05, interval=0.01, waiting_for="the task to go")


def test_poll_until_says_whether_the_answer_would_do_and_keeps_the_last_one() -> None:
    answers = iter(range(100))
    polled = poll_until(lambda: next(answers), lambda n: n >= 2, timeout=5, interval=0.001, sleep=lambda _: None)
    assert (polled.result, polled.met) == (2, True)
    late = poll_until(lambda: "still here", lambda _: False, timeout=0.03, interval=0.01)
    assert (late.result, late.met) == ("still here", False) and late.waited >= 0.03
