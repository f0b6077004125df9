"""The workspaces created through Coder's workspace routes that are no task (creation.py): a workspace of a plain
template, and from v2.28 any workspace created through these routes (a task is a row of its own there, made only by
the Tasks API: coderd/aitasks.go ``postTask`` inserts it, coderd/workspaces.go ``createWorkspace`` does not).

Each app keeps its own; a workspace is shown as a snapshot shaped as the task store's (``TaskView``) so that the
workspace and build bodies are written once: its start build is pending for one lifecycle step, starting for the
next, then the workspace runs (an ordinary template's agent is not simulated: no resources).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from ..identities import Template, User
from ..store import TaskView
from .common import Core


@dataclass(frozen=True)
class Created:
    id: str
    organization_id: str
    owner: User
    template: Template
    name: str
    created_at: float


_LOCK = threading.Lock()
_BY_APP: weakref.WeakKeyDictionary[Core, list[Created]] = weakref.WeakKeyDictionary()


def add(core: Core, workspace: Created) -> TaskView:
    with _LOCK:
        _BY_APP.setdefault(core, []).append(workspace)
    return _view(core, workspace)


def views(core: Core) -> list[TaskView]:
    """Every created workspace of the app as it is now, newest first."""
    with _LOCK:
        held = list(_BY_APP.get(core, ()))
    return [_view(core, workspace) for workspace in reversed(held)]


def find(core: Core, workspace_id: str) -> TaskView | None:
    return next((view for view in views(core) if view.workspace_id == workspace_id), None)


def _view(core: Core, workspace: Created) -> TaskView:
    delay = core.tasks.lifecycle_delay
    elapsed = core.tasks.now() - workspace.created_at
    status, since = ("active", workspace.created_at + 2 * delay) if delay <= 0 or elapsed >= 2 * delay else \
        ("initializing", workspace.created_at + delay) if elapsed >= delay else ("pending", workspace.created_at)
    return TaskView(
        id=workspace.id, organization_id=workspace.organization_id, owner=workspace.owner, name=workspace.name,
        template=workspace.template, initial_prompt="", status=status, created_at=workspace.created_at,
        updated_at=since, workspace_id=workspace.id, workspace_name=workspace.name,
        workspace_status="pending" if status == "pending" else "running", workspace_build_number=1,
        workspace_agent_id=None, workspace_agent_lifecycle=None, workspace_agent_health=None, workspace_app_id=None,
        current_state=None, deleted=False, seq=0, build_at=workspace.created_at)
