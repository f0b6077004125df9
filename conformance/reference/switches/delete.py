"""Switches of delete: when a delete is refused, how long it takes, its answer, and what a deleted task still
shows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..conforming.answers import Answer
from ..conforming.decisions import Decisions
from ..conforming.identities import User, parse_uuid
from ..conforming.responses import ApiError
from ..conforming.store import TaskView
from .kinds import NOT_LEGACY, Switch, fault, variation

DELETE_DELAY = 0.5  # seconds a deleted task stays visible with delayed-delete


def _deleted(below: Decisions, ref: str, owner: User) -> TaskView | None:
    """A deleted task by uuid (any owner), else by name among the owner's tasks."""
    rows = [task for task in reversed(below.app.tasks.rows()) if task.deleted]
    task_id = parse_uuid(ref)
    return next((task for task in rows if task.id == task_id), None) or next(
        (task for task in rows if task.owner.id == owner.id and task.name.lower() == ref.lower()), None)


def _still_found(*operations: str) -> Any:
    """A deleted task is still found, in these operations."""
    def decide(below: Decisions, ref: str, owner: User, operation: str, by_name: bool) -> TaskView | None:
        task = below.find(ref, owner, operation, by_name)
        return _deleted(below, ref, owner) if task is None and operation in operations else task
    return decide


def _second_delete(below: Decisions, operation: str, ref: str, owner: User) -> ApiError | Answer:
    missing = below.task_missing(operation, ref, owner)
    return Answer(202) if operation == "deleteTask" and _deleted(below, ref, owner) is not None else missing


def _delete_answer(change: Any) -> Any:
    """Rewrite an accepted delete's answer."""
    return lambda answer: change(answer) if answer.status == 202 and answer.kind != "error" else answer


SWITCHES: tuple[Switch, ...] = (
    fault("delete-returns-200", "delete answers 200 instead of 202", breaks=("DELETE-STATUS-202",),
          area="status codes", answers={"deleteTask": _delete_answer(lambda answer: replace(answer, status=200))}),
    fault("deleted-task-still-listed", "list still shows deleted tasks", breaks=("DELETE-GONE-LIST",), area="delete",
          decisions={Decisions.listed: lambda below: below.app.tasks.rows()}),
    fault("deleted-task-still-gettable", "get still returns a deleted task", breaks=("DELETE-GONE-GET",),
          area="delete", profiles=NOT_LEGACY, decisions={Decisions.find: _still_found("getTask")}),
    fault("second-delete-succeeds", "deleting an already deleted task answers 202 again", breaks=("DELETE-TWICE-404",),
          area="delete", profiles=NOT_LEGACY, decisions={Decisions.task_missing: _second_delete}),
    fault("deleted-task-logs-send", "logs and send still work on a deleted task (get is 404)",
          breaks=("DELETE-GONE-LOGS-SEND",), area="delete", profiles=NOT_LEGACY,
          decisions={Decisions.find: _still_found("getTaskLogs", "sendTaskInput")}),
    fault("delete-returns-body", "the 202 of delete carries a JSON body", breaks=("DELETE-EMPTY-BODY",),
          area="delete",
          answers={"deleteTask": _delete_answer(lambda answer: replace(
              answer, body={"message": "Task deletion started."}))}),
    variation("delayed-delete", f"a deleted task stays visible (get, list) for {DELETE_DELAY} s after the 202",
              source="docs: delete is asynchronous (a workspace delete build)",
              decisions={Decisions.delete_takes: lambda below: DELETE_DELAY}),
    variation("delete-while-building-409",
              "delete of a task that is still starting answers 409: its start build has to end first",
              source="coder: taskDelete starts a delete build, and coderd/wsbuilder checkRunningBuild refuses any "
                     "build while one is active",
              decisions={Decisions.delete_refusal: lambda below, task: ApiError(
                  409, "A workspace build is already active.") if task.status in ("pending", "initializing")
                  else below.delete_refusal(task)}),
)
