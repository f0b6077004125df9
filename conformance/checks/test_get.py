"""Get: GET /tasks/{user}/{task} answers 200 with the task, 404 for a task that does not exist."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks._task_helpers import random_uuid
from conformance.runner.http.client import ApiClient
from conformance.runner.tasks import expect
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext

MATCHED_FIELDS = ("id", "name", "display_name", "owner_id", "owner_name", "template_version_id", "initial_prompt")


@pytest.mark.requirement("GET-STATUS-200")
def test_get_answers_200(api: ApiClient, active_task: dict[str, Any]) -> None:
    expect.status(api.get_task(active_task["id"]), 200)


@pytest.mark.requirement("GET-SCHEMA")
def test_get_body_is_task(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    response = api.get_task(active_task["id"])
    if response.status_code != 200:
        pytest.skip(f"{expect.describe(response)} answered {response.status_code}; see GET-STATUS-200")
    expect.schema(response, "Task", run.contract)


@pytest.mark.requirement("GET-CONTENT-TYPE")
def test_get_content_type(api: ApiClient, active_task: dict[str, Any]) -> None:
    expect.json_body(api.get_task(active_task["id"]))


@pytest.mark.requirement("GET-MATCHES-CREATE")
def test_get_matches_create(run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    created = tasks.create(api, "get-matches", prompt=f" {run.prefix} lire la tâche ✓ 読む\n ")
    response = api.get_task(created["id"])
    got = expect.ok(response, 200, "Task", run.contract)
    wrong = [f"{field} {got.get(field)!r} (create said {created.get(field)!r})"
             for field in MATCHED_FIELDS if got.get(field) != created.get(field)]
    if wrong:
        raise expect.fail(f"{expect.describe(response)} returned a task that differs from what create returned: "
                          + "; ".join(wrong))


@pytest.mark.readonly
@pytest.mark.requirement("GET-NOT-FOUND-404")
def test_get_unknown_task_404(run: RunContext, api: ApiClient) -> None:
    expect.error(api.get_task(random_uuid(run)), 404, contract=run.contract)


@pytest.mark.requirement("GET-BY-NAME")
@pytest.mark.parametrize("case", ["same-case", "other-case"])
def test_get_by_name(case: str, api: ApiClient, active_task: dict[str, Any]) -> None:
    name = active_task["name"] if case == "same-case" else active_task["name"].swapcase()
    response = api.get_task(name)
    if response.status_code != 200:
        raise expect.fail(f"expected 200 and task {active_task['id']} for {expect.describe(response)} (the task's "
                          f"name{' in another case' if case == 'other-case' else ''}), got {response.status_code}")
    expect.equal(expect.json_body(response).get("id"), active_task["id"],
                 f"the id of the task {expect.describe(response)} returned")


@pytest.mark.requirement("STABLE-ALIASES")
def test_experimental_prefix_aliases(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    base = run.base_client("primary")
    assert base is not None
    alias = "/api/experimental"
    got = base.request("GET", f"{alias}/tasks/me/{active_task['id']}")
    task = expect.ok(got, 200, "Task", run.contract)
    expect.equal(task.get("id"), active_task["id"], f"the task {alias} answers for GET .../tasks/me/{{id}}")
    listed = expect.ok(base.request("GET", f"{alias}/tasks"), 200, "TaskListResponse", run.contract)
    if not any(t.get("id") == active_task["id"] for t in listed["tasks"] if isinstance(t, dict)):
        raise expect.fail(f"expected task {active_task['id']} in GET {alias}/tasks, as in GET "
                          f"{api.api_prefix}/tasks")
