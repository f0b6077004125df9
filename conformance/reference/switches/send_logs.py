"""Switches of send and logs: what send checks and records, what the log shows, and how a task that is not active
or an agent that is busy answers."""

from __future__ import annotations

import threading
import weakref
from dataclasses import replace
from typing import Any

from ..conforming.answers import Answer
from ..conforming.decisions import Decisions
from ..conforming.responses import APP_INITIALIZING_MESSAGE, ApiError
from ..conforming.store import LogEntry, TaskStore, TaskView
from ..seams import Wrapped
from .kinds import STABLE_ONLY, Switch, fault, variation

LOG_LAG = 0.3  # seconds before a log entry shows, with logs-lag
_woken: weakref.WeakKeyDictionary[Any, set[tuple[str, str]]] = weakref.WeakKeyDictionary()
_woken_lock = threading.Lock()


class _Sent(Wrapped):
    """A store that shows the log entries of the inputs sent otherwise (``shown``: None hides one)."""

    def __init__(self, inner: TaskStore, shown: Any) -> None:
        super().__init__(inner)
        self._shown = shown
        self._sent: set[tuple[str, int]] = set()

    def send(self, task_id: str, text: str) -> LogEntry:
        entry = self.inner.send(task_id, text)
        self._sent.add((task_id, entry.id))
        return entry

    def logs(self, task_id: str) -> list[LogEntry]:
        entries = [self._shown(e) if (task_id, e.id) in self._sent else e for e in self.inner.logs(task_id)]
        return [entry for entry in entries if entry is not None]


class _Filtered(Wrapped):
    """A store whose live logs show only the entries ``keep`` keeps (of the entries and the time now)."""

    def __init__(self, inner: TaskStore, keep: Any) -> None:
        super().__init__(inner)
        self._keep = keep

    def logs(self, task_id: str) -> list[LogEntry]:
        now = self.inner.now()
        return [entry for entry in self.inner.logs(task_id) if self._keep(entry, now)]


def _entries(change: Any) -> Any:
    """Rewrite every log entry of a logs answer."""
    def rewrite(answer: Answer) -> Answer:
        answer.each_entry(change)
        return answer
    return rewrite


def _not_active(operation: str, statuses: tuple[str, ...], outcome: Any) -> Any:
    """Another answer to `operation` on a task in one of these statuses (None: every status that is not active)."""
    def decide(below: Decisions, asked: str, status: str) -> ApiError | Answer | None:
        conforming = below.not_active(asked, status)
        return outcome() if asked == operation and (not statuses or status in statuses) else conforming
    return decide


def _busy_once(below: Decisions, task: TaskView, operation: str) -> bool:
    """The first send and the first logs of each active task: the agent is busy."""
    with _woken_lock:
        woken = _woken.setdefault(below.app, set())
        if (task.id, operation) in woken:
            return below.busy(task, operation)
        woken.add((task.id, operation))
    return True


def _live_logs(change: Any) -> Any:
    """Rewrite the body of a live log (not a stored snapshot)."""
    return lambda answer: replace(answer, body=change(answer.body)) \
        if answer.kind == "logs" and isinstance(answer.body, dict) and "snapshot" not in answer.body else answer


def _not_active_409(below: Decisions, operation: str, status: str) -> ApiError | Answer | None:
    error = below.not_active(operation, status)
    if not isinstance(error, ApiError) or error.status != 400:
        return error
    return ApiError(409, error.message, detail=error.detail)


SWITCHES: tuple[Switch, ...] = (
    fault("send-returns-200", "send answers 200 instead of 204", breaks=("SEND-STATUS-204",), area="status codes",
          answers={"sendTaskInput": lambda answer: replace(answer, status=200) if answer.status == 204 else answer}),
    fault("log-id-as-string", "log entry ids are strings instead of integers", breaks=("LOGS-SCHEMA",),
          area="body schemas", answers={"getTaskLogs": _entries(lambda body, entry: {**body, "id": str(body["id"])})}),
    fault("log-types-user-agent", "log entries are typed user/agent instead of input/output",
          breaks=("LOGS-SCHEMA", "SEND-INPUT-LOGGED"), area="body schemas",
          answers={"getTaskLogs": _entries(lambda body, entry: {
              **body, "type": {"input": "user", "output": "agent"}[body["type"]]})}),
    fault("send-drops-input", "send does not record the input log entry (only the reply appears)",
          breaks=("SEND-INPUT-LOGGED",), area="send and logs",
          tasks=lambda store, app: _Sent(store, lambda entry: None)),
    fault("send-empty-input-accepted", "send accepts an empty input with 204 instead of 400",
          breaks=("SEND-EMPTY-INPUT-400",), area="send and logs",
          decisions={Decisions.send_refusal: lambda below, text: None}),
    fault("logs-wrong-type", "logs label the user's input entries as output", breaks=("SEND-INPUT-LOGGED",),
          area="send and logs", answers={"getTaskLogs": _entries(lambda body, entry: {**body, "type": "output"})}),
    fault("send-input-newline", "the input entry in the logs carries an extra trailing newline",
          breaks=("SEND-INPUT-LOGGED",), area="send and logs",
          tasks=lambda store, app: _Sent(store, lambda entry: replace(entry, content=entry.content + "\n"))),
    fault("send-before-active-accepted", "send to a task that is not active yet answers 204 (input lost)",
          breaks=("SEND-NOT-ACTIVE",), area="send and logs",
          decisions={Decisions.not_active: _not_active("sendTaskInput", (), lambda: Answer(204))}),
    fault("logs-before-active-200", "logs of a task that is not active yet answer 200 with no entries",
          breaks=("LOGS-NOT-ACTIVE",), area="send and logs",
          decisions={Decisions.not_active: _not_active("getTaskLogs", (), lambda: Answer.of_logs({"logs": []}, ()))}),
    fault("agent-never-replies", "the agent never answers: the logs have no output entries",
          breaks=("SEND-OUTPUT-FOLLOWS",), area="send and logs",
          tasks=lambda store, app: _Filtered(store, lambda entry, now: entry.type != "output")),
    fault("send-paused-400", "send to a paused task answers 400 instead of 409", breaks=("SEND-PAUSED-409",),
          area="input, logs and send while paused", profiles=STABLE_ONLY,
          decisions={Decisions.not_active: _not_active("sendTaskInput", ("paused",),
                                                       lambda: ApiError(400, "Task must be active."))}),
    fault("send-starting-400", "send to a pending or initializing task answers 400 where the release promises 409",
          breaks=("SEND-NOT-ACTIVE",), area="input, logs and send while paused", profiles=STABLE_ONLY,
          decisions={Decisions.not_active: _not_active("sendTaskInput", ("pending", "initializing"),
                                                       lambda: ApiError(400, "Task status must be active."))}),
    fault("snapshot-missing-while-paused", "logs of a paused task answer 409 instead of the stored snapshot",
          breaks=("LOGS-SNAPSHOT-PAUSED",), area="input, logs and send while paused", profiles=STABLE_ONLY,
          decisions={Decisions.not_active: _not_active("getTaskLogs", ("paused",), lambda: ApiError(
              409, "Cannot fetch logs for task in current state.", detail='Task status is "paused".'))}),
    fault("snapshot-flag-missing", "the stored snapshot of a paused or starting task lacks \"snapshot\": true",
          breaks=("LOGS-SNAPSHOT-PAUSED", "LOGS-NOT-ACTIVE"), area="input, logs and send while paused",
          profiles=STABLE_ONLY,
          answers={"getTaskLogs": lambda answer: replace(answer, body={
              k: v for k, v in answer.body.items() if k != "snapshot"}) if answer.kind == "logs" else answer}),
    fault("live-logs-marked-snapshot", "the live log of an active task says \"snapshot\": true",
          breaks=("LOGS-LIVE-NOT-SNAPSHOT",), area="input, logs and send while paused", profiles=STABLE_ONLY,
          answers={"getTaskLogs": _live_logs(lambda body: {**body, "snapshot": True})}),
    variation("not-active-409", "send and logs on a task that is not active answer 409 instead of 400",
              source="docs: later releases answer 409", profiles=("experimental",),
              decisions={Decisions.not_active: _not_active_409}),
    variation("agent-busy-first", "the first send and the first logs of each active task answer that the agent is "
              "busy", source="docs: agent unreachable or busy (502; 409 from v2.32)",
              decisions={Decisions.busy: _busy_once}),
    variation("app-initializing-first",
              "the first send and the first logs of each running task answer 503: its app's health check has not "
              "passed",
              source="coder: authAndDoWithTaskSidebarAppClient (coderd/aitasks.go before the task data model) checks "
                     "the sidebar app's health, not the workspace's status", profiles=("legacy",),
              decisions={Decisions.busy: _busy_once,
                         Decisions.busy_error: lambda below, task, operation: ApiError(503,
                                                                                        APP_INITIALIZING_MESSAGE)}),
    variation("logs-lag", f"log entries (input and output) appear {LOG_LAG} s after they happen",
              source="docs: the agent's reply appears some time later; the log is read from the agent",
              tasks=lambda store, app: _Filtered(store, lambda entry, now: entry.time + LOG_LAG <= now)),
    variation("logs-snapshot-when-not-active",
              "logs of a task that is not active answer 200 with a stored snapshot (snapshot: true)",
              source="docs: later releases return a stored snapshot", profiles=("experimental",),
              decisions={Decisions.not_active: _not_active("getTaskLogs", (), lambda: None)}),
)
