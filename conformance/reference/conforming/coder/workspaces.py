"""GET /api/v2/workspaces and /api/v2/workspaces/{workspace}: the workspaces of the tasks (codersdk/workspaces.go
``Workspace``, ``WorkspacesResponse``, ``WorkspaceHealth``, codersdk/workspaceapps.go ``WorkspaceAppStatus``;
coderd/workspaces.go; coderd/searchquery/search.go ``Workspaces``).

Every task has its workspace (in legacy the task *is* the workspace: one id); the workspaces created through the
workspace routes that are no task (created.py) are listed and read too (``task_id`` null). A member sees their own
workspaces, an owner every workspace; another member's is 404, as Coder hides it. The list reads q with the
workspace search the legacy task list reads it with (query.py ``parse_task_query`` in the workspace dialect: bare
words are the name, the workspace keys and statuses); an unknown ``owner:`` username is a plain filter (it matches
nothing), a q that does not parse is 400 "Invalid workspace search query.". The workspace's ``latest_app_status`` is
what the task's agent last reported (its ``current_state``).
"""

from __future__ import annotations

from typing import Any

from conformance.contracts.profiles import LEGACY, WORKSPACE_STATUSES

from ..answers import Answer
from ..identities import parse_uuid
from ..query import QueryError, QueryOptions, TaskFilter, parse_task_query
from ..responses import ApiError
from ..store import TaskView
from .builds import body as build_body
from .builds import workspace_status
from .common import Call, derived_id, sees_workspace, workspace_task
from .created import is_created, live_created

# The workspace search dialect of the legacy task list (its q is Coder's workspace search).
SEARCH = QueryOptions(bare_words=LEGACY.bare_word, workspace_keys=True, statuses=WORKSPACE_STATUSES)
_NO_SUCH_USER = "no such user"  # an owner filter naming nobody: it matches no workspace


def body(call: Call, task: TaskView) -> dict[str, Any]:
    """codersdk.Workspace of the task's workspace."""
    template = task.template
    org = call.core.identities.org
    health = task.workspace_agent_health
    healthy = health is None or bool(health.get("healthy"))
    workspace: dict[str, Any] = {
        "id": task.workspace_id, "created_at": call.time(task.created_at), "updated_at": call.time(task.updated_at),
        "owner_id": task.owner.id, "owner_name": task.owner.username, "owner_avatar_url": task.owner.avatar_url,
        "organization_id": task.organization_id, "organization_name": org.name, "template_id": template.id,
        "template_name": template.name, "template_display_name": template.display_name,
        "template_icon": template.icon, "template_allow_user_cancel_workspace_jobs": False,
        "template_active_version_id": template.version.id, "template_require_active_version": False,
        "template_use_classic_parameter_flow": False, "latest_build": build_body(call, task),
        "latest_app_status": _app_status(call, task), "outdated": False, "name": task.workspace_name,
        "last_used_at": call.time(task.updated_at), "deleting_at": None, "dormant_at": None,
        "health": {"healthy": healthy, "failing_agents": [] if healthy else [task.workspace_agent_id]},
        "automatic_updates": "never", "allow_renames": False, "favorite": False, "next_start_at": None,
        "is_prebuild": False,
    }
    if not call.core.generation.legacy:  # the tasks data model links a workspace to its task (null: none)
        workspace["task_id"] = None if is_created(call.core, task.workspace_id) else task.id
    return workspace


def _app_status(call: Call, task: TaskView) -> dict[str, Any] | None:
    """codersdk.WorkspaceAppStatus: the state the task's agent last reported, while it has an app."""
    state = task.current_state
    if state is None or task.workspace_app_id is None:
        return None
    return {"id": derived_id(task.workspace_app_id, str(state.timestamp)),
            "created_at": call.time(state.timestamp), "workspace_id": task.workspace_id,
            "agent_id": task.workspace_agent_id, "app_id": task.workspace_app_id, "state": state.state,
            "message": state.message, "uri": state.uri, "icon": "", "needs_user_attention": False}


def get(call: Call) -> Answer:
    """GET /api/v2/workspaces/{workspace}: a task's workspace, or one created through the workspace routes."""
    return Answer(200, body(call, workspace_task(call, call.params[0])))


def listed(call: Call) -> Answer:
    """GET /api/v2/workspaces: ``{"workspaces": [...], "count": N}``, newest first."""
    search = _search(call)
    every = sorted([*call.core.tasks.all(), *live_created(call.core)], key=lambda w: w.created_at, reverse=True)
    tasks = [task for task in every if sees_workspace(task, call.caller) and _matches(call, task, search)]
    return Answer(200, {"workspaces": [body(call, task) for task in tasks], "count": len(tasks)})


def _search(call: Call) -> TaskFilter:
    ids = call.core.identities

    def owner(value: str) -> str:
        if value == "me":
            return call.caller.id
        user = ids.user_by_name(value)
        return parse_uuid(value) or (user.id if user is not None else _NO_SUCH_USER)

    def organization(value: str) -> str | None:
        return ids.org.id if parse_uuid(value) == ids.org.id or ids.organization_by_name(value) else None

    try:
        return parse_task_query(call.query_value("q"), resolve_owner=owner, resolve_organization=organization,
                                options=SEARCH)
    except QueryError as error:
        raise ApiError(400, LEGACY.invalid_query, validations=error.validations) from None


def _matches(call: Call, task: TaskView, search: TaskFilter) -> bool:
    return all((
        search.owner_id in (None, task.owner.id),
        search.organization_id in (None, task.organization_id),
        search.status in (None, workspace_status(call, task)),
        search.name is None or search.name in task.workspace_name.lower(),
        search.template in (None, task.template.name.lower()),
    ))
