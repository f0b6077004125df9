"""Delete: DELETE /tasks/{user}/{task} answers 202, after which the task is gone everywhere."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from conformance.checks._task_helpers import delete_after_build, random_uuid, unique_text, wait_gone
from conformance.runner.http.client import ApiClient
from conformance.runner.records.evidence import Exchange, Shared
from conformance.runner.tasks import expect, waits
from conformance.runner.tasks.expect import CheckFailure
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext
from conformance.runner.tasks.starts import up_front


@dataclass
class Deleted(Shared):
    task: dict[str, Any]
    response: httpx.Response
    evidence: list[Exchange] = field(default_factory=list)


@pytest.fixture(scope="module")
@up_front("primary", "delete")
def deleted(run: RunContext, api: ApiClient) -> Iterator[Deleted]:
    """A task of the primary member, brought up (as far as it goes) and then deleted once."""
    factory = TaskFactory(run)
    log: list[Exchange] = []
    try:
        with run.evidence.shared(log):
            task = factory.create(api, "delete")
            with contextlib.suppress(CheckFailure):  # the lifecycle checks report that; delete works in any state
                task = factory.wait_active(api, task)
            response = delete_after_build(run, api, task["id"])
        yield Deleted(task, response, log)
    finally:
        factory.cleanup()


def _require_accepted(deleted: Deleted) -> None:
    """Skip when the delete was not accepted: whether the task goes is then not a question (DELETE-STATUS-202)."""
    if not 200 <= deleted.response.status_code < 300:
        pytest.skip(f"{expect.describe(deleted.response)} answered {deleted.response.status_code}; "
                    "see DELETE-STATUS-202")


def _require_gone(run: RunContext, api: ApiClient, deleted: Deleted) -> None:
    """Wait until get no longer finds the task; skip when it never goes (DELETE-GONE-GET reports that)."""
    _require_accepted(deleted)
    response = wait_gone(run, api, deleted.task["id"])
    if response is None or response.status_code != 404:
        pytest.skip(f"task {deleted.task['id']} never answered 404 to get after its delete; see DELETE-GONE-GET")


@pytest.mark.requirement("DELETE-STATUS-202")
def test_delete_answers_202(deleted: Deleted) -> None:
    expect.status(deleted.response, 202)


@pytest.mark.requirement("DELETE-EMPTY-BODY")
def test_delete_empty_body(deleted: Deleted) -> None:
    _require_accepted(deleted)
    expect.empty_body(deleted.response)


@pytest.mark.requirement("DELETE-GONE-GET")
def test_delete_gone_from_get(run: RunContext, api: ApiClient, deleted: Deleted) -> None:
    _require_accepted(deleted)
    task_id = deleted.task["id"]
    response = wait_gone(run, api, task_id)
    if response is None:
        raise expect.fail(f"expected GET {api.api_prefix}/tasks/me/{task_id} to answer 404 after the task was "
                          f"deleted, but it still answered 200 after {run.config.run.active_timeout:g} s")
    expect.status(response, 404)


@pytest.mark.requirement("DELETE-GONE-LIST")
def test_delete_gone_from_list(run: RunContext, api: ApiClient, deleted: Deleted) -> None:
    _require_accepted(deleted)
    task_id = deleted.task["id"]

    def listed_ids() -> list[str]:
        response = api.list_tasks()
        body = expect.ok(response, 200, "TaskListResponse", run.contract)
        return [t["id"] for t in body["tasks"]]

    run.waits.poll(waits.GONE_FROM_LIST, listed_ids, lambda ids: task_id not in ids,
                   waiting_for=f"deleted task {task_id} to disappear from GET /tasks",
                   last=lambda ids: f"the list still contains it ({len(ids)} tasks)")


@pytest.mark.requirement("DELETE-GONE-LOGS-SEND")
@pytest.mark.parametrize("operation", ["logs", "send"])
def test_delete_gone_from_logs_and_send(operation: str, run: RunContext, api: ApiClient, deleted: Deleted) -> None:
    _require_gone(run, api, deleted)
    task_id = deleted.task["id"]
    response = api.task_logs(task_id) if operation == "logs" else api.send_input(task_id, unique_text(run, "x"))
    expect.status(response, 404)


@pytest.mark.requirement("DELETE-TWICE-404")
def test_delete_twice_404(run: RunContext, api: ApiClient, deleted: Deleted) -> None:
    _require_gone(run, api, deleted)
    expect.status(api.delete_task(deleted.task["id"]), 404)


@pytest.mark.requirement("DELETE-NOT-FOUND-404")
def test_delete_unknown_task_404(run: RunContext, api: ApiClient) -> None:
    expect.status(api.delete_task(random_uuid(run)), 404)
