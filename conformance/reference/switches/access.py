"""Switches of access control: which tasks a caller may see, act on, or create."""

from __future__ import annotations

from typing import Any

from ..conforming.decisions import Decisions
from ..conforming.identities import User
from ..conforming.query import TaskFilter
from ..conforming.responses import NOT_FOUND_MESSAGE, ApiError
from ..conforming.store import TaskView
from .kinds import STABLE_ONLY, Switch, fault, variation


def _allowed(allowed_operation: str) -> Any:
    """A member may act on another member's task, in this operation."""
    def decide(below: Decisions, operation: str, task: TaskView, caller: User, owner: User) -> ApiError | None:
        refusal = below.refusal(operation, task, caller, owner)
        return None if operation == allowed_operation else refusal
    return decide


def _get_403(below: Decisions, operation: str, task: TaskView, caller: User, owner: User) -> ApiError | None:
    refusal = below.refusal(operation, task, caller, owner)
    if operation == "getTask" and refusal is not None:
        return ApiError(403, "Forbidden.", detail="you do not have permission to read this task")
    return refusal


def _user_scoped(below: Decisions, operation: str, task: TaskView, caller: User, owner: User) -> ApiError | None:
    refusal = below.refusal(operation, task, caller, owner)
    if refusal is None and task.owner.id != owner.id:
        return ApiError(404, NOT_FOUND_MESSAGE)
    return refusal


def _sees_with_filter(below: Decisions, task: TaskView, caller: User, task_filter: TaskFilter) -> bool:
    return below.sees(task, caller, task_filter) or task_filter.owner_id is not None


def _admin_sees_own(below: Decisions, task: TaskView, caller: User, task_filter: TaskFilter) -> bool:
    return below.sees(task, caller, task_filter) and not (caller.is_owner and task.owner.id != caller.id)


def _create_for_other_404(below: Decisions, caller: User, owner: User) -> ApiError | None:
    return None if below.create_for_other(caller, owner) is None else ApiError(404, NOT_FOUND_MESSAGE)


SWITCHES: tuple[Switch, ...] = (
    fault("member-sees-others-tasks", "list shows members the tasks of other members",
          breaks=("ACL-LIST-OTHER-HIDDEN",), area="access control",
          decisions={Decisions.sees: lambda below, task, caller, task_filter: True}),
    fault("get-other-members-task", "get returns another member's task instead of 404", breaks=("ACL-GET-OTHER-404",),
          area="access control", decisions={Decisions.refusal: _allowed("getTask")}),
    fault("other-members-task-403", "get of another member's task answers 403 (leaks existence) instead of 404",
          breaks=("ACL-GET-OTHER-404",), area="access control", decisions={Decisions.refusal: _get_403}),
    fault("logs-other-members-task", "logs of another member's task are returned instead of 404",
          breaks=("ACL-LOGS-OTHER-404",), area="access control",
          decisions={Decisions.refusal: _allowed("getTaskLogs")}),
    fault("send-other-members-task", "send to another member's task is delivered instead of 404",
          breaks=("ACL-SEND-OTHER-404",), area="access control",
          decisions={Decisions.refusal: _allowed("sendTaskInput")}),
    fault("delete-other-members-task", "delete of another member's task deletes it instead of 404",
          breaks=("ACL-DELETE-OTHER-404",), area="access control",
          decisions={Decisions.refusal: _allowed("deleteTask")}),
    fault("admin-sees-only-own", "an owner/admin's list shows only their own tasks", breaks=("ACL-ADMIN-SEES-ALL",),
          area="access control", decisions={Decisions.sees: _admin_sees_own}),
    fault("member-creates-for-others", "a member may create tasks owned by another user",
          breaks=("ACL-CREATE-FOR-OTHER",), area="access control",
          decisions={Decisions.create_for_other: lambda below, caller, owner: None}),
    fault("owner-filter-bypasses-visibility", "an owner filter shows a member the other user's tasks",
          breaks=("ACL-LIST-OTHER-HIDDEN",), area="access control", decisions={Decisions.sees: _sees_with_filter}),
    fault("pause-other-members-task", "a member may pause another member's task", breaks=("ACL-PAUSE-OTHER-404",),
          area="pause and resume", profiles=STABLE_ONLY, decisions={Decisions.refusal: _allowed("pauseTask")}),
    fault("resume-other-members-task", "a member may resume another member's task",
          breaks=("ACL-RESUME-OTHER-404",), area="pause and resume", profiles=STABLE_ONLY,
          decisions={Decisions.refusal: _allowed("resumeTask")}),
    fault("input-other-members-task", "a member may update the input of another member's task",
          breaks=("ACL-INPUT-OTHER-404",), area="input, logs and send while paused", profiles=STABLE_ONLY,
          decisions={Decisions.refusal: _allowed("updateTaskInput")}),
    variation("user-scoped-uuid-lookup", "a task addressed by uuid under a {user} that is not its owner is 404",
              source="docs: a server that answers 404 when {user} is not the owner is also reasonable",
              decisions={Decisions.refusal: _user_scoped}),
    variation("create-for-other-404", "a member creating a task for another user gets 404 instead of 403",
              source="docs: 403 or 404 depending on where the permission check trips",
              decisions={Decisions.create_for_other: _create_for_other_404}),
)
