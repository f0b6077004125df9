"""The JSON wire format of Task and LogEntry objects (codersdk/aitasks.go field names and omitempty rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .store import LogEntry, TaskView


def rfc3339(timestamp: float) -> str:
    """RFC 3339 with microseconds in UTC, like ``2025-10-01T12:34:56.123456Z``."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_nano_offset(timestamp: float) -> str:
    """RFC 3339 with nine fraction digits and a numeric offset, like ``2025-10-01T12:34:56.123456789+00:00``."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "789+00:00"


def _not_rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%m/%d/%Y %H:%M:%S")


@dataclass(frozen=True)
class WireOptions:
    """Switches used to simulate faults."""

    omit_owner_name: bool = False
    omit_nulls: bool = False
    bad_created_at: bool = False
    inputs_as_output: bool = False
    nano_offset_times: bool = False  # the timestamp-formats variation

    def time(self, timestamp: float) -> str:
        return rfc3339_nano_offset(timestamp) if self.nano_offset_times else rfc3339(timestamp)


def task_json(task: TaskView, options: WireOptions = WireOptions()) -> dict[str, Any]:  # noqa: B008
    template = task.template
    state = task.current_state
    body: dict[str, Any] = {
        "id": task.id,
        "organization_id": task.organization_id,
        "owner_id": task.owner.id,
        "owner_name": task.owner.username,
        "name": task.name,
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
        "status": task.status,
        "current_state": None
        if state is None
        else {
            "timestamp": options.time(state.timestamp),
            "state": state.state,
            "message": state.message,
            "uri": state.uri,
        },
        "created_at": _not_rfc3339(task.created_at) if options.bad_created_at else options.time(task.created_at),
        "updated_at": options.time(task.updated_at),
    }
    if task.owner.avatar_url:
        body["owner_avatar_url"] = task.owner.avatar_url
    if task.workspace_status:
        body["workspace_status"] = task.workspace_status
    if task.workspace_build_number:
        body["workspace_build_number"] = task.workspace_build_number
    if options.omit_owner_name:
        del body["owner_name"]
    if options.omit_nulls:
        body = {key: value for key, value in body.items() if value is not None}
    return body


def log_json(entry: LogEntry, options: WireOptions = WireOptions()) -> dict[str, Any]:  # noqa: B008
    kind = "output" if options.inputs_as_output else entry.type
    return {"id": entry.id, "content": entry.content, "type": kind, "time": options.time(entry.time)}
