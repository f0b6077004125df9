"""In-memory task store: tasks, their lifecycle and the simulated agent's log. Thread-safe (one lock).

Time-dependent state is derived lazily from timestamps, so no background threads are needed:
a task is ``pending`` for ``lifecycle_delay`` seconds, ``initializing`` for as long again, then ``active``.
Once active, the simulated agent receives the initial prompt; every input gets an ``output`` reply
``reply_delay`` seconds later. Log entries are materialized on access, in time order, with increasing ids.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from .identities import Template, User, parse_uuid


class TaskNotActive(Exception):
    """send/logs on a task whose status is not active."""

    def __init__(self, status: str) -> None:
        super().__init__(f"task status is {status}")
        self.status = status


class NameTaken(Exception):
    """The owner already has a (non-deleted) task with that name."""


@dataclass(frozen=True)
class LogEntry:
    id: int
    content: str
    type: str  # "input" or "output"
    time: float


@dataclass(frozen=True)
class CurrentState:
    timestamp: float
    state: str
    message: str
    uri: str = ""


@dataclass(frozen=True)
class TaskView:
    """A consistent snapshot of one task at one instant, ready to be put on the wire."""

    id: str
    organization_id: str
    owner: User
    name: str
    template: Template
    initial_prompt: str
    status: str
    created_at: float
    updated_at: float
    workspace_id: str
    workspace_name: str
    workspace_status: str
    workspace_build_number: int
    workspace_agent_id: str | None
    workspace_agent_lifecycle: str | None
    workspace_agent_health: dict[str, object] | None
    workspace_app_id: str | None
    current_state: CurrentState | None
    deleted: bool
    seq: int


@dataclass
class _PendingReply:
    due: float
    content: str


@dataclass
class _TaskRecord:
    id: str
    seq: int
    organization_id: str
    owner: User
    name: str
    template: Template
    preset_id: str | None
    initial_prompt: str
    workspace_id: str
    agent_id: str
    app_id: str
    created_at: float
    deleted: bool = False
    booted: bool = False
    logs: list[LogEntry] = field(default_factory=list)
    pending: list[_PendingReply] = field(default_factory=list)


def agent_reply(text: str) -> str:
    """What the simulated agent answers to an input."""
    return f"Working on: {text}"


class TaskStore:
    def __init__(
        self,
        *,
        lifecycle_delay: float,
        reply_delay: float,
        stuck_pending: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if lifecycle_delay < 0 or reply_delay < 0:
            raise ValueError("lifecycle_delay and reply_delay must be >= 0")
        self._lock = threading.RLock()
        self._tasks: dict[str, _TaskRecord] = {}
        self._seq = 0
        self._lifecycle_delay = lifecycle_delay
        self._reply_delay = reply_delay
        self._stuck_pending = stuck_pending
        self._clock = clock

    # -- lifecycle -----------------------------------------------------------------------------------

    def _phase(self, record: _TaskRecord, now: float) -> tuple[str, float]:
        """(status, time the status was entered)."""
        delay = self._lifecycle_delay
        if self._stuck_pending():
            return "pending", record.created_at
        elapsed = now - record.created_at
        if delay <= 0 or elapsed >= 2 * delay:
            return "active", record.created_at + 2 * delay
        if elapsed >= delay:
            return "initializing", record.created_at + delay
        return "pending", record.created_at

    def _append(self, record: _TaskRecord, content: str, kind: str, at: float) -> None:
        record.logs.append(LogEntry(id=len(record.logs), content=content, type=kind, time=at))

    def _advance(self, record: _TaskRecord, now: float) -> None:
        """Let the simulated agent catch up to ``now``."""
        status, since = self._phase(record, now)
        if status != "active":
            return
        if not record.booted:
            record.booted = True
            if record.initial_prompt:
                self._append(record, record.initial_prompt, "input", since)
                record.pending.append(
                    _PendingReply(since + self._reply_delay, agent_reply(record.initial_prompt))
                )
        while record.pending and record.pending[0].due <= now:
            reply = record.pending.pop(0)
            self._append(record, reply.content, "output", reply.due)

    def _view(self, record: _TaskRecord, now: float) -> TaskView:
        self._advance(record, now)
        status, since = self._phase(record, now)
        agent_id: str | None = None
        lifecycle: str | None = None
        health: dict[str, object] | None = None
        app_id: str | None = None
        state: CurrentState | None = None
        workspace_status = "pending"
        if status == "initializing":
            workspace_status = "running"
            agent_id, lifecycle = record.agent_id, "starting"
            health = {"healthy": True, "reason": ""}
            state = CurrentState(timestamp=since, state="working", message="Agent is starting")
        elif status == "active":
            workspace_status = "running"
            agent_id, lifecycle, app_id = record.agent_id, "ready", record.app_id
            health = {"healthy": True, "reason": ""}
            if record.pending:
                last_input = next((e for e in reversed(record.logs) if e.type == "input"), None)
                at = last_input.time if last_input else since
                state = CurrentState(timestamp=at, state="working", message="Working on the latest input")
            else:
                at = record.logs[-1].time if record.logs else since
                state = CurrentState(timestamp=at, state="idle", message="Waiting for input")
        return TaskView(
            id=record.id,
            organization_id=record.organization_id,
            owner=record.owner,
            name=record.name,
            template=record.template,
            initial_prompt=record.initial_prompt,
            status=status,
            created_at=record.created_at,
            updated_at=since,
            workspace_id=record.workspace_id,
            workspace_name=record.name,
            workspace_status=workspace_status,
            workspace_build_number=1,
            workspace_agent_id=agent_id,
            workspace_agent_lifecycle=lifecycle,
            workspace_agent_health=health,
            workspace_app_id=app_id,
            current_state=state,
            deleted=record.deleted,
            seq=record.seq,
        )

    # -- queries and commands ------------------------------------------------------------------------

    def name_in_use(self, owner_id: str, name: str) -> bool:
        wanted = name.lower()
        with self._lock:
            return any(
                t.owner.id == owner_id and not t.deleted and t.name.lower() == wanted
                for t in self._tasks.values()
            )

    def create(
        self,
        *,
        owner: User,
        organization_id: str,
        template: Template,
        name: str,
        prompt: str,
        preset_id: str | None,
        allow_duplicate_name: bool = False,
    ) -> TaskView:
        with self._lock:
            if not allow_duplicate_name and self.name_in_use(owner.id, name):
                raise NameTaken(name)
            now = self._clock()
            self._seq += 1
            record = _TaskRecord(
                id=str(uuid.uuid4()),
                seq=self._seq,
                organization_id=organization_id,
                owner=owner,
                name=name,
                template=template,
                preset_id=preset_id,
                initial_prompt=prompt,
                workspace_id=str(uuid.uuid4()),
                agent_id=str(uuid.uuid4()),
                app_id=str(uuid.uuid4()),
                created_at=now,
            )
            self._tasks[record.id] = record
            return self._view(record, now)

    def lookup(self, ref: str, owner_id: str) -> TaskView | None:
        """A live task by uuid (any owner), else by name among ``owner_id``'s tasks (case-insensitive)."""
        with self._lock:
            now = self._clock()
            task_id = parse_uuid(ref)
            if task_id is not None:
                record = self._tasks.get(task_id)
                if record is not None and not record.deleted:
                    return self._view(record, now)
            wanted = ref.lower()
            for record in self._tasks.values():
                if record.owner.id == owner_id and not record.deleted and record.name.lower() == wanted:
                    return self._view(record, now)
            return None

    def all(self, *, include_deleted: bool = False) -> list[TaskView]:
        """Every task, newest first (created_at descending, then creation order descending)."""
        with self._lock:
            now = self._clock()
            views = [self._view(r, now) for r in self._tasks.values() if include_deleted or not r.deleted]
        views.sort(key=lambda v: (v.created_at, v.seq), reverse=True)
        return views

    def delete(self, task_id: str) -> bool:
        with self._lock:
            record = self._tasks.get(task_id)
            if record is None or record.deleted:
                return False
            record.deleted = True
            return True

    def _active_record(self, task_id: str, now: float) -> _TaskRecord:
        record = self._tasks.get(task_id)
        if record is None or record.deleted:
            raise KeyError(task_id)
        self._advance(record, now)
        status = self._phase(record, now)[0]
        if status != "active":
            raise TaskNotActive(status)
        return record

    def send(self, task_id: str, text: str, *, record_input: bool = True) -> None:
        with self._lock:
            now = self._clock()
            record = self._active_record(task_id, now)
            if record_input:
                self._append(record, text, "input", now)
            record.pending.append(_PendingReply(now + self._reply_delay, agent_reply(text)))

    def logs(self, task_id: str) -> list[LogEntry]:
        with self._lock:
            now = self._clock()
            return list(self._active_record(task_id, now).logs)
