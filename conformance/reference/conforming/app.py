"""The Starlette application of the reference server: a conforming Tasks API of one Coder release.

Every path is dispatched by one catch-all route, so that the order Coder uses holds everywhere: under the API
prefix authentication runs first (401 beats 404/405), then routing (404, 405), then the handler. A request body is
read up to Coder's limit (4 MiB; 413 past it), so the server's memory stays bounded whatever a client sends. An
unexpected exception is a bug of the reference: recorded in ``unexpected_errors`` and answered as Coder answers one,
500 "An internal server error occurred." (a suite run against it then shows it). What differs between Coder's
generations (legacy, experimental, stable) the app asks its ``Generation`` (generation.py).

This module is what a conforming server does. Faults and variations (faults.py, variations.py) change it only at
the hook points below, where the app calls ``self.change(point, conforming value, **context)``:
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from conformance.contracts.gotext import DISPLAY_NAME_LIMIT, byte_length, display_name_too_long, trim_space

from ..switches import Switches
from .auth import SIGNED_OUT_MESSAGE, AuthFailure, authenticate, extract_token_source
from .bodies import parse_object, string_field, uuid_field
from .generation import Generation
from .identities import Identities, User, parse_uuid
from .names import generate_name, name_problem
from .query import QueryError, QueryOptions, TaskFilter, Validation, parse_task_query
from .responses import (
    BODY_TOO_LARGE_MESSAGE,
    INTERNAL_ERROR_MESSAGE,
    JSON_CONTENT_TYPE,
    MAX_REQUEST_BODY,
    NOT_FOUND_MESSAGE,
    PQ_NUL_DETAIL,
    ApiError,
    empty_response,
)
from .store import BuildActive, LogEntry, NameTaken, NotPaused, TaskNotActive, TaskStore, TaskView
from .wire import Wire

logger = logging.getLogger(__name__)

HOOK_POINTS: dict[str, str] = {
    # routing and authentication
    "csrf_refusal": "Response | None: the answer to a request refused before routing (request)",
    "prefixes": "tuple[str, ...]: the API prefixes the server answers under",
    "buildinfo": "dict | None: the answer of GET /api/v2/buildinfo (None: no such route)",
    "route_before_auth": "bool: answer an unknown route 404 before authenticating (rest: path segments)",
    "route_not_found": "ApiError | Response: the answer to an unknown route",
    "method_not_allowed": "ApiError: the answer to a known route with another method (route)",
    "token_sources": "TokenRules: which token sources are read, in which order, with the secret checked",
    "auth_failure": "ApiError | User: the answer to a request without a valid token (result, route, request)",
    "www_authenticate": "str | None: the WWW-Authenticate header of a 401",
    # addressing users and tasks
    "resolve_user": "User | None: the user a {user} segment names (ref, caller)",
    "unknown_user": "ApiError: the answer to a {user} segment that names no user (ref)",
    "lookup": "Lookup: how a {task} segment is found (operation)",
    "missing_task": "Response | None: the answer to a task that is not there, None for 404 (operation, ref)",
    "task_access": "ApiError | None: refuse the caller this task, None to allow (operation, task, caller, owner)",
    # answers
    "status": "int: the success status of an operation (operation)",
    "task_json": "dict: a Task on the wire (task)",
    "log_json": "dict: a log entry on the wire (entry)",
    "json_body": "Any: a JSON body as it is sent (status, kind: json, error or logs)",
    "content_type": "str | None: the Content-Type of a JSON answer (kind: json, error or logs)",
    "error_body": "dict: an error body (error)",
    "error_as_text": "bool: send an error's message as plain text instead of JSON",
    "finish": "Response: every answer, last (request)",
    # list
    "query": "str: the q parameter, before it is parsed (may raise ApiError)",
    "query_options": "QueryOptions: how q is parsed",
    "query_error": "ApiError: the answer to a q that does not parse",
    "resolve_owner": "str | None: the user id an owner filter names (value, caller)",
    "resolve_organization": "str | None: the organization id an organization filter names (value)",
    "visible": "bool: whether the caller sees a task in the list (task, caller, task_filter)",
    "filters": "Filters: which filters apply, and how they combine",
    "listed": "list[TaskView]: the tasks of a list answer, newest first (q)",
    "list_body": "dict: the list answer (tasks)",
    # create, get, delete
    "body_error": "ApiError: the answer to a body that is not a JSON object of the right types (is_json)",
    "create_rules": "CreateRules: what create checks and how it names the task",
    "template_error": "ApiError: the answer to an unknown or missing template version",
    "create_for_other": "ApiError | None: the answer to a member creating a task for someone else",
    "create_answer": "dict: the created Task as answered (task, request_body)",
    "get_answer": "dict: the Task get answers (task)",
    "delete_answer": "Response: the answer to an accepted delete",
    "delete_refusal": "ApiError | None: refuse this delete (a build of the task still runs), None to accept (task)",
    # send and logs
    "send_rules": "SendRules: what send checks and records",
    "logs_rules": "LogsRules: what logs show",
    "not_active": "ApiError | None: the answer to send/logs on a task that is not active; None: a stored snapshot "
                  "(operation, status)",
    "agent_busy": "bool: answer this send/logs that the agent is busy (task, operation)",
    "busy_error": "ApiError: the answer that the agent is busy (task, operation)",
    "snapshot_body": "dict: the logs answer of a task that is paused or starting (task)",
    # the stable generation's input, pause and resume
    "input_rules": "InputRules: what an input update checks and does",
    "pause_rules": "PauseRules: what pause and resume check and do",
    "build_answer": "dict: the answer of pause and resume (operation, task)",
}
__doc__ = (__doc__ or "") + "\n" + "\n".join(f"- ``{k}``: {v}" for k, v in HOOK_POINTS.items()) + "\n"

_MAX_RECORDED_ERRORS = 100
CREATE_FIELDS = frozenset({"input", "prompt", "name", "template_version_id", "template_version_preset_id",
                           "display_name"})  # the fields of a create body the server reads


# Coder routes outside the Tasks API that the preflight reads
_CODER_RESOURCES = ("organizations", "templateversions", "users")


@dataclass(frozen=True)
class Routed:
    name: str
    methods: tuple[str, ...]
    params: dict[str, str]


@dataclass(frozen=True)
class TokenRules:
    ignored: frozenset[str] = frozenset()  # sources not read (auth.SOURCES)
    header_first: bool = False  # the header before the cookie
    check_secret: bool = True
    bearer_checks_secret: bool = True


@dataclass(frozen=True)
class Lookup:
    include_deleted: bool = False
    by_name: bool = True
    case_sensitive_names: bool = False


@dataclass(frozen=True)
class Filters:
    owner: bool = True
    organization: bool = True
    status: bool = True
    name: bool = True
    combine: Callable[[list[bool]], bool] = all


@dataclass(frozen=True)
class CreateRules:
    require_template_version: bool = True
    check_template_version: bool = True
    require_ai_task: bool = True
    require_name: bool = False
    check_name: bool = True
    allow_reserved_names: bool = False
    unique_names: bool = True
    case_sensitive_names: bool = False
    trim_prompt: bool = False
    refuse_empty_input: bool = False
    limit_display_name: bool = True  # from display-name-limit
    keep_display_name: bool = True
    generate_display_name: bool = True
    nul_500: bool = False  # a NUL in the prompt or display name fails the insert (PostgreSQL text cannot hold one)


@dataclass(frozen=True)
class SendRules:
    refuse_empty: bool = True
    record_input: bool = True
    logged_suffix: str = ""
    accept_when_not_active: bool = False


@dataclass(frozen=True)
class InputRules:
    paused_only: bool = True
    refuse_blank: bool = True  # from input-update-blank-400
    save: bool = True


@dataclass(frozen=True)
class PauseRules:
    pause_stops: bool = True
    resume_starts: bool = True
    resume_paused_only: bool = True


@dataclass(frozen=True)
class LogsRules:
    empty_when_not_active: bool = False
    drop_outputs: bool = False
    lag: float = 0.0


def _match(rest: list[str], routes: tuple[str, ...]) -> Routed | None:
    """Match the path segments after the API prefix."""
    if not rest or rest[0] != "tasks" or any(segment == "" for segment in rest):
        return None
    if len(rest) == 1:
        return Routed("list", ("GET",), {})
    if len(rest) == 2:
        return Routed("create", ("POST",), {"user": rest[1]})
    params = {"user": rest[1], "task": rest[2]}
    if len(rest) == 3:
        return Routed("task", ("GET", "DELETE"), params)
    methods = {"logs": ("GET",), "send": ("POST",), "input": ("PATCH",), "pause": ("POST",), "resume": ("POST",)}
    if len(rest) == 4 and rest[3] in routes:
        return Routed(rest[3], methods[rest[3]], params)
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
        generation: Generation,
        faults: Switches,
        variations: Switches,
        api_prefix: str | None = None,
    ) -> None:
        self.identities = identities
        self.store = store
        self.generation = generation
        self.faults = faults
        self.variations = variations
        self.served_prefixes = (api_prefix,) if api_prefix else generation.prefixes
        self.wire = Wire(generation)
        self.unexpected_errors: list[str] = []
        self.agent_woken: set[tuple[str, str]] = set()  # (task id, operation): for variations with a memory
        self.lock = threading.Lock()
        # An ASGI object (not a function) as endpoint: Starlette then passes every method through.
        # Starlette's own 404 (request targets that are not a path, like ``*``) answered in the error format.
        self._starlette = Starlette(
            routes=[Route("/{path:path}", endpoint=_Endpoint(self))],
            exception_handlers={HTTPException: self._starlette_error},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._starlette(scope, receive, send)

    def change(self, point: str, value: Any, /, **context: Any) -> Any:
        """The conforming value, as the switched-on faults and then variations change it at this hook point."""
        value = self.faults.apply(point, value, app=self, **context)
        return self.variations.apply(point, value, app=self, **context)

    async def _starlette_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        message = "Route not found." if status == 404 else str(getattr(exc, "detail", "Bad request."))
        return self._finish(request, self._error(ApiError(status, message)))

    # -- answers ---------------------------------------------------------------------------------------------

    def json(self, status: int, body: Any, *, kind: str = "json") -> Response:
        return self.wire.json(status, self.change("json_body", body, status=status, kind=kind),
                              self.change("content_type", JSON_CONTENT_TYPE, kind=kind))

    def _error(self, error: ApiError) -> Response:
        if error.status == 401:
            challenge = self.change("www_authenticate", self.wire.www_authenticate())
            if challenge:
                error.headers.setdefault("WWW-Authenticate", challenge)
        if self.change("error_as_text", False):
            return self.wire.text(error.status, error.message + "\n", error.headers)
        body = self.change("error_body", error.body(), error=error)
        response = self.wire.json(error.status, self.change("json_body", body, status=error.status, kind="error"),
                                  self.change("content_type", JSON_CONTENT_TYPE, kind="error"))
        response.headers.update(error.headers)
        return response

    def _finish(self, request: Request, response: Response) -> Response:
        self.wire.headers(response, request)
        return self.change("finish", response, request=request)

    def task_json(self, task: TaskView) -> dict[str, Any]:
        return self.change("task_json", self.wire.task(task), task=task)

    async def handle(self, request: Request) -> Response:
        try:
            response = await self._dispatch(request)
        except ApiError as error:
            response = self._error(error)
        except Exception as exc:  # noqa: BLE001 - a bug of the reference: recorded, and answered as Coder answers one
            trace = traceback.format_exc()
            logger.error("unexpected error in the reference server:\n%s", trace)
            if len(self.unexpected_errors) < _MAX_RECORDED_ERRORS:
                self.unexpected_errors.append(trace)
            response = self._error(ApiError(500, INTERNAL_ERROR_MESSAGE, detail=f"{type(exc).__name__}: {exc}"[:500]))
        return self._finish(request, response)

    # -- routing and authentication ----------------------------------------------------------------------------

    def not_routed(self) -> Response:
        outcome = self.change("route_not_found", ApiError(404, "Route not found."))
        if isinstance(outcome, ApiError):
            raise outcome
        return outcome

    async def _dispatch(self, request: Request) -> Response:
        refused = self.change("csrf_refusal", None, request=request)
        if refused is not None:
            return refused
        segments = _segments(request.scope)
        if segments is None:
            return self.not_routed()
        if segments == ["api", "v2", "buildinfo"] and request.method == "GET":
            info = self.change("buildinfo", self.wire.buildinfo())
            return self.json(200, info) if info is not None else self.not_routed()
        if len(segments) == 4 and segments[:2] == ["api", "v2"] and segments[2] in _CODER_RESOURCES \
                and request.method == "GET":
            return self._coder_resource(request, segments[2], segments[3])
        prefixes = self.change("prefixes", self.served_prefixes)
        prefix = next((p for p in prefixes if segments[:len(p.strip("/").split("/"))] == p.strip("/").split("/")),
                      None)
        if prefix is None:
            return self.not_routed()
        rest = segments[len(prefix.strip("/").split("/")):]
        if not self.generation.serves_tasks:  # a release without the Tasks API: none of its routes exist
            self._authenticate(request, None)
            return self.not_routed()
        route = _match(rest, self.generation.routes())
        if route is None and self.change("route_before_auth", False, rest=rest):
            return self.not_routed()
        caller = self._authenticate(request, route)
        if route is None:
            return self.not_routed()
        if request.method not in route.methods:
            raise self.change("method_not_allowed", ApiError(405, "Method not allowed.",
                                                             headers={"Allow": ", ".join(route.methods)}), route=route)
        if route.name == "list":
            return self._list(request, caller)
        owner = self._resolve_user(route.params["user"], caller)
        if route.name == "create":
            return self._create(await _body(request), caller, owner)
        operation = {"task": "get" if request.method == "GET" else "delete"}.get(route.name, route.name)
        raw = await _body(request) if operation in ("send", "input") else b""
        task = self._find_task(route.params["task"], owner, caller, operation)
        if isinstance(task, Response):  # a switch answered for a task that is not there
            return task
        handler = {"get": self._get, "delete": self._delete, "logs": self._logs, "send": self._send,
                   "input": self._update_input, "pause": self._pause, "resume": self._resume}[operation]
        return handler(task, raw)

    def _coder_resource(self, request: Request, kind: str, ref: str) -> Response:
        """GET /api/v2/organizations/{name or id}, /api/v2/templateversions/{id} and /api/v2/users/{me, name or id}:
        Coder's own routes, which the preflight asks to tell a mistyped setting from a server fault and tokens of one
        user from tokens of several (coderd/httpmw/organizationparam.go accepts a name or a uuid;
        coderd/httpmw/templateversionparam.go a uuid, 400 otherwise; coderd/httpmw/userparam.go "me", a username or
        a uuid; unknown: 404)."""
        caller = self._authenticate(request, None)
        ids = self.identities
        if kind == "users":
            user = ids.resolve_user(ref, caller)
            if user is None:
                raise ApiError(404, NOT_FOUND_MESSAGE)
            # `roles` holds the site-wide roles only (coderd/database/db2sdk: SlimRolesFromNames(user.RBACRoles)):
            # an ordinary member's list is empty, the implied member role is not in it.
            roles = [{"name": "owner", "display_name": "Owner"}] if user.is_owner else []
            return self.json(200, {"id": user.id, "username": user.username, "avatar_url": user.avatar_url,
                                   "roles": roles})
        if kind == "organizations":
            org = ids.org if parse_uuid(ref) == ids.org.id else ids.organization_by_name(ref)
            if org is None:
                raise ApiError(404, NOT_FOUND_MESSAGE)
            return self.json(200, {"id": org.id, "name": org.name, "display_name": org.name})
        if parse_uuid(ref) is None:
            raise ApiError(400, "Invalid UUID.", detail=f'invalid UUID "{ref}"')
        template = ids.template_version(parse_uuid(ref) or "")
        if template is None:
            raise ApiError(404, NOT_FOUND_MESSAGE)
        return self.json(200, {"id": template.version.id, "template_id": template.id,
                               "organization_id": template.organization_id, "name": template.version.id[:8]})

    def _authenticate(self, request: Request, route: Routed | None) -> User:
        rules = self.change("token_sources", TokenRules(
            ignored=frozenset() if self.generation.has("bearer-token") else frozenset({"bearer", "access_token"})),
            request=request)
        token, source = extract_token_source(request.headers, request.query_params.multi_items(),
                                             header_first=rules.header_first, ignore=rules.ignored)
        check = rules.check_secret and (source != "bearer" or rules.bearer_checks_secret)
        result = authenticate(token, self.identities, check_secret=check)
        if isinstance(result, AuthFailure):
            answer = self.change("auth_failure", ApiError(401, SIGNED_OUT_MESSAGE, detail=result.detail),
                                 result=result, route=route, request=request)
            if isinstance(answer, ApiError):
                raise answer
            return answer
        return result

    def _resolve_user(self, ref: str, caller: User) -> User:
        user = self.change("resolve_user", self.identities.resolve_user(ref, caller), ref=ref, caller=caller)
        if user is None:
            raise self.change("unknown_user", ApiError(400, '"user" must be an existing uuid or username.',
                                                       detail=f"queried user={ref!r}".replace("'", '"')), ref=ref)
        return user

    def _find_task(self, ref: str, owner: User, caller: User, operation: str) -> TaskView | Response:
        """The task the request addresses; an ApiError when it is not there or not the caller's to see."""
        name_lookup = self.generation.has("name-lookup") or self.generation.profile.name == "experimental"
        lookup = self.change("lookup", Lookup(by_name=name_lookup), operation=operation, ref=ref)
        if not lookup.by_name and parse_uuid(ref) is None:
            raise ApiError(400, f"Invalid UUID {ref!r} for task ID.".replace("'", '"'))
        task = self.store.lookup(ref, owner.id, include_deleted=lookup.include_deleted, by_name=lookup.by_name,
                                 case_sensitive_names=lookup.case_sensitive_names)
        if task is None:
            answer = self.change("missing_task", None, operation=operation, ref=ref, owner=owner)
            if answer is not None:
                return answer
            raise ApiError(404, NOT_FOUND_MESSAGE)
        conforming = None if caller.is_owner or task.owner.id == caller.id else ApiError(404, NOT_FOUND_MESSAGE)
        refusal = self.change("task_access", conforming, operation=operation, task=task, caller=caller, owner=owner)
        if refusal is not None:
            raise refusal
        return task

    # -- list ------------------------------------------------------------------------------------------------------

    def _list(self, request: Request, caller: User) -> Response:
        params = request.query_params.multi_items()
        q = self.change("query", next((value for key, value in params if key == "q"), ""), params=params)
        gen = self.generation
        options = self.change("query_options", QueryOptions(
            bare_words=gen.profile.bare_word, workspace_keys=gen.legacy, statuses=gen.profile.statuses))
        try:
            task_filter = parse_task_query(q, resolve_owner=lambda value: self._owner(value, caller, options),
                                           resolve_organization=self._organization, options=options)
        except QueryError as error:
            raise self.change("query_error", ApiError(400, gen.invalid_query_message,
                                                      validations=error.validations)) from None
        if task_filter.status is not None and task_filter.status not in gen.profile.statuses:
            # only a switch that lets any status through gets here: Coder's database then fails
            raise ApiError(500, "Internal error fetching tasks.",
                           detail=f'pq: invalid input value for enum task_status: "{task_filter.status}"')
        if task_filter.status is not None:  # legacy filters by workspace status: one no task of ours has matches none
            task_filter = replace(task_filter, status=gen.status_from_query(task_filter.status) or "no such status")
        filters = self.change("filters", Filters())
        tasks = [task for task in self.store.all(include_deleted=self.change("lookup", Lookup(), operation="list")
                                                 .include_deleted)
                 if self.change("visible", task.owner.id == caller.id or caller.is_owner, task=task, caller=caller,
                                task_filter=task_filter) and self._matches(task, task_filter, filters)]
        tasks = self.change("listed", tasks, q=q)
        body = {"tasks": [self.task_json(task) for task in tasks], "count": len(tasks)}
        return self.json(200, self.change("list_body", body, tasks=tasks))

    def _owner(self, value: str, caller: User, options: QueryOptions) -> str | None:
        if value == "me":
            found: str | None = caller.id
        elif parse_uuid(value) is not None:
            found = parse_uuid(value)
        else:
            user = (self.identities.user_by_name(value) if options.lowercase else
                    next((u for u in self.identities.users.values() if u.username == value), None))
            found = user.id if user is not None else None
        return self.change("resolve_owner", found, value=value, caller=caller)

    def _organization(self, value: str) -> str | None:
        org = self.identities.organization_by_name(value)
        found = parse_uuid(value) or (org.id if org is not None else None)
        return self.change("resolve_organization", found, value=value)

    @staticmethod
    def _matches(task: TaskView, task_filter: TaskFilter, filters: Filters) -> bool:
        checks: list[bool] = []
        if task_filter.owner_id is not None and filters.owner:
            checks.append(task.owner.id == task_filter.owner_id)
        if task_filter.organization_id is not None and filters.organization:
            checks.append(task.organization_id == task_filter.organization_id)
        if task_filter.status is not None and filters.status:
            checks.append(task.status == task_filter.status)
        if task_filter.name is not None and filters.name:
            checks.append(task_filter.name in task.name.lower())
        if task_filter.template is not None:
            checks.append(task.template.name.lower() == task_filter.template)
        return filters.combine(checks) if checks else True

    # -- create ----------------------------------------------------------------------------------------------------

    def body(self, raw: bytes) -> dict[str, Any]:
        """The request body as a JSON object."""
        try:
            return parse_object(raw)
        except ApiError as error:
            raise self.change("body_error", error, is_json=_is_json(raw)) from None

    def text_field(self, body: dict[str, Any], key: str) -> str:
        try:
            return string_field(body, key)
        except ApiError as error:
            raise self.change("body_error", error, is_json=True, field=key) from None

    def _create(self, raw: bytes, caller: User, owner: User) -> Response:
        gen = self.generation
        body = self.body(raw)
        rules = self.change("create_rules", CreateRules())
        prompt = self.text_field(body, "input") or (self.text_field(body, "prompt") if gen.legacy else "")
        name = string_field(body, "name")
        display_name = trim_space(string_field(body, "display_name"))
        version_id = uuid_field(body, "template_version_id")
        preset_id = uuid_field(body, "template_version_preset_id")
        if version_id is None:
            if rules.require_template_version:
                raise self.change("template_error", gen.unknown_template_version(
                    detail='"template_version_id" is required.'))
            template = self.identities.ai_template
        else:
            found = self.identities.template_version(version_id)
            if found is None and rules.check_template_version:
                raise self.change("template_error", gen.unknown_template_version())
            template = found or self.identities.ai_template
        if not template.version.has_ai_task and rules.require_ai_task:
            raise gen.not_an_ai_template()
        if preset_id is not None and preset_id not in template.version.preset_ids:
            raise ApiError(400, "Template version preset not found or does not belong to the template version.",
                           detail=f"preset {preset_id} is not a preset of template version {version_id}")
        if not name and rules.require_name:
            raise ApiError(400, "Validation failed.", validations=[Validation("name", "name is required")])
        if name and rules.check_name:
            problem = name_problem(name)
            if problem is not None and not (rules.allow_reserved_names and name.lower() in ("new", "create")):
                raise ApiError(400, "Unable to create a Task with the provided name.", detail=f"name {problem}",
                               validations=[Validation("name", f"Task name {problem}.")])
        if gen.has("display-name-limit") and rules.limit_display_name and display_name_too_long(display_name):
            raise ApiError(400, "Display name must be 64 characters or less.",
                           detail=f"the display name has {byte_length(display_name)} bytes (UTF-8)")
        if prompt == "" and rules.refuse_empty_input:
            raise ApiError(400, "Task input is required.", validations=[Validation("input", "input is required")])
        if owner.id != caller.id and not caller.is_owner:
            refusal = self.change("create_for_other", ApiError(
                403, "Insufficient permissions to create a task for this user.",
                detail="only owners may create tasks for other users"))
            if refusal is not None:
                raise refusal
        if not name:
            name = generate_name(prompt, lambda candidate: self.store.name_in_use(
                owner.id, candidate, case_sensitive=rules.case_sensitive_names))
        if not rules.keep_display_name:
            display_name = ""
        if gen.has("display-name") and not display_name and rules.generate_display_name:
            display_name = (prompt.strip().splitlines() or ["Task"])[0][:DISPLAY_NAME_LIMIT] or name
        if rules.nul_500 and "\x00" in prompt + display_name:
            raise ApiError(500, "Internal error creating task.",
                           detail=PQ_NUL_DETAIL)
        try:
            task = self.store.create(owner=owner, organization_id=template.organization_id, template=template,
                                     name=name, prompt=prompt.strip() if rules.trim_prompt else prompt,
                                     preset_id=preset_id, allow_duplicate_name=not rules.unique_names,
                                     case_sensitive_names=rules.case_sensitive_names, display_name=display_name)
        except NameTaken:
            raise ApiError(409, f'Task "{name}" already exists.',
                           detail="task names are unique per owner (case-insensitive)",
                           validations=[Validation("name", "This value is already in use and should be unique.")]
                           ) from None
        answer = self.change("create_answer", self.task_json(task), task=task, request_body=body)
        return self.json(self.change("status", 201, operation="create"), answer)

    # -- task operations -----------------------------------------------------------------------------------------

    def _get(self, task: TaskView, raw: bytes) -> Response:
        return self.json(200, self.change("get_answer", self.task_json(task), task=task))

    def _delete(self, task: TaskView, raw: bytes) -> Response:
        refusal = self.change("delete_refusal", None, task=task)
        if refusal is not None:
            raise refusal
        if not self.store.delete(task.id):
            raise ApiError(404, NOT_FOUND_MESSAGE)
        return self.change("delete_answer", empty_response(self.change("status", 202, operation="delete")))

    def _refusal(self, task: TaskView, operation: str, status: str) -> ApiError | None:
        gen = self.generation
        conforming = gen.send_refused(status) if operation == "send" else gen.logs_refused(status)
        return self.change("not_active", conforming, operation=operation, status=status)

    def _busy(self, task: TaskView, operation: str) -> None:
        if task.status == "active" and self.change("agent_busy", False, task=task, operation=operation):
            raise self.change("busy_error", self.generation.agent_busy(), task=task, operation=operation)

    def _logs(self, task: TaskView, raw: bytes) -> Response:
        rules = self.change("logs_rules", LogsRules())
        lookup = self.change("lookup", Lookup(), operation="logs")
        try:
            self._busy(task, "logs")
            entries = self.store.logs(task.id, include_deleted=lookup.include_deleted, lag=rules.lag)
        except TaskNotActive as error:
            if rules.empty_when_not_active:
                return self.json(200, {"logs": []}, kind="logs")
            refusal = self._refusal(task, "logs", error.status)
            if refusal is not None:
                raise refusal from None
            return self._snapshot(task)
        except KeyError:
            raise ApiError(404, NOT_FOUND_MESSAGE) from None
        if rules.drop_outputs:
            entries = [entry for entry in entries if entry.type != "output"]
        return self.json(200, {"logs": [self.log_json(entry) for entry in entries]}, kind="logs")

    def _snapshot(self, task: TaskView) -> Response:
        """The logs of a paused or starting task: the snapshot stored when it was paused (none yet: empty)."""
        body: dict[str, Any] = {"logs": [self.log_json(e) for e in task.snapshot or ()], "snapshot": True}
        if task.snapshot_at is not None:
            body["snapshot_at"] = self.wire.time(task.snapshot_at)
        return self.json(200, self.change("snapshot_body", body, task=task), kind="logs")

    def log_json(self, entry: LogEntry) -> dict[str, Any]:
        return self.change("log_json", self.wire.log(entry), entry=entry)

    def _send(self, task: TaskView, raw: bytes) -> Response:
        rules = self.change("send_rules", SendRules())
        text = self.text_field(self.body(raw), "input")
        if text == "" and rules.refuse_empty:
            raise ApiError(400, "Task input is required.")
        self._busy(task, "send")
        lookup = self.change("lookup", Lookup(), operation="send")
        try:
            self.store.send(task.id, text, record_input=rules.record_input, logged_text=text + rules.logged_suffix,
                            include_deleted=lookup.include_deleted)
        except TaskNotActive as error:
            if rules.accept_when_not_active:
                return empty_response(204)
            refusal = self._refusal(task, "send", error.status)
            raise refusal or ApiError(400, "Task status must be active.") from None
        except KeyError:
            raise ApiError(404, NOT_FOUND_MESSAGE) from None
        return empty_response(self.change("status", 204, operation="send"))

    def _update_input(self, task: TaskView, raw: bytes) -> Response:
        rules = self.change("input_rules", InputRules(refuse_blank=self.generation.has("input-update-blank-400")))
        text = self.text_field(self.body(raw), "input")
        if not text.strip() and rules.refuse_blank:
            raise ApiError(400, "Task input is required.")
        try:
            self.store.update_input(task.id, text, paused_only=rules.paused_only, save=rules.save)
        except NotPaused:
            raise ApiError(409, "Unable to update task input, task must be paused.",
                           detail="Please stop the task's workspace before updating the input.") from None
        return empty_response(self.change("status", 204, operation="input"))

    def _build(self, task: TaskView, number: int, transition: str) -> dict[str, Any]:
        return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{task.id}/{number}")), "workspace_id": task.workspace_id,
                "build_number": number, "transition": transition, "status": "pending",
                "created_at": self.wire.time(self.store.now())}

    def _build_answer(self, task: TaskView, operation: str, number: int) -> Response:
        body = {"workspace_build": self._build(task, number, "stop" if operation == "pause" else "start")}
        answer = self.change("build_answer", body, operation=operation, task=task)
        return self.json(self.change("status", 202, operation=operation), answer)

    def _pause(self, task: TaskView, raw: bytes) -> Response:
        rules = self.change("pause_rules", PauseRules())
        try:
            number = self.store.pause(task.id, effect=rules.pause_stops)
        except BuildActive:
            raise ApiError(409, "A workspace build is already active.") from None
        return self._build_answer(task, "pause", number)

    def _resume(self, task: TaskView, raw: bytes) -> Response:
        rules = self.change("pause_rules", PauseRules())
        try:
            number = self.store.resume(task.id, effect=rules.resume_starts, paused_only=rules.resume_paused_only)
        except NotPaused as error:
            raise ApiError(409, "Task is not paused.",
                           detail=f'Task status is "{error.status}"; only a paused task can be resumed.') from None
        return self._build_answer(task, "resume", number)


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return True


async def _body(request: Request) -> bytes:
    """The request body, read up to Coder's limit: ApiError 413 past it (coderd/httpapi ReadLimit), without reading
    more than the limit of it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST_BODY:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BODY:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ApiError:
    return ApiError(413, BODY_TOO_LARGE_MESSAGE, detail=f"Maximum request body size is {MAX_REQUEST_BODY} bytes.")
