"""The workspaces created through Coder's workspace routes that are no task (creation.py): a workspace of a plain
template, and from v2.28 any workspace created through these routes (a task is a row of its own there, made only by
the Tasks API: coderd/aitasks.go ``postTask`` inserts it, coderd/workspaces.go ``createWorkspace`` does not).

Each app keeps its own; a workspace is shown as a snapshot shaped as the task store's (``TaskView``) so that the
workspace and build bodies are written once. Its latest build takes one lifecycle step per stage as a task's does:
a start build is pending for one step, starting for the next, then the workspace runs (an ordinary template's agent
is not simulated: no resources); a stop build is stopping for one step, then the workspace is stopped; a delete
build is deleting for one step, then the workspace is gone.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Protocol

from ..identities import Template, User
from ..store import TaskStore, TaskView


class Core(Protocol):
    """What of the app (common.py ``Core``) a created workspace reads: the store's clock and lifecycle step."""

    tasks: TaskStore


@dataclass
class Created:
    id: str
    organization_id: str
    owner: User
    template: Template
    name: str
    created_at: float
    transition: str = "start"  # of the latest build
    built_at: float = 0.0  # when the latest build was made (0: at creation)
    build_number: int = 1


_LOCK = threading.Lock()
_BY_APP: weakref.WeakKeyDictionary[Core, list[Created]] = weakref.WeakKeyDictionary()


def add_created(core: Core, workspace: Created) -> TaskView:
    with _LOCK:
        workspace.built_at = workspace.built_at or workspace.created_at
        _BY_APP.setdefault(core, []).append(workspace)
    return _view(core, workspace)


def clear_created(core: Core) -> None:
    """Forget the workspaces created on this app (a reset of the server)."""
    with _LOCK:
        _BY_APP.pop(core, None)


def created_rows(core: Core) -> list[TaskView]:
    """Every created workspace of the app as it is now, the deleted ones too, newest first."""
    with _LOCK:
        held = list(_BY_APP.get(core, ()))
    return [_view(core, workspace) for workspace in reversed(held)]


def live_created(core: Core) -> list[TaskView]:
    return [view for view in created_rows(core) if not view.deleted]


def is_created(core: Core, workspace_id: str) -> bool:
    with _LOCK:
        return any(workspace.id == workspace_id for workspace in _BY_APP.get(core, ()))


def build_created(core: Core, workspace_id: str, transition: str) -> TaskView:
    """A new build of the workspace (the caller checked that none runs)."""
    with _LOCK:
        workspace = next(w for w in _BY_APP.get(core, ()) if w.id == workspace_id)
        workspace.transition, workspace.built_at = transition, core.tasks.now()
        workspace.build_number += 1
    return _view(core, workspace)


def _view(core: Core, workspace: Created) -> TaskView:
    delay = core.tasks.lifecycle_delay
    at = workspace.built_at
    steps = 2 if delay <= 0 else int((core.tasks.now() - at) // delay)
    done = steps >= (2 if workspace.transition == "start" else 1)
    since = at + delay * min(steps, 2)
    if workspace.transition == "start":
        status = "active" if done else "initializing" if steps >= 1 else "pending"
    else:
        status = "paused" if workspace.transition == "stop" and done else "active"
    return TaskView(
        id=workspace.id, organization_id=workspace.organization_id, owner=workspace.owner, name=workspace.name,
        template=workspace.template, initial_prompt="", status=status, created_at=workspace.created_at,
        updated_at=since, workspace_id=workspace.id, workspace_name=workspace.name,
        workspace_status={"pending": "pending", "initializing": "starting", "paused": "stopped"}.get(status, "running"),
        workspace_build_number=workspace.build_number, workspace_agent_id=None, workspace_agent_lifecycle=None,
        workspace_agent_health=None, workspace_app_id=None, current_state=None,
        deleted=workspace.transition == "delete" and done, seq=0,
        deleting=workspace.transition == "delete" and not done, stopping=workspace.transition == "stop" and not done,
        build_at=at)
