"""Tasks a client created and never deleted: each one a real Coder keeps, with its workspace, until it is deleted.

`CreatedTasks` is an ASGI middleware put around the recorder (recording.py), or around middleware that awaits
nothing after it: it reads the id out of the body of each create the server answered 201, and links it to the
create's record. The link needs no shared key: the recorder appends the record when the app returns, and the
middleware takes the recorder's last record right after, with no await in between, so on the server's one event
loop no other request's record can come between.
When findings are asked for, a created task the store still holds, not deleted and no delete pending, and that
no accepted delete (2xx) named by its id or name (a server made to ignore deletes, by a fault, keeps it), is one left
behind (a preloaded task is the test's, not the client's: it was not created through the API); a create whose record
is gone (the records were cleared: a reset) is forgotten with it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conforming.store import TaskView
from .finding import Finding
from .recording import RecordedRequest, Recorder

MAX_CREATE_BODY = 64 * 1024  # bytes of a create's answer read for its id
MAX_CREATED = 10_000  # created tasks remembered; the oldest go first
DELETE_CONTRACT = ("deleteTask: DELETE {prefix}/tasks/{{user}}/{{task}} starts deleting the task and its workspace; "
                   "until then the task is listed and its workspace kept (coderd/aitasks.go taskDelete)")


@dataclass(frozen=True)
class Created:
    task_id: str
    record: RecordedRequest | None  # the create's record


@dataclass
class _Answer:
    status: int = 0
    body: bytearray = field(default_factory=bytearray)


class CreatedTasks:
    """ASGI middleware around ``app``, the recorder or a middleware around it: the tasks created through the API,
    with their create's record."""

    def __init__(self, app: ASGIApp, recorder: Recorder) -> None:
        self.app = app
        self._recorder = recorder
        self._lock = threading.Lock()
        self._created: list[Created] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        answer = _Answer()

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = int(message["status"])
            elif message["type"] == "http.response.body" and answer.status == 201 and _creating(scope):
                answer.body += message.get("body", b"")[:max(0, MAX_CREATE_BODY - len(answer.body))]
            await send(message)

        await self.app(scope, receive, keep)
        if answer.status == 201 and _creating(scope):
            self._note(bytes(answer.body))

    def _note(self, body: bytes) -> None:
        try:
            task_id = json.loads(body).get("id")
        except (ValueError, AttributeError, RecursionError):
            return
        if not isinstance(task_id, str):
            return
        records = self._recorder.requests()  # this create's record is the last one (see the module docstring)
        record = records[-1] if records and records[-1].operation == "createTask" else None
        with self._lock:
            self._created.append(Created(task_id, record))
            del self._created[:-MAX_CREATED]

    def created(self) -> list[Created]:
        with self._lock:
            return list(self._created)



def _creating(scope: Scope) -> bool:
    return (scope.get("state") or {}).get("operation") == "createTask"


def left_behind(created: Iterable[Created], records: Iterable[RecordedRequest],
                rows: Callable[[], Iterable[TaskView]], prefix: str) -> list[Finding]:
    """A finding per created task still there (not deleted, no delete pending) whose create is among the records
    (a create whose record was cleared, by a reset, is forgotten with it). The store is read (``rows``) only when
    the records leave a created task undeleted: reading it moves the time a seeded server shows (conforming/clock)."""
    records = list(records)
    recorded = {record.seq for record in records}
    deleted = {unquote(record.path.rstrip("/").rsplit("/", 1)[-1]).lower() for record in records
               if record.method == "DELETE" and 200 <= record.status < 300}  # the ids and names deletes named
    undeleted = [task for task in created if task.record is not None and task.record.seq in recorded
                 and task.task_id.lower() not in deleted]
    if not undeleted:
        return []
    alive = {row.id: row for row in rows() if not row.deleted and not row.deleting}
    out = []
    for task in undeleted:
        row, record = alive.get(task.task_id), task.record
        if row is None or record is None or row.name.lower() in deleted:
            continue
        out.append(Finding(
            "left-behind", f"task {row.name!r} ({row.id}) of {row.owner.username}, created by this request, was "
            f"never deleted: a real Coder keeps it and its workspace", DELETE_CONTRACT.format(prefix=prefix),
            record.seq, record.method, record.path))
    return out
