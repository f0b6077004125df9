"""The Python controls of the reference server (mock/controls.py): every control changes what a client sees over the
Tasks API, as a real task's facts would."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from mock_support import Client, outputs

from conformance.reference import ReferenceServer
from conformance.reference.mock.controls import TASK_STATUSES, UnknownTask


@pytest.fixture()
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(profile="stable", lifecycle_delay=0, reply_delay=0) as started:
        yield started
        assert started.unexpected_errors == []


@pytest.fixture()
def member(server: ReferenceServer) -> Client:
    return Client(server, server.users.member.token)


def test_the_users_and_template_versions_are_the_servers(server: ReferenceServer, member: Client) -> None:
    users = server.users
    assert (users.member.username, users.second_member.username, users.owner.username) == ("alice", "bob", "admin")
    assert users.owner.owner and not users.member.owner
    assert users.member.token not in repr(users), "a token is shown in the repr"
    for user in (users.member, users.second_member, users.owner):
        me = Client(server, user.token).http.get(f"{server.url}/api/v2/users/me")
        assert me.json()["id"] == user.id
    assert member.create("hi", server.template_versions.ai).status_code == 201
    assert member.create("hi", server.template_versions.plain).status_code == 400


def test_add_user_and_add_template(server: ReferenceServer) -> None:
    carol = server.control.add_user("carol")
    boss = server.control.add_user("boss", owner=True)
    version = server.control.add_template("docs")
    plain = server.control.add_template("bare", has_ai_task=False)
    as_carol = Client(server, carol.token)
    created = as_carol.create("write docs", version)
    assert created.status_code == 201, created.text
    assert created.json()["owner_name"] == "carol" and created.json()["template_name"] == "docs"
    assert as_carol.create("x", plain).status_code == 400
    assert Client(server, boss.token).get(created.json()["id"]).status_code == 200  # an owner sees every task
    assert Client(server, server.users.member.token).get(created.json()["id"]).status_code == 404
    with pytest.raises(ValueError, match="exists"):
        server.control.add_user("carol")
    with pytest.raises(ValueError, match="not a valid username"):
        server.control.add_user("no spaces")


@pytest.mark.parametrize("status", TASK_STATUSES)
def test_add_task_in_every_status(server: ReferenceServer, member: Client, status: str) -> None:
    task_id = server.control.add_task(status=status, name="fix-bug", prompt="Fix the bug",
                                      logs=[("input", "Fix the bug"), ("output", "Fixed")])
    task = member.task(task_id)
    assert (task["status"], task["name"], task["initial_prompt"]) == (status, "fix-bug", "Fix the bug")
    time.sleep(0.05)
    assert member.task(task_id)["status"] == status, "a given status changed by itself"
    logs = member.logs(task_id)
    if status == "active":
        assert [e["content"] for e in logs.json()["logs"]] == ["Fix the bug", "Fixed"]
    elif status == "paused":  # the log kept when it was paused
        assert logs.json()["snapshot"] is True
        assert [e["content"] for e in logs.json()["logs"]] == ["Fix the bug", "Fixed"]
        assert "snapshot_at" in logs.json()


def test_add_task_for_another_owner_with_an_agent_state(server: ReferenceServer) -> None:
    task_id = server.control.add_task(owner="bob", agent_state="complete", agent_message="Done", agent_uri="https://x/1")
    task = Client(server, server.users.second_member.token).task(task_id)
    assert task["owner_name"] == "bob"
    assert {k: task["current_state"][k] for k in ("state", "message", "uri")} == \
        {"state": "complete", "message": "Done", "uri": "https://x/1"}
    with pytest.raises(ValueError, match="no user"):
        server.control.add_task(owner="nobody")
    with pytest.raises(ValueError, match="unknown status"):
        server.control.add_task(status="running")


def test_set_status_moves_a_task_and_a_client_can_go_on_from_there(server: ReferenceServer, member: Client) -> None:
    task_id = member.create("hello").json()["id"]
    server.control.set_status(task_id, "paused")
    assert member.task(task_id)["status"] == "paused"
    resumed = member.http.post(f"/tasks/me/{task_id}/resume")
    assert resumed.status_code == 202, resumed.text
    assert member.task(task_id)["status"] == "active"
    server.control.set_status(task_id, "error")
    assert member.task(task_id)["status"] == "error"
    assert member.send(task_id, "more").status_code == 400
    server.control.set_status(task_id, "active")
    assert member.send(task_id, "more").status_code == 204
    with pytest.raises(UnknownTask):
        server.control.set_status("00000000-0000-4000-8000-000000000000", "active")


def test_set_agent_state_until_the_agent_has_something_newer(server: ReferenceServer, member: Client) -> None:
    task_id = server.control.add_task()
    server.control.set_agent_state(task_id, "failure", "Tests fail", "https://ci/1")
    state = member.task(task_id)["current_state"]
    assert (state["state"], state["message"], state["uri"]) == ("failure", "Tests fail", "https://ci/1")
    assert member.send(task_id, "try again").status_code == 204
    assert member.task(task_id)["current_state"]["state"] != "failure"
    with pytest.raises(ValueError, match="unknown agent state"):
        server.control.set_agent_state(task_id, "sleeping")


def test_script_replies_in_turn_by_function_per_task_and_back(server: ReferenceServer, member: Client) -> None:
    first, second = server.control.add_task(), server.control.add_task()
    server.control.script_replies(["one", "two"])
    server.control.script_replies(str.upper, task_id=second)
    for text in ("a", "b", "c"):
        assert member.send(first, text).status_code == 204
        assert member.send(second, text).status_code == 204
    assert outputs(member, first) == ["one", "two", "Working on: c"]
    assert outputs(member, second) == ["A", "B", "C"]
    server.control.script_replies(None, task_id=second)
    server.control.script_replies(None)
    member.send(second, "d")
    assert outputs(member, second)[-1] == "Working on: d"
    with pytest.raises(ValueError):
        server.control.script_replies("not a list")


@pytest.mark.parametrize(("profile", "version", "status"), [
    ("stable", "v2.32.0", 409), ("stable", "v2.31.0", 502), ("experimental", None, 502), ("legacy", None, 502)])
def test_agent_busy_is_409_from_v2_32_and_502_before(profile: str, version: str | None, status: int) -> None:
    with ReferenceServer(profile=profile, version=version, lifecycle_delay=0, reply_delay=0) as server:
        member = Client(server, server.users.member.token)
        task_id = server.control.add_task(prompt="go")
        server.control.agent_busy(task_id)
        refused = member.send(task_id, "more")
        assert refused.status_code == status, refused.text
        assert refused.json()["message"] == "Task app is not ready to accept input."
        assert member.logs(task_id).status_code == 200, "a busy agent still answers the logs"
        server.control.agent_busy(task_id, False)
        assert member.send(task_id, "more").status_code == 204


def test_agent_unreachable_is_502_for_send_and_logs(server: ReferenceServer, member: Client) -> None:
    task_id = server.control.add_task()
    server.control.agent_unreachable(task_id)
    send, logs = member.send(task_id, "x"), member.logs(task_id)
    assert (send.status_code, send.json()["message"]) == (502, "Failed to get status from task app.")
    assert (logs.status_code, logs.json()["message"]) == (502, "Failed to get messages from task app.")
    other = server.control.add_task()
    assert member.send(other, "x").status_code == 204, "another task's agent is reachable"
    server.control.agent_unreachable(task_id, False)
    assert member.send(task_id, "x").status_code == 204


def test_switch_for_the_next_requests_then_off(server: ReferenceServer, member: Client) -> None:
    server.control.switch(faults=["empty-list-null"], requests=2)
    assert [member.list().json()["tasks"] for _ in range(3)] == [None, None, []]
    assert server.faults == frozenset()
    server.control.switch(faults=["empty-list-null"], variations=["agent-busy-first"])
    assert [member.list().json()["tasks"] for _ in range(3)] == [None, None, None]
    assert "agent-busy-first" in server.variations
    with pytest.raises(ValueError, match="unknown"):
        server.control.switch(faults=["no-such-fault"])
    with pytest.raises(ValueError, match="requests"):
        server.control.switch(faults=["empty-list-null"], requests=0)


def test_reset_goes_back_to_the_start() -> None:
    with ReferenceServer(lifecycle_delay=0, reply_delay=0, seed=3) as server:
        member = Client(server, server.users.member.token)
        first = member.create("hello").json()
        server.control.add_user("carol")
        server.control.add_template("docs")
        server.control.script_replies(["scripted"])
        server.control.switch(faults=["empty-list-null"])
        server.control.reset()
        assert server.requests() == [] and server.control.requests() == []
        assert server.control.findings() == []
        assert server.faults == frozenset()
        assert server.identities.user_by_name("carol") is None and "docs" not in server.identities.templates
        again = member.create("hello").json()
        assert again == first, "a seeded server does not start over with the same ids and times"
        assert [task["id"] for task in member.list().json()["tasks"]] == [again["id"]]
        member.send(again["id"], "x")
        assert outputs(member, again["id"])[-1] == "Working on: x"


def test_requests_leave_out_control_requests(server: ReferenceServer, member: Client) -> None:
    member.list()
    server.control.add_task()
    assert [(r.method, r.operation) for r in server.control.requests()] == [("GET", "listTasks")]


def test_a_switch_for_some_requests_keeps_the_faults_set_on_the_server(server: ReferenceServer, member: Client) -> None:
    server.set_faults(["empty-list-null"])
    server.control.switch(variations=["agent-busy-first"], requests=1)
    server.set_variations([])  # the server's own variations: none; the one for a request stays on for it
    assert server.variations == frozenset({"agent-busy-first"})
    member.list()
    member.list()
    assert (server.faults, server.variations) == (frozenset({"empty-list-null"}), frozenset())


def test_reset_forgets_the_workspaces_created_through_coders_workspace_routes() -> None:
    with ReferenceServer(profile="stable", lifecycle_delay=0, reply_delay=0, seed=3) as server:
        headers = {"Coder-Session-Token": server.users.member.token}
        created = httpx.post(f"{server.url}/api/v2/users/me/workspaces", headers=headers,
                             json={"name": "plain-one", "template_version_id": server.template_versions.plain})
        assert created.status_code == 201, created.text

        def names() -> list[str]:
            listed = httpx.get(f"{server.url}/api/v2/workspaces", headers=headers).json()
            return [workspace["name"] for workspace in listed["workspaces"]]

        assert names() == ["plain-one"]
        server.control.reset()
        assert names() == []
