"""The controls over HTTP, for tests in any language: JSON in, JSON out, under ``/__tasks_mock__/v1`` (a prefix no
Coder route uses), served only by a server started with ``control=True``; without it the prefix answers as any path
Coder does not route (404 "Route not found."). Every route is in docs/mock-control-api.md.

``ControlGate`` sits between the recorder and the app: a control request is answered here and recorded with the
operation ``mock:<control>`` (``ReferenceServer.requests`` leaves such requests out, and they count for nothing a
client is judged by); every other request counts towards switches on for a number of requests, then goes on to the
app. A control's mistake is 400 ``{"message": ...}``; an unknown task is 404; a route of the prefix that is no
control is 404 and a control asked with another method 405, each with a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .controls import Controls, Server, UnknownTask, Users
from .scenario import apply_scenario, log_entries

CONTROL_PREFIX = "/__tasks_mock__/v1"
CONTROL_OPERATION = "mock:"  # the operation of a recorded control request: mock:<control>
MAX_CONTROL_BODY = 4 << 20

Body = dict[str, Any]


class ReferenceServer(Server, Protocol):
    """What the control API needs of the server it serves (server.py ``ReferenceServer``)."""

    control: Controls

    @property
    def users(self) -> Users: ...

    def target_config(self) -> dict[str, str]: ...


Handler = Callable[[ReferenceServer, list[str], Body], Any]


def is_control(operation: str) -> bool:
    """Whether a recorded request's operation is a control's."""
    return operation.startswith(CONTROL_OPERATION)


class ControlError(ValueError):
    """A control's answer other than 200: its status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ControlGate:
    """Controls answered here (when ``enabled``), every other request counted and passed on to ``app``."""

    def __init__(self, app: ASGIApp, server: ReferenceServer, *, enabled: bool) -> None:
        self.app, self.server, self.enabled = app, server, enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.enabled and _under_prefix(str(scope.get("path", ""))):
            response = await self._control(scope, Request(scope, receive))
            await response(scope, receive, send)
            return
        if scope["type"] == "http":
            self.server.control.count_request()
        await self.app(scope, receive, send)

    async def _control(self, scope: Scope, request: Request) -> JSONResponse:
        parts = [part for part in str(scope["path"])[len(CONTROL_PREFIX):].split("/") if part]
        methods = _route(parts)
        name, handler = (methods or {}).get(request.method, ("unknown", None))
        scope.setdefault("state", {})["operation"] = CONTROL_OPERATION + name
        try:
            if methods is None:
                raise ControlError(404, f"no control at {scope['path']}; the controls are in "
                                        "docs/mock-control-api.md")
            if handler is None:
                raise ControlError(405, f"{scope['path']} answers {' and '.join(methods)} only")
            body = await _body(request) if request.method == "POST" else {}
            return JSONResponse(handler(self.server, parts, body), status_code=201 if name in _CREATED else 200)
        except ControlError as error:
            return _error(error.status, str(error))
        except UnknownTask as error:
            return _error(404, str(error))
        except (ValueError, TypeError) as error:
            return _error(400, str(error))
        except Exception as error:  # noqa: BLE001 - a bug of the mock: said, not a silent 500
            return _error(500, f"the control failed: {type(error).__name__}: {error}")


def _under_prefix(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


async def _body(request: Request) -> Body:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_CONTROL_BODY:
            raise ControlError(413, f"a control's body is at most {MAX_CONTROL_BODY} bytes")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ControlError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


# -- the controls ----------------------------------------------------------------------------------------------------

def _field(body: Body, key: str, kinds: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
    if key not in body or body[key] is None:
        if required:
            raise ValueError(f'"{key}" is required')
        return default
    value = body[key]
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
        raise ValueError(f'"{key}" must be {_kinds(kinds)}')
    return value


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kinds(kinds: type | tuple[type, ...]) -> str:
    names = {str: "a string", bool: "true or false", int: "a whole number", list: "a list"}
    return " or ".join(names.get(kind, kind.__name__) for kind in _tuple(kinds))


def _config(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    return server.target_config()


def _users(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    from .controls import MockUser

    users = server.users
    return {"member": users.member.to_json(), "second_member": users.second_member.to_json(),
            "owner": users.owner.to_json(),
            "all": [MockUser.of(user).to_json() for user in server.identities.users.values()]}


def _add_user(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    user = server.control.add_user(_field(body, "username", str, required=True),
                                   owner=_field(body, "owner", bool, False))
    return user.to_json()


def _add_template(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    version = server.control.add_template(_field(body, "name", str, required=True),
                                          has_ai_task=_field(body, "has_ai_task", bool, True))
    return {"template_version_id": version}


def _add_task(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    control = server.control
    template = _field(body, "template", str)
    version = control.template_version_of(template) if template is not None else None
    if template is not None and version is None:
        raise ValueError(f"no template named or with version {template!r}")
    task_id = control.add_task(
        owner=_field(body, "owner", str), status=_field(body, "status", str, "active"), name=_field(body, "name", str),
        display_name=_field(body, "display_name", str), prompt=_field(body, "prompt", str, ""),
        logs=log_entries(_field(body, "logs", list, []), "the task"), agent_state=_field(body, "agent_state", str),
        agent_message=_field(body, "agent_message", str, ""), agent_uri=_field(body, "agent_uri", str, ""),
        template_version_id=version)
    return {"id": task_id}


def _set_status(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    status = _field(body, "status", str, required=True)
    server.control.set_status(parts[1], status)
    return {"id": parts[1], "status": status}


def _set_agent_state(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    state = _field(body, "state", str, required=True)
    server.control.set_agent_state(parts[1], state, _field(body, "message", str, ""), _field(body, "uri", str, ""))
    return {"id": parts[1], "state": state}


def _busy(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    busy = _field(body, "busy", bool, True)
    server.control.agent_busy(parts[1], busy)
    return {"id": parts[1], "busy": busy}


def _unreachable(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    unreachable = _field(body, "unreachable", bool, True)
    server.control.agent_unreachable(parts[1], unreachable)
    return {"id": parts[1], "unreachable": unreachable}


def _replies(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    replies = _field(body, "replies", list)
    if replies is not None and not all(isinstance(reply, str) for reply in replies):
        raise ValueError('"replies" must be a list of strings, or null: the agent\'s own answers')
    server.control.script_replies(replies, task_id=_field(body, "task_id", str))
    return {"replies": replies, "task_id": body.get("task_id")}


def _switch(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    faults, variations = _field(body, "faults", list, []), _field(body, "variations", list, [])
    requests = _field(body, "requests", int)
    server.control.switch(faults=faults, variations=variations, requests=requests)
    return {"faults": sorted(server.faults), "variations": sorted(server.variations)}


def _reset(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    server.control.reset()
    return {"reset": True}


def _scenario(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    return apply_scenario(server.control, body)


def _requests(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    return {"requests": [request.to_json() for request in server.requests()]}


def _findings(server: ReferenceServer, parts: list[str], body: Body) -> Any:
    findings = server.control.findings()
    summary: Callable[[], str] = getattr(server, "findings_summary", str)
    return {"findings": [finding.to_json() for finding in findings], "summary": summary()}


# the path after the prefix ("*": a task id) -> {method: (the control's name, its handler)}
_ROUTES: dict[tuple[str, ...], dict[str, tuple[str, Handler]]] = {
    ("config",): {"GET": ("config", _config)},
    ("users",): {"GET": ("users", _users), "POST": ("add-user", _add_user)},
    ("templates",): {"POST": ("add-template", _add_template)},
    ("tasks",): {"POST": ("add-task", _add_task)},
    ("tasks", "*", "status"): {"POST": ("status", _set_status)},
    ("tasks", "*", "agent-state"): {"POST": ("agent-state", _set_agent_state)},
    ("tasks", "*", "busy"): {"POST": ("busy", _busy)},
    ("tasks", "*", "unreachable"): {"POST": ("unreachable", _unreachable)},
    ("replies",): {"POST": ("replies", _replies)},
    ("switch",): {"POST": ("switch", _switch)},
    ("reset",): {"POST": ("reset", _reset)},
    ("scenario",): {"POST": ("scenario", _scenario)},
    ("requests",): {"GET": ("requests", _requests)},
    ("findings",): {"GET": ("findings", _findings)},
}
_CREATED = frozenset({"add-user", "add-template", "add-task"})


def _route(parts: list[str]) -> dict[str, tuple[str, Handler]] | None:
    key = tuple("*" if index == 1 and len(parts) == 3 and parts[0] == "tasks" else part
                for index, part in enumerate(parts))
    return _ROUTES.get(key)
