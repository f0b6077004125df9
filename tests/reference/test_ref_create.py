"""Creating tasks: the Task shape, validation order, names, permissions."""

from __future__ import annotations

from typing import Any

import pytest
from ref_support import RFC3339, UUID_RE, Api, error_message, unique

from conformance.reference.conforming.names import generate_name, name_problem

ALWAYS_PRESENT = {
    "id": str,
    "organization_id": str,
    "owner_id": str,
    "template_id": str,
    "template_version_id": str,
    "owner_name": str,
    "name": str,
    "template_name": str,
    "template_display_name": str,
    "template_icon": str,
    "workspace_name": str,
    "initial_prompt": str,
    "status": str,
    "created_at": str,
    "updated_at": str,
}
NULLABLE = (
    "workspace_id",
    "workspace_agent_id",
    "workspace_app_id",
    "workspace_agent_lifecycle",
    "workspace_agent_health",
    "current_state",
)


def test_create_returns_201_with_a_complete_task(api: Api) -> None:
    name = unique("shape")
    response = api.create_raw(name=name, input="  Fix the flaky test\n")
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    task: dict[str, Any] = response.json()
    for key, kind in ALWAYS_PRESENT.items():
        assert isinstance(task.get(key), kind), key
    for key in NULLABLE:
        assert key in task, key
    for key in ("id", "organization_id", "owner_id", "template_id", "template_version_id", "workspace_id"):
        assert UUID_RE.match(task[key]), key
    assert RFC3339.match(task["created_at"]) and RFC3339.match(task["updated_at"])
    assert task["name"] == name
    assert task["initial_prompt"] == "  Fix the flaky test\n"
    assert task["owner_name"] == "alice" and task["owner_id"] == api.user_id("alice")
    assert task["organization_id"] == api.ids.org.id
    template = api.ids.ai_template
    assert task["template_version_id"] == api.ai_version == template.version.id
    assert (task["template_id"], task["template_name"]) == (template.id, template.name)
    assert (task["template_display_name"], task["template_icon"]) == (template.display_name, template.icon)
    assert task["workspace_name"]
    assert task["status"] in {"pending", "initializing", "active"}
    assert "owner_avatar_url" not in task  # omitted when empty


def test_created_task_is_gettable_and_listed(api: Api) -> None:
    task = api.create()
    assert api.task(task["id"])["id"] == task["id"]
    assert task["id"] in api.list_ids()


def test_empty_input_is_accepted(api: Api) -> None:
    response = api.create_raw(name=unique(), input="")
    assert response.status_code == 201
    assert response.json()["initial_prompt"] == ""


def test_missing_input_is_accepted_as_empty(api: Api) -> None:
    response = api.post("/tasks/me", json={"template_version_id": api.ai_version})
    assert response.status_code == 201
    assert response.json()["initial_prompt"] == ""


@pytest.mark.parametrize(
    "raw", [b"", b"{", b"not json", b'{"input": "x",}', b"\xff\xfe", b"NaN", b'{"a": Infinity}']
)
def test_body_that_is_not_json_is_400(api: Api, raw: bytes) -> None:
    response = api.post("/tasks/me", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_message(response) == "Request body must be valid JSON."


@pytest.mark.parametrize("body", [[], "x", 1, None, True])
def test_body_that_is_not_an_object_is_400(api: Api, body: object) -> None:
    response = api.post("/tasks/me", json=body)
    assert response.status_code == 400
    error_message(response)


@pytest.mark.parametrize(
    "override",
    [
        {"input": 5},
        {"input": ["a"]},
        {"name": 7},
        {"template_version_id": 1},
        {"template_version_id": "not-a-uuid"},
        {"template_version_preset_id": {}},
        {"template_version_preset_id": "nope"},
    ],
)
def test_wrong_field_types_are_400(api: Api, override: dict[str, object]) -> None:
    body: dict[str, object] = {"input": "x", "template_version_id": api.ai_version}
    body.update(override)
    response = api.post("/tasks/me", json=body)
    assert response.status_code == 400
    error_message(response)


def test_missing_template_version_is_400(api: Api) -> None:
    response = api.post("/tasks/me", json={"input": "x"})
    assert response.status_code == 400
    assert "Template version" in error_message(response)


def test_unknown_template_version_is_400(api: Api) -> None:
    response = api.create_raw(template_version_id="00000000-0000-4000-8000-000000000000")
    assert response.status_code == 400
    assert "Template version not found" in error_message(response)


def test_template_version_without_ai_task_is_400(api: Api) -> None:
    response = api.create_raw(template_version_id=api.plain_version)
    assert response.status_code == 400
    assert "coder_ai_task" in error_message(response)


def test_preset_of_the_version_is_accepted(api: Api) -> None:
    response = api.create_raw(name=unique(), template_version_preset_id=api.ids.preset_id)
    assert response.status_code == 201


def test_preset_not_of_the_version_is_400(api: Api) -> None:
    response = api.create_raw(
        name=unique(), template_version_preset_id="00000000-0000-4000-8000-000000000001"
    )
    assert response.status_code == 400
    assert "preset" in error_message(response).lower()


def test_template_checks_come_before_name_checks(api: Api) -> None:
    response = api.create_raw(name="bad name!", template_version_id=api.plain_version)
    assert response.status_code == 400
    assert "coder_ai_task" in error_message(response)


@pytest.mark.parametrize(
    "name",
    ["a" * 33, "-abc", "abc-", "a--b", "a b", "a_b", "ünïcode", "new", "create", "NEW", "a.b", "tab\t"],
)
def test_invalid_names_are_400(api: Api, name: str) -> None:
    response = api.create_raw(name=name)
    assert response.status_code == 400
    assert error_message(response) == "Unable to create a Task with the provided name."
    body = response.json()
    assert body["validations"][0]["field"] == "name"


@pytest.mark.parametrize("name", ["a", "A1", "a-b-c", "x" * 32, "Mixed-Case-9"])
def test_valid_names_are_accepted(api: Api, name: str) -> None:
    response = api.create_raw(name=name, as_="admin", user="admin")
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name
    api.delete(f"/tasks/admin/{response.json()['id']}", as_="admin")


def test_name_in_use_is_409_case_insensitively(api: Api) -> None:
    name = unique("dup")
    api.create(name=name)
    response = api.create_raw(name=name.upper())
    assert response.status_code == 409
    error_message(response)
    assert api.create(as_="bob", name=name)["name"] == name  # unique per owner only


def test_name_of_a_deleted_task_can_be_reused(api: Api) -> None:
    name = unique("reuse")
    task = api.create(name=name)
    assert api.delete(f"/tasks/me/{task['id']}").status_code == 202
    assert api.create(name=name)["name"] == name


def test_generated_names_are_valid_and_unique(api: Api) -> None:
    names = set()
    for prompt in ["Fix the login page for mobile users please", "", "!!!", "ünïcode ☃ words", "x" * 100]:
        response = api.post("/tasks/me", json={"input": prompt, "template_version_id": api.ai_version})
        assert response.status_code == 201, response.text
        name = response.json()["name"]
        assert name_problem(name) is None, name
        names.add(name)
    same = [api.create_raw(input="same prompt").json()["name"] for _ in range(3)]
    assert len(set(same)) == 3
    assert len(names) == 5


def test_generate_name_unit() -> None:
    taken: set[str] = set()
    for _ in range(50):
        name = generate_name("Fix the payment service now", lambda n: n in taken)
        assert name_problem(name) is None
        assert name.startswith("fix-the-payment-service-")
        assert name not in taken
        taken.add(name)
    assert generate_name("a" * 200, lambda n: False).startswith("a" * 27 + "-")


def test_member_cannot_create_for_another_user(api: Api) -> None:
    before = api.list_ids(as_="bob")
    response = api.create_raw(user="bob", name=unique())
    assert response.status_code == 403
    error_message(response)
    assert api.list_ids(as_="bob") == before  # nothing was created for bob


def test_admin_can_create_for_another_user(api: Api) -> None:
    task = api.create(as_="admin", user="alice")
    assert task["owner_name"] == "alice" and task["owner_id"] == api.user_id("alice")
    assert task["id"] in api.list_ids(as_="alice")


@pytest.mark.parametrize("ref", ["me", "alice", "ALICE", "Alice", "{alice_id}"])
def test_user_segment_forms(api: Api, ref: str) -> None:
    user = ref.format(alice_id=api.user_id("alice"))
    task = api.create(user=user)
    assert task["owner_name"] == "alice"


def test_admin_user_segment_by_uuid(api: Api) -> None:
    task = api.create(as_="admin", user=api.user_id("bob"))
    assert task["owner_name"] == "bob"


@pytest.mark.parametrize("ref", ["nobody", "00000000-0000-4000-8000-000000000009"])
def test_unknown_user_is_400(api: Api, ref: str) -> None:
    response = api.create_raw(user=ref)
    assert response.status_code == 400
    error_message(response)


def test_unknown_fields_are_ignored(api: Api) -> None:
    response = api.create_raw(name=unique(), extra={"nested": [1, 2]}, display_name="Nice")
    assert response.status_code == 201
