"""The task lifecycle with a non-zero step delay, observed by polling with a deadline (no fixed sleeps)."""

from __future__ import annotations

from typing import Any

from ref_support import RFC3339, UUID_RE, Api, error_message, poll

from conformance.reference.conforming.store import TaskNotActive, TaskStore


def test_task_goes_queued_initializing_active(slow_api: Api) -> None:
    """The slow server answers as v2.28: a task whose build no provisioner has picked up yet is already
    `initializing` (coder/coder#21886 made it `pending` in v2.31), and nothing fills in current_state while it
    initializes (coder/coder#20692 came in v2.29)."""
    created = slow_api.create(input="Investigate the outage")
    assert (created["status"], created["workspace_status"]) == ("initializing", "pending")
    seen: dict[tuple[str, str], dict[str, Any]] = {("initializing", "pending"): created}

    def fetch() -> dict[str, Any]:
        task = slow_api.task(created["id"])
        seen.setdefault((task["status"], task["workspace_status"]), task)
        return task

    poll(fetch, lambda t: t["status"] == "active", timeout=10)
    assert list(seen) == [("initializing", "pending"), ("initializing", "running"), ("active", "running")]

    queued, initializing, active = seen.values()
    assert UUID_RE.match(queued["workspace_id"])
    assert queued["workspace_build_number"] == 1
    for key in (
        "workspace_agent_id",
        "workspace_agent_lifecycle",
        "workspace_agent_health",
        "workspace_app_id",
    ):
        assert queued[key] is None, key
    assert queued["current_state"] is None

    assert UUID_RE.match(initializing["workspace_agent_id"])
    assert initializing["workspace_agent_lifecycle"] == "starting"
    assert initializing["workspace_app_id"] is None
    assert initializing["current_state"] is None

    assert active["workspace_agent_lifecycle"] == "ready"
    assert active["workspace_agent_health"] == {"healthy": True, "reason": ""}
    assert UUID_RE.match(active["workspace_app_id"])
    assert active["workspace_agent_id"] == initializing["workspace_agent_id"]
    assert active["workspace_id"] == queued["workspace_id"]
    state = active["current_state"]
    assert set(state) == {"timestamp", "state", "message", "uri"} and RFC3339.match(state["timestamp"])
    assert state["state"] in {"working", "idle"}

    assert queued["updated_at"] < initializing["updated_at"] < active["updated_at"]
    assert queued["created_at"] == active["created_at"]


def test_send_and_logs_need_an_active_task(slow_api: Api) -> None:
    task = slow_api.create(input="")
    assert task["status"] == "initializing"
    send = slow_api.send(task["id"], "too early")
    logs = slow_api.get(f"/tasks/me/{task['id']}/logs")
    assert (send.status_code, logs.status_code) == (400, 400)
    assert error_message(send) == error_message(logs) == "Task status must be active."
    slow_api.wait_active(task["id"], timeout=10)
    assert slow_api.send(task["id"], "now").status_code == 204


def test_agent_reply_arrives_later(slow_api: Api) -> None:
    task = slow_api.create(input="")
    slow_api.wait_active(task["id"], timeout=10)
    assert slow_api.send(task["id"], "ping").status_code == 204
    first = slow_api.logs(task["id"])
    assert [e["type"] for e in first] == ["input"]
    assert slow_api.task(task["id"])["current_state"]["state"] == "working"
    logs = poll(lambda: slow_api.logs(task["id"]), lambda entries: len(entries) == 2, timeout=10)
    assert logs[1]["type"] == "output" and logs[1]["time"] > logs[0]["time"]
    assert slow_api.task(task["id"])["current_state"]["state"] == "idle"


def test_status_filter_follows_the_lifecycle(slow_api: Api) -> None:
    task = slow_api.create(input="")
    assert task["id"] in slow_api.list_ids("status:initializing")  # v2.28: queued is initializing
    assert task["id"] not in slow_api.list_ids("status:pending")
    assert task["id"] not in slow_api.list_ids("status:active")
    slow_api.wait_active(task["id"], timeout=10)
    assert task["id"] in slow_api.list_ids("status:active")
    assert task["id"] not in slow_api.list_ids("status:initializing")


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_store_lifecycle_with_a_fake_clock() -> None:
    from conformance.reference.conforming.identities import Identities

    ids = Identities.create()
    clock = _Clock()
    store = TaskStore(lifecycle_delay=10, reply_delay=5, clock=clock)
    view = store.create(
        owner=ids.alice,
        organization_id=ids.org.id,
        template=ids.ai_template,
        name="t",
        prompt="hello",
        preset_id=None,
    )
    assert view.status == "pending"
    clock.now += 10
    assert store.all()[0].status == "initializing"
    try:
        store.logs(view.id)
    except TaskNotActive as error:
        assert error.status == "initializing"
    else:
        raise AssertionError("logs of an initializing task must be refused")
    clock.now += 10
    assert store.all()[0].status == "active"
    assert [e.type for e in store.logs(view.id)] == ["input"]
    clock.now += 5
    assert [e.type for e in store.logs(view.id)] == ["input", "output"]


def test_zero_delay_is_active_at_once(api: Api) -> None:
    task = api.create()
    assert task["status"] == "active"
    assert task["created_at"] == task["updated_at"]
