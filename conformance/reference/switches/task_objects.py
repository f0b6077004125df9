"""Switches of the Task object on the wire (in the create, get and list answers): its fields and their formats."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ..conforming.answers import Answer
from ..conforming.store import TaskView
from .kinds import LEGACY_ONLY, NOT_LEGACY, STABLE_ONLY, Switch, fault, variation

_LONG_NUMERIC_NAME = re.compile(r"^.{22,}[0-9]{8}$")
_TASK_ANSWERS = ("createTask", "getTask", "listTasks")


def _tasks(change: Any) -> dict[str, Any]:
    """The answers that show tasks, each Task object rewritten."""
    def rewrite(answer: Answer) -> Answer:
        answer.each_task(change)
        return answer
    return dict.fromkeys(_TASK_ANSWERS, rewrite)


def _not_rfc3339(body: dict[str, Any], task: TaskView) -> dict[str, Any]:
    return {**body, "created_at": datetime.fromtimestamp(task.created_at, tz=UTC).strftime("%m/%d/%Y %H:%M:%S")}


def _uuids_as_objects(body: dict[str, Any], task: TaskView) -> dict[str, Any]:
    out = dict(body)
    for key in ("workspace_id", "workspace_agent_id", "workspace_app_id"):
        if key in out:
            value = out[key]
            out[key] = {"uuid": value or "00000000-0000-0000-0000-000000000000", "valid": value is not None}
    return out


def _nano_offset(timestamp: float) -> str:
    """RFC 3339 with nanoseconds and a +00:00 offset."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}000+00:00"


def _omitempty_absent(answer: Answer) -> Answer:
    if answer.kind == "error" and isinstance(answer.body, dict):
        answer.body = {k: v for k, v in answer.body.items() if k != "detail"}

    def absent(body: dict[str, Any], task: TaskView) -> dict[str, Any]:
        out = {k: v for k, v in body.items() if k not in ("workspace_status", "workspace_build_number")}
        if isinstance(out.get("workspace_agent_health"), dict):
            out["workspace_agent_health"] = {"healthy": out["workspace_agent_health"].get("healthy")}
        return out

    answer.each_task(absent)
    return answer


def _later_release_fields(answer: Answer) -> Answer:
    answer.each_task(lambda body, task: {**body, "display_name": f"Task {task.name}"})
    if answer.kind == "logs" and isinstance(answer.body, dict) and "snapshot" not in answer.body:
        answer = replace(answer, body={**answer.body, "snapshot": False, "snapshot_at": None})
    return answer


SWITCHES: tuple[Switch, ...] = (
    fault("missing-owner-name", "Task objects lack the owner_name field",
          breaks=("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA"), area="body schemas",
          answers=_tasks(lambda body, task: {k: v for k, v in body.items() if k != "owner_name"})),
    fault("nullable-fields-omitted", "Task objects omit null fields instead of sending JSON null",
          breaks=("CREATE-SCHEMA",), area="body schemas",
          answers=_tasks(lambda body, task: {k: v for k, v in body.items() if v is not None})),
    fault("bad-created-at-format", "Task created_at is not an RFC 3339 date-time",
          breaks=("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA", "LIFE-TIMESTAMPS"), area="body schemas",
          answers=_tasks(_not_rfc3339)),
    fault("nullable-uuids-as-objects",
          "nullable uuids are {\"uuid\", \"valid\"} objects (the docs generator's drawing) instead of a string or "
          "null", breaks=("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA"), area="body schemas",
          answers=_tasks(_uuids_as_objects)),
    fault("template-icon-null", "Task template_icon is null instead of a string", breaks=("CREATE-SCHEMA",
                                                                                          "GET-SCHEMA"),
          area="body schemas", answers=_tasks(lambda body, task: {**body, "template_icon": None})),
    fault("display-name-missing", "Task objects lack the display_name field",
          breaks=("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA"), area="display name", profiles=STABLE_ONLY,
          answers=_tasks(lambda body, task: {k: v for k, v in body.items() if k != "display_name"})),
    fault("legacy-status-of-task-model", "a legacy task shows the tasks data model's status (active) instead of "
          "its workspace's (running)", breaks=("GET-SCHEMA", "LIST-SCHEMA", "LIFE-REACHES-ACTIVE"),
          area="generations", profiles=LEGACY_ONLY, answers=_tasks(lambda body, task: {**body,
                                                                                       "status": task.status})),
    fault("legacy-id-not-workspace", "a legacy task's workspace_id differs from its id",
          breaks=("LEGACY-ID-IS-WORKSPACE",), area="generations", profiles=LEGACY_ONLY,
          answers=_tasks(lambda body, task: {
              **body, "workspace_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"workspace/{task.id}"))})),
    fault("long-numeric-name-schema-violation",
          "Task objects of tasks whose name is 30+ characters and ends in 8+ digits carry workspace_name null",
          breaks=("FUZZ-RESPONSE-SCHEMA",), area="found by fuzzing", profiles=NOT_LEGACY,
          answers=_tasks(lambda body, task: {**body, "workspace_name": None}
                         if _LONG_NUMERIC_NAME.search(task.name) else body)),
    variation("omitempty-fields-absent",
              "workspace_status, workspace_build_number, the agent health reason and error details are absent",
              source="docs: omitted when empty; detail is optional", answers={"*": _omitempty_absent}),
    variation("later-release-fields", "tasks carry display_name; logs carry snapshot and snapshot_at",
              source="docs: fields of later releases", profiles=("experimental",),
              answers={"*": _later_release_fields}),
    variation("current-state-null", "current_state is null even for active tasks (the agent reported nothing)",
              source="docs: current_state is null or an object",
              answers=_tasks(lambda body, task: {**body, "current_state": None})),
    variation("timestamp-formats", "task date-times with nanoseconds and a +00:00 offset",
              source="RFC 3339; Go marshals time.Time as RFC 3339 with nanoseconds",
              answers=_tasks(lambda body, task: {**body, "created_at": _nano_offset(task.created_at),
                                                 "updated_at": _nano_offset(task.updated_at)})),
)
