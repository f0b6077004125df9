"""A delete refused with 409 while the task's build runs is sent again (checks/_task_helpers.delete_after_build)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from conformance.checks._task_helpers import delete_after_build
from conformance.runner.tasks import expect, waits
from conformance.runner.tasks.waits import Waits

DEADLINE = 0.3


class _Client:
    """Answers deletes with the given statuses, the last one for ever."""

    def __init__(self, *statuses: int) -> None:
        self._statuses: Iterator[int] = iter(statuses)
        self._last = statuses[-1]
        self.deletes = 0

    def delete_task(self, task_id: str) -> httpx.Response:
        self.deletes += 1
        self._last = next(self._statuses, self._last)
        request = httpx.Request("DELETE", f"http://target/api/v2/tasks/me/{task_id}")
        return httpx.Response(self._last, json={"message": "A workspace build is already active."}, request=request)


def _run() -> Any:
    return SimpleNamespace(waits=Waits(DEADLINE, 0.02))


def test_an_accepted_delete_is_sent_once() -> None:
    client = _Client(202)
    assert delete_after_build(_run(), client, "t").status_code == 202
    assert client.deletes == 1


def test_a_delete_refused_while_building_is_sent_again_until_accepted() -> None:
    client = _Client(409, 409, 202)
    assert delete_after_build(_run(), client, "t").status_code == 202
    assert client.deletes == 3


def test_a_build_that_never_ends_gives_the_last_answer_once_and_is_not_awaited_again() -> None:
    run, client = _run(), _Client(409)
    assert delete_after_build(run, client, "t").status_code == 409
    assert client.deletes > 2
    assert "to stop answering 409" in (run.waits.timed_out(waits.BUILT) or "")
    with pytest.raises(expect.Blocked):
        delete_after_build(run, _Client(409), "u")


def test_after_a_task_never_became_active_a_refused_delete_is_blocked_by_that_cause() -> None:
    run = _run()
    with pytest.raises(expect.TimedOut):
        run.waits.poll(waits.ACTIVE, lambda: "pending", lambda s: False, waiting_for="a task")
    client = _Client(409)
    with pytest.raises(expect.Blocked) as blocked:
        delete_after_build(run, client, "t")
    assert blocked.value.requirements == ("LIFE-REACHES-ACTIVE",)
    assert client.deletes == 1
    assert delete_after_build(run, _Client(202), "u").status_code == 202
