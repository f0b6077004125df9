"""The Starlette application: routing, authentication order, handlers and error answers.

Every path is dispatched by one catch-all route so that the order Coder uses holds everywhere:
under the API prefix authentication runs first (401 beats 404/405), then routing (404, 405), then the handler.
No input produces a 500: an unexpected exception is recorded in ``unexpected_errors`` and answered 400.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .auth import SIGNED_OUT_MESSAGE, AuthFailure, authenticate, extract_token_source
from .bodies import parse_object, string_field, uuid_field
from .faults import ActiveFaults
from .identities import Identities, User, parse_uuid
from .names import generate_name, name_problem
from .query import TASK_STATUSES, QueryError, QueryOptions, TaskFilter, Validation, parse_task_query
from .responses import (
    INVALID_JSON_MESSAGE,
    JSON_CONTENT_TYPE,
    NOT_FOUND_MESSAGE,
    ApiError,
    empty_response,
    error_response,
    json_response,
)
from .store import LogEntry, NameTaken, TaskNotActive, TaskStore, TaskView
from .variations import ActiveVariations
from .wire import WireOptions, log_json, task_json

logger = logging.getLogger(__name__)

_MAX_RECORDED_ERRORS = 100
_LONG_NUMERIC_NAME = re.compile(r"^.{22,}[0-9]{8}$")  # the long-numeric-name-schema-violation fault
_KNOWN_CREATE_FIELDS = {"input", "name", "template_version_id", "template_version_preset_id", "display_name"}
_RESERVED_NAMES = ("new", "create")
_NIL_UUID = "00000000-0000-0000-0000-000000000000"
_NOBODY = "ffffffff-ffff-4fff-bfff-ffffffffffff"  # an owner/organization id no task has (the *-matches-nothing faults)
_LOG_LAG = 0.3  # the logs-lag variation
INVALID_QUERY_MESSAGE = "Invalid task search query."
_HTML_404 = "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"
# The error-wording variation: other words for the same answers (the documented query message stays).
_REWORDED = {
    SIGNED_OUT_MESSAGE: "Authentication required: the session token is missing, invalid or expired.",
    NOT_FOUND_MESSAGE: "Task not found.",
    INVALID_JSON_MESSAGE: "The request body could not be parsed as JSON.",
    "Task input is required.": "The input must not be empty.",
    "Task status must be active.": "The task is not running yet.",
    "Unable to create a Task with the provided name.": "That task name is not allowed.",
    "Route not found.": "No such endpoint.",
    "Method not allowed.": "This endpoint does not support that method.",
}
# The extra-response-headers variation.
_EXTRA_HEADERS = {
    "X-Request-Id": "7f1d5c1e-reference",
    "Cache-Control": "no-store, max-age=0",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Access-Control-Allow-Origin": "*",
    "Server": "coder-reference/2.28",
    "Link": '</api/v2/docs>; rel="service-doc"',
}


@dataclass(frozen=True)
class _Route:
    name: str
    methods: tuple[str, ...]
    params: dict[str, str]


def _match(rest: list[str]) -> _Route | None:
    """Match the path segments after the API prefix."""
    if not rest or rest[0] != "tasks" or any(segment == "" for segment in rest):
        return None
    if len(rest) == 1:
        return _Route("list", ("GET",), {})
    if len(rest) == 2:
        return _Route("create", ("POST",), {"user": rest[1]})
    params = {"user": rest[1], "task": rest[2]}
    if len(rest) == 3:
        return _Route("task", ("GET", "DELETE"), params)
    if len(rest) == 4 and rest[3] == "logs":
        return _Route("logs", ("GET",), params)
    if len(rest) == 4 and rest[3] == "send":
        return _Route("send", ("POST",), params)
    return None


def _segments(scope: Scope) -> list[str] | None:
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))
    path = path.split("?", 1)[0]
    if not path.startswith("/"):
        return None
    return [unquote(segment, errors="replace") for segment in path[1:].split("/")]


class _Endpoint:
    """The catch-all ASGI endpoint: every HTTP request goes to ``ReferenceApp.handle``."""

    def __init__(self, app: ReferenceApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self._app.handle(Request(scope, receive))
        await response(scope, receive, send)


class ReferenceApp:
    """The ASGI application of one reference server."""

    def __init__(
        self,
        *,
        identities: Identities,
        store: TaskStore,
        faults: ActiveFaults,
        api_prefix: str = "/api/experimental",
        variations: ActiveVariations | None = None,
    ) -> None:
        self.identities = identities
        self.store = store
        self.faults = faults
        self.variations = variations if variations is not None else ActiveVariations()
        self.api_prefix = api_prefix
        self._prefix_segments = api_prefix.strip("/").split("/")
        self.unexpected_errors: list[str] = []
        self._agent_woken: set[tuple[str, str]] = set()  # (task id, operation) past the agent-busy-first 502
        self._agent_lock = threading.Lock()
        # An ASGI object (not a function) as endpoint: Starlette then passes every method through.
        # Starlette's own 404 (request targets that are not a path, like ``*``) answered in the error format.
        self._starlette = Starlette(
            routes=[Route("/{path:path}", endpoint=_Endpoint(self))],
            exception_handlers={HTTPException: self._starlette_error},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._starlette(scope, receive, send)

    async def _starlette_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        message = "Route not found." if status == 404 else str(getattr(exc, "detail", "Bad request."))
        return self._finish(request, self._error(ApiError(status, message)))

    # -- plumbing ------------------------------------------------------------------------------------

    def _on(self, name: str) -> bool:
        return self.faults.enabled(name)

    def _varies(self, name: str) -> bool:
        return self.variations.enabled(name)

    def _wire(self) -> WireOptions:
        return WireOptions(
            omit_owner_name=self._on("missing-owner-name"),
            omit_nulls=self._on("nullable-fields-omitted"),
            bad_created_at=self._on("bad-created-at-format"),
            inputs_as_output=self._on("logs-wrong-type"),
            nano_offset_times=self._varies("timestamp-formats"),
        )

    def _task_json(self, task: TaskView, wire: WireOptions) -> dict[str, Any]:
        body = task_json(task, wire)
        # fuzz-only fault: a schema violation only long names ending in a digit run trigger
        if self._on("long-numeric-name-schema-violation") and _LONG_NUMERIC_NAME.search(task.name):
            body["workspace_name"] = None
        if self._on("nullable-uuids-as-objects"):
            for key in ("workspace_id", "workspace_agent_id", "workspace_app_id"):
                if key in body:
                    value = body[key]
                    body[key] = {"uuid": value or _NIL_UUID, "valid": value is not None}
        if self._on("template-icon-null"):
            body["template_icon"] = None
        if self._on("status-running-not-active") and body.get("status") == "active":
            body["status"] = "running"
        if self._on("created-at-changes"):
            body["created_at"] = body["updated_at"]
        if self._on("active-without-agent") and body.get("status") == "active":
            body["workspace_agent_id"] = None
        if self._varies("current-state-null"):
            body["current_state"] = None
        if self._varies("omitempty-fields-absent"):
            body.pop("workspace_status", None)
            body.pop("workspace_build_number", None)
            if isinstance(body.get("workspace_agent_health"), dict):
                body["workspace_agent_health"] = {"healthy": body["workspace_agent_health"]["healthy"]}
        if self._varies("later-release-fields"):
            body["display_name"] = f"Task {task.name}"
        if self._varies("extra-response-fields"):
            body["template_version_name"] = "v1.0.0"
            body["reference_server"] = {"variation": "extra-response-fields", "fields": [1, 2, 3]}
            if isinstance(body.get("current_state"), dict):
                body["current_state"]["reference_note"] = "ignored by clients"
        return body

    def _log_json(self, entry: LogEntry, wire: WireOptions) -> dict[str, Any]:
        body = log_json(entry, wire)
        if self._on("log-id-as-string"):
            body["id"] = str(body["id"])
        if self._on("log-types-user-agent"):
            body["type"] = {"input": "user", "output": "agent"}[body["type"]]
        if self._varies("extra-response-fields"):
            body["source"] = "agentapi"
        return body

    def _json(self, status: int, body: Any, *, content_type: bool = True) -> Response:
        if isinstance(body, dict) and self._varies("extra-response-fields"):
            body = {**body, "reference_extra": {"ignored": True}}
        if self._varies("reordered-keys"):
            body = _reversed_keys(body)
        return json_response(
            status,
            body,
            text_plain=self._on("json-without-content-type"),
            content_type=self._json_content_type() if content_type else None,
        )

    def _json_content_type(self) -> str:
        if self._varies("json-without-charset"):
            return "application/json"
        if self._varies("json-charset-uppercase"):
            return "application/json;charset=UTF-8"
        return JSON_CONTENT_TYPE

    def _error(self, error: ApiError) -> Response:
        body: dict[str, Any] = error.body()
        if self._varies("error-wording") and error.message != INVALID_QUERY_MESSAGE:
            body["message"] = _REWORDED.get(error.message, f"Request failed: {error.message}")
        if self._varies("omitempty-fields-absent"):
            body.pop("detail", None)
        if self._varies("extra-response-fields"):
            body["reference_code"] = f"E{error.status}"
            for validation in body.get("validations", []):
                validation["reference_code"] = "invalid"
        if self._on("error-key-renamed"):
            body = {("error" if key == "message" else key): value for key, value in body.items()}
        if self._varies("reordered-keys"):
            body = _reversed_keys(body)
        if error.status == 401 and self._varies("www-authenticate-on-401"):
            error.headers.setdefault("WWW-Authenticate", 'Bearer realm="coder"')
        content_type = "text/html; charset=utf-8" if self._on("errors-labelled-html") else self._json_content_type()
        return error_response(
            error,
            text_plain=self._on("json-without-content-type"),
            body_not_json=self._on("error-body-not-json"),
            content_type=content_type,
            body=body,
        )

    def _finish(self, request: Request, response: Response) -> Response:
        """Variations that touch every response: extra headers, gzip."""
        if self._varies("extra-response-headers"):
            response.headers.update(_EXTRA_HEADERS)
        body = getattr(response, "body", b"")
        if (
            self._varies("gzip-responses")
            and body
            and "gzip" in request.headers.get("accept-encoding", "").lower()
            and "content-encoding" not in response.headers
        ):
            compressed = gzip.compress(body)
            response.body = compressed
            response.headers["content-length"] = str(len(compressed))
            response.headers["content-encoding"] = "gzip"
            response.headers["vary"] = "Accept-Encoding"
        return response

    async def handle(self, request: Request) -> Response:
        try:
            response = await self._dispatch(request)
        except ApiError as error:
            response = self._error(error)
        except Exception:  # noqa: BLE001 - the reference must never answer 500; the error is recorded
            trace = traceback.format_exc()
            logger.error("unexpected error in the reference server:\n%s", trace)
            if len(self.unexpected_errors) < _MAX_RECORDED_ERRORS:
                self.unexpected_errors.append(trace)
            response = self._error(
                ApiError(
                    400, "The reference server could not process this request.", detail="unexpected error"
                )
            )
        return self._finish(request, response)

    def _route_not_found(self) -> ApiError | Response:
        if self._on("unknown-route-html"):
            return Response(_HTML_404, status_code=404, media_type="text/html; charset=utf-8")
        return ApiError(404, "Route not found.")

    def _not_routed(self) -> Response:
        outcome = self._route_not_found()
        if isinstance(outcome, ApiError):
            raise outcome
        return outcome

    def _authenticate(self, request: Request, route: _Route | None) -> User:
        query = request.query_params.multi_items()
        ignore: set[str] = set()
        if self._on("cookie-token-ignored"):
            ignore.add("cookie")
        if self._on("query-token-ignored"):
            ignore.add("query")
        if self._on("header-token-get-only") and request.method != "GET":
            ignore.add("header")
        if self._varies("no-bearer-or-access-token"):
            ignore |= {"bearer", "access_token"}
        token, source = extract_token_source(
            request.headers, query, header_first=self._on("token-precedence-reversed"), ignore=frozenset(ignore)
        )
        check_secret = not self._on("wrong-secret-accepted") and not (
            source == "bearer" and self._on("bearer-skips-secret-check")
        )
        result = authenticate(token, self.identities, check_secret=check_secret)
        if isinstance(result, AuthFailure):
            if (
                route is not None
                and route.name == "task"
                and request.method == "GET"
                and self._on("get-skips-auth")
            ):
                return self.identities.admin
            # fuzz-only fault: logs authenticate as the task's owner when the task exists
            if route is not None and route.name == "logs" and self._on("logs-skips-auth"):
                found = self.store.lookup(route.params["task"], "")
                if found is not None:
                    return found.owner
            if result.kind == "malformed" and self._on("malformed-token-400"):
                raise ApiError(400, "Invalid API key format.", detail=result.detail)
            if result.kind == "unknown" and self._on("unknown-token-403"):
                raise ApiError(403, "Forbidden.", detail=result.detail)
            raise ApiError(401, SIGNED_OUT_MESSAGE, detail=result.detail)
        return result

    async def _dispatch(self, request: Request) -> Response:
        segments = _segments(request.scope)
        size = len(self._prefix_segments)
        if segments is None or segments[:size] != self._prefix_segments:
            return self._not_routed()
        rest = segments[size:]
        route = _match(rest)
        if route is None and self._on("auth-after-routing"):
            return self._not_routed()
        if route is None and (not rest or rest[0] != "tasks") and self._varies("unknown-route-before-auth"):
            return self._not_routed()
        caller = self._authenticate(request, route)
        if route is None:
            return self._not_routed()
        if request.method not in route.methods:
            if self._on("wrong-method-404"):
                raise ApiError(404, "Route not found.")
            raise ApiError(405, "Method not allowed.", headers={"Allow": ", ".join(route.methods)})
        if route.name == "list":
            return self._list(request, caller)
        owner = self._resolve_user(route.params["user"], caller)
        if route.name == "create":
            return self._create(await request.body(), caller, owner)
        operation = {"task": "get" if request.method == "GET" else "delete"}.get(route.name, route.name)
        raw = await request.body() if operation == "send" else b""
        task = self._find_task(route.params["task"], owner, caller, operation)
        if task is None:  # a fault answered for a task that does not exist
            return self._missing_task_answer(operation, raw)
        if operation == "get":
            body = self._task_json(task, self._wire())
            if self._on("get-trims-initial-prompt"):
                body["initial_prompt"] = body["initial_prompt"].strip()
            return self._json(200, body)
        if operation == "delete":
            return self._delete(task)
        if operation == "logs":
            return self._logs(task)
        return self._send(raw, task)

    def _resolve_user(self, ref: str, caller: User) -> User:
        user = self.identities.resolve_user(ref, caller)
        if (
            user is not None
            and self._on("username-user-segment-unsupported")
            and ref.lower() != "me"
            and parse_uuid(ref) is None
        ):
            user = None
        if user is None:
            if self._on("unknown-user-500"):
                raise ApiError(500, "Internal error fetching user.", detail="sql: no rows in result set")
            if self._varies("unknown-user-404"):
                raise ApiError(404, NOT_FOUND_MESSAGE, detail="no user matches the {user} path segment")
            raise ApiError(
                400,
                '"user" must be an existing uuid or username.',
                detail="no user matches the {user} path segment",
            )
        return user

    def _find_task(self, ref: str, owner: User, caller: User, operation: str) -> TaskView | None:
        """The task the request addresses, or an ApiError; None when a fault answers for a missing task."""
        if self._varies("no-name-lookup") and parse_uuid(ref) is None:
            raise ApiError(400, 'Invalid "task" path parameter: not a uuid.', detail="task ids are uuids")
        include_deleted = (operation == "get" and self._on("deleted-task-still-gettable")) or (
            operation in ("logs", "send") and self._on("deleted-task-logs-send")
        )
        task = self.store.lookup(
            ref,
            owner.id,
            include_deleted=include_deleted,
            case_sensitive_names=self._on("get-by-name-case-sensitive"),
        )
        if task is None:
            if self._missing_task_fault(operation, ref, owner.id):
                return None
            raise ApiError(404, NOT_FOUND_MESSAGE)
        if self._varies("user-scoped-uuid-lookup") and task.owner.id != owner.id:
            raise ApiError(404, NOT_FOUND_MESSAGE)
        if caller.is_owner or task.owner.id == caller.id:
            return task
        if self._on(f"{operation}-other-members-task"):  # get-, logs-, send-, delete-other-members-task
            return task
        if operation == "get" and self._on("other-members-task-403"):
            raise ApiError(403, "Forbidden.", detail="you do not have permission to read this task")
        raise ApiError(404, NOT_FOUND_MESSAGE)

    def _missing_task_fault(self, operation: str, ref: str, owner_id: str) -> bool:
        """Whether a fault answers (instead of 404) for a task that does not exist (or is gone)."""
        if operation == "delete" and self._on("second-delete-succeeds"):
            return self.store.lookup(ref, owner_id, include_deleted=True) is not None
        fault = {
            "get": "get-missing-task-400",
            "logs": "logs-missing-task-200",
            "send": "send-missing-task-204",
            "delete": "delete-missing-task-202",
        }[operation]
        return self._on(fault)

    def _missing_task_answer(self, operation: str, raw: bytes) -> Response:
        if operation == "get":
            raise ApiError(400, "Invalid task id.", detail="the task could not be loaded")
        if operation == "logs":
            return self._json(200, {"logs": []})
        if operation == "send":
            self._input(self._body(raw))
            return empty_response(204)
        return self._delete_answer()

    # -- list ----------------------------------------------------------------------------------------

    def _list(self, request: Request, caller: User) -> Response:
        params = request.query_params.multi_items()
        q = next((value for key, value in params if key == "q"), "")
        if self._on("query-double-space-500") and "  " in q.strip():  # fuzz-only fault
            raise ApiError(500, "Internal error fetching tasks.", detail="empty search term")
        if self._on("empty-query-400") and any(key == "q" for key, _ in params) and not q.strip():
            raise ApiError(400, "Invalid task search query.", validations=[Validation("q", "q must not be empty")])
        options = QueryOptions(
            lowercase=not self._on("query-case-sensitive"),
            bare_words_are_owner=not self._on("bare-word-owner-ignored"),
            strip_quotes=not self._on("quotes-kept"),
            reject_unknown_keys=not self._on("unknown-filter-key-ignored"),
            reject_colon_edges=not self._on("colon-edge-accepted"),
            reject_multi_colons=not self._on("multi-colon-accepted"),
            validate_status=not (self._on("bad-status-500") or self._varies("coder-bad-status-500")),
        )
        try:
            task_filter = parse_task_query(
                q,
                resolve_owner=self._owner_resolver(caller, exact=not options.lowercase),
                resolve_organization=self._resolve_organization,
                options=options,
            )
        except QueryError as error:
            validations = None if self._on("query-error-without-validations") else error.validations
            raise ApiError(400, "Invalid task search query.", validations=validations) from None
        if task_filter.status is not None and task_filter.status not in TASK_STATUSES:  # bad-status-500
            raise ApiError(500, "Internal error fetching tasks.",
                           detail=f'pq: invalid input value for enum task_status: "{task_filter.status}"')
        tasks = [
            task
            for task in self.store.all(include_deleted=self._on("deleted-task-still-listed"))
            if self._visible_in_list(task, caller, task_filter) and self._matches(task, task_filter)
        ]
        if self._on("list-oldest-first"):
            tasks.reverse()
        if not tasks and q.strip() and self._on("empty-search-404"):
            raise ApiError(404, "No tasks match the query.")
        count = len(tasks) + (1 if self._on("list-count-off-by-one") else 0)
        wire = self._wire()
        listed: list[dict[str, Any]] | None = [self._task_json(task, wire) for task in tasks]
        if not tasks and self._on("empty-list-null"):
            listed = None
        return self._json(200, {"tasks": listed, "count": count})

    def _owner_resolver(self, caller: User, *, exact: bool) -> Callable[[str], str | None]:
        def resolve(value: str) -> str | None:
            if value == "me":
                return caller.id
            parsed = parse_uuid(value)
            if parsed is not None and not self._on("owner-uuid-unsupported"):
                return parsed
            if exact:
                user = next((u for u in self.identities.users.values() if u.username == value), None)
            else:
                user = self.identities.user_by_name(value)
            if (
                user is not None
                and user.id != caller.id
                and not caller.is_owner
                and self._varies("member-username-lookup-refused")
            ):
                user = None
            if user is None and self._on("unknown-owner-matches-nothing"):
                return _NOBODY
            return user.id if user is not None else None

        return resolve

    def _resolve_organization(self, value: str) -> str | None:
        parsed = parse_uuid(value)
        if parsed is not None:
            return parsed
        org = None if self._on("organization-name-unsupported") else self.identities.organization_by_name(value)
        if org is None and self._on("unknown-org-matches-nothing"):
            return _NOBODY
        return org.id if org is not None else None

    def _visible_in_list(self, task: TaskView, caller: User, task_filter: TaskFilter) -> bool:
        if task.owner.id == caller.id or self._on("member-sees-others-tasks"):
            return True
        if caller.is_owner:
            return not self._on("admin-sees-only-own")
        return task_filter.owner_id is not None and self._on("owner-filter-bypasses-visibility")

    def _matches(self, task: TaskView, task_filter: TaskFilter) -> bool:
        checks: list[bool] = []
        if task_filter.owner_id is not None and not self._on("owner-filter-ignored"):
            checks.append(task.owner.id == task_filter.owner_id)
        if task_filter.organization_id is not None and not self._on("organization-filter-ignored"):
            checks.append(task.organization_id == task_filter.organization_id)
        if task_filter.status is not None and not self._on("status-filter-ignored"):
            checks.append(task.status == task_filter.status)
        if not checks:
            return True
        return any(checks) if self._on("filters-or-combined") else all(checks)

    # -- create --------------------------------------------------------------------------------------

    def _body(self, raw: bytes) -> dict[str, Any]:
        """The request body as a JSON object (faults may turn the 400 for a bad one into a 500)."""
        try:
            return parse_object(raw)
        except ApiError:
            try:
                json.loads(raw)
                is_json = True
            except (ValueError, RecursionError):
                is_json = False
            if (is_json and self._on("non-object-body-500")) or (not is_json and self._on("malformed-json-500")):
                raise ApiError(500, "Internal error decoding the request.", detail="unexpected body") from None
            raise

    def _input(self, body: dict[str, Any]) -> str:
        try:
            return string_field(body, "input")
        except ApiError:
            if self._on("wrong-type-input-500"):
                raise ApiError(500, "Internal error reading the input.", detail="input is not a string") from None
            raise

    def _create(self, raw: bytes, caller: User, owner: User) -> Response:
        body = self._body(raw)
        prompt = self._input(body)
        name = string_field(body, "name")
        version_id = uuid_field(body, "template_version_id")
        preset_id = uuid_field(body, "template_version_preset_id")
        string_field(body, "display_name")  # later releases; validated for type, otherwise ignored
        if version_id is None:
            if not self._on("missing-template-version-accepted"):
                raise ApiError(
                    400,
                    "Template version not found or you do not have access to this resource",
                    detail='"template_version_id" is required.',
                )
            version_id = self.identities.ai_template.version.id
        template = self.identities.template_version(version_id)
        if template is None and self._on("template-version-not-checked"):
            template = self.identities.ai_template
        if template is None:
            raise ApiError(400, "Template version not found or you do not have access to this resource")
        if not template.version.has_ai_task and not self._on("non-ai-template-accepted"):
            raise ApiError(400, 'Template does not have a valid "coder_ai_task" resource.')
        if preset_id is not None and preset_id not in template.version.preset_ids:
            raise ApiError(
                400,
                "Template version preset not found or does not belong to the template version.",
                detail=f"preset {preset_id} is not a preset of template version {version_id}",
            )
        if not name and self._on("create-requires-name"):
            raise ApiError(400, "Validation failed.", validations=[Validation("name", "name is required")])
        if name:
            self._check_name(name)
        if prompt == "" and self._varies("create-empty-input-400"):
            raise ApiError(400, "Task input is required.", validations=[Validation("input", "input is required")])
        if owner.id != caller.id and not caller.is_owner and not self._on("member-creates-for-others"):
            if self._varies("create-for-other-404"):
                raise ApiError(404, NOT_FOUND_MESSAGE)
            raise ApiError(
                403,
                "Insufficient permissions to create a task for this user.",
                detail="only owners may create tasks for other users",
            )
        case_sensitive = self._on("name-conflict-case-sensitive")
        if not name:
            name = generate_name(
                prompt,
                lambda candidate: self.store.name_in_use(owner.id, candidate, case_sensitive=case_sensitive),
            )
        if self._on("initial-prompt-trimmed"):
            prompt = prompt.strip()
        try:
            task = self.store.create(
                owner=owner,
                organization_id=template.organization_id,
                template=template,
                name=name,
                prompt=prompt,
                preset_id=preset_id,
                allow_duplicate_name=self._on("duplicate-name-accepted"),
                case_sensitive_names=case_sensitive,
            )
        except NameTaken:
            raise ApiError(
                409,
                f'Task "{name}" already exists.',
                detail="task names are unique per owner (case-insensitive)",
                validations=[Validation("name", "This value is already in use and should be unique.")],
            ) from None
        status = 200 if self._on("create-returns-200") else 201
        answer = self._task_json(task, self._wire())
        if self._on("unknown-field-id-mismatch") and set(body) - _KNOWN_CREATE_FIELDS:  # fuzz-only fault
            answer["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, task.id))
        if self._on("initial-status-unknown"):
            answer["status"] = "unknown"
        if self._varies("workspace-null-at-create") and answer.get("status") != "active":
            answer.update(workspace_id=None, workspace_agent_id=None, workspace_agent_lifecycle=None,
                          workspace_agent_health=None, workspace_app_id=None, current_state=None)
            answer.pop("workspace_status", None)
            answer.pop("workspace_build_number", None)
        return self._json(status, answer)

    def _check_name(self, name: str) -> None:
        if self._on("invalid-name-accepted"):
            return
        problem = name_problem(name)
        if problem is not None and name.lower() in _RESERVED_NAMES and self._on("reserved-name-accepted"):
            return
        if problem is not None:
            raise ApiError(
                400,
                "Unable to create a Task with the provided name.",
                detail=f"name {problem}",
                validations=[Validation("name", f"Task name {problem}.")],
            )

    # -- task operations -----------------------------------------------------------------------------

    def _delete(self, task: TaskView) -> Response:
        if not self.store.delete(task.id) and not self._on("second-delete-succeeds"):
            raise ApiError(404, NOT_FOUND_MESSAGE)
        return self._delete_answer()

    def _delete_answer(self) -> Response:
        status = 200 if self._on("delete-returns-200") else 202
        if self._on("delete-returns-body"):
            return self._json(status, {"message": "Task deletion started."})
        return empty_response(status)

    def _not_active(self, error: TaskNotActive) -> ApiError:
        status = 409 if self._varies("not-active-409") else 400
        return ApiError(status, "Task status must be active.", detail=f'Task status is "{error.status}".')

    def _agent_busy(self, task: TaskView, operation: str) -> None:
        """The agent-busy-first variation: the first send and the first logs of an active task answer 502."""
        if not self._varies("agent-busy-first") or task.status != "active":
            return
        with self._agent_lock:
            if (task.id, operation) in self._agent_woken:
                return
            self._agent_woken.add((task.id, operation))
        raise ApiError(502, "Failed to reach the task's agent.", detail="the agent is busy; try again")

    def _logs(self, task: TaskView) -> Response:
        include_deleted = self._on("deleted-task-logs-send")
        try:
            self._agent_busy(task, "logs")
            entries = self.store.logs(
                task.id, include_deleted=include_deleted, lag=_LOG_LAG if self._varies("logs-lag") else 0.0
            )
        except TaskNotActive as error:
            if self._on("logs-before-active-200"):
                return self._json(200, {"logs": []})
            if self._varies("logs-snapshot-when-not-active"):
                snapshot_at = self._wire().time(task.created_at)
                return self._json(200, {"logs": [], "snapshot": True, "snapshot_at": snapshot_at})
            raise self._not_active(error) from None
        except KeyError:
            raise ApiError(404, NOT_FOUND_MESSAGE) from None
        if self._on("agent-never-replies"):
            entries = [entry for entry in entries if entry.type != "output"]
        wire = self._wire()
        body: dict[str, Any] = {"logs": [self._log_json(entry, wire) for entry in entries]}
        if self._varies("later-release-fields"):
            body.update({"snapshot": False, "snapshot_at": None})
        return self._json(200, body, content_type=not self._on("logs-without-content-type"))

    def _send(self, raw: bytes, task: TaskView) -> Response:
        body = self._body(raw)
        text = self._input(body)
        if text == "" and not self._on("send-empty-input-accepted"):
            raise ApiError(400, "Task input is required.")
        self._agent_busy(task, "send")
        try:
            self.store.send(
                task.id,
                text,
                record_input=not self._on("send-drops-input"),
                logged_text=text + "\n" if self._on("send-input-newline") else None,
                include_deleted=self._on("deleted-task-logs-send"),
            )
        except TaskNotActive as error:
            if self._on("send-before-active-accepted"):
                return empty_response(204)
            raise self._not_active(error) from None
        except KeyError:
            raise ApiError(404, NOT_FOUND_MESSAGE) from None
        return empty_response(200 if self._on("send-returns-200") else 204)


def _reversed_keys(value: Any) -> Any:
    """The same JSON value with the keys of every object in reverse order."""
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value
