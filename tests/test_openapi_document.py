"""Self-test of the contract documents `conformance/contracts/openapi-{legacy,experimental,stable}.yaml`: what all
three share, then what each generation has of its own (the experimental one in most detail); and `openapi.yaml` at
the repository root, the stable one where users look for the contract."""

from __future__ import annotations

import datetime
import importlib.resources
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.generation.stateful.state_machine import StepOutput
from schemathesis.specs.openapi.stateful import collect_transitions

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = REPO_ROOT / "conformance" / "contracts"
PACKAGED = CONTRACTS / "openapi-experimental.yaml"
PROFILE_DOCUMENTS = {p: CONTRACTS / f"openapi-{p}.yaml" for p in ("legacy", "experimental", "stable")}
ROOT_DOCUMENT = REPO_ROOT / "openapi.yaml"
PREFIXES = {"legacy": "/api/experimental", "experimental": "/api/experimental", "stable": "/api/v2"}
STABLE_OPERATIONS = {
    "updateTaskInput": ("patch", "/tasks/{user}/{task}/input"),
    "pauseTask": ("post", "/tasks/{user}/{task}/pause"),
    "resumeTask": ("post", "/tasks/{user}/{task}/resume"),
}
LEGACY_TASK_FIELDS = {"id", "organization_id", "owner_id", "owner_name", "name", "template_id", "template_name",
                      "template_display_name", "template_icon", "workspace_id", "workspace_agent_id",
                      "workspace_agent_lifecycle", "workspace_agent_health", "initial_prompt", "status",
                      "current_state", "created_at", "updated_at"}

OPERATIONS = {
    "listTasks": ("get", "/tasks"),
    "createTask": ("post", "/tasks/{user}"),
    "getTask": ("get", "/tasks/{user}/{task}"),
    "deleteTask": ("delete", "/tasks/{user}/{task}"),
    "getTaskLogs": ("get", "/tasks/{user}/{task}/logs"),
    "sendTaskInput": ("post", "/tasks/{user}/{task}/send"),
}

# Every status code each operation documents, success first.
RESPONSE_CODES = {
    "listTasks": {"200", "400", "401", "429"},
    "createTask": {"201", "400", "401", "403", "404", "409", "429"},
    "getTask": {"200", "400", "401", "404", "429"},
    "deleteTask": {"202", "400", "401", "404", "409", "429"},
    "getTaskLogs": {"200", "400", "401", "404", "409", "429", "502"},
    "sendTaskInput": {"204", "400", "401", "404", "409", "429", "502"},
}
SUCCESS_SCHEMAS = {
    "listTasks": ("200", "TaskListResponse"),
    "createTask": ("201", "Task"),
    "getTask": ("200", "Task"),
    "getTaskLogs": ("200", "TaskLogsResponse"),
}
NO_BODY_SUCCESS = {"deleteTask": "202", "sendTaskInput": "204"}

TASK_ALWAYS_PRESENT = {
    "id",
    "organization_id",
    "owner_id",
    "template_id",
    "template_version_id",
    "owner_name",
    "name",
    "template_name",
    "template_display_name",
    "template_icon",
    "workspace_name",
    "initial_prompt",
    "status",
    "created_at",
    "updated_at",
    "workspace_id",
    "workspace_agent_id",
    "workspace_app_id",
    "workspace_agent_lifecycle",
    "workspace_agent_health",
    "current_state",
}
NULLABLE_UUIDS = ("workspace_id", "workspace_agent_id", "workspace_app_id")
LINKED_FROM_CREATE = {
    "GetTask": "getTask",
    "GetTaskLogs": "getTaskLogs",
    "SendTaskInput": "sendTaskInput",
    "DeleteTask": "deleteTask",
}
CREATED_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture
def st_schema() -> Any:
    # Function-scoped: building a state machine injects inferred links into the loaded schema.
    return schemathesis.openapi.from_path(PACKAGED)


def _operation(doc: dict[str, Any], operation_id: str) -> dict[str, Any]:
    method, path = OPERATIONS[operation_id]
    operation = doc["paths"][path][method]
    assert isinstance(operation, dict)
    return operation


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _schema_validator(doc: dict[str, Any], name: str) -> Any:
    wrapper = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": f"#/components/schemas/{name}",
        "components": doc["components"],
    }
    return jsonschema_rs.validator_for(wrapper, validate_formats=True)


def _task(**overrides: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "id": "a4b2c0de-5f1e-4d7b-9c3a-2e8f6d1b0a99",
        "organization_id": "0b6e9d3c-1f2a-4c5d-8e7f-9a0b1c2d3e4f",
        "owner_id": "5e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
        "owner_name": "alice",
        "owner_avatar_url": "https://example.com/alice.png",
        "name": "fix-flaky-test-3f2a",
        "template_id": "6f7e8d9c-0b1a-4f2e-9d3c-4b5a6f7e8d9c",
        "template_version_id": "0a6e2a4c-6e57-4a4a-9a55-3b1c1f9c2d10",
        "template_name": "claude-code",
        "template_display_name": "Claude Code",
        "template_icon": "/icon/claude.svg",
        "workspace_id": "1d2c3b4a-5f6e-4d8c-9b0a-1f2e3d4c5b6a",
        "workspace_name": "task-fix-flaky-test-3f2a",
        "workspace_status": "running",
        "workspace_build_number": 1,
        "workspace_agent_id": "2e3d4c5b-6a7f-4e9d-8c1b-2a3f4e5d6c7b",
        "workspace_agent_lifecycle": "ready",
        "workspace_agent_health": {"healthy": True},
        "workspace_app_id": "3f4e5d6c-7b8a-4f0e-9d2c-3b4a5f6e7d8c",
        "initial_prompt": "Fix the flaky test",
        "status": "active",
        "current_state": {
            "timestamp": "2025-11-20T10:15:30.123456Z",
            "state": "working",
            "message": "Running the test suite",
            "uri": "",
        },
        "created_at": "2025-11-20T10:14:02.5Z",
        "updated_at": "2025-11-20T10:15:30Z",
    }
    task.update(overrides)
    return task


def _pending_task() -> dict[str, Any]:
    task = _task(
        workspace_id=None,
        workspace_agent_id=None,
        workspace_app_id=None,
        workspace_agent_lifecycle=None,
        workspace_agent_health=None,
        current_state=None,
        status="pending",
    )
    for omitted in ("owner_avatar_url", "workspace_status", "workspace_build_number"):
        del task[omitted]
    return task


# --- the document itself --------------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    validate(doc, cls=OpenAPIV31SpecValidator)


@pytest.fixture(scope="module", params=list(PROFILE_DOCUMENTS))
def any_doc(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    loaded = yaml.safe_load(PROFILE_DOCUMENTS[request.param].read_text(encoding="utf-8"))
    return request.param, loaded


def test_every_document_is_valid_openapi_3_1_under_its_prefix(any_doc: tuple[str, dict[str, Any]]) -> None:
    profile, document = any_doc
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["servers"][0]["url"].rstrip("/").endswith(PREFIXES[profile])
    assert all(not path.startswith("/api/") for path in document["paths"])
    assert [n for n in _walk(document["components"]) if n.get("additionalProperties") is False] == []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, response in operation["responses"].items():
                if not code.startswith("2"):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, f"{profile} {method} {path} {code}"


def test_every_document_is_found_through_importlib_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("conformance") is None:  # not installed: import it from the source tree
        monkeypatch.syspath_prepend(str(REPO_ROOT))
    from conformance.contracts.contract import contract_for, openapi_path

    for profile, path in PROFILE_DOCUMENTS.items():
        resource = importlib.resources.files("conformance.contracts") / path.name
        assert resource.is_file()
        assert openapi_path(profile).read_bytes() == path.read_bytes()
        assert "listTasks" in contract_for(profile).operations


def test_the_root_openapi_yaml_is_the_stable_document_the_suite_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """`openapi.yaml` at the repository root (what a client generator, a mock or Schemathesis is given) is the stable
    generation's document as the suite loads it, one file under two names rather than a copy that can drift; it is
    valid OpenAPI 3.1 and says where the legacy and experimental documents are."""
    if importlib.util.find_spec("conformance") is None:  # not installed: import it from the source tree
        monkeypatch.syspath_prepend(str(REPO_ROOT))
    from conformance.contracts.contract import contract_for, openapi_path

    root = ROOT_DOCUMENT.read_bytes()
    assert root == openapi_path("stable").read_bytes()
    assert root == (importlib.resources.files("conformance.contracts") / "openapi-stable.yaml").read_bytes()
    assert ROOT_DOCUMENT.is_symlink() or PROFILE_DOCUMENTS["stable"].is_symlink(), "a copy: it can drift"
    assert os.path.samefile(ROOT_DOCUMENT, PROFILE_DOCUMENTS["stable"])
    document = yaml.safe_load(root)
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document == contract_for("stable").document
    description = document["info"]["description"]
    for profile in ("legacy", "experimental"):
        path = PROFILE_DOCUMENTS[profile].relative_to(REPO_ROOT).as_posix()
        assert f"`{path}`" in description, f"the root document's description does not say where {path} is"


def test_the_legacy_task_is_a_workspace() -> None:
    legacy = yaml.safe_load(PROFILE_DOCUMENTS["legacy"].read_text(encoding="utf-8"))
    schemas = legacy["components"]["schemas"]
    assert set(schemas["Task"]["required"]) == LEGACY_TASK_FIELDS
    assert schemas["Task"]["properties"]["status"] == {"$ref": "#/components/schemas/WorkspaceStatus"}
    assert set(schemas["CreateTaskRequest"]["required"]) == {"prompt", "template_version_id"}
    task = {k: v for k, v in _task(status="running").items() if k in LEGACY_TASK_FIELDS}
    assert _schema_validator(legacy, "Task").is_valid(task)
    assert not _schema_validator(legacy, "Task").is_valid({**task, "status": "active"})
    assert "404" in legacy["paths"]["/tasks/{user}"]["post"]["responses"]
    assert legacy["components"]["parameters"]["Task"]["schema"]["format"] == "uuid"


def test_the_stable_document_adds_pause_resume_input_and_display_name() -> None:
    stable = yaml.safe_load(PROFILE_DOCUMENTS["stable"].read_text(encoding="utf-8"))
    found = {op["operationId"]: (method, path) for path, item in stable["paths"].items()
             for method, op in item.items() if isinstance(op, dict) and "operationId" in op}
    assert found == {**OPERATIONS, **STABLE_OPERATIONS}
    schemas = stable["components"]["schemas"]
    assert "display_name" in schemas["Task"]["required"]
    assert stable["components"]["parameters"]["Task"]["schema"] == {"type": "string"}  # a uuid or a name
    pause = _schema_validator(stable, "PauseTaskResponse")
    build = {"id": CREATED_ID, "transition": "stop"}
    assert pause.is_valid({"workspace_build": build}) and pause.is_valid({"workspace_build_id": CREATED_ID})
    assert not pause.is_valid({})
    logs = _schema_validator(stable, "TaskLogsResponse")
    assert logs.is_valid({"logs": [], "snapshot": True}) and not logs.is_valid({"logs": [], "snapshot_at": "x"})
    # create -> pause -> (get) -> resume -> (get) -> delete; pause and resume link nowhere themselves, or
    # Schemathesis would also start scenarios at them, with random task ids
    created = stable["paths"]["/tasks/{user}"]["post"]["responses"]["201"]["links"]
    assert {"PauseTask", "UpdateTaskInput"} <= set(created)
    got = stable["paths"]["/tasks/{user}/{task}"]["get"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in got.values()} == {"deleteTask", "pauseTask", "resumeTask"}
    for path in ("/tasks/{user}/{task}/pause", "/tasks/{user}/{task}/resume"):
        assert "links" not in stable["paths"][path]["post"]["responses"]["202"]


def test_operations_have_the_expected_ids_methods_and_paths(doc: dict[str, Any]) -> None:
    found = {
        operation["operationId"]: (method, path)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    }
    assert found == OPERATIONS
    for operation_id in OPERATIONS:
        operation = _operation(doc, operation_id)
        assert operation.get("tags"), f"{operation_id} has no tag"
        assert operation.get("summary"), f"{operation_id} has no summary"
        assert operation.get("description"), f"{operation_id} has no description"


def test_path_parameters(doc: dict[str, Any]) -> None:
    params = doc["components"]["parameters"]
    user, task = params["User"], params["Task"]
    assert (user["name"], user["in"], user["required"]) == ("user", "path", True)
    assert user["schema"] == {"type": "string"}
    assert user["example"] == "me"
    assert (task["name"], task["in"], task["required"]) == ("task", "path", True)
    assert task["schema"] == {"type": "string", "format": "uuid"}
    for path, item in doc["paths"].items():
        refs = {p["$ref"].rsplit("/", 1)[-1] for p in item.get("parameters", [])}
        expected = {name for name, segment in (("User", "{user}"), ("Task", "{task}")) if segment in path}
        assert refs == expected, path


def test_list_query_parameter(doc: dict[str, Any]) -> None:
    (ref,) = _operation(doc, "listTasks")["parameters"]
    q = doc["components"]["parameters"][ref["$ref"].rsplit("/", 1)[-1]]
    assert (q["name"], q["in"], q["required"], q["schema"]) == ("q", "query", False, {"type": "string"})


def test_request_bodies(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    create = _operation(doc, "createTask")["requestBody"]["content"]["application/json"]
    assert create["schema"] == {"$ref": "#/components/schemas/CreateTaskRequest"}
    create_schema = schemas["CreateTaskRequest"]
    assert set(create_schema["required"]) == {"input", "template_version_id"}
    assert set(create_schema["properties"]) == {
        "input",
        "name",
        "template_version_id",
        "template_version_preset_id",
    }
    for uuid_field in ("template_version_id", "template_version_preset_id"):
        assert create_schema["properties"][uuid_field]["format"] == "uuid"
    send = _operation(doc, "sendTaskInput")["requestBody"]["content"]["application/json"]
    assert send["schema"] == {"$ref": "#/components/schemas/SendTaskInputRequest"}
    assert schemas["SendTaskInputRequest"]["required"] == ["input"]
    validator = _schema_validator(doc, "CreateTaskRequest")
    for example in create["examples"].values():
        assert validator.is_valid(example["value"])


def test_every_operation_lists_its_status_codes(doc: dict[str, Any]) -> None:
    for operation_id, codes in RESPONSE_CODES.items():
        responses = _operation(doc, operation_id)["responses"]
        assert set(responses) == codes, operation_id
        for code, response in responses.items():
            if code.startswith("2"):
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, f"{operation_id} {code}"


def test_success_responses(doc: dict[str, Any]) -> None:
    for operation_id, (code, name) in SUCCESS_SCHEMAS.items():
        response = _operation(doc, operation_id)["responses"][code]
        assert response["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{name}"}
    for operation_id, code in NO_BODY_SUCCESS.items():
        assert "content" not in _operation(doc, operation_id)["responses"][code], operation_id


def test_security_schemes(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert {name: (s["type"], s["in"], s["name"]) for name, s in schemes.items()} == {
        "CoderSessionToken": ("apiKey", "header", "Coder-Session-Token"),
        "CoderSessionTokenCookie": ("apiKey", "cookie", "coder_session_token"),
        "CoderSessionTokenQuery": ("apiKey", "query", "coder_session_token"),
    }
    assert doc["security"] == [
        {"CoderSessionToken": []},
        {"CoderSessionTokenCookie": []},
        {"CoderSessionTokenQuery": []},
    ]


# --- schemas ------------------------------------------------------------------------------------------


def test_task_required_fields_are_the_always_present_ones(doc: dict[str, Any]) -> None:
    task = doc["components"]["schemas"]["Task"]
    assert len(task["required"]) == len(set(task["required"]))
    assert set(task["required"]) == TASK_ALWAYS_PRESENT
    assert set(task["properties"]) >= TASK_ALWAYS_PRESENT | {
        "owner_avatar_url",
        "workspace_status",
        "workspace_build_number",
        "display_name",
    }


def test_nullable_fields_use_3_1_type_arrays(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    properties = schemas["Task"]["properties"]
    for name in NULLABLE_UUIDS:
        assert properties[name]["type"] == ["string", "null"], name
        assert properties[name]["format"] == "uuid", name
    lifecycle = schemas["WorkspaceAgentLifecycle"]
    assert lifecycle["type"] == ["string", "null"]
    assert None in lifecycle["enum"]
    assert "off" in lifecycle["enum"], "YAML must not turn the lifecycle `off` into a boolean"
    assert all(not isinstance(value, bool) for value in lifecycle["enum"])


def test_realistic_tasks_validate(doc: dict[str, Any]) -> None:
    validator = _schema_validator(doc, "Task")
    validator.validate(_task())
    validator.validate(_task(display_name="Fix the flaky test", some_future_field={"x": 1}))
    validator.validate(_pending_task())


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"id": None}, id="id-missing"),
        pytest.param({"workspace_id": "not-a-uuid"}, id="workspace_id-not-a-uuid"),
        pytest.param({"workspace_id": {"uuid": CREATED_ID, "valid": True}}, id="workspace_id-docs-object"),
        pytest.param({"workspace_agent_id": None, "workspace_app_id": 7}, id="workspace_app_id-integer"),
        pytest.param({"current_state": None, "status": "running"}, id="status-unknown"),
        pytest.param({"workspace_agent_lifecycle": "sleeping"}, id="lifecycle-unknown"),
        pytest.param({"workspace_agent_health": {"reason": "lost"}}, id="health-without-healthy"),
        pytest.param({"workspace_build_number": 0}, id="build-number-zero"),
        pytest.param({"created_at": "yesterday"}, id="created_at-not-date-time"),
        pytest.param({"current_state": {"state": "working"}}, id="current_state-incomplete"),
        pytest.param({"workspace_status": "exploded"}, id="workspace_status-unknown"),
    ],
)
def test_broken_tasks_do_not_validate(doc: dict[str, Any], change: dict[str, Any]) -> None:
    task = _task()
    for key, value in change.items():
        if key == "id" and value is None:
            del task["id"]
        else:
            task[key] = value
    assert not _schema_validator(doc, "Task").is_valid(task)


def test_list_logs_and_error_schemas(doc: dict[str, Any]) -> None:
    listing = _schema_validator(doc, "TaskListResponse")
    assert listing.is_valid({"tasks": [], "count": 0})
    assert listing.is_valid({"tasks": [_task(), _pending_task()], "count": 2})
    assert not listing.is_valid({"tasks": None, "count": 0})
    assert not listing.is_valid({"tasks": [], "count": -1})
    assert not listing.is_valid({"tasks": [_task(id="nope")], "count": 1})

    logs = _schema_validator(doc, "TaskLogsResponse")
    entry = {"id": 1, "content": "Fix the flaky test", "type": "input", "time": "2025-11-20T10:15:30Z"}
    assert logs.is_valid({"logs": [entry, {**entry, "id": 2, "type": "output"}]})
    assert logs.is_valid({"logs": [], "snapshot": True, "snapshot_at": None})
    assert not logs.is_valid({"logs": [{**entry, "type": "system"}]})
    assert not logs.is_valid({"logs": [{key: v for key, v in entry.items() if key != "time"}]})
    assert not logs.is_valid({})

    error = _schema_validator(doc, "Error")
    assert error.is_valid({"message": "Invalid task search query."})
    assert error.is_valid(
        {
            "message": "Invalid task search query.",
            "detail": "",
            "validations": [{"field": "q", "detail": 'Query param "foo" is not a valid query param'}],
        }
    )
    assert not error.is_valid({"detail": "no message"})
    assert not error.is_valid({"message": "x", "validations": [{"field": "q"}]})


# --- links and Schemathesis -----------------------------------------------------------------------------


def test_create_response_links_to_the_other_task_operations(doc: dict[str, Any]) -> None:
    links = _operation(doc, "createTask")["responses"]["201"]["links"]
    assert {name: link["operationId"] for name, link in links.items()} == LINKED_FROM_CREATE
    for name, link in links.items():
        assert link["parameters"] == {"user": "$request.path.user", "task": "$response.body#/id"}, name
    get_links = _operation(doc, "getTask")["responses"]["200"]["links"]
    assert get_links["DeleteTask"]["operationId"] == "deleteTask"
    assert get_links["DeleteTask"]["parameters"]["task"] == "$response.body#/id"


def test_schemathesis_loads_all_operations(st_schema: Any) -> None:
    results = list(st_schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results)
    labels = {result.ok().label for result in results}
    assert labels == {f"{method.upper()} {path}" for method, path in OPERATIONS.values()}
    for operation_id, (method, path) in OPERATIONS.items():
        operation = st_schema.find_operation_by_id(operation_id)
        assert (operation.method, operation.path) == (method, path)


def test_schemathesis_recognises_the_links(st_schema: Any) -> None:
    operations = [result.ok() for result in st_schema.get_all_operations()]
    transitions = collect_transitions(operations)
    create_links = transitions.operations["POST /tasks/{user}"].outgoing
    assert {link.name: link.target.label for link in create_links} == {
        "GetTask": "GET /tasks/{user}/{task}",
        "GetTaskLogs": "GET /tasks/{user}/{task}/logs",
        "SendTaskInput": "POST /tasks/{user}/{task}/send",
        "DeleteTask": "DELETE /tasks/{user}/{task}",
    }
    for link in create_links:
        assert not link.is_inferred
        assert {(p.name, p.container_name) for p in link.parameters} == {
            ("user", "path_parameters"),
            ("task", "path_parameters"),
        }
    get_links = transitions.operations["GET /tasks/{user}/{task}"].outgoing
    assert [link.target.label for link in get_links] == ["DELETE /tasks/{user}/{task}"]


def test_schemathesis_extracts_link_values_from_a_create_response(st_schema: Any) -> None:
    operations = [result.ok() for result in st_schema.get_all_operations()]
    create_links = collect_transitions(operations).operations["POST /tasks/{user}"].outgoing
    create = st_schema.find_operation_by_id("createTask")
    case = create.Case(
        path_parameters={"user": "me"},
        body={"input": "Fix the flaky test", "template_version_id": "0a6e2a4c-6e57-4a4a-9a55-3b1c1f9c2d10"},
    )
    raw = httpx.Response(
        201,
        json=_task(id=CREATED_ID),
        request=httpx.Request("POST", "http://127.0.0.1:3000/api/experimental/tasks/me"),
    )
    raw.elapsed = datetime.timedelta(0)
    output = StepOutput(Response.from_any(raw), case)
    for link in create_links:
        extracted = link.extract_parameters(output)["path_parameters"]
        assert extracted["user"].value.ok() == "me", link.name
        assert extracted["task"].value.ok() == CREATED_ID, link.name


def test_schemathesis_builds_a_state_machine(st_schema: Any) -> None:
    machine = st_schema.as_state_machine()
    assert "POST /tasks/{user} -> 201" in machine.bundles
    rules = [name for name in vars(machine) if name.startswith("POST_tasks_user___201_")]
    for link_name in LINKED_FROM_CREATE:
        assert any(rule.startswith(f"POST_tasks_user___201_{link_name}__") for rule in rules), link_name
