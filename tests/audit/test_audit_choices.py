"""Which contract an exchange is judged by, and which exchanges are judged at all (the judge, in process)."""

from __future__ import annotations

import json

import httpx
import pytest

from conformance.audit import FAILED, IGNORED, PASSED
from conformance.audit.judge import judge
from conformance.audit.recordings import Recorded
from conformance.reference import ReferenceServer

TASK_ID = "0b4e1a2c-3d4e-4f50-8a1b-2c3d4e5f6a7b"
JSON_HEADERS = (("Content-Type", "application/json"),)


def _exchange(path: str, status: int = 404, *, version: str | None = "v2.34.0", method: str = "GET",
              body: object = None, host: str = "https://coder.example.com") -> Recorded:
    headers = JSON_HEADERS + ((("X-Coder-Build-Version", version),) if version else ())
    content = json.dumps({"message": "Resource not found or you do not have access to this resource"}
                         if body is None else body).encode()
    return Recorded("t.har#1", method, host + path, status, (), headers, content)


@pytest.mark.parametrize(("version", "path", "profile"), [
    ("v2.27.1", "/api/experimental/tasks/me/x", "legacy"),
    ("v2.28.3+1a2b3c4", "/api/experimental/tasks/me/x", "experimental"),
    ("v2.29.0", "/api/v2/tasks/me/x", "stable"),
    ("v2.34.2", "/api/experimental/tasks/me/x", "stable"),  # the stable line's aliases
    ("v2.36.1", "/api/v2/tasks/me/x", "stable"),
])
def test_the_recorded_release_picks_the_contract(version: str, path: str, profile: str) -> None:
    judgement = judge(_exchange(path, version=version))
    assert judgement.outcome == PASSED and judgement.operation == "getTask"
    assert judgement.basis.startswith(f"{profile} at v") and judgement.basis.endswith(" (from X-Coder-Build-Version)")


def test_without_a_recorded_release_the_prefix_decides() -> None:
    assert judge(_exchange("/api/v2/tasks", 200, version=None, body={"tasks": [], "count": 0})).basis.startswith(
        "stable (no release recorded")
    assert judge(_exchange("/api/experimental/tasks/me/x", version=None)).basis.startswith("experimental (")


def test_an_explicit_profile_wins_over_the_recorded_release() -> None:
    judgement = judge(_exchange("/api/experimental/tasks/me/x", version="v2.34.0"), "legacy")
    assert judgement.basis == "legacy at v2.34.0 (set by --profile)"
    # the recorded release still says which operations it had, as in a run
    pause = judge(_exchange(f"/api/v2/tasks/me/{TASK_ID}/pause", version="v2.29.0", method="POST"), "stable")
    assert pause.outcome == IGNORED and pause.note.startswith("not in v2.29.0: ")


def test_a_late_release_is_judged_by_what_it_served() -> None:
    """From v2.36 the release alone does not say whether the server serves the Tasks API (coder/coder#28008,
    #28789): a v2.37 answer of Coder's `Route not found.` is not judged; a v2.37 answer of the Tasks API is, by the
    stable contract."""
    gone = judge(_exchange("/api/v2/tasks", version="v2.37.0", body={"message": "Route not found."}))
    assert gone.outcome == IGNORED and "does not serve the Tasks API" in gone.note, gone
    hidden = judge(_exchange("/api/v2/tasks", version="v2.36.1", body={"message": "Route not found."}))
    assert hidden.outcome == IGNORED and "v2.36.1 server does not serve the Tasks API" in hidden.note, hidden
    served = judge(_exchange("/api/v2/tasks/me/x", version="v2.37.0"))
    assert served.outcome != IGNORED and served.basis.startswith("stable at v2.37.0"), served


def test_a_prefix_the_generation_does_not_serve_is_not_judged() -> None:
    judgement = judge(_exchange("/api/v2/tasks/me/x", version="v2.28.0"))
    assert judgement.outcome == IGNORED and "/api/v2 is not a prefix of the experimental generation" in judgement.note


def test_an_operation_the_release_predates_is_not_judged() -> None:
    judgement = judge(_exchange(f"/api/v2/tasks/me/{TASK_ID}/pause", version="v2.29.0", method="POST"))
    assert judgement.outcome == IGNORED and judgement.operation == "pauseTask"
    assert judgement.note.startswith("not in v2.29.0: ")
    assert judge(_exchange(f"/api/v2/tasks/me/{TASK_ID}/pause", version="v2.32.0", method="POST")).outcome == PASSED


def _legacy_task() -> dict[str, object]:
    """A task as a legacy reference server answers it (its status is the workspace's)."""
    with ReferenceServer(profile="legacy") as server:
        config = server.target_config()
        with httpx.Client(base_url=config["url"] + config["api_prefix"], timeout=10,
                          headers={"Coder-Session-Token": config["token"]}) as client:
            created = client.post("/tasks/me", json={"template_version_id": config["template_version_id"],
                                                     "input": "audit me", "name": "audit-upgrade"})
            assert created.status_code == 201, created.text
            task: dict[str, object] = created.json()
            client.delete(f"/tasks/me/{task['id']}")
    return task


def test_each_exchange_by_its_own_release() -> None:
    """One recording across an upgrade: a legacy task body is right for v2.27, wrong for v2.28."""
    task = _legacy_task()
    old, new = (judge(_exchange(f"/api/experimental/tasks/me/{task['id']}", 200, version=v, body=task))
                for v in ("v2.27.0", "v2.28.0"))
    assert old.outcome == PASSED, old.problems
    assert new.outcome == FAILED and "does not match the Task schema" in new.problems[0]


@pytest.mark.parametrize(("url", "note"), [
    ("https://coder.example.com/api/v2/users/me", "not the Tasks API"),
    ("https://coder.example.com/api/v2/tasksx", "not the Tasks API"),
    ("https://coder.example.com/api/v2/tasks/me/x/nonsense", "no operation at this path in the stable contract"),
])
def test_other_traffic_is_ignored(url: str, note: str) -> None:
    exchange = Recorded("t.har#1", "GET", url, 200, (), JSON_HEADERS, b"{}")
    assert judge(exchange).outcome == IGNORED and judge(exchange).note == note


def test_a_gateway_path_before_the_prefix_is_fine() -> None:
    judgement = judge(_exchange("/coder/api/v2/tasks", 200, body={"tasks": [], "count": 0}))
    assert judgement.outcome == PASSED and judgement.operation == "listTasks"


def test_a_wrong_method_and_no_answer_are_ignored() -> None:
    assert judge(_exchange("/api/v2/tasks", 405, method="PUT")).note == (
        "no PUT operation at this path in the stable contract")
    assert judge(_exchange("/api/v2/tasks", 0)).note == "no answer recorded"


@pytest.mark.parametrize("url", ["coder.example.com/api/v2/tasks", "localhost:3000/api/v2/tasks"])
def test_a_url_without_a_scheme_is_judged(url: str) -> None:
    exchange = Recorded("t.har#1", "GET", url, 200, (), JSON_HEADERS, b'{"tasks": [], "count": 0}')
    assert judge(exchange).outcome == PASSED


def test_odd_header_values_do_not_stop_the_judge() -> None:
    headers = (*JSON_HEADERS, ("Server", "caf\u00e9"))
    exchange = Recorded("t.har#1", "GET", "https://h/api/v2/tasks", 200, (), headers, b'{"tasks": [], "count": 0}')
    assert judge(exchange).outcome == PASSED
