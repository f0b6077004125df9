"""Switches of addressing: how a {user} and a {task} segment are found, what a task that is not there answers, and
the get answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..conforming.answers import Answer
from ..conforming.decisions import Decisions
from ..conforming.identities import User, parse_uuid
from ..conforming.responses import ApiError
from ..conforming.store import TaskView
from .kinds import NOT_LEGACY, STABLE_ONLY, Switch, fault, variation


def _missing(missing_operation: str, answer: Callable[[], Answer | ApiError]) -> Any:
    """Answer this for a task that is not there, in one operation."""
    def decide(below: Decisions, operation: str, ref: str, owner: User) -> ApiError | Answer:
        conforming = below.task_missing(operation, ref, owner)
        return answer() if operation == missing_operation else conforming
    return decide


def _username_refused(below: Decisions, ref: str, caller: User) -> User | None:
    user = below.user(ref, caller)
    return None if user is not None and ref.lower() != "me" and parse_uuid(ref) is None else user


def _case_sensitive(below: Decisions, ref: str, owner: User, operation: str, by_name: bool) -> TaskView | None:
    task = below.find(ref, owner, operation, by_name)
    return None if task is not None and parse_uuid(ref) is None and task.name != ref else task


def _trimmed(answer: Answer) -> Answer:
    answer.each_task(lambda body, task: {**body, "initial_prompt": body["initial_prompt"].strip()})
    return answer


SWITCHES: tuple[Switch, ...] = (
    fault("get-missing-task-400", "get of a task id that does not exist answers 400 instead of 404",
          breaks=("GET-NOT-FOUND-404",), area="status codes",
          decisions={Decisions.task_missing: _missing("getTask", lambda: ApiError(
              400, "Invalid task id.", detail="the task could not be loaded"))}),
    fault("logs-missing-task-200", "logs of a task id that does not exist answer 200 with no entries",
          breaks=("LOGS-NOT-FOUND-404",), area="status codes",
          decisions={Decisions.task_missing: _missing("getTaskLogs", lambda: Answer.of_logs({"logs": []}, ()))}),
    fault("send-missing-task-204", "send to a task id that does not exist answers 204",
          breaks=("SEND-NOT-FOUND-404",), area="status codes",
          decisions={Decisions.task_missing: _missing("sendTaskInput", lambda: Answer(204))}),
    fault("delete-missing-task-202", "delete of a task id that does not exist (or is gone) answers 202",
          breaks=("DELETE-NOT-FOUND-404",), area="status codes",
          decisions={Decisions.task_missing: _missing("deleteTask", lambda: Answer(202))}),
    fault("get-trims-initial-prompt", "get shows initial_prompt trimmed while create echoed it unchanged",
          breaks=("GET-MATCHES-CREATE",), area="create and get", answers={"getTask": _trimmed}),
    fault("username-user-segment-unsupported", "a {user} path segment that is a username is refused (400)",
          breaks=("GEN-USER-FORMS",), area="create and get", decisions={Decisions.user: _username_refused}),
    fault("get-by-name-case-sensitive", "a task name in the {task} segment matches case-sensitively",
          breaks=("GET-BY-NAME",), area="create and get", profiles=NOT_LEGACY,
          decisions={Decisions.find: _case_sensitive}),
    fault("name-lookup-missing", "{task} must be a uuid (400) although the release promises name lookup",
          breaks=("GET-BY-NAME",), area="generations", profiles=STABLE_ONLY,
          decisions={Decisions.name_lookup: lambda below: False}),
    variation("no-name-lookup", "the {task} segment must be a uuid: task names are not looked up (400)",
              warns=("GET-BY-NAME",), source="docs: the docs say uuid; name lookup is a Coder extension",
              profiles=("experimental",), decisions={Decisions.name_lookup: lambda below: False}),
)
