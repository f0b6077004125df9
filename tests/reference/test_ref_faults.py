"""Every named fault really changes what the server answers.

``PROBES`` maps each fault to a probe (a function of the API returning an observation) and the observation
a conforming server gives. Each fault's test runs its probe with no faults (must give the conforming
observation) and with only that fault on (must give something else). A fault without a probe fails.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from ref_support import (
    RFC3339,
    Api,
    Probe,
    assert_switch_changes_the_answer,
    home_profile,
    poll,
    switched_api,
    unique,
)

from conformance.reference import FAULTS, ReferenceServer
from conformance.reference.faults import ActiveFaults, faults_from_env, parse_fault_list, validate_fault_names


def _active(api: Api, as_: str = "alice", **body: Any) -> dict[str, Any]:
    return api.create_active(as_=as_, input="", **body)


def _list_count_minus_len(api: Api) -> int:
    api.create()
    body = api.list_tasks().json()
    return int(body["count"]) - len(body["tasks"])


def _newest_first(api: Api) -> bool:
    old, new = api.create(), api.create()
    ids = api.list_ids()
    return ids.index(new["id"]) < ids.index(old["id"])


def _pending_filter_finds_active(api: Api) -> bool:
    task = _active(api)
    return task["id"] in api.list_ids("status:pending")


def _bare_word_owners(api: Api) -> frozenset[str]:
    api.create(as_="alice")
    api.create(as_="bob")
    return frozenset(t["owner_name"] for t in api.list_tasks("bob", as_="admin").json()["tasks"])


def _uppercase_status_query(api: Api) -> int:
    return api.list_tasks("STATUS:ACTIVE OWNER:ME").status_code


def _member_sees_others(api: Api) -> bool:
    api.create(as_="bob")
    return any(t["owner_name"] != "alice" for t in api.list_tasks(as_="alice").json()["tasks"])


def _deleted_listed(api: Api) -> bool:
    task = api.create()
    assert api.delete(f"/tasks/me/{task['id']}").status_code in (200, 202)
    return task["id"] in api.list_ids()


def _anonymous_get(api: Api) -> int:
    task = api.create()
    return api.get(f"/tasks/alice/{task['id']}", as_=None).status_code


def _get_bobs_task(api: Api) -> int:
    task = api.create(as_="bob")
    return api.get(f"/tasks/bob/{task['id']}", as_="alice").status_code


def _unknown_route_anonymous(api: Api) -> int:
    return api.get("/no-such-route", as_=None).status_code


def _bad_cookie_good_header(api: Api) -> int:
    headers = {"Cookie": "coder_session_token=invalid", "Coder-Session-Token": api.tokens["alice"]}
    return api.get("/tasks", as_=None, headers=headers).status_code


def _wrong_secret(api: Api) -> int:
    key_id = api.tokens["alice"].partition("-")[0]
    return api.get("/tasks", as_=None, headers={"Coder-Session-Token": f"{key_id}-{'Z' * 22}"}).status_code


def _delete_status(api: Api) -> int:
    return api.delete(f"/tasks/me/{api.create()['id']}").status_code


def _send_then_logs(api: Api, text: str) -> list[dict[str, Any]]:
    task = _active(api)
    assert api.send(task["id"], text).status_code == 204
    return poll(lambda: api.logs(task["id"]), lambda entries: any(e["content"] != text for e in entries))


def _input_recorded(api: Api) -> bool:
    text = f"probe {uuid.uuid4()}"
    return any(e["content"] == text for e in _send_then_logs(api, text))


def _input_entry_types(api: Api) -> frozenset[str]:
    text = f"probe {uuid.uuid4()}"
    return frozenset(e["type"] for e in _send_then_logs(api, text) if e["content"] == text)


def _send_empty(api: Api) -> int:
    return api.send(_active(api)["id"], "").status_code


def _has_owner_name(api: Api) -> bool:
    return "owner_name" in api.task(api.create()["id"])


def _pending_nulls_present(api: Api) -> bool:
    task = api.create()  # created tasks are pending on the fault server
    return "workspace_agent_id" in task and task["workspace_agent_id"] is None


def _created_at_is_rfc3339(api: Api) -> bool:
    return RFC3339.match(api.create()["created_at"]) is not None


def _list_content_type(api: Api) -> str:
    return api.list_tasks().headers["content-type"].split(";")[0]


def _error_body_is_json(api: Api) -> bool:
    response = api.get(f"/tasks/me/{uuid.uuid4()}")
    try:
        return isinstance(response.json().get("message"), str)
    except ValueError:
        return False


def _unknown_user_status(api: Api) -> int:
    return api.get(f"/tasks/nobody-at-all/{uuid.uuid4()}").status_code


def _becomes_active(api: Api) -> bool:
    task = api.create()
    try:
        api.wait_active(task["id"], timeout=1.0)
    except AssertionError:
        return False
    return True


def _duplicate_name_status(api: Api) -> int:
    name = unique("dup")
    api.create(name=name)
    return api.create_raw(name=name).status_code


def _invalid_name_status(api: Api) -> int:
    return api.create_raw(name=f"not valid {uuid.uuid4().hex[:6]}!").status_code


def _create_status(api: Api) -> int:
    return api.create_raw(name=unique()).status_code


PROBES: dict[str, Probe] = {
    "create-returns-200": Probe(_create_status, 201),
    "list-count-off-by-one": Probe(_list_count_minus_len, 0),
    "list-oldest-first": Probe(_newest_first, True),
    "status-filter-ignored": Probe(_pending_filter_finds_active, False),
    "bare-word-owner-ignored": Probe(_bare_word_owners, frozenset({"bob"})),
    "query-case-sensitive": Probe(_uppercase_status_query, 200),
    "member-sees-others-tasks": Probe(_member_sees_others, False),
    "deleted-task-still-listed": Probe(_deleted_listed, False),
    "get-skips-auth": Probe(_anonymous_get, 401),
    "get-other-members-task": Probe(_get_bobs_task, 404),
    "other-members-task-403": Probe(_get_bobs_task, 404),
    "auth-after-routing": Probe(_unknown_route_anonymous, 401),
    "token-precedence-reversed": Probe(_bad_cookie_good_header, 401),
    "wrong-secret-accepted": Probe(_wrong_secret, 401),
    "delete-returns-200": Probe(_delete_status, 202),
    "send-drops-input": Probe(_input_recorded, True),
    "send-empty-input-accepted": Probe(_send_empty, 400),
    "logs-wrong-type": Probe(_input_entry_types, frozenset({"input"})),
    "missing-owner-name": Probe(_has_owner_name, True),
    "nullable-fields-omitted": Probe(_pending_nulls_present, True),
    "bad-created-at-format": Probe(_created_at_is_rfc3339, True),
    "json-without-content-type": Probe(_list_content_type, "application/json"),
    "error-body-not-json": Probe(_error_body_is_json, True),
    "unknown-user-500": Probe(_unknown_user_status, 400),
    "task-stuck-pending": Probe(_becomes_active, True),
    "duplicate-name-accepted": Probe(_duplicate_name_status, 409),
    "invalid-name-accepted": Probe(_invalid_name_status, 400),
}


# --- probes of the faults only fuzzing would reasonably find (conformance/fuzz) ---------------------------------
def _double_space_query_status(api: Api) -> int:
    return api.list_tasks("owner:me  status:active").status_code


def _long_numeric_name_has_workspace_name(api: Api) -> bool:
    name = f"long{uuid.uuid4().hex[:17]}-12345678"  # 30 characters, ending in 8 digits
    return isinstance(api.create(name=name)["workspace_name"], str)


def _unknown_field_get_status(api: Api) -> int:
    task = api.create(colour="blue")  # a field the server does not know (Coder ignores those)
    return api.get(f"/tasks/me/{task['id']}").status_code


def _anonymous_logs_of_existing_task(api: Api) -> int:
    return api.get(f"/tasks/me/{_active(api)['id']}/logs", as_=None).status_code


PROBES.update({
    "query-double-space-500": Probe(_double_space_query_status, 200),
    "long-numeric-name-schema-violation": Probe(_long_numeric_name_has_workspace_name, True),
    "unknown-field-id-mismatch": Probe(_unknown_field_get_status, 200),
    "logs-skips-auth": Probe(_anonymous_logs_of_existing_task, 401),
})

# --- probes of the faults added with the catalogue self-test (tests/faults) ----------------------------------------
JSON_CT = "application/json; charset=utf-8"
_JSON_HEADERS = {"Content-Type": "application/json"}


def _nobody() -> str:
    return str(uuid.uuid4())


def _bobs_active(api: Api) -> dict[str, Any]:
    return _active(api, as_="bob")


def _created_then_deleted(api: Api, *, active: bool = False) -> str:
    task = _active(api) if active else api.create()
    assert api.delete(f"/tasks/me/{task['id']}").status_code in (200, 202)
    return str(task["id"])


def _has_output_reply(api: Api) -> bool:
    task = _active(api)
    assert api.send(task["id"], f"probe {uuid.uuid4()}").status_code in (200, 204)
    try:
        poll(lambda: api.logs(task["id"]), lambda entries: any(e["type"] == "output" for e in entries), timeout=1.0)
    except AssertionError:
        return False
    return True


def _log_ids_are_ints(api: Api) -> bool:
    return all(isinstance(e["id"], int) for e in _send_then_logs(api, f"probe {uuid.uuid4()}"))


def _admin_owners_for_bob(api: Api) -> frozenset[str]:
    api.create(as_="alice")
    api.create(as_="bob")
    listed = api.list_tasks(f"owner:{api.user_id('bob')}", as_="admin").json()["tasks"]
    return frozenset(t["owner_name"] for t in listed)


def _paused_filter_with_owner_finds_active(api: Api) -> bool:
    task = _active(api)
    return task["id"] in api.list_ids("owner:me status:paused")


def _bobs_task_under_owner_filter(api: Api) -> bool:
    task = api.create(as_="bob")
    response = api.list_tasks(f"owner:{api.user_id('bob')}", as_="alice")
    return task["id"] in [t["id"] for t in response.json().get("tasks") or []]


def _bobs_task_in_admin_list(api: Api) -> bool:
    task = api.create(as_="bob")
    return task["id"] in api.list_ids(as_="admin")


def _created_at_stays(api: Api) -> bool:
    task = api.create()
    return bool(api.wait_active(task["id"])["created_at"] == task["created_at"])


def _name_swapcase_conflict(api: Api) -> int:
    name = unique("Dup")
    api.create(name=name)
    return api.create_raw(name=name.swapcase()).status_code


def _get_by_swapped_name(api: Api) -> int:
    task = api.create(name=unique("Case"))
    return api.get(f"/tasks/me/{task['name'].swapcase()}").status_code


def _token_without_secret(api: Api) -> str:
    return f"{api.tokens['alice'].partition('-')[0]}-{'Z' * 22}"


PROBES.update({
    # status codes
    "send-returns-200": Probe(lambda api: api.send(_active(api)["id"], "hello").status_code, 204),
    "empty-search-404": Probe(lambda api: api.list_tasks(f"owner:{api.user_id('bob')}").status_code, 200),
    "get-missing-task-400": Probe(lambda api: api.get(f"/tasks/me/{_nobody()}").status_code, 404),
    "logs-missing-task-200": Probe(lambda api: api.get(f"/tasks/me/{_nobody()}/logs").status_code, 404),
    "send-missing-task-204": Probe(lambda api: api.send(_nobody(), "x").status_code, 404),
    "delete-missing-task-202": Probe(lambda api: api.delete(f"/tasks/me/{_nobody()}").status_code, 404),
    "wrong-method-404": Probe(lambda api: api.request("PUT", "/tasks", json={}).status_code, 405),
    "unknown-route-html": Probe(lambda api: api.get("/no-such-route").headers["content-type"], JSON_CT),
    # body schemas
    "create-requires-name": Probe(lambda api: api.create_raw().status_code, 201),
    "log-id-as-string": Probe(_log_ids_are_ints, True),
    "nullable-uuids-as-objects": Probe(lambda api: isinstance(api.create()["workspace_id"], str), True),
    "log-types-user-agent": Probe(_input_entry_types, frozenset({"input"})),
    "template-icon-null": Probe(lambda api: isinstance(api.create()["template_icon"], str), True),
    "empty-list-null": Probe(lambda api: api.list_tasks(f"owner:{api.user_id('bob')}").json()["tasks"], []),
    # content types
    "errors-labelled-html": Probe(lambda api: api.get(f"/tasks/me/{_nobody()}").headers["content-type"], JSON_CT),
    "logs-without-content-type": Probe(
        lambda api: api.get(f"/tasks/me/{_active(api)['id']}/logs").headers.get("content-type"), JSON_CT),
    # error bodies
    "error-key-renamed": Probe(_error_body_is_json, True),
    "query-error-without-validations": Probe(lambda api: "validations" in api.list_tasks("nope:x").json(), True),
    # authentication
    "malformed-token-400": Probe(
        lambda api: api.get("/tasks", as_=None, headers={"Coder-Session-Token": "abc"}).status_code, 401),
    "unknown-token-403": Probe(
        lambda api: api.get("/tasks", as_=None, headers={"Coder-Session-Token": f"{'A' * 10}-{'B' * 22}"}).status_code,
        401),
    "header-token-get-only": Probe(lambda api: api.create_raw(name=unique()).status_code, 201),
    "cookie-token-ignored": Probe(lambda api: api.get(
        "/tasks", as_=None, headers={"Cookie": f"coder_session_token={api.tokens['alice']}"}).status_code, 200),
    "query-token-ignored": Probe(lambda api: api.get(
        "/tasks", as_=None, params={"coder_session_token": api.tokens["alice"]}).status_code, 200),
    "bearer-skips-secret-check": Probe(lambda api: api.get(
        "/tasks", as_=None, headers={"Authorization": f"Bearer {_token_without_secret(api)}"}).status_code, 401),
    # access control
    "logs-other-members-task": Probe(
        lambda api: api.get(f"/tasks/bob/{_bobs_active(api)['id']}/logs", as_="alice").status_code, 404),
    "send-other-members-task": Probe(lambda api: api.send(_bobs_active(api)["id"], "x", user="bob").status_code, 404),
    "delete-other-members-task": Probe(
        lambda api: api.delete(f"/tasks/bob/{api.create(as_='bob')['id']}", as_="alice").status_code, 404),
    "admin-sees-only-own": Probe(_bobs_task_in_admin_list, True),
    "member-creates-for-others": Probe(lambda api: api.create_raw(user="bob", name=unique()).status_code, 403),
    "owner-filter-bypasses-visibility": Probe(_bobs_task_under_owner_filter, False),
    # filtering
    "owner-filter-ignored": Probe(_admin_owners_for_bob, frozenset({"bob"})),
    "owner-uuid-unsupported": Probe(lambda api: api.list_tasks(f"owner:{api.user_id('alice')}").status_code, 200),
    "organization-filter-ignored": Probe(lambda api: (api.create(), api.list_ids(f"organization:{_nobody()}"))[1],
                                         []),
    "organization-name-unsupported": Probe(lambda api: api.list_tasks("organization:coder").status_code, 200),
    "quotes-kept": Probe(lambda api: api.list_tasks('owner:"alice"').status_code, 200),
    "filters-or-combined": Probe(_paused_filter_with_owner_finds_active, False),
    "empty-query-400": Probe(lambda api: api.list_tasks("").status_code, 200),
    "unknown-filter-key-ignored": Probe(lambda api: api.list_tasks("nope:x").status_code, 400),
    "colon-edge-accepted": Probe(lambda api: api.list_tasks(":foo").status_code, 400),
    "multi-colon-accepted": Probe(lambda api: api.list_tasks("owner:a:b").status_code, 400),
    "unknown-owner-matches-nothing": Probe(lambda api: api.list_tasks("owner:nosuchuser").status_code, 400),
    "unknown-org-matches-nothing": Probe(lambda api: api.list_tasks("organization:nosuchorg").status_code, 400),
    # lifecycle
    "status-running-not-active": Probe(_becomes_active, True),
    "initial-status-unknown": Probe(lambda api: api.create()["status"] in ("pending", "initializing", "active"), True),
    "created-at-changes": Probe(_created_at_stays, True),
    "active-without-agent": Probe(lambda api: _active(api)["workspace_agent_id"] is not None, True),
    # send and logs
    "send-input-newline": Probe(_input_recorded, True),
    "send-before-active-accepted": Probe(lambda api: api.send(api.create()["id"], "early").status_code, 400),
    "logs-before-active-200": Probe(lambda api: api.get(f"/tasks/me/{api.create()['id']}/logs").status_code, 400),
    "agent-never-replies": Probe(_has_output_reply, True),
    # create and get
    "name-conflict-case-sensitive": Probe(_name_swapcase_conflict, 409),
    "reserved-name-accepted": Probe(lambda api: api.create_raw(name="new").status_code, 400),
    "template-version-not-checked": Probe(lambda api: api.create_raw(template_version_id=_nobody()).status_code, 400),
    "non-ai-template-accepted": Probe(
        lambda api: api.create_raw(template_version_id=api.plain_version, name=unique()).status_code, 400),
    "missing-template-version-accepted": Probe(
        lambda api: api.post("/tasks/me", json={"input": "x", "name": unique()}).status_code, 400),
    "initial-prompt-trimmed": Probe(lambda api: api.create(input="  padded  ")["initial_prompt"], "  padded  "),
    "get-trims-initial-prompt": Probe(lambda api: api.task(api.create(input=" padded ")["id"])["initial_prompt"],
                                      " padded "),
    "username-user-segment-unsupported": Probe(
        lambda api: api.get(f"/tasks/alice/{api.create()['id']}").status_code, 200),
    "get-by-name-case-sensitive": Probe(_get_by_swapped_name, 200),
    # delete
    "deleted-task-still-gettable": Probe(lambda api: api.get(f"/tasks/me/{_created_then_deleted(api)}").status_code,
                                         404),
    "second-delete-succeeds": Probe(lambda api: api.delete(f"/tasks/me/{_created_then_deleted(api)}").status_code,
                                    404),
    "deleted-task-logs-send": Probe(
        lambda api: api.get(f"/tasks/me/{_created_then_deleted(api, active=True)}/logs").status_code, 404),
    "delete-returns-body": Probe(lambda api: api.delete(f"/tasks/me/{api.create()['id']}").content, b""),
    # robustness
    "non-object-body-500": Probe(
        lambda api: api.post("/tasks/me", content=b"[1]", headers=_JSON_HEADERS).status_code, 400),
    "wrong-type-input-500": Probe(lambda api: api.create_raw(input=5, name=unique()).status_code, 400),
    "malformed-json-500": Probe(
        lambda api: api.post("/tasks/me", content=b"{nope", headers=_JSON_HEADERS).status_code, 400),
    "bad-status-500": Probe(lambda api: api.list_tasks("status:bogus").status_code, 400),
})


def _paused(api: Api, as_: str = "alice") -> dict[str, Any]:
    return api.create_paused(as_=as_, input="")


def _takes_effect(api: Api, task_id: str, status: str) -> bool:
    try:
        api.wait_status(task_id, status, timeout=1.0)
    except AssertionError:
        return False
    return True


def _pause_takes_effect(api: Api) -> bool:
    task = _active(api)
    assert api.pause(task["id"]).status_code == 202
    return _takes_effect(api, task["id"], "paused")


def _resume_takes_effect(api: Api) -> bool:
    task = _paused(api)
    assert api.resume(task["id"]).status_code == 202
    return _takes_effect(api, task["id"], "active")


def _input_saved(api: Api) -> bool:
    task = _paused(api)
    assert api.update_input(task["id"], "a new prompt").status_code == 204
    return bool(api.task(task["id"])["initial_prompt"] == "a new prompt")


def _status_once_started(api: Api) -> str:
    task = api.create()
    started = poll(lambda: api.task(task["id"]), lambda t: t["status"] not in ("pending", "starting", "initializing"))
    return str(started["status"])


def _found_by_bare_name(api: Api) -> bool:
    task = api.create(name=unique("bare"))
    response = api.list_tasks(task["name"])
    return response.status_code == 200 and task["id"] in [t["id"] for t in response.json()["tasks"]]


PROBES.update({
    # pause and resume (stable)
    "pause-stops-nothing": Probe(_pause_takes_effect, True),
    "resume-starts-nothing": Probe(_resume_takes_effect, True),
    "resume-not-paused-accepted": Probe(lambda api: api.resume(_active(api)["id"]).status_code, 409),
    "pause-returns-200": Probe(lambda api: api.pause(_active(api)["id"]).status_code, 202),
    "resume-returns-200": Probe(lambda api: api.resume(_paused(api)["id"]).status_code, 202),
    "pause-body-empty": Probe(lambda api: "workspace_build" in api.pause(_active(api)["id"]).json(), True),
    "resume-build-id-only": Probe(lambda api: "workspace_build" in api.resume(_paused(api)["id"]).json(), True),
    "pause-other-members-task": Probe(
        lambda api: api.pause(_bobs_active(api)["id"], user="bob", as_="alice").status_code, 404),
    "resume-other-members-task": Probe(
        lambda api: api.resume(_paused(api, as_="bob")["id"], user="bob", as_="alice").status_code, 404),
    "pause-skips-auth": Probe(lambda api: api.post(f"/tasks/alice/{api.create()['id']}/pause", as_=None).status_code,
                              401),
    # input, logs and send while paused (stable)
    "input-accepted-while-active": Probe(lambda api: api.update_input(_active(api)["id"], "x").status_code, 409),
    "input-blank-accepted": Probe(lambda api: api.update_input(_paused(api)["id"], "  ").status_code, 400),
    "input-not-saved": Probe(_input_saved, True),
    "input-update-returns-200": Probe(lambda api: api.update_input(_paused(api)["id"], "x").status_code, 204),
    "input-other-members-task": Probe(
        lambda api: api.update_input(_bobs_active(api)["id"], "x", user="bob", as_="alice").status_code, 404),
    "send-paused-400": Probe(lambda api: api.send(_paused(api)["id"], "x").status_code, 409),
    "send-starting-400": Probe(lambda api: api.send(api.create()["id"], "early").status_code, 409),
    "snapshot-missing-while-paused": Probe(
        lambda api: api.get(f"/tasks/me/{_paused(api)['id']}/logs").status_code, 200),
    "snapshot-flag-missing": Probe(
        lambda api: api.get(f"/tasks/me/{_paused(api)['id']}/logs").json().get("snapshot"), True),
    "live-logs-marked-snapshot": Probe(
        lambda api: "snapshot" in api.get(f"/tasks/me/{_active(api)['id']}/logs").json(), False),
    # display name (stable)
    "display-name-too-long-accepted": Probe(
        lambda api: api.create_raw(name=unique(), display_name="d" * 65).status_code, 400),
    "display-name-ignored": Probe(lambda api: api.create(display_name="Given name")["display_name"], "Given name"),
    "display-name-not-generated": Probe(lambda api: bool(api.create()["display_name"]), True),
    "display-name-missing": Probe(lambda api: "display_name" in api.create(), True),
    # generations
    "experimental-aliases-missing": Probe(
        lambda api: api.get("/api/experimental/tasks", prefixed=False).status_code, 200),
    "name-lookup-missing": Probe(lambda api: api.get(f"/tasks/me/{api.create()['name']}").status_code, 200),
    "legacy-status-of-task-model": Probe(_status_once_started, "running"),
    "legacy-id-not-workspace": Probe(lambda api: (lambda t: t["workspace_id"] == t["id"])(api.create()), True),
    "legacy-unknown-template-400": Probe(
        lambda api: api.create_raw(template_version_id=_nobody(), name=unique()).status_code, 404),
    "legacy-filters-task-statuses": Probe(lambda api: api.list_tasks("status:running").status_code, 200),
    "legacy-bare-word-owner": Probe(_found_by_bare_name, True),
})


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_changes_the_answer(switch_servers: Any, name: str) -> None:
    server = switch_servers(home_profile(FAULTS[name].profiles))
    for api in switched_api(server, server.set_faults):
        assert_switch_changes_the_answer("fault", name, PROBES.get(name), api, server.set_faults,
                                         lambda: server.faults)


def test_every_fault_has_a_probe() -> None:
    assert sorted(PROBES) == sorted(FAULTS), "faults without probes (or probes without faults)"


def test_faults_from_the_constructor() -> None:
    with ReferenceServer(profile="experimental", lifecycle_delay=0, faults=["create-returns-200"]) as server:
        client = Api(server)
        try:
            assert client.create_raw(name=unique()).status_code == 200
        finally:
            client.close()


def test_unknown_fault_names_are_rejected_with_the_valid_ones_listed() -> None:
    with pytest.raises(ValueError, match="no-such-fault") as info:
        ReferenceServer(faults=["no-such-fault"])
    assert "create-returns-200" in str(info.value)
    with ReferenceServer(lifecycle_delay=0) as server:
        with pytest.raises(ValueError):
            server.set_faults(["create-returns-200", "bogus"])
        assert server.faults == frozenset()


def test_fault_list_parsing() -> None:
    assert parse_fault_list("") == frozenset()
    assert parse_fault_list(" create-returns-200 , delete-returns-200,") == {
        "create-returns-200",
        "delete-returns-200",
    }
    assert faults_from_env({"TASKS_CONFORMANCE_REFERENCE_FAULTS": "list-oldest-first"}) == {
        "list-oldest-first"
    }
    assert faults_from_env({}) == frozenset()
    with pytest.raises(ValueError):
        validate_fault_names(["nope"])
    with pytest.raises(KeyError):
        ActiveFaults().enabled("nope")
