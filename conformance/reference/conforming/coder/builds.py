"""A workspace's builds: the latest build a workspace shows, and POST /api/v2/workspaces/{workspace}/builds
(codersdk/workspacebuilds.go ``WorkspaceBuild``, ``WorkspaceStatus``; codersdk/workspaces.go
``CreateWorkspaceBuildRequest``; coderd/workspacebuilds.go ``postWorkspaceBuilds``; coderd/wsbuilder
``checkRunningBuild``).

A task's workspace is built as a task is: a stop build pauses the task (a stopped workspace is a paused task), a
start build of a stopped workspace starts it again from pending, through initializing, to active, and a delete build
deletes the task; the task store's own pause, resume and delete do it, so there is one lifecycle. Every transition
is refused 409 "A workspace build is already active." while a build runs (the task starting, stopping or being
deleted), as wsbuilder refuses it; a start of a running workspace is a build that changes nothing the task shows.
The answer is the new build, 201. In legacy a task *is* its workspace (one id), and its status is the workspace's.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..answers import Answer
from ..bodies import parse_object
from ..generation import LEGACY_STATUS
from ..query import Validation
from ..responses import ApiError
from ..store import TaskView
from .common import (
    Call,
    deleted,
    derived_id,
    minimal_user,
    not_found,
    provisioner_job,
    sees_workspace,
    uuid_param,
    workspace_rows,
    workspace_task,
)
from .created import build_created, is_created
from .templates import version_name

TRANSITIONS = ("start", "stop", "delete")
BUILD_ACTIVE_MESSAGE = "A workspace build is already active."
# The provisioner job of a build, by the workspace status it gives (codersdk/workspacebuilds.go: a workspace's status
# is its latest build's job status read with the build's transition).
_JOB_STATUS = {"pending": "pending", "starting": "running", "stopping": "running", "deleting": "running",
               "running": "succeeded", "stopped": "succeeded", "deleted": "succeeded", "failed": "failed",
               "canceling": "canceling", "canceled": "canceled"}


def build_id(task_id: str, number: int) -> str:
    """The id of a task's workspace build (the same in a pause's or a resume's answer)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{task_id}/{number}"))


def transition(task: TaskView) -> str:
    """The transition of the task's latest workspace build."""
    if task.deleting or task.deleted:
        return "delete"
    if task.status == "paused" or task.stopping:
        return "stop"
    return "start"


def workspace_status(call: Call, task: TaskView) -> str:
    """codersdk.WorkspaceStatus of the task's workspace (legacy: the status its task shows)."""
    if task.deleted:
        return "deleted"
    if task.deleting:
        return "deleting"
    if task.stopping:
        return "stopping"
    if call.core.generation.legacy:
        return LEGACY_STATUS[task.status]
    return task.workspace_status


def building(task: TaskView) -> bool:
    """Whether a build of the task's workspace runs: its start (the task pending or initializing), its stop, its
    delete."""
    return task.status in ("pending", "initializing") or task.stopping or task.deleting


def body(call: Call, task: TaskView) -> dict[str, Any]:
    """codersdk.WorkspaceBuild: the task's latest workspace build."""
    status = workspace_status(call, task)
    number = task.workspace_build_number
    template = task.template
    this_id = build_id(task.id, number)
    metadata = {"template_version_name": version_name(template.version), "template_id": template.id,
                "template_name": template.name, "template_display_name": template.display_name,
                "template_icon": template.icon, "workspace_id": task.workspace_id,
                "workspace_name": task.workspace_name, "workspace_build_transition": transition(task)}
    owner = minimal_user(task.owner)
    return {
        "id": this_id, "created_at": call.time(task.updated_at), "updated_at": call.time(task.updated_at),
        "workspace_id": task.workspace_id, "workspace_name": task.workspace_name,
        "workspace_owner_id": owner["id"], "workspace_owner_name": owner["username"],
        "workspace_owner_avatar_url": owner["avatar_url"], "template_version_id": template.version.id,
        "template_version_name": version_name(template.version), "build_number": number,
        "transition": transition(task), "initiator_id": task.owner.id, "initiator_name": task.owner.username,
        "job": provisioner_job(call, derived_id(this_id, "job"), "workspace_build", status=_JOB_STATUS[status],
                               at=task.updated_at, initiator=task.owner, metadata=metadata),
        "reason": "initiator", "resources": _resources(call, task, this_id), "status": status, "daily_cost": 0,
        "matched_provisioners": {"count": 1, "available": 1}, "template_version_preset_id": None,
        "has_ai_task": template.version.has_ai_task, "has_external_agent": False,
    }


def _resources(call: Call, task: TaskView, this_id: str) -> list[dict[str, Any]]:
    """codersdk.WorkspaceResource: the container with its agent while the workspace runs (none when stopped)."""
    if task.workspace_agent_id is None:
        return []
    resource_id = derived_id(task.workspace_id, "resource")
    at = call.time(task.created_at)
    health = task.workspace_agent_health or {"healthy": True, "reason": ""}
    apps = [] if task.workspace_app_id is None else [{
        "id": task.workspace_app_id, "url": "http://localhost:3284", "external": False, "slug": "ai-agent",
        "display_name": "AI Agent", "command": "", "icon": "", "subdomain": False, "sharing_level": "owner",
        "healthcheck": {"url": "http://localhost:3284/status", "interval": 3, "threshold": 20}, "health": "healthy",
        "group": "", "hidden": False, "open_in": "slim-window", "statuses": [], "tooltip": "",
    }]
    agent = {
        "id": task.workspace_agent_id, "created_at": at, "updated_at": call.time(task.updated_at),
        "first_connected_at": at, "last_connected_at": call.time(call.core.tasks.now()), "name": "main",
        "status": "connected", "lifecycle_state": task.workspace_agent_lifecycle, "health": health,
        "resource_id": resource_id, "architecture": "amd64", "operating_system": "linux",
        "environment_variables": {}, "directory": "/home/coder", "expanded_directory": "/home/coder",
        "version": call.core.generation.version_text, "api_version": "2.4", "apps": apps, "latency": {},
        "connection_timeout_seconds": 120, "troubleshooting_url": "", "subsystems": [], "display_apps": [],
        "log_sources": [], "scripts": [], "logs_length": 0, "logs_overflowed": False,
        "startup_script_behavior": "non-blocking",
    }
    return [{"id": resource_id, "created_at": at, "job_id": derived_id(this_id, "job"),
             "workspace_transition": "start", "type": "docker_container", "name": "workspace", "hide": False,
             "icon": "", "agents": [agent], "metadata": [], "daily_cost": 0}]


def create(call: Call) -> Answer:
    """POST /api/v2/workspaces/{workspace}/builds ``{"transition": "start" | "stop" | "delete"}``: 201, the new
    build; 400 for another transition, 409 while a build runs."""
    task = workspace_task(call, call.params[0])
    wanted = parse_object(call.raw).get("transition")
    if wanted not in TRANSITIONS:
        tag, shown = ("required", "") if wanted in (None, "") else ("oneof", wanted)
        raise ApiError(400, "Validation failed.",
                       validations=[Validation("transition", f'Validation failed for tag "{tag}" with value: '
                                                             f'"{shown}"')])
    if task.deleted:  # asked for with ?deleted=true: there is nothing left to build
        raise deleted(task)
    if building(task):
        raise ApiError(409, BUILD_ACTIVE_MESSAGE)
    if is_created(call.core, task.workspace_id):  # a workspace that is no task
        return Answer(201, body(call, build_created(call.core, task.workspace_id, wanted)))
    tasks = call.core.tasks
    if wanted == "stop":
        tasks.pause(task.id)
    elif wanted == "start":
        tasks.resume(task.id)
    else:
        tasks.delete(task.id, after=call.core.decide.delete_takes())
    built = next(t for t in tasks.rows() if t.id == task.id)
    return Answer(201, body(call, built))


def get(call: Call) -> Answer:
    """GET /api/v2/workspacebuilds/{workspacebuild}: a workspace's latest build as it is now (its status and job
    move as the task's lifecycle does: pending, running, succeeded); 404 for a build the caller may not see or that
    no workspace has (coderd/httpmw/workspacebuildparam.go)."""
    wanted = uuid_param(call.params[0])
    found = next((w for w in workspace_rows(call.core)
                  if build_id(w.id, w.workspace_build_number) == wanted and sees_workspace(w, call.caller)), None)
    if found is None:
        raise not_found()
    return Answer(200, body(call, found))
