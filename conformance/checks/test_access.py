"""Access control: members never see or touch each other's tasks; owners/admins see everyone's."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance.checks._task_helpers import logs_when_ready
from conformance.runner.fixtures import Identity
from conformance.runner.http.client import ApiClient
from conformance.runner.tasks import expect
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext


def _json(response: httpx.Response, key: str) -> Any:
    """body[key] of a 200 response, read leniently: content type and schema have their own requirements."""
    expect.status(response, 200)
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict) or key not in body:
        raise expect.fail(f"expected a JSON object with {key!r} from {expect.describe(response)}, got: "
                          f"{response.text.strip()[:160]!r}")
    return body[key]


def _listed(response: httpx.Response) -> list[dict[str, Any]]:
    tasks = _json(response, "tasks")
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []


def _ids(response: httpx.Response) -> list[str]:
    return [str(t.get("id")) for t in _listed(response)]


@pytest.mark.requirement("ACL-GET-OTHER-404")
def test_get_other_members_task(second_api: ApiClient, active_task: dict[str, Any], me: Identity) -> None:
    response = second_api.get_task(active_task["id"])
    if response.status_code != 404:
        raise expect.fail(f"expected 404 when a second member gets the primary member's task, got "
                          f"{response.status_code} for {expect.describe(response)}")
    # Addressed under the owner's username: the lookup may fail on {user} (400) but never reveal the task.
    response = second_api.get_task(active_task["id"], user=me.username)
    if response.status_code not in (400, 404):
        raise expect.fail(f"expected 404 (or 400) when a second member gets the primary member's task under the "
                          f"owner's username, got {response.status_code} for {expect.describe(response)}")


@pytest.mark.requirement("ACL-LOGS-OTHER-404")
def test_logs_of_other_members_task(second_api: ApiClient, active_task: dict[str, Any]) -> None:
    response = second_api.task_logs(active_task["id"])
    if response.status_code != 404:
        raise expect.fail(f"expected 404 when a second member reads the logs of the primary member's task, got "
                          f"{response.status_code} for {expect.describe(response)}")


@pytest.mark.requirement("ACL-SEND-OTHER-404")
def test_send_to_other_members_task(run: RunContext, api: ApiClient, second_api: ApiClient,
                                    active_task: dict[str, Any]) -> None:
    text = f"{run.prefix} sent by the second member {run.rng.randrange(10**9)}"
    response = second_api.send_input(active_task["id"], text)
    if response.status_code != 404:
        raise expect.fail(f"expected 404 when a second member sends input to the primary member's task, got "
                          f"{response.status_code} for {expect.describe(response)}")
    logs = logs_when_ready(run, api, active_task["id"])  # past a documented 502 (agent busy)
    entries = _json(logs, "logs")
    if any(isinstance(e, dict) and text in str(e.get("content", "")) for e in entries or []):
        raise expect.fail(f"the second member's refused input shows up in the logs of task {active_task['id']} "
                          f"({expect.describe(logs)})")


@pytest.mark.requirement("ACL-DELETE-OTHER-404")
def test_delete_other_members_task(api: ApiClient, second_api: ApiClient, tasks: TaskFactory) -> None:
    # A task of its own: a faulty server would delete it, so the shared task is not used here.
    task = tasks.create(api, "acl-delete")
    response = second_api.delete_task(task["id"])
    if response.status_code != 404:
        raise expect.fail(f"expected 404 when a second member deletes the primary member's task, got "
                          f"{response.status_code} for {expect.describe(response)}")
    after = api.get_task(task["id"])
    if after.status_code != 200:
        raise expect.fail(f"the primary member's task {task['id']} did not survive the second member's refused "
                          f"delete: {expect.describe(after)} answered {after.status_code}")
    if task["id"] not in _ids(api.list_tasks()):
        raise expect.fail(f"the primary member's task {task['id']} is missing from their list after the second "
                          "member's refused delete")


@pytest.mark.requirement("ACL-LIST-OTHER-HIDDEN")
@pytest.mark.parametrize("query", ["none", "owner-username", "owner-uuid"])
def test_list_hides_other_members_tasks(query: str, second_api: ApiClient, active_task: dict[str, Any],
                                        me: Identity) -> None:
    q = {"none": None, "owner-username": f"owner:{me.username}", "owner-uuid": f"owner:{me.id}"}[query]
    response = second_api.list_tasks(q=q)
    if q is not None and response.status_code == 400:
        return  # refusing to filter by another member is fine too
    if active_task["id"] in _ids(response):
        raise expect.fail(f"the second member's list ({expect.describe(response)}"
                          f"{'' if q is None else f' with q={q!r}'}) shows the primary member's task "
                          f"{active_task['id']}")


@pytest.mark.requirement("ACL-ADMIN-SEES-ALL")
def test_admin_sees_every_members_tasks(admin_api: ApiClient, active_task: dict[str, Any],
                                        second_active_task: dict[str, Any]) -> None:
    response = admin_api.list_tasks()
    listed = _ids(response)
    for task in (active_task, second_active_task):
        if task["id"] not in listed:
            raise expect.fail(f"the admin's list ({expect.describe(response)}) lacks task {task['id']} of "
                              f"{task['owner_name']}")
    for task in (active_task, second_active_task):
        got = admin_api.get_task(task["id"], user=task["owner_name"])
        expect.equal(_json(got, "id"), task["id"], f"the id of the task the admin got ({expect.describe(got)})")


@pytest.mark.requirement("ACL-CREATE-FOR-OTHER")
def test_member_cannot_create_for_another_user(api: ApiClient, second_api: ApiClient, tasks: TaskFactory,
                                               second_me: Identity) -> None:
    body = tasks.body("acl-for-other")
    response = api.create_task(body, user=second_me.username)
    tasks.adopt_response(second_api, response)
    if response.status_code not in (403, 404):
        raise expect.fail(f"expected 403 or 404 when a member creates a task for another user, got "
                          f"{response.status_code} for {expect.describe(response)}")
    found = [t for t in _listed(second_api.list_tasks())
             if str(t.get("name", "")).lower() == body["name"].lower()]
    for task in found:
        tasks.adopt(second_api, task)
    if found:
        raise expect.fail(f"the refused create ({expect.describe(response)} -> {response.status_code}) still "
                          f"created task {found[0]['id']} for the second member")
