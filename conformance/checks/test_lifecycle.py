"""Lifecycle: a new task starts pending/initializing, becomes active in time, and keeps its timestamps sane."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.runner.http.client import ApiClient, TransportError
from conformance.runner.process.interrupts import interrupts
from conformance.runner.records.evidence import EvidenceLog, Exchange, Shared
from conformance.runner.tasks import expect, waits
from conformance.runner.tasks.expect import CheckFailure, parse_time
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext
from conformance.runner.tasks.starts import up_front


@dataclass
class Observed(Shared):
    """A new task as create returned it, then every get of it until it left the starting states."""

    created: dict[str, Any]
    seen: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None  # why watching stopped early (deadline, a failing get)
    evidence: list[Exchange] = field(default_factory=list)


def _watch(run: RunContext, client: ApiClient, task: dict[str, Any], log: EvidenceLog | None,
           stopping: threading.Event | None = None) -> Observed:
    """Get the task a create answered with until it leaves the starting states (or the deadline, or `stopping`); in
    the background from the create on when the task is created up front."""
    factory = TaskFactory(run)
    result = Observed(task)

    def probe() -> dict[str, Any]:
        seen = factory.get(client, task["id"], log=log)
        result.seen.append(seen)
        return seen

    def done(seen: dict[str, Any]) -> bool:
        return bool(stopping is not None and stopping.is_set()) or seen["status"] not in run.terms.profile.starting

    try:
        run.waits.poll(waits.ACTIVE, probe, done,
                       waiting_for=f"task {task['id']} to become {run.terms.profile.active}",
                       last=lambda t: f"status {t['status']!r}",
                       sleep=stopping.wait if stopping is not None else interrupts.sleep)
    except (CheckFailure, TransportError) as exc:
        result.problem = str(exc)
    return result


@pytest.fixture(scope="module")
@up_front("primary", "lifecycle", watch=_watch)
def observed(run: RunContext, api: ApiClient) -> Iterator[Observed]:
    factory = TaskFactory(run)
    log: list[Exchange] = []
    try:
        with run.evidence.shared(log):
            created = factory.create(api, "lifecycle")
            watched = factory.watched(created["id"])
            if watched is None:  # not created up front: watch it now
                watched = _watch(run, api, created, None)
        watched.evidence = log
        yield watched
    finally:
        factory.cleanup()


@pytest.mark.requirement("LIFE-INITIAL-STATUS")
def test_initial_status(run: RunContext, observed: Observed) -> None:
    status = observed.created["status"]
    initial = (*run.terms.profile.starting, run.terms.profile.active)
    if status not in initial:
        raise expect.fail(f"expected a new task to start as one of {', '.join(initial)}, but create "
                          f"returned task {observed.created['id']} with status {status!r}")


@pytest.mark.requirement("LIFE-REACHES-ACTIVE")
def test_reaches_active(run: RunContext, observed: Observed) -> None:
    if observed.problem is not None:
        raise expect.fail(observed.problem)
    final = observed.seen[-1]
    if final["status"] != run.terms.profile.active:
        raise expect.fail(f"expected task {final['id']} to go from starting to {run.terms.profile.active!r}, but "
                          f"GET showed status "
                          f"{final['status']!r}")


@pytest.mark.requirement("LIFE-TIMESTAMPS")
def test_timestamps(observed: Observed) -> None:
    created_at = observed.created["created_at"]
    task_id = observed.created["id"]
    for index, task in enumerate([observed.created, *observed.seen]):
        source = "create" if index == 0 else f"get #{index}"
        if task["created_at"] != created_at:
            raise expect.fail(f"expected created_at of task {task_id} to stay {created_at!r}, but {source} "
                              f"(status {task['status']!r}) returned {task['created_at']!r}")
        created, updated = parse_time(task["created_at"]), parse_time(task["updated_at"])
        if created is None or updated is None:
            raise expect.fail(f"cannot compare the timestamps of task {task_id} from {source}: created_at "
                              f"{task['created_at']!r}, updated_at {task['updated_at']!r} (not RFC 3339)")
        if updated < created:
            raise expect.fail(f"expected updated_at >= created_at for task {task_id}, but {source} returned "
                              f"updated_at {task['updated_at']!r} before created_at {task['created_at']!r}")


@pytest.mark.requirement("LIFE-ACTIVE-WORKSPACE")
def test_active_task_has_workspace(run: RunContext, api: ApiClient, tasks: TaskFactory,
                                   active_task: dict[str, Any]) -> None:
    task = tasks.get(api, active_task["id"])
    if task["status"] != run.terms.profile.active:
        pytest.skip(f"the shared task {task['id']} is no longer active (status {task['status']!r})")
    missing = [f for f in ("workspace_id", "workspace_agent_id") if not task.get(f)]
    if missing:
        raise expect.fail(f"expected active task {task['id']} to have {' and '.join(missing)} filled in, but "
                          f"GET returned " + ", ".join(f"{f}={task.get(f)!r}" for f in missing))


@pytest.mark.requirement("LEGACY-ID-IS-WORKSPACE")
def test_task_is_its_workspace(observed: Observed) -> None:
    task = observed.created
    if task.get("workspace_id") != task["id"]:
        raise expect.fail(f"expected task {task['id']} to be its workspace (workspace_id equal to id), but create "
                          f"returned workspace_id {task.get('workspace_id')!r}")
