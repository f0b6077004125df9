"""Pause, resume and input updates (the stable generation): POST .../pause stops a task's workspace (the task becomes
paused, its logs the stored snapshot, send refused with 409, its input editable), POST .../resume starts it again.

One task is paused for the checks of a paused task and resumed at the end (the resume checks come last in this
module, as pytest runs them); the checks that need an active task use the shared one, which is never paused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from conformance.checks._task_helpers import expect_snapshot, logs_when_ready, unique_text
from conformance.runner.http.client import ApiClient
from conformance.runner.records.evidence import Exchange, Shared
from conformance.runner.tasks import expect, waits
from conformance.runner.tasks.expect import CheckFailure
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext
from conformance.runner.tasks.starts import up_front


def wait_status(run: RunContext, tasks: TaskFactory, client: ApiClient, task_id: str, wanted: str,
                what: str, kind: waits.Kind) -> dict[str, Any]:
    """Poll get until the task has status `wanted` (TimedOut at the deadline)."""
    return run.waits.poll(kind, lambda: tasks.get(client, task_id), lambda t: t["status"] == wanted,
                          waiting_for=f"task {task_id} to become {wanted} after {what}",
                          last=lambda t: f"status {t['status']!r}")


def _follow(run: RunContext, tasks: TaskFactory, client: ApiClient, task_id: str, response: httpx.Response,
            wanted: str, what: str, kind: waits.Kind) -> tuple[dict[str, Any] | None, str | None]:
    """After a pause or resume: the task once it shows `wanted` (a 202 accepted it), or why it did not get there."""
    if response.status_code != 202:
        return None, f"{what} answered {response.status_code}"
    try:
        return wait_status(run, tasks, client, task_id, wanted, what, kind), None
    except CheckFailure as exc:
        return None, str(exc)


@dataclass
class Paused(Shared):
    """A task of the primary member: created, active, then paused once."""

    task: dict[str, Any]
    response: httpx.Response  # the pause
    reached: dict[str, Any] | None = None  # the task once get showed it paused
    problem: str | None = None  # why it did not get there
    evidence: list[Exchange] = field(default_factory=list)

    def require_paused(self) -> dict[str, Any]:
        if self.reached is None:
            pytest.skip(f"task {self.task['id']} did not become paused ({self.problem}); see PAUSE-REACHES-PAUSED")
        return self.reached


@pytest.fixture(scope="module")
@up_front("primary", "pause")
def paused(run: RunContext, api: ApiClient) -> Iterator[Paused]:
    factory = TaskFactory(run)
    log: list[Exchange] = []
    try:
        with run.evidence.shared(log):
            task = factory.create_active(api, "pause")
            result = Paused(task, api.pause_task(task["id"]), evidence=log)
            result.reached, result.problem = _follow(run, factory, api, task["id"], result.response,
                                                     run.terms.profile.stopped, "pause", waits.PAUSED)
        yield result
    finally:
        factory.cleanup()


@pytest.mark.requirement("PAUSE-202")
def test_pause_answers_202(paused: Paused) -> None:
    expect.status(paused.response, 202)


@pytest.mark.requirement("PAUSE-SCHEMA")
def test_pause_body(run: RunContext, paused: Paused) -> None:
    if paused.response.status_code != 202:
        pytest.skip(f"pause answered {paused.response.status_code}; see PAUSE-202")
    expect.schema(paused.response, "PauseTaskResponse", run.contract)


@pytest.mark.requirement("PAUSE-REACHES-PAUSED")
def test_pause_reaches_paused(run: RunContext, paused: Paused) -> None:
    if paused.reached is None:
        raise expect.fail(f"expected task {paused.task['id']} to become {run.terms.profile.stopped} after its "
                          f"pause: {paused.problem}")


@pytest.mark.requirement("LOGS-SNAPSHOT-PAUSED")
def test_logs_of_paused_task_are_the_snapshot(run: RunContext, paused: Paused, api: ApiClient) -> None:
    task = paused.require_paused()
    expect_snapshot(api.task_logs(task["id"]), f"paused task {task['id']}", run.contract)


@pytest.mark.requirement("SEND-PAUSED-409")
def test_send_to_paused_task_409(run: RunContext, paused: Paused, api: ApiClient) -> None:
    task = paused.require_paused()
    expect.status(api.send_input(task["id"], unique_text(run, "send-paused")), 409)


@pytest.mark.requirement("INPUT-UPDATE-BLANK-400")
def test_blank_input_update_400(run: RunContext, paused: Paused, api: ApiClient) -> None:
    task = paused.require_paused()
    expect.error(api.update_input(task["id"], "  \n"), 400, contract=run.contract)


@dataclass
class Updated(Shared):
    text: str
    response: httpx.Response
    evidence: list[Exchange] = field(default_factory=list)


@pytest.fixture(scope="module")
def updated(run: RunContext, paused: Paused, api: ApiClient) -> Updated:
    task = paused.require_paused()
    text = f"{run.prefix} updated prompt ✓"
    log: list[Exchange] = []
    with run.evidence.shared(log):
        response = api.update_input(task["id"], text)
    return Updated(text, response, log)


@pytest.mark.requirement("INPUT-UPDATE-204")
def test_input_update_204(updated: Updated) -> None:
    expect.status(updated.response, 204)
    expect.empty_body(updated.response)


@pytest.mark.requirement("INPUT-UPDATE-CHANGES-PROMPT")
def test_input_update_changes_prompt(paused: Paused, updated: Updated, api: ApiClient, tasks: TaskFactory) -> None:
    if updated.response.status_code != 204:
        pytest.skip(f"the input update answered {updated.response.status_code}; see INPUT-UPDATE-204")
    task = tasks.get(api, paused.task["id"])
    expect.equal(task.get("initial_prompt"), updated.text, f"the initial_prompt of task {task['id']} after its "
                                                           "input update")


@pytest.mark.requirement("ACL-RESUME-OTHER-404")
def test_resume_of_other_members_task(paused: Paused, api: ApiClient, second_api: ApiClient,
                                      tasks: TaskFactory, run: RunContext) -> None:
    task = paused.require_paused()
    expect.status(second_api.resume_task(task["id"]), 404)
    after = tasks.get(api, task["id"])
    if after["status"] != run.terms.profile.stopped:
        raise expect.fail(f"another member's resume of task {task['id']} answered 404, but the task is now "
                          f"{after['status']!r}")


# --- resume: last, it ends the paused state ---------------------------------------------------------------------

@dataclass
class Resumed(Shared):
    response: httpx.Response
    reached: dict[str, Any] | None = None
    problem: str | None = None
    evidence: list[Exchange] = field(default_factory=list)


@pytest.fixture(scope="module")
def resumed(run: RunContext, paused: Paused, api: ApiClient) -> Resumed:
    task = paused.require_paused()
    factory = TaskFactory(run)
    log: list[Exchange] = []
    with run.evidence.shared(log):
        result = Resumed(api.resume_task(task["id"]), evidence=log)
        result.reached, result.problem = _follow(run, factory, api, task["id"], result.response,
                                                 run.terms.profile.active, "resume", waits.RESUMED)
    return result


@pytest.mark.requirement("RESUME-202")
def test_resume_answers_202(run: RunContext, resumed: Resumed) -> None:
    expect.ok(resumed.response, 202, "ResumeTaskResponse", run.contract)


@pytest.mark.requirement("RESUME-REACHES-ACTIVE")
def test_resume_reaches_active(paused: Paused, resumed: Resumed) -> None:
    if resumed.reached is None:
        raise expect.fail(f"expected task {paused.task['id']} to become active again after its resume: "
                          f"{resumed.problem}")


# --- on the shared active task (never paused) ------------------------------------------------------------------

@pytest.mark.requirement("INPUT-UPDATE-NOT-PAUSED-409")
def test_input_update_of_active_task_409(run: RunContext, api: ApiClient, active_task: dict[str, Any],
                                         tasks: TaskFactory) -> None:
    before = tasks.get(api, active_task["id"])
    expect.status(api.update_input(active_task["id"], unique_text(run, "active-input")), 409)
    after = tasks.get(api, active_task["id"])
    if after.get("initial_prompt") != before.get("initial_prompt"):
        raise expect.fail(f"the refused input update of active task {active_task['id']} changed its initial_prompt "
                          f"to {after.get('initial_prompt')!r}")


@pytest.mark.requirement("RESUME-NOT-PAUSED-REFUSED")
def test_resume_of_active_task_refused(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    response = api.resume_task(active_task["id"])
    if not 400 <= response.status_code < 500:
        raise expect.fail(f"expected a 4xx for the resume of task {active_task['id']}, which is active (not paused), "
                          f"got {response.status_code} for {expect.describe(response)}")
    expect.error(response, response.status_code, contract=run.contract)


@pytest.mark.requirement("LOGS-LIVE-NOT-SNAPSHOT")
def test_logs_of_active_task_are_live(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    response = logs_when_ready(run, api, active_task["id"])
    expect.status(response, 200)
    body = expect.json_body(response)
    if isinstance(body, dict) and body.get("snapshot") is True:
        raise expect.fail(f"expected the live log of active task {active_task['id']}, got a stored snapshot "
                          f"(\"snapshot\": true) from {expect.describe(response)}")


@pytest.mark.requirement("ACL-PAUSE-OTHER-404")
@up_front("primary", "other-pause")
def test_pause_of_other_members_task(run: RunContext, api: ApiClient, second_api: ApiClient,
                                     tasks: TaskFactory) -> None:
    task = tasks.create_active(api, "other-pause")
    expect.status(second_api.pause_task(task["id"]), 404)
    after = tasks.get(api, task["id"])
    if after["status"] != run.terms.profile.active:
        raise expect.fail(f"another member's pause of task {task['id']} answered 404, but the task is now "
                          f"{after['status']!r}")


@pytest.mark.requirement("ACL-INPUT-OTHER-404")
def test_input_update_of_other_members_task(run: RunContext, api: ApiClient, second_api: ApiClient,
                                            active_task: dict[str, Any], tasks: TaskFactory) -> None:
    before = tasks.get(api, active_task["id"])
    expect.status(second_api.update_input(active_task["id"], unique_text(run, "other-input")), 404)
    after = tasks.get(api, active_task["id"])
    if after.get("initial_prompt") != before.get("initial_prompt"):
        raise expect.fail(f"another member's input update of task {active_task['id']} answered 404 but changed "
                          f"its initial_prompt to {after.get('initial_prompt')!r}")
