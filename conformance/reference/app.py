"""The Starlette application: routing, authentication order, handlers and error answers.

Every path is dispatched by one catch-all route so that the order Coder uses holds everywhere:
under the API prefix authentication runs first (401 beats 404/405), then routing (404, 405), then the handler.
No input produces a 500: an unexpected exception is recorded in ``unexpected_errors`` and answered 400.
"""

from __future__ import annotations

import logging
import re
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

from .auth import SIGNED_OUT_MESSAGE, AuthFailure, authenticate, extract_token
from .bodies import parse_object, string_field, uuid_field
from .faults import ActiveFaults
from .identities import Identities, User, parse_uuid
from .names import generate_name, name_problem
from .query import QueryError, QueryOptions, TaskFilter, Validation, parse_task_query
from .responses import NOT_FOUND_MESSAGE, ApiError, empty_response, error_response, json_response
from .store import NameTaken, TaskNotActive, TaskStore, TaskView
from .wire import WireOptions, log_json, task_json

logger = logging.getLogger(__name__)

_MAX_RECORDED_ERRORS = 100
_LONG_NUMERIC_NAME = re.compile(r"^.{22,}[0-9]{8}$")  # the long-numeric-name-schema-violation fault
_KNOWN_CREATE_FIELDS = {"input", "name", "template_version_id", "template_version_preset_id", "display_name"}


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
    ) -> None:
        self.identities = identities
        self.store = store
        self.faults = faults
        self.api_prefix = api_prefix
        self._prefix_segments = api_prefix.strip("/").split("/")
        self.unexpected_errors: list[str] = []
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
        return self._error(ApiError(status, message))

    # -- plumbing ------------------------------------------------------------------------------------

    def _on(self, name: str) -> bool:
        return self.faults.enabled(name)

    def _wire(self) -> WireOptions:
        return WireOptions(
            omit_owner_name=self._on("missing-owner-name"),
            omit_nulls=self._on("nullable-fields-omitted"),
            bad_created_at=self._on("bad-created-at-format"),
            inputs_as_output=self._on("logs-wrong-type"),
        )

    def _task_json(self, task: TaskView, wire: WireOptions) -> dict[str, Any]:
        body = task_json(task, wire)
        # fuzz-only fault: a schema violation only long names ending in a digit run trigger
        if self._on("long-numeric-name-schema-violation") and _LONG_NUMERIC_NAME.search(task.name):
            body["workspace_name"] = None
        return body

    def _json(self, status: int, body: Any) -> Response:
        return json_response(status, body, text_plain=self._on("json-without-content-type"))

    def _error(self, error: ApiError) -> Response:
        return error_response(
            error,
            text_plain=self._on("json-without-content-type"),
            body_not_json=self._on("error-body-not-json"),
        )

    async def handle(self, request: Request) -> Response:
        try:
            return await self._dispatch(request)
        except ApiError as error:
            return self._error(error)
        except Exception:  # noqa: BLE001 - the reference must never answer 500; the error is recorded
            trace = traceback.format_exc()
            logger.error("unexpected error in the reference server:\n%s", trace)
            if len(self.unexpected_errors) < _MAX_RECORDED_ERRORS:
                self.unexpected_errors.append(trace)
            return self._error(
                ApiError(
                    400, "The reference server could not process this request.", detail="unexpected error"
                )
            )

    def _authenticate(self, request: Request, route: _Route | None) -> User:
        query = request.query_params.multi_items()
        token = extract_token(request.headers, query, header_first=self._on("token-precedence-reversed"))
        result = authenticate(token, self.identities, check_secret=not self._on("wrong-secret-accepted"))
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
            raise ApiError(401, SIGNED_OUT_MESSAGE, detail=result.detail)
        return result

    async def _dispatch(self, request: Request) -> Response:
        segments = _segments(request.scope)
        size = len(self._prefix_segments)
        if segments is None or segments[:size] != self._prefix_segments:
            raise ApiError(404, "Route not found.")
        route = _match(segments[size:])
        if route is None and self._on("auth-after-routing"):
            raise ApiError(404, "Route not found.")
        caller = self._authenticate(request, route)
        if route is None:
            raise ApiError(404, "Route not found.")
        if request.method not in route.methods:
            raise ApiError(405, "Method not allowed.", headers={"Allow": ", ".join(route.methods)})
        if route.name == "list":
            return self._list(request, caller)
        owner = self._resolve_user(route.params["user"], caller)
        if route.name == "create":
            return self._create(await request.body(), caller, owner)
        task = self._find_task(route.params["task"], owner, caller, request.method)
        if route.name == "task" and request.method == "GET":
            return self._json(200, self._task_json(task, self._wire()))
        if route.name == "task":
            return self._delete(task)
        if route.name == "logs":
            return self._logs(task)
        return self._send(await request.body(), task)

    def _resolve_user(self, ref: str, caller: User) -> User:
        user = self.identities.resolve_user(ref, caller)
        if user is None:
            if self._on("unknown-user-500"):
                raise ApiError(500, "Internal error fetching user.", detail="sql: no rows in result set")
            raise ApiError(
                400,
                '"user" must be an existing uuid or username.',
                detail="no user matches the {user} path segment",
            )
        return user

    def _find_task(self, ref: str, owner: User, caller: User, method: str) -> TaskView:
        task = self.store.lookup(ref, owner.id)
        if task is None:
            raise ApiError(404, NOT_FOUND_MESSAGE)
        if caller.is_owner or task.owner.id == caller.id:
            return task
        if method == "GET" and self._on("get-other-members-task"):
            return task
        if method == "GET" and self._on("other-members-task-403"):
            raise ApiError(403, "Forbidden.", detail="you do not have permission to read this task")
        raise ApiError(404, NOT_FOUND_MESSAGE)

    # -- list ----------------------------------------------------------------------------------------

    def _list(self, request: Request, caller: User) -> Response:
        q = next((value for key, value in request.query_params.multi_items() if key == "q"), "")
        if self._on("query-double-space-500") and "  " in q.strip():  # fuzz-only fault
            raise ApiError(500, "Internal error fetching tasks.", detail="empty search term")
        options = QueryOptions(
            lowercase=not self._on("query-case-sensitive"),
            bare_words_are_owner=not self._on("bare-word-owner-ignored"),
        )
        try:
            task_filter = parse_task_query(
                q,
                resolve_owner=self._owner_resolver(caller, exact=not options.lowercase),
                resolve_organization=self._resolve_organization,
                options=options,
            )
        except QueryError as error:
            raise ApiError(400, "Invalid task search query.", validations=error.validations) from None
        tasks = [
            task
            for task in self.store.all(include_deleted=self._on("deleted-task-still-listed"))
            if self._visible_in_list(task, caller) and self._matches(task, task_filter)
        ]
        if self._on("list-oldest-first"):
            tasks.reverse()
        count = len(tasks) + (1 if self._on("list-count-off-by-one") else 0)
        wire = self._wire()
        return self._json(200, {"tasks": [self._task_json(task, wire) for task in tasks], "count": count})

    def _owner_resolver(self, caller: User, *, exact: bool) -> Callable[[str], str | None]:
        def resolve(value: str) -> str | None:
            if value == "me":
                return caller.id
            parsed = parse_uuid(value)
            if parsed is not None:
                return parsed
            if exact:
                user = next((u for u in self.identities.users.values() if u.username == value), None)
            else:
                user = self.identities.user_by_name(value)
            return user.id if user is not None else None

        return resolve

    def _resolve_organization(self, value: str) -> str | None:
        parsed = parse_uuid(value)
        if parsed is not None:
            return parsed
        org = self.identities.organization_by_name(value)
        return org.id if org is not None else None

    def _visible_in_list(self, task: TaskView, caller: User) -> bool:
        return caller.is_owner or task.owner.id == caller.id or self._on("member-sees-others-tasks")

    def _matches(self, task: TaskView, task_filter: TaskFilter) -> bool:
        if task_filter.owner_id is not None and task.owner.id != task_filter.owner_id:
            return False
        if task_filter.organization_id is not None and task.organization_id != task_filter.organization_id:
            return False
        return not (
            task_filter.status is not None
            and not self._on("status-filter-ignored")
            and task.status != task_filter.status
        )

    # -- create --------------------------------------------------------------------------------------

    def _create(self, raw: bytes, caller: User, owner: User) -> Response:
        body = parse_object(raw)
        prompt = string_field(body, "input")
        name = string_field(body, "name")
        version_id = uuid_field(body, "template_version_id")
        preset_id = uuid_field(body, "template_version_preset_id")
        string_field(body, "display_name")  # later releases; validated for type, otherwise ignored
        if version_id is None:
            raise ApiError(
                400,
                "Template version not found or you do not have access to this resource",
                detail='"template_version_id" is required.',
            )
        template = self.identities.template_version(version_id)
        if template is None:
            raise ApiError(400, "Template version not found or you do not have access to this resource")
        if not template.version.has_ai_task:
            raise ApiError(400, 'Template does not have a valid "coder_ai_task" resource.')
        if preset_id is not None and preset_id not in template.version.preset_ids:
            raise ApiError(
                400,
                "Template version preset not found or does not belong to the template version.",
                detail=f"preset {preset_id} is not a preset of template version {version_id}",
            )
        if name and not self._on("invalid-name-accepted"):
            problem = name_problem(name)
            if problem is not None:
                raise ApiError(
                    400,
                    "Unable to create a Task with the provided name.",
                    detail=f"name {problem}",
                    validations=[Validation("name", f"Task name {problem}.")],
                )
        if owner.id != caller.id and not caller.is_owner:
            raise ApiError(
                403,
                "Insufficient permissions to create a task for this user.",
                detail="only owners may create tasks for other users",
            )
        if not name:
            name = generate_name(prompt, lambda candidate: self.store.name_in_use(owner.id, candidate))
        try:
            task = self.store.create(
                owner=owner,
                organization_id=template.organization_id,
                template=template,
                name=name,
                prompt=prompt,
                preset_id=preset_id,
                allow_duplicate_name=self._on("duplicate-name-accepted"),
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
        return self._json(status, answer)

    # -- task operations -----------------------------------------------------------------------------

    def _delete(self, task: TaskView) -> Response:
        if not self.store.delete(task.id):
            raise ApiError(404, NOT_FOUND_MESSAGE)
        return empty_response(200 if self._on("delete-returns-200") else 202)

    @staticmethod
    def _not_active(error: TaskNotActive) -> ApiError:
        return ApiError(400, "Task status must be active.", detail=f'Task status is "{error.status}".')

    def _logs(self, task: TaskView) -> Response:
        try:
            entries = self.store.logs(task.id)
        except TaskNotActive as error:
            raise self._not_active(error) from None
        except KeyError:
            raise ApiError(404, NOT_FOUND_MESSAGE) from None
        wire = self._wire()
        return self._json(200, {"logs": [log_json(entry, wire) for entry in entries]})

    def _send(self, raw: bytes, task: TaskView) -> Response:
        body = parse_object(raw)
        text = string_field(body, "input")
        if text == "" and not self._on("send-empty-input-accepted"):
            raise ApiError(400, "Task input is required.")
        try:
            self.store.send(task.id, text, record_input=not self._on("send-drops-input"))
        except TaskNotActive as error:
            raise self._not_active(error) from None
        except KeyError:
            raise ApiError(404, NOT_FOUND_MESSAGE) from None
        return empty_response(204)
