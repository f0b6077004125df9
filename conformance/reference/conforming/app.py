"""The Starlette application of the reference server: a conforming Tasks API of one Coder release.

Every path is dispatched by one catch-all route, so that the order Coder uses holds everywhere: under the API
prefix authentication runs first (401 beats 404/405), then routing (404, 405), then the handler. A request body is
read up to Coder's limit (4 MiB; 413 past it), so the server's memory stays bounded whatever a client sends. An
unexpected exception is a bug of the reference: recorded in ``unexpected_errors`` and answered as Coder answers one,
500 "An internal server error occurred." (a suite run against it then shows it).

A request goes: ``handle`` -> ``_dispatch`` (routing, authentication, the {user} and {task} segments) -> one
handler per operation, which returns an ``Answer`` (answers.py) labelled with its operationId -> ``render`` (the
answer on the wire, wire.py) -> ``decide.finish`` (the headers every answer carries). Every choice a handler makes
it asks ``self.decide`` (decisions.py: who may see a task, the name rules, when send or a delete is refused, ...);
the tasks are ``self.tasks`` (store.py). ``rewrite`` sees every answer before it is rendered; conforming, it is
none. What the server puts in place of ``decide``, ``tasks`` and ``rewrite`` is its business (server.py).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from conformance.contracts.gotext import trim_space

from . import coder
from .answers import Answer
from .auth import AuthFailure, authenticate, extract_token_source
from .bodies import parse_object, string_field, uuid_field
from .coder.builds import build_id
from .decisions import Decisions
from .generation import Generation
from .identities import Identities, Template, User, parse_uuid
from .names import generate_name
from .query import QueryError, TaskFilter, Validation, parse_task_query
from .responses import (
    BODY_TOO_LARGE_MESSAGE,
    INTERNAL_ERROR_MESSAGE,
    MAX_REQUEST_BODY,
    NOT_FOUND_MESSAGE,
    ApiError,
    empty_response,
)
from .routes import OPERATION_IDS, Routed, match_route, path_segments
from .store import TaskNotActive, TaskStore, TaskView
from .wire import Wire

logger = logging.getLogger(__name__)

_MAX_RECORDED_ERRORS = 100
CREATE_FIELDS = frozenset({"input", "prompt", "name", "template_version_id", "template_version_preset_id",
                           "display_name"})  # the fields of a create body the server reads


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
        api_prefix: str | None = None,
    ) -> None:
        self.identities = identities
        self.store = store
        self.generation = generation
        self.served_prefixes = (api_prefix,) if api_prefix else generation.prefixes
        self.wire = Wire(generation)
        self.unexpected_errors: list[str] = []
        self.conforming = Decisions(self)
        self.decide: Decisions = self.conforming
        self.tasks: TaskStore = store
        self.rewrite: Callable[[Answer], Answer] | None = None
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
        return self.render(request, Answer.of_error(ApiError(status, message)))

    # -- answers ---------------------------------------------------------------------------------------------

    def render(self, request: Request, answer: Answer) -> Response:
        """The answer on the wire, with the headers every answer carries."""
        answer.request = request
        if not answer.operation:
            answer.operation = getattr(request.state, "operation", "")
        if answer.kind == "error" and answer.status == 401:
            challenge = self.wire.www_authenticate()
            if challenge:
                answer.headers.setdefault("WWW-Authenticate", challenge)
        if self.rewrite is not None:
            answer = self.rewrite(answer)
        if answer.response is not None:
            response = answer.response
        elif answer.text is not None:
            response = self.wire.text(answer.status, answer.text, answer.headers)
        elif answer.body is None:
            response = empty_response(answer.status)
            response.headers.update(answer.headers)
        else:
            response = self.wire.json(answer.status, answer.body, answer.content_type)
            response.headers.update(answer.headers)
        return self.decide.finish(response, request)

    def _task_answer(self, status: int, task: TaskView) -> Answer:
        return Answer(status, self.wire.task(task), tasks=(task,))

    async def handle(self, request: Request) -> Response:
        try:
            answer = await self._dispatch(request)
        except ApiError as error:
            answer = Answer.of_error(error)
        except Exception as exc:  # noqa: BLE001 - a bug of the reference: recorded, and answered as Coder answers one
            answer = self._unexpected(exc)
        try:
            return self.render(request, answer)
        except ApiError as error:  # a refusal decided while the answer was being made
            return self.render(request, Answer.of_error(error))
        except Exception as exc:  # noqa: BLE001 - as above
            return self.render(request, self._unexpected(exc))

    def _unexpected(self, exc: Exception) -> Answer:
        trace = traceback.format_exc()
        logger.error("unexpected error in the reference server:\n%s", trace)
        if len(self.unexpected_errors) < _MAX_RECORDED_ERRORS:
            self.unexpected_errors.append(trace)
        return Answer.of_error(ApiError(500, INTERNAL_ERROR_MESSAGE, detail=f"{type(exc).__name__}: {exc}"[:500]))

    # -- routing and authentication ----------------------------------------------------------------------------

    def not_routed(self) -> Answer:
        outcome = self.decide.route_not_found()
        if isinstance(outcome, ApiError):
            raise outcome
        return Answer(outcome.status_code, response=outcome)

    async def _dispatch(self, request: Request) -> Answer:
        refused = self.decide.before_routing(request)
        if refused is not None:
            return Answer(refused.status_code, response=refused)
        segments = path_segments(request.scope)
        if segments is None:
            return self.not_routed()
        if segments == ["api", "v2", "buildinfo"] and request.method == "GET":
            info = self.decide.buildinfo()
            return Answer(200, info) if info is not None else self.not_routed()
        neighbour = coder.route(segments, request.method)
        if neighbour is not None:  # Coder's routes around the Tasks API (coder/): authenticated first
            answer, params = neighbour
            caller = self._authenticate(request, None)
            raw = await _body(request) if request.method == "POST" else b""
            return answer(coder.Call(self, caller, params, request.query_params.multi_items(), raw))
        prefixes = self.decide.prefixes()
        prefix = next((p for p in prefixes if segments[:len(p.strip("/").split("/"))] == p.strip("/").split("/")),
                      None)
        if prefix is None:
            return self.not_routed()
        rest = segments[len(prefix.strip("/").split("/")):]
        if not self.generation.serves_tasks:  # a release without the Tasks API: none of its routes exist
            self._authenticate(request, None)
            return self.not_routed()
        route = match_route(rest, self.generation.routes())
        if route is None and self.decide.route_before_auth(rest):
            return self.not_routed()
        caller = self._authenticate(request, route)
        if route is None:
            return self.not_routed()
        if request.method not in route.methods:
            raise self.decide.method_not_allowed(route)
        operation = OPERATION_IDS[route.name, request.method]
        request.state.operation = operation
        if operation == "listTasks":
            return self._list(request, caller)
        owner = self._resolve_user(route.params["user"], caller)
        if operation == "createTask":
            return self._create(await _body(request), caller, owner)
        raw = await _body(request) if operation in ("sendTaskInput", "updateTaskInput") else b""
        task = self._find_task(route.params["task"], owner, caller, operation)
        if isinstance(task, Answer):  # the answer to a task that is not there
            return task
        handler = {"getTask": self._get, "deleteTask": self._delete, "getTaskLogs": self._logs,
                   "sendTaskInput": self._send, "updateTaskInput": self._update_input, "pauseTask": self._pause,
                   "resumeTask": self._resume}[operation]
        return handler(task, raw)

    def _authenticate(self, request: Request, route: Routed | None) -> User:
        sources = self.decide.token_sources(request)
        token, source = extract_token_source(request.headers, request.query_params.multi_items(), sources)
        result = authenticate(token, self.identities, check_secret=self.decide.secret_checked(source))
        if isinstance(result, AuthFailure):
            answer = self.decide.unauthenticated(result, route, request)
            if isinstance(answer, ApiError):
                raise answer
            return answer
        return result

    def _resolve_user(self, ref: str, caller: User) -> User:
        user = self.decide.user(ref, caller)
        if user is None:
            raise self.decide.unknown_user(ref)
        return user

    def _find_task(self, ref: str, owner: User, caller: User, operation: str) -> TaskView | Answer:
        """The task the request addresses; an ApiError when it is not there or not the caller's to see."""
        by_name = self.decide.name_lookup()
        if not by_name and parse_uuid(ref) is None:
            raise ApiError(400, f"Invalid UUID {ref!r} for task ID.".replace("'", '"'))
        task = self.decide.find(ref, owner, operation, by_name)
        if task is None:
            missing = self.decide.task_missing(operation, ref, owner)
            if isinstance(missing, ApiError):
                raise missing
            return missing
        refusal = self.decide.refusal(operation, task, caller, owner)
        if refusal is not None:
            raise refusal
        return task

    # -- list ------------------------------------------------------------------------------------------------------

    def _list(self, request: Request, caller: User) -> Answer:
        decide, gen = self.decide, self.generation
        q = decide.query(request.query_params.multi_items())
        options = decide.query_options()
        try:
            task_filter = parse_task_query(q, resolve_owner=lambda value: decide.owner_id(value, caller, options),
                                           resolve_organization=decide.organization_id, options=options,
                                           refuses=decide.query_refuses, unquote=decide.query_term)
        except QueryError as error:
            raise ApiError(400, gen.invalid_query_message, validations=error.validations) from None
        if task_filter.status is not None and task_filter.status not in gen.profile.statuses:
            # a q whose status the grammar let through: Coder's database then fails
            raise ApiError(500, "Internal error fetching tasks.",
                           detail=f'pq: invalid input value for enum task_status: "{task_filter.status}"')
        if task_filter.status is not None:  # legacy filters by workspace status: one no task of ours has matches none
            task_filter = replace(task_filter, status=gen.status_from_query(task_filter.status) or "no such status")
        tasks = decide.order([task for task in decide.listed()
                              if decide.sees(task, caller, task_filter) and self._matches(task, task_filter)])
        body = {"tasks": [self.wire.task(task) for task in tasks], "count": len(tasks)}
        return Answer(200, body, tasks=tuple(tasks))

    def _matches(self, task: TaskView, task_filter: TaskFilter) -> bool:
        checks = self.decide.filter_checks(task, task_filter)
        return self.decide.matches(checks) if checks else True

    # -- create ----------------------------------------------------------------------------------------------------

    def body(self, raw: bytes) -> dict[str, Any]:
        """The request body as a JSON object."""
        try:
            return parse_object(raw)
        except ApiError as error:
            raise self.decide.unreadable_body(error, _is_json(raw), None) from None

    def text_field(self, body: dict[str, Any], key: str) -> str:
        try:
            return string_field(body, key)
        except ApiError as error:
            raise self.decide.unreadable_body(error, True, key) from None

    def _create(self, raw: bytes, caller: User, owner: User) -> Answer:
        gen, decide = self.generation, self.decide
        body = self.body(raw)
        prompt = self.text_field(body, "input") or (self.text_field(body, "prompt") if gen.legacy else "")
        name = string_field(body, "name")
        display_name = trim_space(string_field(body, "display_name"))
        version_id = uuid_field(body, "template_version_id")
        preset_id = uuid_field(body, "template_version_preset_id")
        template = decide.template(version_id)
        for refusal in (decide.template_refusal(template), _preset_refusal(template, preset_id, version_id),
                        decide.name_refusal(name), decide.display_name_refusal(display_name),
                        decide.input_refusal(prompt), decide.create_for_other(caller, owner)):
            if refusal is not None:
                raise refusal
        if not name:
            name = generate_name(prompt, lambda candidate: decide.name_taken(owner, candidate),
                                 self.identities.randomness.choice)
        display_name = decide.display_name(display_name, prompt, name)
        refusal = decide.insert_refusal(prompt, display_name)
        if refusal is not None:
            raise refusal
        if decide.name_taken(owner, name):
            raise ApiError(409, f'Task "{name}" already exists.',
                           detail="task names are unique per owner (case-insensitive)",
                           validations=[Validation("name", "This value is already in use and should be unique.")])
        task = self.tasks.create(owner=owner, organization_id=template.organization_id, template=template,
                                 name=name, prompt=decide.stored_prompt(prompt), preset_id=preset_id,
                                 display_name=display_name, step=decide.lifecycle_step())
        answer = self._task_answer(201, task)
        answer.sent = body
        return answer

    # -- task operations -----------------------------------------------------------------------------------------

    def _get(self, task: TaskView, raw: bytes) -> Answer:
        return self._task_answer(200, task)

    def _delete(self, task: TaskView, raw: bytes) -> Answer:
        refusal = self.decide.delete_refusal(task)
        if refusal is not None:
            raise refusal
        if not self.tasks.delete(task.id, after=self.decide.delete_takes()):
            raise ApiError(404, NOT_FOUND_MESSAGE)
        return Answer(202)

    def _busy(self, task: TaskView, operation: str) -> None:
        if task.status == "active" and self.decide.busy(task, operation):
            raise self.decide.busy_error(task, operation)

    def _not_active(self, task: TaskView, operation: str, status: str) -> Answer:
        outcome = self.decide.not_active(operation, status)
        if isinstance(outcome, Answer):
            return outcome
        if outcome is not None:
            raise outcome
        if operation == "sendTaskInput":
            raise ApiError(400, "Task status must be active.")
        return self._snapshot(task)

    def _logs(self, task: TaskView, raw: bytes) -> Answer:
        try:
            self._busy(task, "getTaskLogs")
            entries = tuple(self.tasks.logs(task.id))
        except TaskNotActive as error:
            return self._not_active(task, "getTaskLogs", error.status)
        return Answer.of_logs({"logs": [self.wire.log(entry) for entry in entries]}, entries)

    def _snapshot(self, task: TaskView) -> Answer:
        """The logs of a paused or starting task: the snapshot stored when it was paused (none yet: empty)."""
        entries = task.snapshot or ()
        body: dict[str, Any] = {"logs": [self.wire.log(e) for e in entries], "snapshot": True}
        if task.snapshot_at is not None:
            body["snapshot_at"] = self.wire.time(task.snapshot_at)
        return Answer.of_logs(body, entries)

    def _send(self, task: TaskView, raw: bytes) -> Answer:
        text = self.text_field(self.body(raw), "input")
        refusal = self.decide.send_refusal(text)
        if refusal is not None:
            raise refusal
        self._busy(task, "sendTaskInput")
        try:
            self.tasks.send(task.id, text)
        except TaskNotActive as error:
            return self._not_active(task, "sendTaskInput", error.status)
        return Answer(204)

    def _update_input(self, task: TaskView, raw: bytes) -> Answer:
        text = self.text_field(self.body(raw), "input")
        for refusal in (self.decide.input_text_refusal(text), self.decide.input_update_refusal(task)):
            if refusal is not None:
                raise refusal
        self.tasks.update_input(task.id, text)
        return Answer(204)

    def _build(self, task: TaskView, number: int, transition: str) -> dict[str, Any]:
        return {"id": build_id(task.id, number), "workspace_id": task.workspace_id,
                "build_number": number, "transition": transition, "status": "pending",
                "created_at": self.wire.time(self.tasks.now())}

    def _pause(self, task: TaskView, raw: bytes) -> Answer:
        refusal = self.decide.pause_refusal(task)
        if refusal is not None:
            raise refusal
        return Answer(202, {"workspace_build": self._build(task, self.tasks.pause(task.id), "stop")})

    def _resume(self, task: TaskView, raw: bytes) -> Answer:
        refusal = self.decide.resume_refusal(task)
        if refusal is not None:
            raise refusal
        return Answer(202, {"workspace_build": self._build(task, self.tasks.resume(task.id), "start")})


def _preset_refusal(template: Template, preset_id: str | None, version_id: str | None) -> ApiError | None:
    if preset_id is None or preset_id in template.version.preset_ids:
        return None
    return ApiError(400, "Template version preset not found or does not belong to the template version.",
                    detail=f"preset {preset_id} is not a preset of template version {version_id}")


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
