"""The reference server of each generation answers as that generation's releases do (over HTTP): legacy tasks are
workspaces, the stable line adds pause, resume, input updates, snapshots and the 409s at the releases that brought
them, and a release without the Tasks API serves none of it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ref_support import Api, poll, unique

from conformance.reference import ReferenceServer
from conformance.reference.conforming.generation import LEGACY_FIELDS

ROUTE_NOT_FOUND = {"message": "Route not found."}


@pytest.fixture(scope="module")
def apis(release_api: Any) -> Any:
    return release_api


def test_every_answer_names_the_release(apis: Any) -> None:
    for profile, version in (("legacy", "v2.27.1"), ("experimental", "v2.28.0"), ("stable", "v2.34.0")):
        api = apis(profile)
        assert api.list_tasks().headers["x-coder-build-version"].startswith(version)
        info = api.get("/api/v2/buildinfo", prefixed=False, as_=None)
        assert info.status_code == 200 and info.json()["version"].startswith(version)


def test_a_legacy_task_is_a_workspace(apis: Any) -> None:
    api = apis("legacy")
    created = api.create(prompt="legacy prompt")
    assert set(created) == set(LEGACY_FIELDS)
    assert created["workspace_id"] == created["id"] and created["status"] == "pending"
    active = api.wait_active(created["id"])
    assert active["status"] == "running"
    assert active["id"] in api.list_ids("status:running")
    assert api.list_tasks("status:active").status_code == 400  # no such workspace status
    assert active["id"] in api.list_ids(created["name"])  # bare words mean the name
    invalid = api.list_tasks("nope:x")
    assert invalid.status_code == 400 and invalid.json()["message"] == "Invalid workspace search query."
    by_name = api.get(f"/tasks/me/{created['name']}")
    assert by_name.status_code == 400 and by_name.json()["message"] == f'Invalid UUID "{created["name"]}" for task ID.'
    assert api.create_raw(template_version_id="0b9d3e2c-1111-4111-8111-111111111111").status_code == 404
    pending = api.create()
    refused = api.send(pending["id"], "too early")
    assert refused.status_code in (400, 503)


def test_stable_pause_resume_and_input(apis: Any) -> None:
    api = apis("stable")
    task = api.create_active(input="first prompt", display_name="Shown name")
    assert task["display_name"] == "Shown name"
    assert api.update_input(task["id"], "while active").status_code == 409
    paused = api.pause(task["id"])
    assert paused.status_code == 202 and paused.json()["workspace_build"]["transition"] == "stop"
    api.wait_status(task["id"], "paused")
    snapshot = api.get(f"/tasks/me/{task['id']}/logs").json()
    assert snapshot["snapshot"] is True and "snapshot_at" in snapshot
    assert api.send(task["id"], "paused").status_code == 409
    assert api.update_input(task["id"], "  ").status_code == 400
    assert api.update_input(task["id"], "second prompt").status_code == 204
    assert api.task(task["id"])["initial_prompt"] == "second prompt"
    assert api.resume(task["id"]).status_code == 202
    api.wait_active(task["id"])
    assert api.resume(task["id"]).status_code == 409
    live = api.get(f"/tasks/me/{task['id']}/logs").json()
    assert "snapshot" not in live
    assert api.get(f"/tasks/me/{task['name'].upper()}").json()["id"] == task["id"]  # by name, any case
    alias = api.get(f"/api/experimental/tasks/me/{task['id']}", prefixed=False)
    assert alias.status_code == 200 and alias.json()["id"] == task["id"]
    assert api.create_raw(name=unique(), display_name="d" * 65).status_code == 400
    # Coder's Go counts the trimmed display name's bytes: 22 check marks are 66, 21 are 63.
    assert api.create_raw(name=unique(), display_name="\u2713" * 22).status_code == 400
    assert api.create(display_name="\u3000" + "\u2713" * 21 + " ")["display_name"] == "\u2713" * 21
    generated = api.create(input="Generated from this prompt\nsecond line")
    assert generated["display_name"] == "Generated from this prompt"


def test_stable_features_follow_the_release(apis: Any) -> None:
    early = apis("stable", "v2.29.0")
    task = early.create_active(input="")
    assert early.pause(task["id"]).status_code == 404  # pause came in v2.32
    assert early.pause(task["id"]).json() == ROUTE_NOT_FOUND
    assert early.update_input(task["id"], "x").status_code == 409  # input updates came in v2.29
    pending = early.create()
    assert early.send(pending["id"], "early").status_code == 400  # 409 from v2.31
    assert early.get(f"/tasks/me/{pending['id']}/logs").status_code == 400  # snapshots from v2.31
    assert early.create_raw(name=unique(), display_name="d" * 65).status_code == 400  # the limit came with it
    later = apis("stable", "v2.31.0")
    pending = later.create()
    assert later.send(pending["id"], "early").status_code == 409
    starting = later.get(f"/tasks/me/{pending['id']}/logs").json()
    assert starting == {"logs": [], "snapshot": True}


@pytest.mark.parametrize(("version", "flag"), [("v2.37.0", True), ("v2.36.1", False)], ids=["removed", "no-flag"])
def test_a_release_without_the_tasks_api_serves_none_of_it(version: str, flag: bool) -> None:
    with ReferenceServer(profile="stable", version=version, ai_tasks_flag=flag) as server:
        api = Api(server)
        try:
            for prefix in ("/api/v2", "/api/experimental"):
                response = api.get(f"{prefix}/tasks", prefixed=False)
                assert response.status_code == 404 and response.json() == ROUTE_NOT_FOUND
                assert response.headers["x-coder-build-version"].startswith(version)
            assert api.get("/api/v2/tasks", prefixed=False, as_=None).status_code == 401  # auth still first
        finally:
            api.close()


def test_the_flag_arrived_in_v2_36() -> None:
    """v2.35 serves the Tasks API by default and has no CODER_ENABLE_AI_TASKS to leave unset (coder/coder#28008)."""
    with ReferenceServer(profile="stable", version="v2.35.1") as server:
        api = Api(server)
        try:
            assert api.get("/api/v2/tasks", prefixed=False).status_code == 200
        finally:
            api.close()
    with pytest.raises(ValueError, match="has no CODER_ENABLE_AI_TASKS to leave unset: it arrived in v2.36.0"):
        ReferenceServer(profile="stable", version="v2.35.1", ai_tasks_flag=False)


def test_the_wire_is_gos(apis: Any) -> None:
    api = apis("stable")
    task = api.create_active(input="<b> & </b>")
    raw = api.get(f"/tasks/me/{task['id']}")
    assert raw.content.endswith(b"\n") and b"\\u003cb\\u003e \\u0026" in raw.content
    assert raw.json()["created_at"].endswith("+01:00")  # the database's local offset
    for header in ("x-coder-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert header in raw.headers
    assert "csrf_token=" in raw.headers.get("set-cookie", "")
    deleted = api.delete(f"/tasks/me/{task['id']}")
    assert deleted.status_code == 202 and "content-type" not in deleted.headers
    poll(lambda: api.get(f"/tasks/me/{task['id']}").status_code, lambda code: code == 404)
    challenge = api.get("/tasks", as_=None).headers["www-authenticate"]
    assert challenge.lower().startswith("bearer")


def test_a_release_outside_its_generation_is_refused() -> None:
    with pytest.raises(ValueError, match="not a release of the legacy generation"):
        ReferenceServer(profile="legacy", version="v2.30.0")
    with pytest.raises(ValueError, match="unknown profile"):
        ReferenceServer(profile="ancient")
    with pytest.raises(ValueError, match="not a Coder release"):
        ReferenceServer(profile="stable", version="latest")


def test_httpx_reads_the_chunked_log(apis: Any) -> None:
    api = apis("stable")
    task = api.create_active(input="")
    for number in range(30):
        assert api.send(task["id"], f"message {number} " + "x" * 100).status_code == 204
    response = httpx.get(api.base + api.prefix + f"/tasks/me/{task['id']}/logs",
                         headers={"Coder-Session-Token": api.tokens["alice"]})
    assert "content-length" not in response.headers and response.headers.get("transfer-encoding") == "chunked"
    assert len(response.json()["logs"]) >= 30
