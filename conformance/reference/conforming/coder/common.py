"""What the modules of Coder's neighbouring routes share: the app they answer for, the call they answer, a uuid path
parameter, who may see a task's workspace, and the times of the fixed cast.

Read from coder/coder: `coderd/httpmw/*param.go` (a path parameter that names no row is 404 "Resource not found or
you do not have access to this resource", as is a row the caller may not read: dbauthz hides it) and
`coderd/httpmw/workspaceparam.go` with `coderd/workspaces.go` (a deleted workspace is 410 unless asked for with
`?deleted=true`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..decisions import Decisions
from ..generation import Generation
from ..identities import Identities, User, parse_uuid
from ..query import Validation
from ..responses import NOT_FOUND_MESSAGE, ApiError
from ..store import TaskStore, TaskView
from ..wire import Wire
from .created import created_rows

# When the reference's deployment was set up: the created_at of its users, organization and templates (unix seconds,
# 2025-06-02T09:00:00Z), so that they read the same on every answer.
ESTABLISHED = 1748854800.0


class Core(Protocol):
    """What these routes read of the app (app.py ``ReferenceApp``)."""

    generation: Generation
    identities: Identities
    wire: Wire
    tasks: TaskStore  # the store as the app uses it
    decide: Decisions


@dataclass(frozen=True)
class Call:
    """One request to a neighbouring route: the app, the authenticated caller, the path parameters, the query and
    the body (POST only)."""

    core: Core
    caller: User
    params: tuple[str, ...]
    query: Sequence[tuple[str, str]] = ()
    raw: bytes = b""

    def query_value(self, key: str) -> str:
        """The first value of a query parameter, '' when absent (Go's ``r.URL.Query().Get``)."""
        return next((value for name, value in self.query if name == key), "")

    def time(self, timestamp: float) -> str:
        return self.core.wire.time(timestamp)


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND_MESSAGE)


def uuid_param(text: str) -> str:
    """A uuid path parameter (coderd/httpmw ParseUUIDParam): 400 "Invalid UUID" with Go's parse error otherwise."""
    parsed = parse_uuid(text)
    if parsed is None:
        detail = "invalid UUID format" if len(text) == 36 else f"invalid UUID length: {len(text)}"
        raise ApiError(400, f'Invalid UUID "{text}".', detail=detail)
    return parsed


def sees_workspace(task: TaskView, caller: User) -> bool:
    """A member reads their own workspaces, an owner every workspace (coderd/rbac roles: workspace read)."""
    return caller.is_owner or task.owner.id == caller.id


def workspace_rows(core: Core) -> list[TaskView]:
    """Every workspace: the tasks' (the deleted ones too), then those created through the workspace routes that are
    no task (created.py)."""
    return [*core.tasks.rows(), *created_rows(core)]


def workspace_task(call: Call, ref: str) -> TaskView:
    """The task (or created workspace) whose workspace a {workspace} segment names: 404 when there is none or the
    caller may not see it, 410 when it was deleted (unless ``?deleted=true``)."""
    workspace_id = uuid_param(ref)
    task = next((t for t in workspace_rows(call.core) if t.workspace_id == workspace_id), None)
    if task is None or not sees_workspace(task, call.caller):
        raise not_found()
    if task.deleted and not _show_deleted(call.query_value("deleted")):
        raise deleted(task)
    return task


def deleted(task: TaskView) -> ApiError:
    return ApiError(410, f'Workspace "{task.workspace_id}" was deleted, you can view this workspace by specifying '
                         "'?deleted=true' and trying again.")


def _show_deleted(text: str) -> bool:
    """Go's strconv.ParseBool of ``?deleted=``; 400 for what it does not read."""
    if text == "":
        return False
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ApiError(400, f'Invalid boolean value "{text}" for "include_deleted" query param.',
                   validations=[Validation("deleted", "Must be a valid boolean")])


def minimal_user(user: User) -> dict[str, Any]:
    """codersdk.MinimalUser (codersdk/users.go)."""
    return {"id": user.id, "username": user.username, "avatar_url": user.avatar_url}


def derived_id(*parts: str) -> str:
    """A stable uuid for something of the cast the identities do not name (a job, a resource, an agent's app)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def provisioner_job(call: Call, job_id: str, kind: str, *, status: str, at: float, initiator: User,
                    metadata: dict[str, Any]) -> dict[str, Any]:
    """codersdk.ProvisionerJob (codersdk/provisionerdaemons.go): queued at ``at``, started and completed with it once
    it is past pending."""
    job: dict[str, Any] = {
        "id": job_id, "created_at": call.time(at), "status": status, "file_id": derived_id(job_id, "file"),
        "tags": {"owner": "", "scope": "organization"}, "queue_position": 0, "queue_size": 0,
        "organization_id": call.core.identities.org.id, "initiator_id": initiator.id, "input": {}, "type": kind,
        "metadata": metadata, "logs_overflowed": False,
    }
    if status != "pending":
        job["started_at"] = call.time(at)
    if status in ("succeeded", "failed", "canceled"):
        job["completed_at"] = call.time(at)
    return job
