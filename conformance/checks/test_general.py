"""General: content types, error bodies, routing (unknown routes, wrong methods), malformed input, {user} forms.

Cases that can create nothing are read-only; the shared active task is fetched lazily (request.getfixturevalue)
so that read-only cases never cause a task to be created.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.checks._general_helpers import error_body, error_message
from conformance.runner.fixtures import Identity
from conformance.runner.http.client import ApiClient, segment
from conformance.runner.tasks import expect
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext

MALFORMED_JSON_MESSAGE = "Request body must be valid JSON."
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Ctx:
    """What a case needs; `active` creates the shared active task only when a case asks for it."""

    run: RunContext
    api: ApiClient
    anon: ApiClient
    tasks: TaskFactory
    request: pytest.FixtureRequest

    @property
    def active(self) -> str:
        task: dict[str, Any] = self.request.getfixturevalue("active_task")
        return str(task["id"])

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.run.rng.getrandbits(128), version=4))

    def template(self) -> str | None:
        return self.run.config.target.template_version_id

    def create(self, body: Any = None, *, content: bytes | str | None = None, user: str = "me") -> httpx.Response:
        """A raw create (JSON `body` or raw `content`); any 201 is adopted for cleanup."""
        if content is not None:
            response = self.api.request("POST", f"/tasks/{segment(user)}", content=content, headers=JSON_HEADERS)
        else:
            response = self.api.create_task(body, user=user)
        self.tasks.adopt_response(self.api, response)
        return response

    def send_raw(self, task: str, content: bytes | str) -> httpx.Response:
        return self.api.request("POST", f"/tasks/me/{segment(task)}/send", content=content, headers=JSON_HEADERS)


@pytest.fixture
def ctx(run: RunContext, api: ApiClient, anon_api: ApiClient, tasks: TaskFactory,
        request: pytest.FixtureRequest) -> Ctx:
    return Ctx(run, api, anon_api, tasks, request)


Probe = Callable[[Ctx], httpx.Response]


def _case(case_id: str, probe: Probe, *, readonly: bool) -> Any:
    return pytest.param(probe, id=case_id, marks=[pytest.mark.readonly] if readonly else [])


# --- GEN-CONTENT-TYPE and GEN-ERROR-BODY ------------------------------------------------------------------------
# Responses that carry a JSON body: successes and errors, across the endpoints.
JSON_RESPONSES = [
    _case("list-200", lambda c: c.api.list_tasks(), readonly=True),
    _case("get-200", lambda c: c.api.get_task(c.active), readonly=False),
    _case("logs-200", lambda c: c.api.task_logs(c.active), readonly=False),
    _case("list-401", lambda c: c.anon.list_tasks(token=None), readonly=True),
    _case("get-401", lambda c: c.anon.get_task(c.uuid(), token=None), readonly=True),
    _case("list-bad-query-400", lambda c: c.api.list_tasks(q="nosuchkey:x"), readonly=True),
    _case("create-malformed-400", lambda c: c.create(content="{not json"), readonly=False),
    _case("create-no-template-400", lambda c: c.create({"input": f"{c.run.prefix} x"}), readonly=False),
    _case("get-missing-404", lambda c: c.api.get_task(c.uuid()), readonly=True),
    _case("delete-missing-404", lambda c: c.api.delete_task(c.uuid()), readonly=False),
    _case("logs-missing-404", lambda c: c.api.task_logs(c.uuid()), readonly=True),
    _case("send-missing-404", lambda c: c.api.send_input(c.uuid(), "x"), readonly=False),
    _case("send-empty-input-400", lambda c: c.api.send_input(c.active, ""), readonly=False),
    _case("get-unknown-user-4xx", lambda c: c.api.get_task(c.uuid(), user=f"{c.run.prefix}-nouser"),
          readonly=True),
]


@pytest.mark.requirement("GEN-CONTENT-TYPE")
@pytest.mark.parametrize("probe", JSON_RESPONSES)
def test_json_content_type(probe: Probe, ctx: Ctx) -> None:
    response = probe(ctx)
    if not response.content.strip():
        pytest.skip(f"{expect.describe(response)} answered {response.status_code} without a body; "
                    "no content type to check")
    expect.json_body(response)


@pytest.mark.requirement("GEN-ERROR-BODY")
@pytest.mark.parametrize("probe", [p for p in JSON_RESPONSES if "-200" not in str(p.id)])
def test_error_body_shape(probe: Probe, ctx: Ctx) -> None:
    response = probe(ctx)
    if not 400 <= response.status_code < 500:
        pytest.skip(f"{expect.describe(response)} answered {response.status_code}, not a 4xx; "
                    "no error body to check")
    error_body(response, ctx.run.contract)


# --- GEN-UNKNOWN-ROUTE-404 --------------------------------------------------------------------------------------
@pytest.mark.requirement("GEN-UNKNOWN-ROUTE-404")
@pytest.mark.readonly
@pytest.mark.parametrize("where", ["top-level", "under-task"])
def test_unknown_route_404(where: str, ctx: Ctx) -> None:
    path = "/no-such-route" if where == "top-level" else f"/tasks/me/{ctx.uuid()}/no-such-action"
    response = ctx.api.request("GET", path)
    expect.status(response, 404)
    error_body(response, ctx.run.contract)


# --- GEN-WRONG-METHOD -------------------------------------------------------------------------------------------
# Task routes use the active task: a server may look the task up before it routes by method (Coder does).
WRONG_METHODS = [
    _case("PUT-tasks", lambda c: c.api.request("PUT", "/tasks", json={}), readonly=False),
    _case("PATCH-tasks", lambda c: c.api.request("PATCH", "/tasks", json={}), readonly=False),
    _case("PUT-tasks-user", lambda c: c.api.request("PUT", "/tasks/me", json={}), readonly=False),
    _case("PATCH-task", lambda c: c.api.request("PATCH", f"/tasks/me/{c.active}", json={}), readonly=False),
    _case("GET-send", lambda c: c.api.request("GET", f"/tasks/me/{c.active}/send"), readonly=False),
    _case("POST-logs", lambda c: c.api.request("POST", f"/tasks/me/{c.active}/logs", json={}), readonly=False),
]


@pytest.mark.requirement("GEN-WRONG-METHOD")
@pytest.mark.parametrize("probe", WRONG_METHODS)
def test_wrong_method_405(probe: Probe, ctx: Ctx) -> None:
    response = probe(ctx)
    if response.status_code != 405:
        raise expect.fail(f"expected 405 for an unsupported method on a known route, got "
                          f"{response.status_code} for {expect.describe(response)}")


# --- GEN-MALFORMED-JSON-400 / -MESSAGE --------------------------------------------------------------------------
MALFORMED = [
    _case("create-garbage", lambda c: c.create(content="{not json"), readonly=False),
    _case("create-truncated", lambda c: c.create(content='{"input": "x", "template_version_id": '),
          readonly=False),
    _case("send-garbage", lambda c: c.send_raw(c.active, "{not json"), readonly=False),
    _case("send-truncated", lambda c: c.send_raw(c.active, '{"input": "x"'), readonly=False),
]


@pytest.mark.requirement("GEN-MALFORMED-JSON-400")
@pytest.mark.parametrize("probe", MALFORMED)
def test_malformed_json_400(probe: Probe, ctx: Ctx) -> None:
    response = probe(ctx)
    expect.status(response, 400)
    error_body(response, ctx.run.contract)


@pytest.mark.requirement("GEN-MALFORMED-JSON-MESSAGE")
@pytest.mark.parametrize("probe", MALFORMED)
def test_malformed_json_message(probe: Probe, ctx: Ctx) -> None:
    response = probe(ctx)
    if response.status_code != 400:
        pytest.skip(f"{expect.describe(response)} answered {response.status_code}, not 400 "
                    "(see GEN-MALFORMED-JSON-400); no message to check")
    error_message(response, MALFORMED_JSON_MESSAGE, ctx.run.contract)


# --- GEN-NO-5XX -------------------------------------------------------------------------------------------------
HUGE = "x" * 100_000


def _create_body(c: Ctx, *, valid_template: bool, **fields: Any) -> dict[str, Any]:
    """A create body with `fields` overriding; a random (unknown) template version unless valid_template."""
    body: dict[str, Any] = {"input": f"{c.run.prefix} nasty input", "name": c.run.unique_name("nasty"),
                            "template_version_id": c.template() if valid_template else c.uuid()}
    body.update(fields)
    return body


def _bad_create(**fields: Any) -> Probe:
    return lambda c: c.create(_create_body(c, valid_template=False, **fields))


def _bad_create_valid_template(**fields: Any) -> Probe:
    return lambda c: c.create(_create_body(c, valid_template=True, **fields))


def _raw_create(content: bytes | str) -> Probe:
    return lambda c: c.create(content=content)


def _raw_send(content: bytes | str) -> Probe:
    return lambda c: c.send_raw(c.active, content)


def _odd_segment(kind: str) -> Callable[[Ctx], list[httpx.Response]]:
    """Requests with an odd {user} or {task} segment (already percent-encoded, sent as is)."""
    where, _, seg = kind.partition(":")

    def probe(c: Ctx) -> list[httpx.Response]:
        writes = not c.run.config.run.read_only  # read-only mode sends only the reads (runner/http/readonly.py)
        if where == "user":
            return [
                c.api.request("GET", f"/tasks/{seg}/{c.uuid()}"),
                *([c.api.request("POST", f"/tasks/{seg}", json=_create_body(c, valid_template=False))]
                  if writes else []),
            ]
        base = f"/tasks/me/{seg}"
        return [
            c.api.request("GET", base),
            c.api.request("GET", f"{base}/logs"),
            *([c.api.request("POST", f"{base}/send", json={"input": f"{c.run.prefix} x"}),
               c.api.request("DELETE", base)] if writes else []),
        ]

    return probe


def _odd_query(q: str) -> Probe:
    return lambda c: c.api.list_tasks(q=q)


ODD_SEGMENTS = {
    "dot-dot": "%2e%2e",
    "long": "a" * 300,
    "unicode": "%C3%BC%E5%90%8D",
    "space": "%20",
    "bad-escape": "%ZZ",
    "dash": "-",
    "slash": "a%2Fb",
}

ODD_QUERIES = {
    "quote": '"',
    "empty-quotes": '""',
    "colons": ":::",
    "unterminated-quote": 'owner:"unterminated',
    "two-colons": "a:b:c",
    "empty-value": "owner:",
    "empty-key": ":me",
    "unicode-owner": "owner:\u00fc\u540d",
    "many-words": " ".join(["word"] * 1000),
    "huge": "owner:" + "x" * 6000,
}

NO_5XX: list[Any] = [
    # create: bodies that are not a JSON object (nothing can be created)
    _case("create-broken-json", _raw_create('{"input": '), readonly=False),
    _case("create-empty-body", _raw_create(""), readonly=False),
    _case("create-array", lambda c: c.create(content=json.dumps([{"input": f"{c.run.prefix} x"}])), readonly=False),
    _case("create-string", _raw_create('"hello"'), readonly=False),
    _case("create-null", _raw_create("null"), readonly=False),
    _case("create-number", _raw_create("42"), readonly=False),
    _case("create-not-utf8", lambda c: c.create(content=b'{"input": "%s \xff\xfe"}' % c.run.prefix.encode()),
          readonly=False),
    # create: wrong types and huge values with an unknown template version (nothing can be created)
    _case("create-template-not-uuid", _bad_create(template_version_id="not-a-uuid"), readonly=False),
    _case("create-template-number", _bad_create(template_version_id=123), readonly=False),
    _case("create-template-null", _bad_create(template_version_id=None), readonly=False),
    _case("create-template-object", _bad_create(template_version_id={}), readonly=False),
    _case("create-input-null", _bad_create(input=None), readonly=False),
    _case("create-huge-input", _bad_create(input=HUGE), readonly=False),
    _case("create-huge-name", _bad_create(name=HUGE), readonly=False),
    # create: wrong types with the real template version (a lenient server might create: adopted for cleanup)
    _case("create-input-number", _bad_create_valid_template(input=123), readonly=False),
    _case("create-input-object", _bad_create_valid_template(input={"a": 1}), readonly=False),
    _case("create-name-number", _bad_create_valid_template(name=123), readonly=False),
    _case("create-name-array", _bad_create_valid_template(name=["a"]), readonly=False),
    _case("create-name-unicode", _bad_create_valid_template(name="\u00fc\u540d-\x00"), readonly=False),
    _case("create-preset-not-uuid", _bad_create_valid_template(template_version_preset_id="nope"),
          readonly=False),
    _case("create-preset-number", _bad_create_valid_template(template_version_preset_id=5), readonly=False),
    # send to the active task: bodies that are not valid input
    _case("send-broken-json", _raw_send('{"input": '), readonly=False),
    _case("send-empty-body", _raw_send(""), readonly=False),
    _case("send-array", _raw_send('["x"]'), readonly=False),
    _case("send-null", _raw_send("null"), readonly=False),
    _case("send-string", _raw_send('"x"'), readonly=False),
    _case("send-no-input", _raw_send("{}"), readonly=False),
    _case("send-input-number", _raw_send('{"input": 1}'), readonly=False),
    _case("send-input-null", _raw_send('{"input": null}'), readonly=False),
    _case("send-input-object", _raw_send('{"input": {"a": 1}}'), readonly=False),
    _case("send-huge-wrong-type", _raw_send('{"input": ["' + HUGE + '"]}'), readonly=False),
    _case("send-not-utf8", _raw_send(b'{"input": "\xff\xfe"}'), readonly=False),
]
NO_5XX += [pytest.param(_odd_segment(f"{where}:{seg}"), id=f"{where}-segment-{name}", marks=pytest.mark.readonly)
           for where in ("user", "task") for name, seg in ODD_SEGMENTS.items()]
NO_5XX += [pytest.param(_odd_query(q), id=f"query-{name}", marks=pytest.mark.readonly)
           for name, q in ODD_QUERIES.items()]


# NUL characters: a conforming server refuses them with a 4xx; Coder lets them reach PostgreSQL, which cannot store
# them, and answers 500 (a SHOULD, as for an unknown status value in q).
NUL_5XX: list[Any] = [
    pytest.param(_odd_segment(f"{where}:%00"), id=f"{where}-segment-nul", marks=pytest.mark.readonly)
    for where in ("user", "task")
]
NUL_5XX += [
    pytest.param(_odd_query("owner:\x00"), id="query-nul", marks=pytest.mark.readonly),
    _case("create-input-nul", _bad_create_valid_template(input="nul \x00 inside"), readonly=False),
]


def _expect_no_5xx(result: httpx.Response | list[httpx.Response], what: str) -> None:
    for response in result if isinstance(result, list) else [result]:
        if response.status_code >= 500:
            raise expect.fail(f"expected a 4xx for {what}, got {response.status_code} for "
                              f"{expect.describe(response)}{expect.snippet(response)}")


@pytest.mark.requirement("GEN-NO-5XX")
@pytest.mark.parametrize("probe", NO_5XX)
def test_no_5xx_for_malformed_input(probe: Callable[[Ctx], Any], ctx: Ctx) -> None:
    _expect_no_5xx(probe(ctx), "malformed input")


@pytest.mark.requirement("GEN-NUL-NO-5XX")
@pytest.mark.parametrize("probe", NUL_5XX)
def test_no_5xx_for_nul(probe: Callable[[Ctx], Any], ctx: Ctx) -> None:
    _expect_no_5xx(probe(ctx), "a NUL character")


# --- GEN-UNKNOWN-USER-400 ---------------------------------------------------------------------------------------
@pytest.mark.requirement("GEN-UNKNOWN-USER-400")
@pytest.mark.parametrize(("endpoint", "form"), [
    pytest.param("get", "username", marks=pytest.mark.readonly, id="get-username"),
    pytest.param("get", "uuid", marks=pytest.mark.readonly, id="get-uuid"),
    pytest.param("create", "username", id="create-username"),
    pytest.param("create", "uuid", id="create-uuid"),
])
def test_unknown_user(endpoint: str, form: str, ctx: Ctx) -> None:
    user = f"{ctx.run.prefix}-nouser" if form == "username" else ctx.uuid()
    if endpoint == "get":
        response = ctx.api.get_task(ctx.uuid(), user=user)
    else:
        response = ctx.create(_create_body(ctx, valid_template=True), user=user)
    if response.status_code not in (400, 404):
        raise expect.fail(f"expected 400 (or 404) for a {{user}} segment naming no user, got "
                          f"{response.status_code} for {expect.describe(response)}")


# --- GEN-USER-FORMS ---------------------------------------------------------------------------------------------
def _user_ref(form: str, identity: Identity) -> str:
    return {"me": "me", "username": identity.username, "uuid": identity.id}[form]


@pytest.mark.requirement("GEN-USER-FORMS")
@pytest.mark.parametrize("form", ["me", "username", "uuid"])
def test_get_with_user_forms(run: RunContext, form: str, api: ApiClient, active_task: dict[str, Any],
                             me: Identity) -> None:
    response = api.get_task(active_task["id"], user=_user_ref(form, me))
    task = expect.ok(response, 200, "Task", run.contract)
    expect.equal(task["id"], active_task["id"], f"the id of the task from {expect.describe(response)}")


# Creating with "me" is what every other create does (the shared active task among them): not repeated here.
@pytest.mark.requirement("GEN-USER-FORMS")
@pytest.mark.parametrize("form", ["username", "uuid"])
def test_create_with_user_forms(run: RunContext, form: str, api: ApiClient, tasks: TaskFactory, me: Identity) -> None:
    user = _user_ref(form, me)
    task = tasks.create(api, f"user-{form}", user=user)
    expect.equal(task["owner_id"], me.id, f"the owner_id of the task created under /tasks/{{{form}}}")
    response = api.get_task(task["id"], user=user)
    got = expect.ok(response, 200, "Task", run.contract)
    expect.equal(got["id"], task["id"], f"the id of the task from {expect.describe(response)}")
