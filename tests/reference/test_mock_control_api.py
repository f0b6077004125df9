"""The control API (mock/control_api.py): every control over HTTP, its errors, and the prefix refused without
``control=True``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mock_support import Client, control, outputs

from conformance.reference import ReferenceServer
from conformance.reference.mock.control_api import CONTROL_PREFIX

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture()
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(profile="stable", lifecycle_delay=0, reply_delay=0, control=True) as started:
        yield started
        assert started.unexpected_errors == []


@pytest.fixture()
def member(server: ReferenceServer) -> Client:
    return Client(server, server.users.member.token)


def _task(server: ReferenceServer, **body: object) -> str:
    created = control(server, "POST", "/tasks", body)
    assert created.status_code == 201, created.text
    task_id: str = created.json()["id"]
    return task_id


def test_without_control_the_prefix_is_a_route_coder_does_not_have() -> None:
    with ReferenceServer(lifecycle_delay=0) as server:
        for method, path in (("GET", "/config"), ("POST", "/reset"), ("POST", "/tasks")):
            answer = control(server, method, path, {})
            assert (answer.status_code, answer.json()) == (404, {"message": "Route not found."})
        assert len(server.requests()) == 3, "a request to the prefix is a client's when there is no control API"


def test_config_and_users(server: ReferenceServer) -> None:
    assert control(server, "GET", "/config").json() == server.target_config()
    users = control(server, "GET", "/users").json()
    assert users["member"] == {"username": "alice", "id": server.users.member.id, "token": server.users.member.token,
                               "owner": False}
    assert users["owner"]["owner"] is True and users["second_member"]["username"] == "bob"
    added = control(server, "POST", "/users", {"username": "carol", "owner": True})
    assert added.status_code == 201 and added.json()["owner"] is True
    assert Client(server, added.json()["token"]).http.get(f"{server.url}/api/v2/users/me").json()["username"] == "carol"
    assert "carol" in [user["username"] for user in control(server, "GET", "/users").json()["all"]]
    assert control(server, "POST", "/users", {"username": "carol"}).status_code == 400


def test_templates(server: ReferenceServer) -> None:
    ai = control(server, "POST", "/templates", {"name": "docs"})
    plain = control(server, "POST", "/templates", {"name": "bare", "has_ai_task": False})
    assert ai.status_code == plain.status_code == 201
    member = Client(server, server.users.member.token)
    assert member.create("x", ai.json()["template_version_id"]).status_code == 201
    assert member.create("x", plain.json()["template_version_id"]).status_code == 400
    task_id = _task(server, template="docs")
    assert member.task(task_id)["template_name"] == "docs"


def test_tasks_with_status_logs_and_agent_state(server: ReferenceServer, member: Client) -> None:
    task_id = _task(server, status="paused", name="review", prompt="Review it",
                    logs=[["input", "Review it"], {"type": "output", "content": "Looks good"}],
                    agent_state="idle", agent_message="Waiting", agent_uri="https://x")
    task = member.task(task_id)
    assert (task["status"], task["name"], task["current_state"]["message"]) == ("paused", "review", "Waiting")
    logs = member.logs(task_id).json()
    assert logs["snapshot"] is True and [e["content"] for e in logs["logs"]] == ["Review it", "Looks good"]
    assert _task(server, owner="bob") != task_id


def test_status_and_agent_state(server: ReferenceServer, member: Client) -> None:
    task_id = _task(server)
    moved = control(server, "POST", f"/tasks/{task_id.upper()}/status", {"status": "initializing"})
    assert moved.json() == {"id": task_id.upper(), "status": "initializing"}
    assert member.task(task_id)["status"] == "initializing"
    control(server, "POST", f"/tasks/{task_id}/status", {"status": "active"})
    reported = control(server, "POST", f"/tasks/{task_id}/agent-state",
                       {"state": "working", "message": "Thinking", "uri": "https://x/2"})
    assert reported.status_code == 200, reported.text
    state = member.task(task_id)["current_state"]
    assert (state["state"], state["message"], state["uri"]) == ("working", "Thinking", "https://x/2")


def test_replies(server: ReferenceServer, member: Client) -> None:
    first, second = _task(server), _task(server)
    assert control(server, "POST", "/replies", {"replies": ["hello"]}).status_code == 200
    assert control(server, "POST", "/replies", {"replies": ["only second"], "task_id": second}).status_code == 200
    for task_id in (first, second):
        member.send(task_id, "hi")
    assert (outputs(member, first), outputs(member, second)) == (["hello"], ["only second"])
    control(server, "POST", "/replies", {"replies": None})
    member.send(first, "again")
    assert outputs(member, first)[-1] == "Working on: again"


def test_busy_and_unreachable(server: ReferenceServer, member: Client) -> None:
    task_id = _task(server)
    assert control(server, "POST", f"/tasks/{task_id}/busy", {}).json() == {"id": task_id, "busy": True}
    assert member.send(task_id, "x").status_code == 409  # the default stable release is v2.34: busy is 409
    control(server, "POST", f"/tasks/{task_id}/busy", {"busy": False})
    control(server, "POST", f"/tasks/{task_id}/unreachable", {"unreachable": True})
    assert member.send(task_id, "x").status_code == 502 and member.logs(task_id).status_code == 502
    control(server, "POST", f"/tasks/{task_id}/unreachable", {"unreachable": False})
    assert member.send(task_id, "x").status_code == 204


def test_switch_counts_only_client_requests(server: ReferenceServer, member: Client) -> None:
    switched = control(server, "POST", "/switch", {"faults": ["empty-list-null"], "requests": 1})
    assert switched.json()["faults"] == ["empty-list-null"]
    control(server, "GET", "/requests")  # a control request: not counted
    assert [member.list().json()["tasks"] for _ in range(2)] == [None, []]
    assert control(server, "POST", "/switch", {"variations": ["no-such-variation"]}).status_code == 400


def test_requests_findings_and_reset(server: ReferenceServer, member: Client) -> None:
    member.list()
    _task(server)
    recorded = control(server, "GET", "/requests").json()["requests"]
    assert [(r["method"], r["operation"], r["status"]) for r in recorded] == [("GET", "listTasks", 200)]
    assert recorded[0]["headers"]["coder-session-token"] != server.users.member.token
    findings = control(server, "GET", "/findings").json()
    assert isinstance(findings["findings"], list) and isinstance(findings["summary"], str)
    assert control(server, "POST", "/reset").json() == {"reset": True}
    assert control(server, "GET", "/requests").json() == {"requests": []}
    assert member.list().json()["tasks"] == []


def test_scenario(server: ReferenceServer, member: Client) -> None:
    made = control(server, "POST", "/scenario", {
        "users": [{"username": "dana"}], "templates": [{"name": "docs"}],
        "tasks": [{"name": "one", "status": "paused", "owner": "dana", "template": "docs"},
                  {"name": "two", "replies": ["scripted"], "busy": True}]})
    assert made.status_code == 200, made.text
    body = made.json()
    assert set(body["tasks"]) == {"one", "two"} and body["users"][0]["username"] == "dana"
    dana = Client(server, body["users"][0]["token"])
    assert dana.task(body["tasks"]["one"])["status"] == "paused"
    assert member.send(body["tasks"]["two"], "x").status_code == 409


@pytest.mark.parametrize(("method", "path", "body", "status", "words"), [
    ("POST", "/tasks", {"status": "running"}, 400, "unknown status"),
    ("POST", "/tasks", {"logs": [["thought", "x"]]}, 400, "unknown log entry type"),
    ("POST", "/tasks", {"prompt": 3}, 400, '"prompt" must be a string'),
    ("POST", "/users", {}, 400, '"username" is required'),
    ("POST", "/switch", {"requests": 0}, 400, "requests"),
    ("POST", f"/tasks/{MISSING}/status", {"status": "active"}, 404, "no task"),
    ("POST", f"/tasks/{MISSING}/busy", {}, 404, "no task"),
    ("POST", "/replies", {"task_id": MISSING}, 404, "no task"),
    ("GET", "/nothing-here", None, 404, "no control"),
    ("GET", "/reset", None, 405, "POST only"),
])
def test_errors(server: ReferenceServer, method: str, path: str, body: object, status: int, words: str) -> None:
    answer = control(server, method, path, body)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["message"]


def test_a_body_that_is_not_a_json_object_is_400(server: ReferenceServer) -> None:
    import httpx

    for content in (b"{", b"[1]"):
        answer = httpx.post(f"{server.url}{CONTROL_PREFIX}/tasks", content=content, timeout=10)
        assert answer.status_code == 400 and answer.json()["message"].startswith("the body")
