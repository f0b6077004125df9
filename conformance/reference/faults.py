"""The named fault registry: small, realistic deviations the reference server can be told to make.

Each fault is switched on by name (constructor ``faults=[...]``, ``ReferenceServer.set_faults`` or the
``TASKS_CONFORMANCE_REFERENCE_FAULTS`` environment variable read by ``serve``). A fault says, in its entry, what it
changes: a function per hook point of the reference app (app.HOOK_POINTS). ``breaks`` names the requirements a suite
run must report as failed when the fault is on by itself (a fault breaking only SHOULD requirements is caught with
``--strict``); ``profiles`` the generations it is a fault of. The suite's own tests prove that every fault changes
what the server answers (tests/reference/test_ref_faults.py) and that the suite catches it
(tests/faults/test_fault_catalogue.py).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from conformance.contracts.profiles import PROFILE_NAMES

from .conforming.app import CREATE_FIELDS
from .conforming.identities import parse_uuid
from .conforming.query import Validation
from .conforming.responses import ApiError, empty_response
from .switches import Change, Switch, Switches, check_points, parse_names, validate_names

ENV_VAR = "TASKS_CONFORMANCE_REFERENCE_FAULTS"
NOBODY = "ffffffff-ffff-4fff-bfff-ffffffffffff"  # an owner/organization id no task has (the *-matches-nothing faults)
_HTML_404 = "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"
_LONG_NUMERIC_NAME = re.compile(r"^.{22,}[0-9]{8}$")


NOT_LEGACY = ("experimental", "stable")
STABLE_ONLY = ("stable",)
LEGACY_ONLY = ("legacy",)


@dataclass(frozen=True)
class Fault(Switch):
    """One named deviation from the contract, the requirements it breaks, and what it changes."""

    breaks: tuple[str, ...] = ()
    area: str = ""
    profiles: tuple[str, ...] = PROFILE_NAMES

    only_in: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # breaks where it differs

    def breaks_in(self, profile: str) -> tuple[str, ...]:
        """The requirements it breaks on a server of this profile: `only_in[profile]` where given, else those of
        `breaks` the profile has."""
        from conformance.contracts.requirements import catalogue

        known = catalogue(profile)
        return tuple(rid for rid in self.only_in.get(profile, self.breaks) if rid in known)


# -- small builders of changes ---------------------------------------------------------------------------------------


def rules(**values: Any) -> Change:
    """Set fields of a rules object (CreateRules, SendRules, QueryOptions, ...)."""
    return lambda value, **_: dataclasses.replace(value, **values)


def when(operation: str, new: Any) -> Change:
    """`new` for one operation (a status code, an access decision), the value for the others."""
    return lambda value, operation_=None, **context: new if context.get("operation") == operation else value


def answer_for(operation: str, make: Callable[..., Any]) -> Change:
    """An answer for a task that is not there, for one operation."""
    def change(value: Any, *, operation: str = "", **context: Any) -> Any:
        return make(**context) if operation == wanted else value
    wanted = operation
    return change


def drop_key(key: str) -> Change:
    def change(body: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != key}
    return change


def set_key(key: str, new: Any) -> Change:
    return lambda body, **_: {**body, key: new}


def task_status_is(wanted: str, **values: Any) -> Change:
    """Set task fields when the task has this status (of the tasks data model; legacy shows it as the workspace's)."""
    return lambda body, *, task, **_: {**body, **values} if task.status == wanted else body


def content_type(kinds: Iterable[str], new: str | None) -> Change:
    wanted = set(kinds)
    return lambda value, *, kind="json", **_: new if kind in wanted else value


def ignore_sources(*sources: str, unless_get: bool = False) -> Change:
    def change(value: Any, *, request: Any = None, **_: Any) -> Any:
        if unless_get and request is not None and request.method == "GET":
            return value
        return dataclasses.replace(value, ignored=value.ignored | frozenset(sources))
    return change


def raise_(error: Callable[[], ApiError]) -> Change:
    def change(*_: Any, **__: Any) -> Any:
        raise error()
    return change


def _not_rfc3339(body: dict[str, Any], *, task: Any, **_: Any) -> dict[str, Any]:
    return {**body, "created_at": datetime.fromtimestamp(task.created_at, tz=UTC).strftime("%m/%d/%Y %H:%M:%S")}


def _uuids_as_objects(body: dict[str, Any], **_: Any) -> dict[str, Any]:
    out = dict(body)
    for key in ("workspace_id", "workspace_agent_id", "workspace_app_id"):
        if key in out:
            value = out[key]
            out[key] = {"uuid": value or "00000000-0000-0000-0000-000000000000", "valid": value is not None}
    return out


def _auth_answer(*, route_name: str, method: str | None = None, as_owner: bool = False) -> Change:
    """Answer an unauthenticated request to a route as if authenticated (the admin, or the task's owner)."""
    def change(value: Any, *, route: Any, request: Any, app: Any, **_: Any) -> Any:
        if route is None or route.name != route_name or (method and request.method != method):
            return value
        if not as_owner:
            return app.identities.admin
        found = app.store.lookup(route.params["task"], "")
        return found.owner if found is not None else value
    return change


def _kind_of_failure(kind: str, error: Callable[[Any], ApiError]) -> Change:
    def change(value: Any, *, result: Any, **_: Any) -> Any:
        return error(result) if isinstance(value, ApiError) and value.status == 401 and result.kind == kind else value
    return change


def _unknown_is_nobody(found: str | None, **_: Any) -> str | None:
    return NOBODY if found is None else found


def _missing_delete(value: Any, *, app: Any, **context: Any) -> Any:
    if context.get("operation") != "delete":
        return value
    return app.change("delete_answer", empty_response(app.change("status", 202, operation="delete")))


def _second_delete(value: Any, *, app: Any, ref: str, owner: Any, operation: str, **_: Any) -> Any:
    if operation != "delete" or app.store.lookup(ref, owner.id, include_deleted=True) is None:
        return value
    return app.change("delete_answer", empty_response(app.change("status", 202, operation="delete")))


def _empty_query_400(q: str, *, params: list[tuple[str, str]], **_: Any) -> str:
    if any(key == "q" for key, _ in params) and not q.strip():
        raise ApiError(400, "Invalid task search query.", validations=[Validation("q", "q must not be empty")])
    return q


def _double_space_500(q: str, **_: Any) -> str:
    if "  " in q.strip():
        raise ApiError(500, "Internal error fetching tasks.", detail="empty search term")
    return q


def _empty_search_404(tasks: list[Any], *, q: str, **_: Any) -> list[Any]:
    if not tasks and q.strip():
        raise ApiError(404, "No tasks match the query.")
    return tasks


def _body_500(when_json: bool, field: str | None = None) -> Change:
    def change(error: ApiError, *, is_json: bool, **context: Any) -> ApiError:
        if is_json == when_json and (field is None or context.get("field") == field) and \
                (field is not None or context.get("field") is None):
            return ApiError(500, "Internal error decoding the request.", detail="unexpected body")
        return error
    return change


FaultRow = tuple[Any, ...]  # name, description, breaks, changes[, profiles[, breaks by profile where they differ]]


def _area(area: str, *faults: FaultRow, profiles: tuple[str, ...] = PROFILE_NAMES) -> tuple[Fault, ...]:
    """The faults of one area; a row's own profiles (a fifth element) win over the area's."""
    return tuple(Fault(row[0], row[1], dict(row[3]), row[2], area, row[4] if len(row) > 4 else profiles,
                       row[5] if len(row) > 5 else {})
                 for row in faults)


def _on_statuses(operation: str, statuses: tuple[str, ...], error: Callable[[], ApiError]) -> Change:
    """Another refusal of `operation` on a task in one of these statuses."""
    def change(value: Any, *, operation: str, status: str, **_: Any) -> Any:
        return error() if operation == wanted and status in statuses else value
    wanted = operation
    return change


def _build_for(operation: str, make: Callable[[dict[str, Any]], dict[str, Any]]) -> Change:
    """Another answer to pause or resume."""
    def change(body: dict[str, Any], *, operation: str, **_: Any) -> dict[str, Any]:
        return make(body) if operation == wanted else body
    wanted = operation
    return change


def _live_logs_snapshot(body: Any, *, kind: str = "json", **_: Any) -> Any:
    if kind == "logs" and isinstance(body, dict) and "snapshot" not in body:
        return {**body, "snapshot": True}
    return body


def _other_workspace(body: dict[str, Any], *, task: Any, **_: Any) -> dict[str, Any]:
    return {**body, "workspace_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"workspace/{task.id}"))}


def _owner_visible_with_filter(visible: bool, *, task_filter: Any, **_: Any) -> bool:
    return visible or task_filter.owner_id is not None


def _admin_sees_own(visible: bool, *, task: Any, caller: Any, **_: Any) -> bool:
    return visible and not (caller.is_owner and task.owner.id != caller.id)


def _get_other_403(refusal: Any, *, operation: str, **_: Any) -> Any:
    if operation == "get" and refusal is not None:
        return ApiError(403, "Forbidden.", detail="you do not have permission to read this task")
    return refusal


def _username_unsupported(user: Any, *, ref: str, **_: Any) -> Any:
    return None if user is not None and ref.lower() != "me" and parse_uuid(ref) is None else user


def _uuid_owner_unsupported(found: str | None, *, value: str, app: Any, **_: Any) -> str | None:
    if parse_uuid(value) is None:
        return found
    user = app.identities.user_by_name(value)
    return user.id if user is not None else None


def _org_name_unsupported(found: str | None, *, value: str, **_: Any) -> str | None:
    return found if parse_uuid(value) is not None else None


def _id_mismatch(answer: dict[str, Any], *, request_body: dict[str, Any], task: Any, **_: Any) -> dict[str, Any]:
    if set(request_body) - CREATE_FIELDS:
        return {**answer, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, task.id))}
    return answer


def _long_numeric_name(body: dict[str, Any], *, task: Any, **_: Any) -> dict[str, Any]:
    return {**body, "workspace_name": None} if _LONG_NUMERIC_NAME.search(task.name) else body


def _delete_with_body(response: Response, *, app: Any, **_: Any) -> Response:
    return app.json(response.status_code, {"message": "Task deletion started."})


def _rename_error_key(body: dict[str, Any], **_: Any) -> dict[str, Any]:
    return {("error" if key == "message" else key): value for key, value in body.items()}


_REGISTRY: tuple[Fault, ...] = (
    *_area(
        "status codes",
        ("create-returns-200", "create answers 200 instead of 201", ("CREATE-STATUS-201",),
         {"status": when("create", 200)}),
        ("delete-returns-200", "delete answers 200 instead of 202", ("DELETE-STATUS-202",),
         {"status": when("delete", 200)}),
        ("send-returns-200", "send answers 200 instead of 204", ("SEND-STATUS-204",), {"status": when("send", 200)}),
        ("empty-search-404", "a q that matches no task answers 404 instead of an empty list", ("LIST-EMPTY-ARRAY",),
         {"listed": _empty_search_404}),
        ("get-missing-task-400", "get of a task id that does not exist answers 400 instead of 404",
         ("GET-NOT-FOUND-404",),
         {"missing_task": answer_for("get", raise_(lambda: ApiError(400, "Invalid task id.",
                                                                    detail="the task could not be loaded")))}),
        ("logs-missing-task-200", "logs of a task id that does not exist answer 200 with no entries",
         ("LOGS-NOT-FOUND-404",),
         {"missing_task": lambda value, *, app, operation, **_: app.json(200, {"logs": []}, kind="logs")
          if operation == "logs" else value}),
        ("send-missing-task-204", "send to a task id that does not exist answers 204", ("SEND-NOT-FOUND-404",),
         {"missing_task": answer_for("send", lambda **_: empty_response(204))}),
        ("delete-missing-task-202", "delete of a task id that does not exist (or is gone) answers 202",
         ("DELETE-NOT-FOUND-404",), {"missing_task": _missing_delete}),
        ("wrong-method-404", "a known route with an unsupported method answers 404 instead of 405",
         ("GEN-WRONG-METHOD",), {"method_not_allowed": lambda value, **_: ApiError(404, "Route not found.")}),
        ("unknown-route-html", "an unknown route answers 404 with an HTML page instead of the error body",
         ("GEN-UNKNOWN-ROUTE-404",),
         {"route_not_found": lambda value, **_: Response(_HTML_404, status_code=404,
                                                         media_type="text/html; charset=utf-8")}),
    ),
    *_area(
        "body schemas",
        ("missing-owner-name", "Task objects lack the owner_name field",
         ("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA"), {"task_json": drop_key("owner_name")}),
        ("nullable-fields-omitted", "Task objects omit null fields instead of sending JSON null",
         ("CREATE-SCHEMA",), {"task_json": lambda body, **_: {k: v for k, v in body.items() if v is not None}}),
        ("bad-created-at-format", "Task created_at is not an RFC 3339 date-time",
         ("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA", "LIFE-TIMESTAMPS"), {"task_json": _not_rfc3339}),
        ("create-requires-name", "create refuses a body without a name (400) instead of generating one",
         ("CREATE-NAME-GENERATED",), {"create_rules": rules(require_name=True)}),
        ("log-id-as-string", "log entry ids are strings instead of integers", ("LOGS-SCHEMA",),
         {"log_json": lambda body, **_: {**body, "id": str(body["id"])}}),
        ("nullable-uuids-as-objects",
         "nullable uuids are {\"uuid\", \"valid\"} objects (the docs generator's drawing) instead of a string or null",
         ("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA"), {"task_json": _uuids_as_objects}),
        ("log-types-user-agent", "log entries are typed user/agent instead of input/output",
         ("LOGS-SCHEMA", "SEND-INPUT-LOGGED"),
         {"log_json": lambda body, **_: {**body, "type": {"input": "user", "output": "agent"}[body["type"]]}}),
        ("template-icon-null", "Task template_icon is null instead of a string", ("CREATE-SCHEMA", "GET-SCHEMA"),
         {"task_json": set_key("template_icon", None)}),
        ("empty-list-null", "a list that matches nothing has \"tasks\": null instead of []", ("LIST-EMPTY-ARRAY",),
         {"list_body": lambda body, **_: {**body, "tasks": None} if not body["tasks"] else body}),
    ),
    *_area(
        "content types",
        ("json-without-content-type", "JSON responses are labelled text/plain",
         ("GEN-CONTENT-TYPE", "LIST-CONTENT-TYPE", "CREATE-CONTENT-TYPE", "GET-CONTENT-TYPE", "LOGS-CONTENT-TYPE"),
         {"content_type": content_type(("json", "error", "logs"), "text/plain; charset=utf-8")}),
        ("errors-labelled-html", "error responses carry a JSON body labelled text/html", ("GEN-CONTENT-TYPE",),
         {"content_type": content_type(("error",), "text/html; charset=utf-8")}),
        ("logs-without-content-type", "the logs response has no Content-Type", ("LOGS-CONTENT-TYPE",),
         {"content_type": content_type(("logs",), None)}),
    ),
    *_area(
        "error bodies",
        ("error-body-not-json", "error responses carry a plain-text body instead of JSON",
         ("GEN-ERROR-BODY", "AUTH-401-BODY", "FILTER-ERROR-BODY"), {"error_as_text": lambda value, **_: True}),
        ("error-key-renamed", "error bodies say {\"error\": ...} instead of {\"message\": ...}",
         ("GEN-ERROR-BODY", "AUTH-401-BODY", "FILTER-ERROR-BODY"), {"error_body": _rename_error_key}),
        ("query-error-without-validations", "the 400 for a bad q has no validations list", ("FILTER-ERROR-BODY",),
         {"query_error": lambda error, **_: ApiError(error.status, error.message)}),
    ),
    *_area(
        "authentication",
        ("get-skips-auth", "get of a task answers without a valid session token (acts as the admin)",
         ("AUTH-MISSING-401", "AUTH-MALFORMED-401", "AUTH-UNKNOWN-401", "AUTH-WRONG-SECRET-401"),
         {"auth_failure": _auth_answer(route_name="task", method="GET")}),
        ("auth-after-routing", "unknown routes under the API prefix answer 404 before authentication (not 401)",
         ("AUTH-BEFORE-404",), {"route_before_auth": lambda value, **_: True}),
        ("token-precedence-reversed", "the Coder-Session-Token header wins over the session cookie",
         ("AUTH-PRECEDENCE",), {"token_sources": rules(header_first=True)}),
        ("wrong-secret-accepted", "a token with a known id but a wrong secret is accepted",
         ("AUTH-WRONG-SECRET-401",), {"token_sources": rules(check_secret=False)}),
        ("malformed-token-400", "a token that is not in <id>-<secret> format answers 400 instead of 401",
         ("AUTH-MALFORMED-401",),
         {"auth_failure": _kind_of_failure("malformed", lambda r: ApiError(400, "Invalid API key format.",
                                                                           detail=r.detail))}),
        ("unknown-token-403", "a well-formed token with an unknown id answers 403 instead of 401",
         ("AUTH-UNKNOWN-401",),
         {"auth_failure": _kind_of_failure("unknown", lambda r: ApiError(403, "Forbidden.", detail=r.detail))}),
        ("header-token-get-only", "the Coder-Session-Token header is honoured on GET requests only",
         ("AUTH-HEADER",), {"token_sources": ignore_sources("header", unless_get=True)}),
        ("cookie-token-ignored", "the coder_session_token cookie is ignored", ("AUTH-COOKIE", "AUTH-PRECEDENCE"),
         {"token_sources": ignore_sources("cookie")}),
        ("query-token-ignored", "the coder_session_token query parameter is ignored", ("AUTH-QUERY",),
         {"token_sources": ignore_sources("query")}),
        ("bearer-skips-secret-check", "an Authorization: Bearer token is accepted on its id alone (any secret)",
         ("AUTH-WRONG-SECRET-401",), {"token_sources": rules(bearer_checks_secret=False)}),
    ),
    *_area(
        "access control",
        ("member-sees-others-tasks", "list shows members the tasks of other members", ("ACL-LIST-OTHER-HIDDEN",),
         {"visible": lambda value, **_: True}),
        ("get-other-members-task", "get returns another member's task instead of 404", ("ACL-GET-OTHER-404",),
         {"task_access": when("get", None)}),
        ("other-members-task-403", "get of another member's task answers 403 (leaks existence) instead of 404",
         ("ACL-GET-OTHER-404",), {"task_access": _get_other_403}),
        ("logs-other-members-task", "logs of another member's task are returned instead of 404",
         ("ACL-LOGS-OTHER-404",), {"task_access": when("logs", None)}),
        ("send-other-members-task", "send to another member's task is delivered instead of 404",
         ("ACL-SEND-OTHER-404",), {"task_access": when("send", None)}),
        ("delete-other-members-task", "delete of another member's task deletes it instead of 404",
         ("ACL-DELETE-OTHER-404",), {"task_access": when("delete", None)}),
        ("admin-sees-only-own", "an owner/admin's list shows only their own tasks", ("ACL-ADMIN-SEES-ALL",),
         {"visible": _admin_sees_own}),
        ("member-creates-for-others", "a member may create tasks owned by another user", ("ACL-CREATE-FOR-OTHER",),
         {"create_for_other": lambda value, **_: None}),
        ("owner-filter-bypasses-visibility", "an owner filter shows a member the other user's tasks",
         ("ACL-LIST-OTHER-HIDDEN",), {"visible": _owner_visible_with_filter}),
    ),
    *_area(
        "filtering",
        ("status-filter-ignored", "list ignores the status: filter of q", ("FILTER-STATUS", "FILTER-AND"),
         {"filters": rules(status=False)}),
        ("bare-word-owner-ignored", "list ignores bare words in q instead of treating them as owner",
         ("FILTER-BARE-WORD",), {"query_options": rules(bare_words=None)}),
        ("query-case-sensitive", "list does not lowercase q, so OWNER:Alice or status:ACTIVE fail", ("FILTER-CASE",),
         {"query_options": rules(lowercase=False)}),
        ("owner-filter-ignored", "list ignores the owner: filter of q",
         ("FILTER-OWNER-ME", "FILTER-OWNER-USERNAME", "FILTER-OWNER-UUID", "FILTER-AND", "FILTER-QUOTED"),
         {"filters": rules(owner=False)}),
        ("owner-uuid-unsupported", "owner:<uuid> is looked up as a username (400)", ("FILTER-OWNER-UUID",),
         {"resolve_owner": _uuid_owner_unsupported}, NOT_LEGACY),
        ("organization-filter-ignored", "list ignores the organization: filter of q",
         ("FILTER-ORGANIZATION-ID",), {"filters": rules(organization=False)}),
        ("organization-name-unsupported", "organization:<name> is refused; only uuids are understood",
         ("FILTER-ORGANIZATION-NAME",), {"resolve_organization": _org_name_unsupported}),
        ("quotes-kept", "double quotes are not stripped from filter values, so owner:\"alice\" is refused",
         ("FILTER-QUOTED",), {"query_options": rules(strip_quotes=False)}),
        ("filters-or-combined", "several filters combine with OR instead of AND", ("FILTER-AND",),
         {"filters": rules(combine=any)}),
        ("empty-query-400", "an empty q is refused with 400 instead of meaning no filter", ("FILTER-EMPTY-QUERY",),
         {"query": _empty_query_400}),
        ("unknown-filter-key-ignored", "an unknown filter key is ignored instead of 400", ("FILTER-UNKNOWN-KEY-400",),
         {"query_options": rules(reject_unknown_keys=False)}),
        ("colon-edge-accepted", "a token starting or ending with ':' is ignored instead of 400",
         ("FILTER-COLON-EDGE-400",), {"query_options": rules(reject_colon_edges=False)}),
        ("multi-colon-accepted", "a token with more than one ':' is ignored instead of 400",
         ("FILTER-MULTI-COLON-400",), {"query_options": rules(reject_multi_colons=False)}),
        ("unknown-owner-matches-nothing", "an unknown owner username matches nothing (200) instead of 400",
         ("FILTER-UNKNOWN-OWNER-400",), {"resolve_owner": _unknown_is_nobody}, NOT_LEGACY),
        ("unknown-org-matches-nothing", "an unknown organization name matches nothing (200) instead of 400",
         ("FILTER-UNKNOWN-ORG-400",), {"resolve_organization": _unknown_is_nobody}),
    ),
    *_area(
        "lifecycle",
        ("task-stuck-pending", "tasks never leave the pending status", ("LIFE-REACHES-ACTIVE",),
         {"stuck_pending": lambda value, **_: True}),
        ("status-running-not-active", "a started task reports status \"running\" instead of \"active\"",
         ("LIFE-REACHES-ACTIVE", "GET-SCHEMA", "LIST-SCHEMA"),
         {"task_json": task_status_is("active", status="running")}, NOT_LEGACY),
        ("initial-status-unknown", "create answers with status \"unknown\" instead of pending",
         ("LIFE-INITIAL-STATUS",), {"create_answer": set_key("status", "unknown")}),
        ("created-at-changes", "created_at moves with updated_at as the task progresses", ("LIFE-TIMESTAMPS",),
         {"task_json": lambda body, **_: {**body, "created_at": body["updated_at"]}}),
        ("active-without-agent", "active tasks have workspace_agent_id null", ("LIFE-ACTIVE-WORKSPACE",),
         {"task_json": task_status_is("active", workspace_agent_id=None)}),
    ),
    *_area(
        "send and logs",
        ("send-drops-input", "send does not record the input log entry (only the reply appears)",
         ("SEND-INPUT-LOGGED",), {"send_rules": rules(record_input=False)}),
        ("send-empty-input-accepted", "send accepts an empty input with 204 instead of 400", ("SEND-EMPTY-INPUT-400",),
         {"send_rules": rules(refuse_empty=False)}),
        ("logs-wrong-type", "logs label the user's input entries as output", ("SEND-INPUT-LOGGED",),
         {"log_json": set_key("type", "output")}),
        ("send-input-newline", "the input entry in the logs carries an extra trailing newline", ("SEND-INPUT-LOGGED",),
         {"send_rules": rules(logged_suffix="\n")}),
        ("send-before-active-accepted", "send to a task that is not active yet answers 204 (input lost)",
         ("SEND-NOT-ACTIVE",), {"send_rules": rules(accept_when_not_active=True)}),
        ("logs-before-active-200", "logs of a task that is not active yet answer 200 with no entries",
         ("LOGS-NOT-ACTIVE",), {"logs_rules": rules(empty_when_not_active=True)}),
        ("agent-never-replies", "the agent never answers: the logs have no output entries", ("SEND-OUTPUT-FOLLOWS",),
         {"logs_rules": rules(drop_outputs=True)}),
    ),
    *_area(
        "create and get",
        ("duplicate-name-accepted", "create accepts a task name the owner already uses instead of 409",
         ("CREATE-NAME-CONFLICT-409",), {"create_rules": rules(unique_names=False)}),
        ("invalid-name-accepted", "create accepts task names that break the naming rules", ("CREATE-NAME-INVALID-400",),
         {"create_rules": rules(check_name=False)}),
        ("name-conflict-case-sensitive", "name conflicts are detected case-sensitively (Fix vs fix is no 409)",
         ("CREATE-NAME-CONFLICT-409",), {"create_rules": rules(case_sensitive_names=True)}),
        ("reserved-name-accepted", "create accepts the reserved names new and create", ("CREATE-NAME-INVALID-400",),
         {"create_rules": rules(allow_reserved_names=True)}),
        ("template-version-not-checked", "create accepts an unknown template_version_id",
         ("CREATE-TEMPLATE-UNKNOWN-400",), {"create_rules": rules(check_template_version=False)}, PROFILE_NAMES,
         {"legacy": ("CREATE-TEMPLATE-UNKNOWN-404",)}),
        ("non-ai-template-accepted", "create accepts a template version without an AI task",
         ("CREATE-TEMPLATE-NO-AI-400",), {"create_rules": rules(require_ai_task=False)}),
        ("missing-template-version-accepted", "create without template_version_id uses a default template",
         ("CREATE-MISSING-FIELDS-400",), {"create_rules": rules(require_template_version=False)}, PROFILE_NAMES,
         {"legacy": ("CREATE-TEMPLATE-UNKNOWN-404",)}),  # legacy answers a missing template version 404
        ("initial-prompt-trimmed", "initial_prompt is the input with surrounding whitespace trimmed",
         ("CREATE-FIELDS",), {"create_rules": rules(trim_prompt=True)}),
        ("get-trims-initial-prompt", "get shows initial_prompt trimmed while create echoed it unchanged",
         ("GET-MATCHES-CREATE",), {"get_answer": lambda body, **_: {**body, "initial_prompt":
                                                                     body["initial_prompt"].strip()}}),
        ("username-user-segment-unsupported", "a {user} path segment that is a username is refused (400)",
         ("GEN-USER-FORMS",), {"resolve_user": _username_unsupported}),
        ("get-by-name-case-sensitive", "a task name in the {task} segment matches case-sensitively", ("GET-BY-NAME",),
         {"lookup": rules(case_sensitive_names=True)}, NOT_LEGACY),
    ),
    *_area(
        "delete",
        ("deleted-task-still-listed", "list still shows deleted tasks", ("DELETE-GONE-LIST",),
         {"lookup": lambda value, *, operation, **_: dataclasses.replace(value, include_deleted=True)
          if operation == "list" else value}),
        ("deleted-task-still-gettable", "get still returns a deleted task", ("DELETE-GONE-GET",),
         {"lookup": lambda value, *, operation, **_: dataclasses.replace(value, include_deleted=True)
          if operation == "get" else value}, NOT_LEGACY),
        ("second-delete-succeeds", "deleting an already deleted task answers 202 again", ("DELETE-TWICE-404",),
         {"missing_task": _second_delete}, NOT_LEGACY),
        ("deleted-task-logs-send", "logs and send still work on a deleted task (get is 404)",
         ("DELETE-GONE-LOGS-SEND",),
         {"lookup": lambda value, *, operation, **_: dataclasses.replace(value, include_deleted=True)
          if operation in ("logs", "send") else value}, NOT_LEGACY),
        ("delete-returns-body", "the 202 of delete carries a JSON body", ("DELETE-EMPTY-BODY",),
         {"delete_answer": _delete_with_body}),
    ),
    *_area(
        "list",
        ("list-count-off-by-one", "list reports count = len(tasks) + 1", ("LIST-COUNT",),
         {"list_body": lambda body, **_: {**body, "count": body["count"] + 1}}),
        ("list-oldest-first", "list returns tasks oldest first instead of newest first", ("LIST-ORDER",),
         {"listed": lambda tasks, **_: list(reversed(tasks))}, NOT_LEGACY),
    ),
    *_area(
        "robustness",
        ("unknown-user-500", "an unknown {user} path segment answers 500 instead of 400", ("GEN-UNKNOWN-USER-400",),
         {"unknown_user": lambda error, **_: ApiError(500, "Internal error fetching user.",
                                                      detail="sql: no rows in result set")}),
        ("non-object-body-500", "a JSON body that is not an object (array, string, null) answers 500",
         ("GEN-NO-5XX",), {"body_error": _body_500(True)}),
        ("wrong-type-input-500", "an input that is not a string answers 500", ("GEN-NO-5XX",),
         {"body_error": _body_500(True, "input")}),
        ("malformed-json-500", "a request body that is not JSON answers 500 instead of 400",
         ("GEN-MALFORMED-JSON-400",), {"body_error": _body_500(False)}),
        ("bad-status-500", "an unknown status value in q answers 500 (as Coder does) instead of 400",
         ("FILTER-BAD-STATUS-400",), {"query_options": rules(validate_status=False)}),
    ),
    # --- the stable generation's own behaviour ---
    *_area(
        "pause and resume",
        ("pause-stops-nothing", "pause answers 202 but the task keeps running", ("PAUSE-REACHES-PAUSED",),
         {"pause_rules": rules(pause_stops=False)}),
        ("resume-starts-nothing", "resume answers 202 but the task stays paused", ("RESUME-REACHES-ACTIVE",),
         {"pause_rules": rules(resume_starts=False)}),
        ("resume-not-paused-accepted", "resume of a task that is not paused answers 202",
         ("RESUME-NOT-PAUSED-REFUSED",), {"pause_rules": rules(resume_paused_only=False)}),
        ("pause-returns-200", "pause answers 200 instead of 202", ("PAUSE-202",), {"status": when("pause", 200)}),
        ("resume-returns-200", "resume answers 200 instead of 202", ("RESUME-202",),
         {"status": when("resume", 200)}),
        ("pause-body-empty", "pause answers 202 with {} instead of naming the stop build", ("PAUSE-SCHEMA",),
         {"build_answer": _build_for("pause", lambda body: {})}),
        ("resume-build-id-only", "resume answers {workspace_build_id} instead of the build", ("RESUME-202",),
         {"build_answer": _build_for("resume", lambda body: {"workspace_build_id": body["workspace_build"]["id"]})}),
        ("pause-other-members-task", "a member may pause another member's task", ("ACL-PAUSE-OTHER-404",),
         {"task_access": when("pause", None)}),
        ("resume-other-members-task", "a member may resume another member's task", ("ACL-RESUME-OTHER-404",),
         {"task_access": when("resume", None)}),
        ("pause-skips-auth", "pause of a task answers without a valid session token (acts as the admin)",
         ("AUTH-MISSING-401", "AUTH-MALFORMED-401", "AUTH-UNKNOWN-401", "AUTH-WRONG-SECRET-401"),
         {"auth_failure": _auth_answer(route_name="pause")}),
        profiles=STABLE_ONLY,
    ),
    *_area(
        "input, logs and send while paused",
        ("input-accepted-while-active", "an input update of an active task answers 204 and changes its prompt",
         ("INPUT-UPDATE-NOT-PAUSED-409",), {"input_rules": rules(paused_only=False)}),
        ("input-blank-accepted", "a blank input update answers 204", ("INPUT-UPDATE-BLANK-400",),
         {"input_rules": rules(refuse_blank=False)}),
        ("input-not-saved", "an input update answers 204 but the prompt stays as it was",
         ("INPUT-UPDATE-CHANGES-PROMPT",), {"input_rules": rules(save=False)}),
        ("input-update-returns-200", "an input update answers 200 instead of 204", ("INPUT-UPDATE-204",),
         {"status": when("input", 200)}),
        ("input-other-members-task", "a member may update the input of another member's task",
         ("ACL-INPUT-OTHER-404",), {"task_access": when("input", None)}),
        ("send-paused-400", "send to a paused task answers 400 instead of 409", ("SEND-PAUSED-409",),
         {"not_active": _on_statuses("send", ("paused",), lambda: ApiError(400, "Task must be active."))}),
        ("send-starting-400", "send to a pending or initializing task answers 400 where the release promises 409",
         ("SEND-NOT-ACTIVE",),
         {"not_active": _on_statuses("send", ("pending", "initializing"),
                                     lambda: ApiError(400, "Task status must be active."))}),
        ("snapshot-missing-while-paused", "logs of a paused task answer 409 instead of the stored snapshot",
         ("LOGS-SNAPSHOT-PAUSED",),
         {"not_active": _on_statuses("logs", ("paused",), lambda: ApiError(
             409, "Cannot fetch logs for task in current state.", detail='Task status is "paused".'))}),
        ("snapshot-flag-missing", "the stored snapshot of a paused or starting task lacks \"snapshot\": true",
         ("LOGS-SNAPSHOT-PAUSED", "LOGS-NOT-ACTIVE"), {"snapshot_body": drop_key("snapshot")}),
        ("live-logs-marked-snapshot", "the live log of an active task says \"snapshot\": true",
         ("LOGS-LIVE-NOT-SNAPSHOT",), {"json_body": _live_logs_snapshot}),
        profiles=STABLE_ONLY,
    ),
    *_area(
        "display name",
        ("display-name-too-long-accepted", "create accepts a display_name over 64 characters",
         ("DISPLAY-NAME-TOO-LONG-400",), {"create_rules": rules(limit_display_name=False)}),
        ("display-name-ignored", "a display_name given at creation is replaced by one made from the prompt",
         ("DISPLAY-NAME-GIVEN",), {"create_rules": rules(keep_display_name=False)}),
        ("display-name-not-generated", "a task created without a display_name has an empty one",
         ("DISPLAY-NAME-GENERATED",), {"create_rules": rules(generate_display_name=False)}),
        ("display-name-missing", "Task objects lack the display_name field",
         ("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA"), {"task_json": drop_key("display_name")}),
        profiles=STABLE_ONLY,
    ),
    *_area(
        "generations",
        ("experimental-aliases-missing", "only /api/v2 answers: the /api/experimental aliases are 404",
         ("STABLE-ALIASES",), {"prefixes": lambda prefixes, **_: prefixes[:1]}, STABLE_ONLY),
        ("name-lookup-missing", "{task} must be a uuid (400) although the release promises name lookup",
         ("GET-BY-NAME",), {"lookup": rules(by_name=False)}, STABLE_ONLY),
        ("legacy-status-of-task-model", "a legacy task shows the tasks data model's status (active) instead of "
         "its workspace's (running)", ("GET-SCHEMA", "LIST-SCHEMA", "LIFE-REACHES-ACTIVE"),
         {"task_json": lambda body, *, task, **_: {**body, "status": task.status}}, LEGACY_ONLY),
        ("legacy-id-not-workspace", "a legacy task's workspace_id differs from its id", ("LEGACY-ID-IS-WORKSPACE",),
         {"task_json": _other_workspace}, LEGACY_ONLY),
        ("legacy-unknown-template-400", "an unknown template version answers 400 (a later release's answer) "
         "instead of 404", ("CREATE-TEMPLATE-UNKNOWN-404",),
         {"template_error": lambda error, **_: ApiError(400, error.message, detail=error.detail)}, LEGACY_ONLY),
        ("legacy-filters-task-statuses", "status: filters take the data model's statuses (status:running is 400)",
         ("FILTER-STATUS",), {"query_options": rules(statuses=("pending", "initializing", "active", "paused",
                                                                "unknown", "error"))}, LEGACY_ONLY),
        ("legacy-bare-word-owner", "a bare word filters by owner instead of by task name", ("FILTER-BARE-WORD",),
         {"query_options": rules(bare_words="owner")}, LEGACY_ONLY),
    ),
    # --- faults only fuzzing would reasonably find (conformance/fuzz catches each one) ---
    *_area(
        "found by fuzzing",
        ("query-double-space-500", "list answers 500 when q separates its terms by more than one space",
         ("FUZZ-NO-SERVER-ERROR",), {"query": _double_space_500}),
        ("long-numeric-name-schema-violation",
         "Task objects of tasks whose name is 30+ characters and ends in 8+ digits carry workspace_name null",
         ("FUZZ-RESPONSE-SCHEMA",), {"task_json": _long_numeric_name}, NOT_LEGACY),
        ("unknown-field-id-mismatch",
         "create answers with an id get cannot find when the body carries a field the server does not know",
         ("FUZZ-RESOURCE-AVAILABLE",), {"create_answer": _id_mismatch}),
        ("logs-skips-auth", "logs of an existing task answer without a valid session token",
         ("FUZZ-IGNORED-AUTH",), {"auth_failure": _auth_answer(route_name="logs", as_owner=True)}),
    ),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _REGISTRY}


def list_faults(profile: str | None = None) -> list[Fault]:
    """Every registered fault (of one profile), in registry order."""
    return [f for f in _REGISTRY if profile is None or profile in f.profiles]


def validate_fault_names(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a set, or raise ValueError naming the unknown ones and listing the valid ones."""
    return validate_names(names, FAULTS, "fault")


def parse_fault_list(text: str) -> frozenset[str]:
    """Parse a comma-separated list of fault names (as given to --faults or the environment variable)."""
    return parse_names(text, FAULTS, "fault")


def faults_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """The faults named by TASKS_CONFORMANCE_REFERENCE_FAULTS, validated."""
    return parse_fault_list(environ.get(ENV_VAR, ""))


class ActiveFaults(Switches):
    """The set of faults switched on for one server; safe to change while requests are being served."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(FAULTS, "fault", names)


def check() -> None:
    """Every fault changes something, at hook points that exist."""
    from .conforming.app import HOOK_POINTS
    from .server import SERVER_HOOK_POINTS

    check_points(_REGISTRY, [*HOOK_POINTS, *SERVER_HOOK_POINTS], "fault")
