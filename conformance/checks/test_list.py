"""List: GET /tasks answers 200 with a TaskListResponse whose count matches, never null, newest first."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from conformance.contracts.contract import Contract
from conformance.runner.fixtures import Identity
from conformance.runner.http.client import ApiClient
from conformance.runner.tasks import expect
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext

_FRACTION = re.compile(r"\.(\d+)")


def _where(q: str | None) -> str:
    return "" if q is None else f" with q={q!r}"


def _tasks(response: httpx.Response, contract: Contract) -> list[dict[str, Any]]:
    """The tasks of a 200 list response that matches TaskListResponse."""
    body = expect.ok(response, 200, "TaskListResponse", contract)
    return list(body["tasks"])


def _instant(text: str) -> datetime:
    """An RFC 3339 date-time (any number of fraction digits, 'Z' or an offset) as an aware datetime."""
    value = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text.strip(), count=1)
    return datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))


@pytest.mark.readonly
@pytest.mark.requirement("LIST-STATUS-200")
@pytest.mark.parametrize("role", ["primary", "second", "admin"])
def test_list_answers_200(run: RunContext, role: str) -> None:
    client = run.client(role)
    if client is None:
        pytest.skip(f"no {role} token configured")
    expect.status(client.list_tasks(), 200)


@pytest.mark.readonly
@pytest.mark.requirement("LIST-CONTENT-TYPE")
@pytest.mark.parametrize("q", [None, "owner:me"])
def test_list_content_type(api: ApiClient, q: str | None) -> None:
    response = api.list_tasks(q=q)
    expect.status(response, 200)
    expect.json_body(response)


@pytest.mark.readonly
@pytest.mark.requirement("LIST-SCHEMA")
def test_list_schema(run: RunContext, api: ApiClient) -> None:
    expect.ok(api.list_tasks(), 200, "TaskListResponse", run.contract)


@pytest.mark.requirement("LIST-SCHEMA")
def test_list_schema_with_a_task(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    # The readonly variant may see an empty list; here at least the shared task is in it, so Task is validated.
    tasks = _tasks(api.list_tasks(), run.contract)
    if not any(t.get("id") == active_task["id"] for t in tasks):
        raise expect.fail(f"expected the primary member's task {active_task['id']} in GET /tasks, so its list "
                          f"entry could be validated; the list has {len(tasks)} other task(s)")


@pytest.mark.readonly
@pytest.mark.requirement("LIST-COUNT")
@pytest.mark.parametrize("q", [None, "owner:me"])
def test_list_count_matches(run: RunContext, api: ApiClient, q: str | None) -> None:
    response = api.list_tasks(q=q)
    body = expect.ok(response, 200, "TaskListResponse", run.contract)
    if body["count"] != len(body["tasks"]):
        raise expect.fail(f"expected count to equal the number of tasks ({len(body['tasks'])}), got "
                          f"{body['count']} for {expect.describe(response)}{_where(q)}")


@pytest.mark.requirement("LIST-COUNT")
def test_list_count_matches_with_a_task(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    response = api.list_tasks()
    body = expect.ok(response, 200, "TaskListResponse", run.contract)
    if body["count"] != len(body["tasks"]) or not body["tasks"]:
        raise expect.fail(f"expected count to equal the number of tasks ({len(body['tasks'])}, at least the "
                          f"shared task), got {body['count']} for {expect.describe(response)}")


def _expect_empty(response: httpx.Response, q: str, who: str, contract: Contract) -> None:
    expect.status(response, 200)
    body = expect.json_body(response)
    if not isinstance(body, dict) or body.get("tasks") != [] or body.get("count") != 0:
        shown = repr(body)[:160]
        if isinstance(body, dict) and isinstance(body.get("tasks"), list) and body["tasks"]:
            owners = sorted({str(t.get("owner_name")) for t in body["tasks"] if isinstance(t, dict)})
            shown = f"{len(body['tasks'])} task(s) owned by {', '.join(owners)} (count {body.get('count')!r})"
        raise expect.fail(f'expected {{"tasks": [], "count": 0}} for {expect.describe(response)} with q={q!r} '
                          f"({who}), got {shown}")
    expect.schema(response, "TaskListResponse", contract)


@pytest.mark.requirement("LIST-EMPTY-ARRAY")
def test_list_empty_is_an_empty_array(run: RunContext, api: ApiClient, second_me: Identity) -> None:
    # A member sees only their own tasks, so filtering on another (existing) member's uuid matches nothing.
    q = f"owner:{second_me.id}"
    _expect_empty(api.list_tasks(q=q), q, "the second member's uuid, as the primary member, who sees only "
                  "their own tasks", run.contract)


@pytest.mark.readonly
@pytest.mark.requirement("LIST-EMPTY-ARRAY")
def test_list_empty_is_an_empty_array_readonly(run: RunContext, api: ApiClient) -> None:
    q = f"owner:{uuid.uuid4()}"
    response = api.list_tasks(q=q)
    if response.status_code == 400 and expect.error_message(response) is not None:
        pytest.skip("the server refuses an owner uuid that names no user; the empty list cannot be produced "
                    "without creating tasks")
    _expect_empty(response, q, "a uuid that names no user", run.contract)


@pytest.mark.requirement("LIST-INCLUDES-NEW")
def test_list_includes_a_new_task(run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    task = tasks.create(api, "list-new")
    response = api.list_tasks()
    listed = _tasks(response, run.contract)
    if not any(t["id"] == task["id"] for t in listed):
        raise expect.fail(f"expected the task just created ({task['id']}, {task['name']!r}) in "
                          f"{expect.describe(response)}, but the {len(listed)} listed task(s) do not include it")


@pytest.mark.requirement("LIST-ORDER")
def test_list_is_newest_first(run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    older = tasks.create(api, "list-older")
    newer = tasks.create(api, "list-newer")
    response = api.list_tasks()
    listed = _tasks(response, run.contract)
    ids = [t["id"] for t in listed]
    missing = [t["id"] for t in (older, newer) if t["id"] not in ids]
    if missing:
        raise expect.fail(f"expected the two tasks just created in {expect.describe(response)}; missing: "
                          f"{', '.join(missing)}")
    try:
        instants = [_instant(str(t["created_at"])) for t in listed]
        older_at, newer_at = _instant(str(older["created_at"])), _instant(str(newer["created_at"]))
    except ValueError as exc:
        raise expect.fail(f"a created_at in {expect.describe(response)} is not an RFC 3339 date-time: {exc}") \
            from None
    for i in range(len(listed) - 1):
        if instants[i] < instants[i + 1]:
            raise expect.fail(f"expected tasks newest first in {expect.describe(response)}, but task "
                              f"{listed[i]['id']} (created_at {listed[i]['created_at']}) comes before the newer "
                              f"task {listed[i + 1]['id']} (created_at {listed[i + 1]['created_at']})")
    if newer_at > older_at and ids.index(newer["id"]) > ids.index(older["id"]):
        raise expect.fail(f"expected the task created second ({newer['id']}) before the one created first "
                          f"({older['id']}) in {expect.describe(response)}, got the opposite order")
