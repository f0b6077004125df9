"""Every named fault really changes what the server answers.

``PROBES`` maps each fault to a probe (a function of the API returning an observation) and the observation
a conforming server gives. Each fault's test runs its probe with no faults (must give the conforming
observation) and with only that fault on (must give something else). A fault without a probe fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ref_support import RFC3339, Api, poll, unique

from conformance.reference import FAULTS, ReferenceServer
from conformance.reference.faults import ActiveFaults, faults_from_env, parse_fault_list, validate_fault_names

Observation = Any


@dataclass(frozen=True)
class Probe:
    observe: Callable[[Api], Observation]
    conforming: Observation


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

@pytest.fixture(scope="module")
def fault_server() -> Iterator[ReferenceServer]:
    """Tasks stay pending for a moment (so null fields can be seen) and the agent answers at once."""
    with ReferenceServer(lifecycle_delay=0.05, reply_delay=0) as server:
        yield server
        assert server.unexpected_errors == [], server.unexpected_errors


@pytest.fixture()
def fault_api(fault_server: ReferenceServer) -> Iterator[Api]:
    fault_server.set_faults([])
    client = Api(fault_server)
    yield client
    client.close()
    fault_server.set_faults([])


def test_every_fault_has_a_probe() -> None:
    assert sorted(PROBES) == sorted(FAULTS), "faults without probes (or probes without faults)"


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_changes_the_answer(fault_server: ReferenceServer, fault_api: Api, name: str) -> None:
    probe = PROBES.get(name)
    if probe is None:
        pytest.fail(f"fault {name!r} has no probe in PROBES")
    baseline = probe.observe(fault_api)
    assert baseline == probe.conforming, f"without faults the probe for {name} saw {baseline!r}"
    fault_server.set_faults([name])
    assert fault_server.faults == {name}
    faulty = probe.observe(fault_api)
    assert faulty != probe.conforming, f"with {name} on, the probe still saw the conforming {faulty!r}"
    fault_server.set_faults([])
    assert probe.observe(fault_api) == probe.conforming, f"switching {name} off did not restore behaviour"


def test_faults_from_the_constructor() -> None:
    with ReferenceServer(lifecycle_delay=0, faults=["create-returns-200"]) as server:
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
