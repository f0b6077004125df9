"""Create: POST /tasks/{user} answers 201 with the task as asked for, and refuses bad bodies with 400/409."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.checks._task_helpers import random_uuid, task_fields
from conformance.contracts.gotext import DISPLAY_NAME_LIMIT
from conformance.runner.fixtures import Identity
from conformance.runner.http.client import ApiClient
from conformance.runner.tasks import expect
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext

NAME_RE = re.compile(r"[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*")
MAX_NAME = 32


@dataclass
class Created:
    """One create made for several checks: what was sent, what came back, the task (if one was created)."""

    body: dict[str, Any]
    response: httpx.Response
    task: dict[str, Any] | None

    def require_task(self) -> dict[str, Any]:
        if self.task is None:
            pytest.skip(f"the create this check inspects failed ({expect.describe(self.response)} answered "
                        f"{self.response.status_code}); see CREATE-STATUS-201")
        return self.task


def _full_length_name(run: RunContext, label: str) -> str:
    """A unique valid name of exactly the maximum length (the boundary must be accepted)."""
    name = run.unique_name(label)
    return name + "x" * (MAX_NAME - len(name))


@pytest.fixture(scope="module")
def created(run: RunContext, api: ApiClient) -> Iterator[Created]:
    """A task created with a 32-character name and a prompt that must come back byte for byte."""
    factory = TaskFactory(run)
    prompt = f"  {run.prefix} créer une tâche ✓ 任务 🚀\nsecond line\twith a tab  "
    body = factory.body("fields", name=_full_length_name(run, "fields"), prompt=prompt)
    response = api.create_task(body)
    task = factory.adopt_response(api, response)
    yield Created(body, response, task)
    factory.cleanup()


@pytest.mark.requirement("CREATE-STATUS-201")
def test_create_answers_201(created: Created) -> None:
    expect.status(created.response, 201)


@pytest.mark.requirement("CREATE-CONTENT-TYPE")
def test_create_content_type(created: Created) -> None:
    expect.json_body(created.response)


@pytest.mark.requirement("CREATE-SCHEMA")
def test_create_body_is_task(run: RunContext, created: Created) -> None:
    created.require_task()
    expect.schema(created.response, "Task", run.contract)


@pytest.mark.requirement("CREATE-FIELDS")
def test_create_fields_match_request(run: RunContext, created: Created, me: Identity) -> None:
    task = created.require_task()
    wanted = task_fields(created.body, me, run.contract)
    wrong = [f"{field} {task.get(field, '<missing>')!r} (expected {value!r})"
             for field, value in wanted.items() if task.get(field) != value]
    if wrong:
        raise expect.fail(f"the task created by {expect.describe(created.response)} does not match the request: "
                          + "; ".join(wrong))


@pytest.mark.requirement("CREATE-NAME-GIVEN")
def test_create_keeps_given_name(created: Created) -> None:
    task = created.require_task()
    expect.equal(task.get("name"), created.body["name"],
                 f"the name of the task created by {expect.describe(created.response)}")


@pytest.mark.requirement("CREATE-NAME-GENERATED")
def test_create_generates_valid_unique_name(api: ApiClient, tasks: TaskFactory) -> None:
    def create_without_name() -> dict[str, Any]:
        # The create itself is judged here, so a refusal fails the check (the factory would call it blocked).
        response = api.create_task(tasks.body("generated", with_name=False))
        task = tasks.adopt_response(api, response)
        if task is None:
            raise expect.fail(f"expected 201 with a task (and a generated name) for a create without a name, got "
                              f"{response.status_code} for {expect.describe(response)}")
        return task

    first = create_without_name()
    second = create_without_name()  # the same prompt: names must still differ
    for task in (first, second):
        name = task.get("name")
        if not isinstance(name, str) or not NAME_RE.fullmatch(name) or len(name) > MAX_NAME:
            raise expect.fail(f"expected a generated name matching ^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$ of at most "
                              f"{MAX_NAME} characters for task {task['id']} created without a name, got {name!r}")
    if first["name"].lower() == second["name"].lower():
        raise expect.fail(f"two tasks created without a name got the same name {first['name']!r} "
                          f"({first['id']} and {second['id']})")


INVALID_NAMES = {
    "space": "bad name",
    "leading-hyphen": "-lead",
    "trailing-hyphen": "trail-",
    "double-hyphen": "a--b",
    "33-chars": None,  # built from the run prefix
    "reserved-new": "new",
    "reserved-create": "create",
    "non-ascii": "ünï",
}


@pytest.mark.requirement("CREATE-NAME-INVALID-400")
@pytest.mark.parametrize("case", list(INVALID_NAMES))
def test_create_invalid_name_400(case: str, run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    name = INVALID_NAMES[case] or _full_length_name(run, "long") + "x"
    response = api.create_task(tasks.body("invalid-name", name=name))
    tasks.adopt_response(api, response)
    expect.status(response, 400)


@pytest.mark.requirement("CREATE-NAME-CONFLICT-409")
@pytest.mark.parametrize("case", ["same-case", "other-case"])
def test_create_name_conflict_409(case: str, created: Created, api: ApiClient, tasks: TaskFactory) -> None:
    existing = created.require_task()["name"]
    name = existing if case == "same-case" else existing.swapcase()
    response = api.create_task(tasks.body("conflict", name=name))
    tasks.adopt_response(api, response)
    expect.status(response, 409)


@pytest.mark.parametrize(("case", "code"), [
    pytest.param("unknown", 400, marks=pytest.mark.requirement("CREATE-TEMPLATE-UNKNOWN-400"), id="unknown-400"),
    pytest.param("unknown", 404, marks=pytest.mark.requirement("CREATE-TEMPLATE-UNKNOWN-404"), id="unknown-404"),
    pytest.param("missing", 404, marks=pytest.mark.requirement("CREATE-TEMPLATE-UNKNOWN-404"), id="missing-404"),
])
def test_create_unknown_template_version(case: str, code: int, run: RunContext, api: ApiClient,
                                         tasks: TaskFactory) -> None:
    body = tasks.body("unknown-tv")
    if case == "missing":
        del body["template_version_id"]
    else:
        body["template_version_id"] = random_uuid(run)
    response = api.create_task(body)
    tasks.adopt_response(api, response)
    expect.status(response, code)


@pytest.mark.requirement("CREATE-TEMPLATE-NO-AI-400")
def test_create_non_ai_template_version_400(run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    version = run.config.target.non_ai_template_version_id
    if version is None:
        pytest.skip("no template version without an AI task configured (non_ai_template_version_id)")
    body = tasks.body("non-ai")
    body["template_version_id"] = version
    response = api.create_task(body)
    tasks.adopt_response(api, response)
    expect.status(response, 400)


def _without_template_version(body: dict[str, Any]) -> None:
    del body["template_version_id"]


def _prompt_is(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        for key in ("input", "prompt"):  # the prompt's field, whichever the generation reads
            if key in body:
                body[key] = value
    return change


BAD_BODIES = [
    # legacy releases answer a missing template version 404 (CREATE-TEMPLATE-UNKNOWN-404 checks it there)
    pytest.param("no-template-version-id", _without_template_version,
                 marks=pytest.mark.profiles("experimental", "stable"), id="no-template-version-id"),
    pytest.param("input-number", _prompt_is(5), id="input-number"),
    pytest.param("template-version-id-number", lambda body: body.__setitem__("template_version_id", 7),
                 id="template-version-id-number"),
    pytest.param("name-array", lambda body: body.__setitem__("name", []), id="name-array"),
]


@pytest.mark.requirement("CREATE-MISSING-FIELDS-400")
@pytest.mark.parametrize(("case", "change"), BAD_BODIES)
def test_create_bad_body_400(case: str, change: Callable[[dict[str, Any]], None], api: ApiClient,
                             tasks: TaskFactory) -> None:
    body = tasks.body("bad-body")
    change(body)
    response = api.create_task(body)
    tasks.adopt_response(api, response)
    expect.status(response, 400)


@pytest.mark.requirement("CREATE-EMPTY-INPUT")
def test_create_empty_input_201_or_400(api: ApiClient, tasks: TaskFactory) -> None:
    response = api.create_task(tasks.body("empty-input", prompt=""))
    tasks.adopt_response(api, response)
    expect.status(response, 201, 400)


# --- display_name (the stable generation) ------------------------------------------------------------------------

@pytest.mark.requirement("DISPLAY-NAME-GIVEN")
def test_create_keeps_given_display_name(run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    display_name = f"Conformance {run.prefix} ✓ <display> & name"
    body = tasks.body("display-name")
    body["display_name"] = display_name
    task = tasks.create(api, body=body)
    expect.equal(task.get("display_name"), display_name, f"the display_name create answered for task {task['id']}")
    expect.equal(tasks.get(api, task["id"]).get("display_name"), display_name,
                 f"the display_name get answers for task {task['id']}")


@pytest.mark.requirement("DISPLAY-NAME-GENERATED")
def test_create_generates_display_name(created: Created) -> None:
    task = created.require_task()
    value = task.get("display_name")
    if not isinstance(value, str) or not value.strip():
        raise expect.fail(f"expected a non-empty display_name for task {task['id']}, created without one, got "
                          f"{value!r}")


@pytest.mark.requirement("DISPLAY-NAME-TOO-LONG-400")
def test_create_display_name_too_long_400(run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    body = tasks.body("long-display-name")
    body["display_name"] = "d" * (DISPLAY_NAME_LIMIT + 1)
    response = api.create_task(body)
    task = tasks.adopt_response(api, response)
    expect.error(response, 400, contract=run.contract)
    if task is not None:
        raise expect.fail(f"the create refused with 400 still made task {task['id']}")
