"""Switches of a task's lifecycle: how long it takes, the status it shows, and the tasks already there."""

from __future__ import annotations

import weakref
from typing import Any

from ..conforming.answers import Answer
from ..conforming.app import ReferenceApp
from ..conforming.decisions import Decisions
from ..conforming.store import TaskStore, TaskView
from .kinds import NOT_LEGACY, Switch, fault, variation

SLOW_STARTUP_STEP = 0.75  # seconds per lifecycle step with slow-startup
_SEEDS = (("alice", "paused", 86400.0), ("alice", "error", 7200.0), ("alice", "pending", 3600.0),
          ("alice", "active", 600.0), ("bob", "paused", 5000.0), ("bob", "active", 900.0),
          ("admin", "active", 1200.0), ("admin", "unknown", 300.0))
_seeded: weakref.WeakSet[TaskStore] = weakref.WeakSet()


def _when_active(**values: Any) -> Any:
    """Set fields of every Task object whose task is active (of the tasks data model)."""
    def change(answer: Answer) -> Answer:
        answer.each_task(lambda body, task: {**body, **values} if task.status == "active" else body)
        return answer
    return change


def _created_at_moves(answer: Answer) -> Answer:
    answer.each_task(lambda body, task: {**body, "created_at": body["updated_at"]})
    return answer


def _preexisting(store: TaskStore, app: ReferenceApp) -> TaskStore:
    """Older tasks of every user, in states the suite never creates (once per store, when first switched on)."""
    if store not in _seeded:
        _seeded.add(store)
        ids = app.identities
        users = {"alice": ids.alice, "bob": ids.bob, "admin": ids.admin}
        for number, (user, status, age) in enumerate(_SEEDS, start=1):
            store.existing(owner=users[user], organization_id=ids.org.id, template=ids.ai_template,
                           name=f"older-{status}-{number}", prompt=f"An older {status} task", status=status, age=age)
    return store


def _workspace_null(body: dict[str, Any], task: TaskView) -> dict[str, Any]:
    if task.status == "active":
        return body
    out = {k: v for k, v in body.items() if k not in ("workspace_status", "workspace_build_number")}
    out.update(workspace_id=None, workspace_agent_id=None, workspace_agent_lifecycle=None,
               workspace_agent_health=None, workspace_app_id=None, current_state=None)
    return out


def _create_answer(change: Any) -> Any:
    def rewrite(answer: Answer) -> Answer:
        answer.each_task(change)
        return answer
    return rewrite


SWITCHES: tuple[Switch, ...] = (
    fault("task-stuck-pending", "tasks never leave the pending status", breaks=("LIFE-REACHES-ACTIVE",),
          area="lifecycle", decisions={Decisions.lifecycle_step: lambda below: float("inf")}),
    fault("status-running-not-active", "a started task reports status \"running\" instead of \"active\"",
          breaks=("LIFE-REACHES-ACTIVE", "GET-SCHEMA", "LIST-SCHEMA"), area="lifecycle", profiles=NOT_LEGACY,
          answers={"*": _when_active(status="running")}),
    fault("initial-status-unknown", "create answers with status \"unknown\" instead of pending",
          breaks=("LIFE-INITIAL-STATUS",), area="lifecycle",
          answers={"createTask": _create_answer(lambda body, task: {**body, "status": "unknown"})}),
    fault("created-at-changes", "created_at moves with updated_at as the task progresses",
          breaks=("LIFE-TIMESTAMPS",), area="lifecycle", answers={"*": _created_at_moves}),
    fault("active-without-agent", "active tasks have workspace_agent_id null", breaks=("LIFE-ACTIVE-WORKSPACE",),
          area="lifecycle", answers={"*": _when_active(workspace_agent_id=None)}),
    variation("preexisting-tasks", "every user already has older tasks, some paused, failed, stuck pending or unknown",
              source="a real deployment is not empty; checks compare against what is there", tasks=_preexisting),
    variation("workspace-null-at-create",
              "create answers before the workspace exists: workspace_id null, no workspace status or build",
              source="docs: workspace_id is nullable; workspace_status and the build number are omitted when empty",
              profiles=NOT_LEGACY, answers={"createTask": _create_answer(_workspace_null)}),
    variation("slow-startup", f"tasks take {SLOW_STARTUP_STEP} s per lifecycle step, within the deadline",
              source="docs: seconds to minutes on a real server",
              decisions={Decisions.lifecycle_step: lambda below: SLOW_STARTUP_STEP}),
    variation("instant-startup", "tasks are active as soon as they are created",
              source="docs: a new task starts pending, initializing or active",
              decisions={Decisions.lifecycle_step: lambda below: 0.0}),
)
