"""An answer of the reference before it goes on the wire: what the app decided to say, labelled with the operation
(the contracts' operationId) it answers, and the tasks and log entries its body shows.

The app builds an ``Answer`` for every request and renders it last (app.py ``ReferenceApp.render``), so that what
is said and how it is put on the wire stay apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from .responses import JSON_CONTENT_TYPE, ApiError
from .store import LogEntry, TaskView

OperationId = Literal["listTasks", "createTask", "getTask", "deleteTask", "getTaskLogs", "sendTaskInput",
                      "updateTaskInput", "pauseTask", "resumeTask"]
# The operations of the Tasks API, by the operationId the contracts give them (conformance/contracts/openapi-*.yaml).
OPERATIONS: tuple[OperationId, ...] = ("listTasks", "createTask", "getTask", "deleteTask", "getTaskLogs",
                                        "sendTaskInput", "updateTaskInput", "pauseTask", "resumeTask")
Kind = Literal["json", "logs", "error"]


@dataclass
class Answer:
    """What one request is answered: a status, a JSON body (None: no body) or a text, and its headers.

    ``operation`` is the operationId it answers ("" for an answer outside the Tasks API's operations: a route that
    does not exist, a Coder route of the preflight, a request refused before routing); ``kind`` says whether the
    body is an error, a log or another JSON value. ``tasks`` and ``entries`` are what the body shows, in its order.
    """

    status: int
    body: Any = None
    kind: Kind = "json"
    content_type: str | None = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    error: ApiError | None = None
    tasks: tuple[TaskView, ...] = ()
    entries: tuple[LogEntry, ...] = ()
    text: str | None = None  # a plain-text body, in place of the JSON one
    response: Response | None = None  # an answer already on the wire, sent as it is
    sent: dict[str, Any] | None = None  # the JSON object the request sent, where the answer answers one
    operation: str = ""
    request: Request | None = None

    @classmethod
    def of_error(cls, error: ApiError) -> Answer:
        return cls(error.status, error.body(), "error", headers=dict(error.headers), error=error)

    @classmethod
    def of_logs(cls, body: dict[str, Any], entries: tuple[LogEntry, ...]) -> Answer:
        return cls(200, body, "logs", entries=entries)

    def each_task(self, change: Callable[[dict[str, Any], TaskView], dict[str, Any]]) -> None:
        """Rewrite every Task object of the body (a create or a get answers one, a list several)."""
        if not self.tasks or self.kind != "json":
            return
        if isinstance(self.body, dict) and isinstance(self.body.get("tasks"), list):
            self.body = {**self.body, "tasks": [change(body, task)
                                               for body, task in zip(self.body["tasks"], self.tasks, strict=True)]}
        elif isinstance(self.body, dict):
            self.body = change(self.body, self.tasks[0])

    def each_entry(self, change: Callable[[dict[str, Any], LogEntry], dict[str, Any]]) -> None:
        """Rewrite every log entry of the body."""
        if self.entries and isinstance(self.body, dict) and isinstance(self.body.get("logs"), list):
            self.body = {**self.body, "logs": [change(body, entry)
                                              for body, entry in zip(self.body["logs"], self.entries, strict=True)]}
