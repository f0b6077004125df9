"""The wire format of a Coder server, as Go's encoder writes it (every release): codersdk field names and omitempty
rules per generation, JSON with `<`, `>`, `&` escaped and a trailing newline, task timestamps in the database's
local offset with trailing zeros trimmed (`2025-11-10T11:38:10.64715+01:00`), log times in UTC with up to nine
fraction digits, large log bodies chunked without Content-Length, and the headers every answer carries."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .clock import shown
from .generation import LEGACY_FIELDS, Generation
from .responses import TEXT_CONTENT_TYPE
from .store import LogEntry, TaskView

DATABASE_OFFSET = timezone(timedelta(hours=1))  # task timestamps carry the database's local offset
RATE_LIMIT = 512  # requests per minute and user, Coder's default
CHUNKED_OVER = 2048  # bodies of log answers larger than this come chunked
_CHUNK = 1024
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json(body: Any) -> bytes:
    """JSON as Go's encoding/json writes it (HTML characters escaped), with the newline json.Encoder adds."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _GO_ESCAPES.items():
        text = text.replace(char, escaped)
    return text.encode("utf-8") + b"\n"


def _trimmed(moment: datetime, fraction_digits: int) -> str:
    """RFC 3339 as Go's time.RFC3339Nano: the fraction's trailing zeros trimmed."""
    fraction = f"{moment.microsecond:06d}" + "0" * (fraction_digits - 6)
    fraction = fraction.rstrip("0")
    offset = moment.strftime("%z")
    zone = "Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + zone


def local_time(timestamp: float) -> str:
    return _trimmed(datetime.fromtimestamp(shown(timestamp), tz=DATABASE_OFFSET), 6)


def log_time(timestamp: float) -> str:
    """UTC, nanoseconds (the last three digits made up from the entry's moment)."""
    timestamp = shown(timestamp)
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    nanos = f"{moment.microsecond:06d}{int(timestamp * 1e9) % 1000:03d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{nanos}" if nanos else "") + "Z"


class Wire:
    """How one generation's server puts things on the wire."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation

    time = staticmethod(local_time)

    def json(self, status: int, body: Any, content_type: str | None) -> Response:
        data = go_json(body)
        if len(data) > CHUNKED_OVER and isinstance(body, dict) and "logs" in body:
            response: Response = StreamingResponse(_chunks(data), status_code=status)
        else:
            response = Response(data, status_code=status)
        if content_type is not None:
            response.headers["content-type"] = content_type
        return response

    def text(self, status: int, text: str, headers: dict[str, str]) -> Response:
        return Response(text, status_code=status, media_type=TEXT_CONTENT_TYPE, headers=headers)

    def headers(self, response: Response, request: Request) -> None:
        """What every answer of a Coder server carries (a GET also gets a CSRF cookie)."""
        now = time.time()
        response.headers.update({
            "X-Coder-Build-Version": self.generation.version_text,
            "X-Coder-Request-Id": str(uuid.uuid4()),
            "X-Content-Type-Options": "nosniff",
            "Vary": "Origin, Cookie",
            "X-Ratelimit-Limit": str(RATE_LIMIT),
            "X-Ratelimit-Remaining": str(RATE_LIMIT - 1),
            "X-Ratelimit-Reset": str(int(now) + 60),
        })
        if request.method == "GET":
            response.headers.append("Set-Cookie", f"csrf_token={uuid.uuid4().hex}; Path=/; HttpOnly; SameSite=Lax")

    def www_authenticate(self) -> str | None:
        if not self.generation.has("www-authenticate"):
            return None
        return 'Bearer realm="coder", error="invalid_token", error_description="The access token is invalid"'

    def buildinfo(self) -> dict[str, Any]:
        return {"version": self.generation.version_text, "external_url": "https://github.com/coder/coder",
                "dashboard_url": "", "deployment_id": "00000000-0000-4000-8000-000000000000", "telemetry": False,
                "workspace_proxy": False, "agent_api_version": "2.4", "provisioner_api_version": "1.5",
                "upgrade_message": ""}

    def task(self, task: TaskView) -> dict[str, Any]:
        gen = self.generation
        template = task.template
        state = task.current_state
        body: dict[str, Any] = {
            "id": task.id,
            "organization_id": task.organization_id,
            "owner_id": task.owner.id,
            "owner_name": task.owner.username,
            "name": task.name,
            "display_name": task.display_name,
            "template_id": template.id,
            "template_version_id": template.version.id,
            "template_name": template.name,
            "template_display_name": template.display_name,
            "template_icon": template.icon,
            "workspace_id": task.workspace_id,
            "workspace_name": task.workspace_name,
            "workspace_agent_id": task.workspace_agent_id,
            "workspace_agent_lifecycle": task.workspace_agent_lifecycle,
            "workspace_agent_health": task.workspace_agent_health,
            "workspace_app_id": task.workspace_app_id,
            "initial_prompt": task.initial_prompt,
            "status": gen.status_on_wire(task.status),
            "current_state": None if state is None else {"timestamp": local_time(state.timestamp),
                                                         "state": state.state, "message": state.message,
                                                         "uri": state.uri},
            "created_at": local_time(task.created_at),
            "updated_at": local_time(task.updated_at),
        }
        if gen.legacy:
            return {key: body[key] for key in LEGACY_FIELDS}
        if not gen.has("display-name"):
            del body["display_name"]
        if task.owner.avatar_url:
            body["owner_avatar_url"] = task.owner.avatar_url
        if task.workspace_status:
            body["workspace_status"] = task.workspace_status
        if task.workspace_build_number:
            body["workspace_build_number"] = task.workspace_build_number
        if state is None and task.status == "initializing" and gen.has("current-state-initializing"):
            body["current_state"] = {"timestamp": local_time(task.build_at), "state": "working",
                                     "message": initializing_message(task), "uri": ""}
        return body

    def log(self, entry: LogEntry) -> dict[str, Any]:
        return {"id": entry.id, "content": entry.content, "type": entry.type, "time": log_time(entry.time)}


def initializing_message(task: TaskView) -> str:
    """What Coder says of an initializing task the agent has reported nothing of (for the current build), from the
    workspace's build status and the agent's lifecycle (coderd/aitasks.go deriveTaskCurrentState, coder/coder#20692;
    only for `initializing`: a pending or failed task keeps null)."""
    lifecycle = task.workspace_agent_lifecycle
    if task.workspace_status in ("pending", "starting"):
        return f"Workspace is {task.workspace_status}"
    if lifecycle is None:
        return "Initializing workspace"
    return {"created": "Agent is connecting", "starting": "Agent is starting",
            "ready": "Initializing workspace applications"}.get(lifecycle, "Initializing workspace agent")


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), _CHUNK):
        yield data[start:start + _CHUNK]
