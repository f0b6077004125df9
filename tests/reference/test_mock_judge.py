"""Judging the client (conformance/reference/mock/judge.py): each kind of finding provoked and named, with the
request and the contract's words; a well-behaved client's flow in every profile and release produces none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from ref_support import Api, poll, unique

from conformance.contracts.profiles import PROFILES, shown
from conformance.reference import ReferenceServer
from conformance.reference.mock.judge import Finding
from conformance.reference.mock.judge_leftovers import Created, left_behind
from conformance.reference.mock.judge_rates import retry_after_findings
from conformance.reference.mock.recording import RecordedRequest


@contextmanager
def judged(profile: str = "stable", version: str | None = None, **options: Any) -> Iterator[Api]:
    options.setdefault("lifecycle_delay", 0)
    options.setdefault("reply_delay", 0)
    with ReferenceServer(profile=profile, version=version, report_findings=False, **options) as server:
        api = Api(server)
        try:
            yield api
        finally:
            api.close()
        assert server.unexpected_errors == []


def kinds(api: Api) -> list[str]:
    return [finding.kind for finding in api.server.findings()]


def only(api: Api, kind: str) -> Finding:
    found = [finding for finding in api.server.findings() if finding.kind == kind]
    assert len(found) == 1, api.server.findings_summary()
    return found[0]


def _create_body(api: Api, **extra: Any) -> dict[str, Any]:
    """A create body the generation's contract asks for: legacy reads `prompt`, the later ones `input`."""
    key = "prompt" if api.server.generation.legacy else "input"
    return {key: "Fix the flaky test", "template_version_id": api.ai_version, **extra}


# -- a well-behaved client -------------------------------------------------------------------------------------------

RELEASES = [("legacy", "v2.27.1"), ("experimental", "v2.28.0"), ("stable", "v2.29.0"), ("stable", "v2.30.0"),
            ("stable", "v2.31.0"), ("stable", "v2.32.0"), ("stable", "v2.34.0"), ("stable", "v2.36.0")]


def _well_behaved_flow(api: Api) -> None:
    """What a correct client of the release does: create, poll until active, list with a filter, send, read the
    logs, address the task by name where the release allows it, pause, update the input and resume where it has
    them, delete, and poll until the task is gone."""
    gen = api.server.generation
    extra = {"display_name": "Fix the flaky test"} if gen.has("display-name") else {}
    name = unique()
    created = api.post("/tasks/me", json=_create_body(api, name=name, **extra))
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    api.wait_active(task_id)
    assert api.list_tasks(f"owner:me status:{gen.profile.active}").status_code == 200
    assert api.send(task_id, "Also add a regression test.").status_code in (200, 204)
    poll(lambda: api.logs(task_id), lambda logs: any(e["type"] == "output" for e in logs))
    if gen.has("name-lookup"):
        assert api.get(f"/tasks/me/{name}").status_code == 200
    if gen.has("pause-resume"):
        assert api.pause(task_id).status_code == 202
        api.wait_status(task_id, "paused")
        assert api.update_input(task_id, "Fix the flaky test, and the other one").status_code == 204
        assert api.resume(task_id).status_code == 202
        api.wait_active(task_id)
    assert api.delete(f"/tasks/me/{task_id}").status_code == 202
    poll(lambda: api.get(f"/tasks/me/{task_id}").status_code, lambda status: status == 404)


@pytest.mark.parametrize(("profile", "version"), RELEASES, ids=[f"{p}-{v}" for p, v in RELEASES])
def test_a_well_behaved_client_has_no_findings(profile: str, version: str) -> None:
    with judged(profile, version, lifecycle_delay=0.02, reply_delay=0.02) as api:
        _well_behaved_flow(api)
        assert len(api.server.requests()) >= 8
        assert api.server.findings() == [], api.server.findings_summary()
        assert api.server.findings_summary() == ""


def test_requests_outside_the_api_are_not_judged() -> None:
    with judged("experimental") as api:
        for path in ("/__tasks_mock__/v1/requests", "/healthz", "/api/v2/buildinfo", "/api/v2/users/me"):
            api.get(path, prefixed=False)
        api.request("POST", "/__tasks_mock__/v1/tasks", prefixed=False, content=b"not json")
        assert api.server.findings() == []


# -- routes ----------------------------------------------------------------------------------------------------------

ROUTES = [
    ("experimental", None, "GET", "/api/v2/tasks", "under /api/experimental, not /api/v2", "stable"),
    ("legacy", None, "GET", "/api/v2/tasks", "under /api/experimental, not /api/v2", "v2.29 to v2.36"),
    ("stable", "v2.31.0", "POST", "/api/v2/tasks/me/{id}/pause", "POST .../pause is not a route",
     "since v2.32 (coder/coder#21889"),
    ("stable", "v2.31.0", "POST", "/api/v2/tasks/me/{id}/resume", "POST .../resume is not a route",
     "since v2.32 (coder/coder#21889"),
    ("experimental", None, "PATCH", "/api/experimental/tasks/me/{id}/input", "PATCH .../input is not a route",
     "since v2.29 (coder/coder#20811"),
    ("legacy", None, "PATCH", "/api/experimental/tasks/me/{id}/input", "PATCH .../input is not a route",
     "since v2.29 (coder/coder#20811"),
    ("stable", "v2.37.0", "GET", "/api/v2/tasks", "has no Tasks API route", "coder/coder#28789"),
    ("stable", "v2.37.0", "GET", "/api/experimental/tasks/me/{id}", "has no Tasks API route", "coder/coder#28789"),
    ("stable", None, "PUT", "/api/v2/tasks/me/{id}", "PUT is not a method of this route (GET, DELETE)", "openapi"),
    ("stable", None, "GET", "/api/v2/tasks/me/{id}/nothing", "no Tasks API route has this path", "openapi-stable"),
    ("legacy", None, "GET", "/api/experimental/tasks/me/fix-the-test", "is not a UUID",
     "{task} may be the task's name: since v2.28"),
]


@pytest.mark.parametrize(("profile", "version", "method", "path", "said", "contract"), ROUTES,
                         ids=[f"{p}-{v or 'default'}-{m}-{path.rsplit('/', 1)[-1]}" for p, v, m, path, _, _ in ROUTES])
def test_a_route_the_release_lacks_is_named_with_the_feature_and_pull_request(
        profile: str, version: str | None, method: str, path: str, said: str, contract: str) -> None:
    with judged(profile, version) as api:
        url = path.replace("{id}", "3fa85f64-5717-4562-b3fc-2c963f66afa6")
        api.request(method, url, prefixed=False)
        finding = only(api, "route")
        assert said in finding.message and contract in finding.contract, finding
        (record,) = api.server.requests()
        assert (finding.request_seq, finding.method, finding.path) == (record.seq, method, url)
        assert "\n" not in finding.message


def test_a_route_the_release_has_is_no_finding_under_either_stable_prefix() -> None:
    with judged("stable", "v2.32.0") as api:
        task = api.create_active()
        for prefix in ("/api/v2", "/api/experimental"):
            api.request("POST", f"{prefix}/tasks/me/{task['id']}/pause", prefixed=False)
            api.request("GET", f"{prefix}/tasks/me/{task['name']}", prefixed=False)
        api.delete(f"/tasks/me/{task['id']}")
        assert api.server.findings() == [], api.server.findings_summary()


# -- bodies and queries ----------------------------------------------------------------------------------------------

def test_a_create_body_the_contract_refuses_names_each_violation() -> None:
    with judged("stable") as api:
        api.post("/tasks/me", json={"input": 3, "name": "Not a name!", "prompt": "old field"})
        messages = [f.message for f in api.server.findings() if f.kind == "body"]
        assert any('"template_version_id" is a required property' in m for m in messages), messages
        assert any("at /input: 3 is not of type" in m for m in messages), messages
        (named,) = [f for f in api.server.findings() if f.message.startswith("at /name:")]
        assert "name: 1 to 32 characters" in named.contract  # the field's own words
        required = next(f for f in api.server.findings() if "template_version_id" in f.message)
        assert "template_version_id: A template version that can run AI tasks" in required.contract
        assert any("field 'prompt' is not one of CreateTaskRequest's" in m and "ignores it" in m for m in messages)
        assert all("createTask CreateTaskRequest (openapi-stable.yaml)" in f.contract
                   for f in api.server.findings() if f.kind == "body")


def test_a_body_that_is_not_a_json_object_is_named() -> None:
    with judged("experimental") as api:
        task = api.create_active()
        api.post(f"/tasks/me/{task['id']}/send", content=b"[1, 2]", headers={"Content-Type": "application/json"})
        finding = only(api, "body")
        assert "not a JSON object" in finding.message and "SendTaskInputRequest" in finding.contract
        api.delete(f"/tasks/me/{task['id']}")


def test_an_empty_send_is_named_by_the_contract() -> None:
    with judged("legacy") as api:
        api.post("/tasks/me/3fa85f64-5717-4562-b3fc-2c963f66afa6/send", json={"input": ""})
        finding = only(api, "body")
        assert "at /input" in finding.message and "SendTaskInputRequest" in finding.contract


def test_a_display_name_over_the_limit_is_named_with_the_release_that_brought_the_limit() -> None:
    """The limit came with display_name itself (coder/coder#20856, v2.29): the first stable release refuses it."""
    limit = PROFILES["stable"].feature("display-name-limit")
    assert limit is not None
    with judged("stable", shown(limit.since)) as api:
        api.post("/tasks/me", json=_create_body(api, display_name="é" * 33))  # 66 bytes, 33 characters
        displayed = [f for f in api.server.findings() if "display_name" in f.message]
        assert displayed, api.server.findings_summary()
        assert "64" in displayed[0].message and f"since v{limit.since[0]}.{limit.since[1]}" in displayed[0].contract


@pytest.mark.parametrize(("version", "found"), [("v2.30.0", False), ("v2.31.0", True)])
def test_a_blank_input_update_is_named_from_the_release_that_refuses_it(version: str, found: bool) -> None:
    with judged("stable", version) as api:
        api.update_input("3fa85f64-5717-4562-b3fc-2c963f66afa6", "   ")
        assert ("body" in kinds(api)) is found, api.server.findings_summary()


def test_a_field_the_release_does_not_read_is_named_as_ignored() -> None:
    with judged("experimental") as api:
        api.post("/tasks/me", json=_create_body(api, display_name="Fix it"))
        finding = only(api, "body")
        assert "'display_name'" in finding.message and "ignores it" in finding.message
        assert "Unknown fields are ignored" in finding.contract


@pytest.mark.parametrize(("profile", "refused", "accepted"), [
    ("stable", "bogus:1", "owner:me status:active"),
    ("experimental", "status:active bogus:1", "organization:coder"),
    ("legacy", "bogus:1", "owner:me status:running"),
])
def test_a_query_the_release_refuses_is_named_with_the_contracts_grammar(profile: str, refused: str,
                                                                         accepted: str) -> None:
    with judged(profile) as api:
        assert api.list_tasks(accepted).status_code == 200
        assert api.server.findings() == []
        assert api.list_tasks(refused).status_code == 400
        finding = only(api, "query")
        assert refused in finding.message and api.server.generation.profile.invalid_query in finding.message
        assert finding.contract.startswith(f"q ({api.server.generation.profile.openapi}): ")


# -- the rate limit and Retry-After ----------------------------------------------------------------------------------

def test_a_rate_coders_limit_refuses_is_one_finding_per_user_and_path() -> None:
    with judged("stable") as api:
        for _ in range(520):
            api.get("/tasks")
        for _ in range(20):
            api.get("/tasks", as_="bob")  # another user's budget
        finding = only(api, "rate")
        assert finding.message.startswith("8 request(s) by user alice") and "429" in finding.message
        assert "512 requests per 1m0s per user and path" in finding.contract
        assert finding.request_seq == 513 and finding.path == "/api/v2/tasks"


def test_a_server_that_limits_itself_is_not_replayed() -> None:
    with judged("stable", rate_limit=3) as api:
        statuses = [api.get("/tasks").status_code for _ in range(5)]
        assert statuses.count(429) == 2
        assert "rate" not in kinds(api)


def test_a_retry_after_not_waited_for_is_named_and_one_waited_for_is_not() -> None:
    with judged("stable", rate_limit=1, rate_window=1.0) as api:
        assert api.get("/tasks").status_code == 200
        refused = api.get("/tasks")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        api.get("/tasks")  # at once: not waited for
        finding = only(api, "retry-after")
        records = api.server.requests()
        assert finding.request_seq == records[2].seq and f"request #{records[1].seq}" in finding.message
        assert "Retry-After" in finding.contract
        time.sleep(1.1)
        again = api.get("/tasks")
        while again.status_code == 429:  # the window turned but the last one still counts: wait as told
            time.sleep(float(again.headers["Retry-After"]) + 0.05)
            again = api.get("/tasks")
        assert [f.kind for f in api.server.findings()] == ["retry-after"], api.server.findings_summary()


def _record(seq: int, at: float, headers: tuple[tuple[str, str], ...] = (), user: str = "alice") -> RecordedRequest:
    return RecordedRequest(seq=seq, at=at, method="GET", path="/api/v2/tasks", query="", headers=(), body=b"",
                           user=user, operation="listTasks", status=503 if headers else 200,
                           response_headers=headers, duration=0.01)


def test_a_retry_after_date_is_read_against_the_answers_date() -> None:
    wait = (("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"), ("date", "Sun, 06 Nov 1994 08:49:07 GMT"))
    early = retry_after_findings([_record(1, 0.0, wait), _record(2, 10.0), _record(3, 11.0)])
    assert [f.request_seq for f in early] == [2] and "(30 s)" in early[0].message
    assert retry_after_findings([_record(1, 0.0, wait), _record(2, 31.0)]) == []
    assert retry_after_findings([_record(1, 0.0, wait), _record(2, 1.0, user="bob")]) == []  # another user's


# -- tasks left behind -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["legacy", "experimental", "stable"])
def test_a_task_created_and_never_deleted_is_named_with_its_create(profile: str) -> None:
    with judged(profile) as api:
        kept = api.post("/tasks/me", json=_create_body(api, name=unique()))
        gone = api.post("/tasks/me", json=_create_body(api, name=unique()))
        assert api.delete(f"/tasks/me/{gone.json()['id']}").status_code == 202
        finding = only(api, "left-behind")
        first = api.server.requests()[0]
        assert (finding.request_seq, finding.method, finding.path) == (first.seq, "POST", first.path)
        assert kept.json()["id"] in finding.message and "deleteTask" in finding.contract
        assert api.delete(f"/tasks/me/{kept.json()['id']}").status_code == 202
        assert api.server.findings() == []


def test_a_task_the_test_preloaded_is_not_the_clients_to_delete() -> None:
    with judged("stable") as api:
        ids = api.server.identities
        api.server.app.store.existing(owner=ids.alice, organization_id=ids.org.id, template=ids.ai_template,
                                      name="preloaded", prompt="there before", status="active", age=60)
        assert len(api.list_ids()) == 1
        assert api.server.findings() == []


def test_a_create_whose_record_was_cleared_is_forgotten_with_it() -> None:
    with judged("stable") as api:
        task = api.create()
        (create,) = api.server.requests()
        rows = api.server.app.store.rows
        created = [Created(task["id"], create)]
        assert [f.request_seq for f in left_behind(created, [create], rows, "/api/v2")] == [create.seq]
        assert left_behind(created, [], rows, "/api/v2") == []  # the records were cleared (a reset)
        api.delete(f"/tasks/me/{task['id']}")


def test_a_task_the_client_deleted_is_not_left_behind_even_where_the_server_kept_it() -> None:
    with judged("stable") as api:
        task = api.create()
        (create,) = api.server.requests()
        rows = api.server.app.store.rows  # the task is still there: as a server made to ignore deletes keeps it
        created = [Created(task["id"], create)]

        def delete(ref: str, status: int) -> RecordedRequest:
            return RecordedRequest(seq=2, at=1.0, method="DELETE", path=f"/api/v2/tasks/me/{ref}", query="",
                                   headers=(), body=b"", user="alice", operation="deleteTask", status=status,
                                   response_headers=(), duration=0.01)

        def unread() -> list[Any]:
            raise AssertionError("the store was read: a seeded server's shown time moved")

        assert left_behind(created, [create, delete(task["id"], 202)], unread, "/api/v2") == []
        assert left_behind(created, [create, delete(task["name"].upper(), 202)], rows, "/api/v2") == []
        assert len(left_behind(created, [create, delete(task["id"], 409)], rows, "/api/v2")) == 1  # refused
        api.delete(f"/tasks/me/{task['id']}")


# -- the summary, and stop -------------------------------------------------------------------------------------------

def test_stop_prints_the_summary_to_stderr_without_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    server = ReferenceServer(profile="experimental", lifecycle_delay=0).start()
    token = server.target_config()["token"]
    for _ in range(2):
        httpx.get(f"{server.url}/api/v2/tasks", params={"coder_session_token": token})
    summary = server.findings_summary()
    server.stop()
    server.stop()  # once only
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == summary + "\n"
    assert summary.startswith("tasks mock: 2 client finding(s): what a real Coder experimental v2.28.0 would not")
    assert "(x2)" in summary and len(summary.splitlines()) == 2  # alike findings once
    assert token not in summary


def test_stop_prints_nothing_without_findings_or_when_told_not_to(capsys: pytest.CaptureFixture[str]) -> None:
    with ReferenceServer(profile="stable") as clean:
        assert clean.findings_summary() == ""
    with ReferenceServer(profile="stable", report_findings=False) as quiet:
        httpx.get(f"{quiet.url}/api/v2/tasks/me/x/nothing")
        assert quiet.findings_summary() != ""
    assert capsys.readouterr().err == ""


def test_a_finding_is_json_with_its_request() -> None:
    with judged("stable", "v2.31.0") as api:
        api.request("POST", "/api/v2/tasks/me/3fa85f64-5717-4562-b3fc-2c963f66afa6/pause", prefixed=False)
        (finding,) = api.server.findings()
        body = finding.to_json()
        assert set(body) == {"kind", "message", "contract", "request_seq", "method", "path"}
        assert body["kind"] == "route" and body["request_seq"] == api.server.requests()[0].seq


def test_a_request_whose_answer_the_client_has_is_recorded_and_judged_at_once() -> None:
    with judged("experimental") as api:
        for count in range(1, 201):
            api.get("/api/v2/tasks", prefixed=False)
            assert len(api.server.requests()) == count
        assert len(api.server.findings()) == 200


def test_serve_prints_the_summary_when_it_stops(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    proc = subprocess.Popen([sys.executable, "-m", "conformance.serve", "--profile", "experimental",
                             "--write-config", str(config)], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        poll(lambda: config.exists(), bool, timeout=20, interval=0.05)
        target = tomllib.loads(config.read_text())["target"]
        answer = httpx.get(f"{target['url']}/api/v2/tasks", headers={"Coder-Session-Token": target["token"]})
        assert answer.status_code == 404
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err
    assert "Reference server stopped." in out
    assert err.startswith("tasks mock: 1 client finding(s): what a real Coder experimental v2.28.0"), err
    assert "#1 GET /api/v2/tasks [route]" in err and target["token"] not in out + err
