"""The task factory's waits: a task that never becomes active blocks the check (naming the cause), and the
factory does not wait the whole timeout again for the next check."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from conformance.reference import ReferenceServer
from conformance.runner.records.evidence import EvidenceLog
from conformance.runner.settings.config import load_config
from conformance.runner.tasks import expect, waits
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext

TARGET_KEYS = ("url", "token", "second_token", "template_version_id")
TIMEOUT = 0.5


@contextmanager
def run_against(server: ReferenceServer, **settings: str) -> Iterator[RunContext]:
    """A RunContext for `server` as the plugin would make it (flag-style settings)."""
    values = server.target_config()
    config = load_config(settings, environ={}).with_target(**{k: values[k] for k in TARGET_KEYS})
    run = RunContext.begin(config, 0, server)
    run.evidence.begin()
    try:
        yield run
    finally:
        run.evidence.end()
        run.close()


@pytest.fixture()
def stuck_run() -> Iterator[tuple[RunContext, ReferenceServer]]:
    with ReferenceServer(lifecycle_delay=0.01, faults=["task-stuck-pending"]) as server, \
            run_against(server, active_timeout=str(TIMEOUT), poll_interval="0.05") as run:
        yield run, server


def _tasks_on(server: ReferenceServer, run: RunContext) -> int:
    client = run.client("primary")
    assert client is not None
    return len(client.list_tasks(log=EvidenceLog()).json()["tasks"])


def test_a_task_that_never_starts_blocks_and_the_next_check_does_not_wait_again(
        stuck_run: tuple[RunContext, ReferenceServer]) -> None:
    run, server = stuck_run
    client = run.client("primary")
    assert client is not None
    factory = TaskFactory(run)
    try:
        started = time.monotonic()
        with pytest.raises(expect.Blocked, match="waited 0.5 s for task .* to become active") as first:
            factory.create_active(client, "first")
        assert time.monotonic() - started >= TIMEOUT
        assert first.value.requirements == ("LIFE-REACHES-ACTIVE",)
        before = _tasks_on(server, run)
        started = time.monotonic()
        with pytest.raises(expect.Blocked, match="not waiting again for a task to become active") as second:
            factory.create_active(client, "second")
        assert time.monotonic() - started < TIMEOUT / 2
        assert second.value.requirements == ("LIFE-REACHES-ACTIVE",)
        assert _tasks_on(server, run) == before  # nothing more was created
    finally:
        factory.cleanup()


def test_a_task_that_starts_in_time_is_returned_active() -> None:
    with ReferenceServer(lifecycle_delay=0.01) as server, run_against(server) as run:
        client = run.client("primary")
        assert client is not None
        factory = TaskFactory(run)
        try:
            assert factory.create_active(client, "ok")["status"] == "active"
            assert run.waits.timed_out(waits.ACTIVE) is None
        finally:
            factory.cleanup()
