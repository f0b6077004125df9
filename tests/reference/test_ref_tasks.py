"""get / delete / logs / send on one task: addressing, visibility, semantics."""

from __future__ import annotations

import httpx
import pytest
from ref_support import NOT_FOUND, RFC3339, Api, error_message, poll, unique

OPS = [
    ("GET", "/tasks/{user}/{task}"),
    ("DELETE", "/tasks/{user}/{task}"),
    ("GET", "/tasks/{user}/{task}/logs"),
    ("POST", "/tasks/{user}/{task}/send"),
]


def _call(
    api: Api, method: str, template: str, *, task: str, user: str = "me", as_: str = "alice"
) -> httpx.Response:
    return api.request(method, template.format(user=user, task=task), as_=as_, json={"input": "hello"})


# -- get ---------------------------------------------------------------------------------------------------


def test_get_by_uuid(api: Api) -> None:
    task = api.create()
    got = api.task(task["id"])
    assert got["id"] == task["id"] and got["name"] == task["name"]


def test_get_by_name_case_insensitive(api: Api) -> None:
    task = api.create(name=unique("Named"))
    for ref in (task["name"], task["name"].lower(), task["name"].upper()):
        assert api.task(ref)["id"] == task["id"]


def test_get_by_uuid_ignores_the_user_segment(api: Api) -> None:
    task = api.create()
    for user in ("bob", "admin", api.user_id("bob")):
        assert api.task(task["id"], user=user)["id"] == task["id"]


def test_name_lookup_is_scoped_to_the_user_segment(api: Api) -> None:
    task = api.create(name=unique("scoped"))
    assert api.task(task["name"], user="alice")["id"] == task["id"]
    response = api.get(f"/tasks/bob/{task['name']}")
    assert response.status_code == 404


def test_admin_gets_by_name_under_the_owner(api: Api) -> None:
    task = api.create(name=unique("adm"))
    assert api.task(task["name"], user="alice", as_="admin")["id"] == task["id"]
    assert api.get(f"/tasks/me/{task['name']}", as_="admin").status_code == 404


UNKNOWN_REFS = ["6f1c2b7e-3d4a-4c5b-9e8f-1a2b3c4d5e6f", "no-such-task", "00000000-0000-0000-0000-000000000000"]


@pytest.mark.parametrize("ref", UNKNOWN_REFS)
def test_unknown_task_is_404(api: Api, ref: str) -> None:
    response = api.get(f"/tasks/me/{ref}")
    assert response.status_code == 404
    assert error_message(response) == NOT_FOUND


@pytest.mark.parametrize(("method", "template"), OPS)
def test_another_members_task_is_404_for_every_operation(api: Api, method: str, template: str) -> None:
    task = api.create_active(as_="bob")
    for user in ("me", "bob"):
        response = _call(api, method, template, task=task["id"], user=user, as_="alice")
        assert response.status_code == 404, (user, response.text)
        assert error_message(response) == NOT_FOUND
    assert api.task(task["id"], as_="bob")["status"] == "active"  # untouched


@pytest.mark.parametrize(("method", "template"), OPS)
def test_unknown_user_segment_is_400_for_every_operation(api: Api, method: str, template: str) -> None:
    task = api.create_active()
    response = _call(api, method, template, task=task["id"], user="nobody-here")
    assert response.status_code == 400
    error_message(response)


def test_admin_sees_and_deletes_everyones_tasks(api: Api) -> None:
    task = api.create_active(as_="bob")
    assert api.task(task["id"], as_="admin")["owner_name"] == "bob"
    assert api.get(f"/tasks/bob/{task['id']}/logs", as_="admin").status_code == 200
    assert api.send(task["id"], "from the admin", as_="admin").status_code == 204
    assert api.delete(f"/tasks/bob/{task['id']}", as_="admin").status_code == 202
    assert api.get(f"/tasks/bob/{task['id']}", as_="bob").status_code == 404


# -- delete ------------------------------------------------------------------------------------------------


def test_delete_semantics(api: Api) -> None:
    task = api.create_active()
    response = api.delete(f"/tasks/me/{task['id']}")
    assert response.status_code == 202
    assert response.content == b""
    for method, template in OPS:
        follow = _call(api, method, template, task=task["id"])
        assert follow.status_code == 404, (method, template)
        assert error_message(follow) == NOT_FOUND
    assert task["id"] not in api.list_ids()
    assert task["id"] not in api.list_ids(as_="admin")
    assert api.get(f"/tasks/me/{task['name']}").status_code == 404


def test_delete_by_name(api: Api) -> None:
    task = api.create(name=unique("del"))
    assert api.delete(f"/tasks/alice/{task['name'].upper()}").status_code == 202
    assert task["id"] not in api.list_ids()


# -- send and logs -----------------------------------------------------------------------------------------


def test_send_records_input_and_the_agent_replies(api: Api) -> None:
    task = api.create_active(input="")
    assert api.logs(task["id"]) == []
    response = api.send(task["id"], "Please add tests")
    assert response.status_code == 204
    assert response.content == b""
    logs = poll(lambda: api.logs(task["id"]), lambda entries: any(e["type"] == "output" for e in entries))
    assert [e["type"] for e in logs] == ["input", "output"]
    assert logs[0]["content"] == "Please add tests"
    assert "Please add tests" in logs[1]["content"]


def test_initial_prompt_reaches_the_agent(api: Api) -> None:
    task = api.create_active(input="Summarize the README")
    logs = poll(lambda: api.logs(task["id"]), lambda entries: len(entries) >= 2)
    assert logs[0] == {**logs[0], "type": "input", "content": "Summarize the README"}
    assert logs[1]["type"] == "output"


def test_log_entries_shape_and_order(api: Api) -> None:
    task = api.create_active(input="first")
    for text in ("second", "third ☃", "  "):
        assert api.send(task["id"], text).status_code == 204
    logs = poll(lambda: api.logs(task["id"]), lambda entries: len(entries) == 8)
    ids = [e["id"] for e in logs]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(ids) and len(set(ids)) == len(ids)
    for entry in logs:
        assert set(entry) == {"id", "content", "type", "time"}
        assert entry["type"] in {"input", "output"} and isinstance(entry["content"], str)
        assert RFC3339.match(entry["time"])
    times = [e["time"] for e in logs]
    assert times == sorted(times)
    assert [e["content"] for e in logs if e["type"] == "input"] == ["first", "second", "third ☃", "  "]


def test_send_by_task_name(api: Api) -> None:
    task = api.create_active(name=unique("sendname"), input="")
    assert api.send(task["name"], "by name", user="alice").status_code == 204
    assert api.logs(task["id"])[0]["content"] == "by name"


def test_send_empty_input_is_400(api: Api) -> None:
    task = api.create_active(input="")
    response = api.send(task["id"], "")
    assert response.status_code == 400
    assert error_message(response) == "Task input is required."
    assert api.post(f"/tasks/me/{task['id']}/send", json={}).status_code == 400
    assert api.logs(task["id"]) == []


def test_send_whitespace_input_is_accepted(api: Api) -> None:
    task = api.create_active(input="")
    assert api.send(task["id"], " \t\n").status_code == 204
    assert api.logs(task["id"])[0]["content"] == " \t\n"


@pytest.mark.parametrize("raw", [b"", b"{", b"[1]", b'"text"', b'{"input": 3}'])
def test_send_bad_body_is_400(api: Api, raw: bytes) -> None:
    task = api.create_active(input="")
    response = api.post(
        f"/tasks/me/{task['id']}/send", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error_message(response) == "Request body must be valid JSON."


def test_logs_response_shape(api: Api) -> None:
    task = api.create_active(input="")
    response = api.get(f"/tasks/me/{task['id']}/logs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {"logs": []}
