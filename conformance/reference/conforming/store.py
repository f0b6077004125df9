"""In-memory task store: tasks, their lifecycle and the simulated agent's log. Thread-safe (one lock).

Time-dependent state is derived lazily from timestamps, so no background threads are needed:
a task is queued for one lifecycle step (``lifecycle_delay`` seconds, or the ``step`` it was created with: its
workspace build waits for a provisioner; the status of that step is the store's ``queued_status``, ``pending`` or,
before coder/coder#21886, ``initializing``), ``initializing`` for as long again, then ``active``.
Once active, the simulated agent receives the initial prompt; every input gets an ``output`` reply
``reply_delay`` seconds later. Log entries are materialized on access, in time order, with increasing ids.
A pause stops the workspace: the task stays ``active`` for one lifecycle step, then is ``paused`` (the log at
that moment is its stored snapshot); a resume starts it again from the queued step.
``current_state`` is what the simulated agent last reported (its app status): nothing before it first runs, its
state while active, and after a pause the last one it reported (coderd/aitasks.go deriveTaskCurrentState keeps the
latest app status under a stop build; coderd/aitasks_test.go TestTasks/Get "the previous status still remains").
A start build makes an older report stale, so a resumed task reports nothing until it is active again; what a
release fills in while a task initializes is the wire's business (wire.py).
A delete takes effect ``after`` the seconds its delete build takes (at once by default; the task stays visible until
then); a deleted task stays in the store as a row marked deleted, as Coder keeps it in its database (``rows``).
Ids come from ``new_id`` and times from ``clock`` (clock.py: the real wall clock, or one that shows fixed steps).
Some facts of a task can also be given rather than simulated (``give_status``, ``report_state``, ``preload``,
``script_replies``): a status the task stays in, a state its agent reported, a log it already has, what its agent
answers; every route sees them as it sees simulated ones.
The store refuses nothing a handler decides: who may see a task, when a name is taken, when a pause or an input
update is refused are the app's decisions (decisions.py); send and logs need a running agent (TaskNotActive).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .identities import Template, User, parse_uuid


class TaskNotActive(Exception):
    """send/logs on a task whose status is not active."""

    def __init__(self, status: str) -> None:
        super().__init__(f"task status is {status}")
        self.status = status



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
    current_state: CurrentState | None  # what the agent last reported (None: nothing, or stale)
    deleted: bool  # gone: the delete has taken effect
    seq: int
    deleting: bool = False  # a delete was accepted but has not taken effect yet
    stopping: bool = False  # a pause was accepted: its stop build runs (the task is still active)
    display_name: str = ""
    snapshot: tuple[LogEntry, ...] | None = None  # the log stored when the task was paused
    snapshot_at: float | None = None
    build_at: float = 0.0  # when the workspace's latest start build was created (the create, or the last resume)


QUEUED = "queued"  # the first lifecycle step: the workspace build waits for a provisioner


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
    delay: float
    gone_at: float | None = None  # when the accepted delete takes (took) effect
    fixed_status: str | None = None  # a task that was there before and stays in one status (``existing``)
    display_name: str = ""
    started_at: float = 0.0  # when its workspace last started (creation, or a resume)
    paused_at: float | None = None  # when a pause was accepted (the task is paused one step later)
    snapshot: tuple[LogEntry, ...] | None = None
    build_number: int = 1
    booted: bool = False
    logs: list[LogEntry] = field(default_factory=list)
    pending: list[_PendingReply] = field(default_factory=list)
    reported: CurrentState | None = None  # the state its agent last reported, when given (``report_state``)


def agent_reply(text: str) -> str:
    """What the simulated agent answers to an input."""
    return f"Working on: {text}"


class TaskStore:
    def __init__(
        self,
        *,
        lifecycle_delay: float,
        reply_delay: float,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        task_is_workspace: bool = False,
        queued_status: str = "pending",
    ) -> None:
        if lifecycle_delay < 0 or reply_delay < 0:
            raise ValueError("lifecycle_delay and reply_delay must be >= 0")
        self._lock = threading.RLock()
        self._tasks: dict[str, _TaskRecord] = {}
        self._seq = 0
        self._lifecycle_delay = lifecycle_delay
        self._reply_delay = reply_delay
        self._clock = clock
        self._new_id = new_id
        self._replies: dict[str | None, Callable[[str], str]] = {}  # by task id; None: every task
        self._task_is_workspace = task_is_workspace  # legacy: a task is its workspace (one id)
        self._queued_status = queued_status  # the status of a task in the queued step (generation.queued_status)

    @property
    def lifecycle_delay(self) -> float:
        """The seconds a new task spends in each lifecycle step."""
        return self._lifecycle_delay

    # -- lifecycle -----------------------------------------------------------------------------------

    def _phase(self, record: _TaskRecord, now: float) -> tuple[str, float]:
        """(phase, time the phase was entered): a status, or QUEUED (``_status`` says its status)."""
        delay = record.delay
        if record.fixed_status is not None:
            return record.fixed_status, record.created_at
        if record.paused_at is not None:
            stopped = record.paused_at + delay
            return ("paused", stopped) if now >= stopped else ("active", record.paused_at)
        elapsed = now - record.started_at
        if delay <= 0 or elapsed >= 2 * delay:
            return "active", record.started_at + 2 * delay
        if elapsed >= delay:
            return "initializing", record.started_at + delay
        return QUEUED, record.started_at

    def _status(self, phase: str) -> str:
        return self._queued_status if phase == QUEUED else phase

    @staticmethod
    def _given_report_holds(record: _TaskRecord) -> bool:
        """Whether a state given for the task's agent (``report_state``) is its latest report: given after the
        latest start build (an older one is stale), and the simulated agent has logged nothing since."""
        reported = record.reported
        if reported is None or reported.timestamp < record.started_at:
            return False
        return not record.pending and all(entry.time <= reported.timestamp for entry in record.logs)

    def _reported(self, record: _TaskRecord) -> CurrentState | None:
        """What the simulated agent last reported: working while a reply is due, else idle; nothing before it ran.
        Reports date from the agent's latest start at the earliest (a report of the previous run is stale)."""
        if not record.booted:
            return None
        active_since = record.started_at + 2 * max(record.delay, 0.0)
        if record.pending:
            last_input = next((e for e in reversed(record.logs) if e.type == "input"), None)
            at = last_input.time if last_input else active_since
            return CurrentState(timestamp=max(at, active_since), state="working",
                                message="Working on the latest input")
        at = record.logs[-1].time if record.logs else active_since
        return CurrentState(timestamp=max(at, active_since), state="idle", message="Waiting for input")

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
                    _PendingReply(since + self._reply_delay, self._reply(record, record.initial_prompt))
                )
        while record.pending and record.pending[0].due <= now:
            reply = record.pending.pop(0)
            self._append(record, reply.content, "output", reply.due)

    def _view(self, record: _TaskRecord, now: float) -> TaskView:
        self._advance(record, now)
        phase, since = self._phase(record, now)
        status = self._status(phase)
        agent_id: str | None = None
        lifecycle: str | None = None
        health: dict[str, object] | None = None
        app_id: str | None = None
        state: CurrentState | None = None
        workspace_status = "pending"
        if phase == "initializing":
            workspace_status = "running"
            agent_id, lifecycle = record.agent_id, "starting"
            health = {"healthy": True, "reason": ""}
        elif phase == "active":
            workspace_status = "running"
            agent_id, lifecycle, app_id = record.agent_id, "ready", record.app_id
            health = {"healthy": True, "reason": ""}
            state = self._reported(record)
        elif phase == "paused":  # the stop build keeps the last report
            workspace_status, lifecycle = "stopped", "off"
            state = self._reported(record)
        elif phase == "error":
            workspace_status = "failed"
        if self._given_report_holds(record):
            state = record.reported
        deleting = record.gone_at is not None and not self._gone(record, now)
        if status == "paused" and record.snapshot is None:
            record.snapshot = tuple(record.logs)
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
            workspace_status="deleting" if deleting else workspace_status,
            workspace_build_number=record.build_number + (1 if deleting else 0),
            workspace_agent_id=agent_id,
            workspace_agent_lifecycle=lifecycle,
            workspace_agent_health=health,
            workspace_app_id=app_id,
            current_state=state,
            deleted=self._gone(record, now),
            seq=record.seq,
            deleting=deleting,
            stopping=record.paused_at is not None and status == "active",
            display_name=record.display_name,
            snapshot=record.snapshot,
            snapshot_at=record.paused_at + record.delay if record.snapshot is not None and record.paused_at else None,
            build_at=record.started_at,
        )

    @staticmethod
    def _gone(record: _TaskRecord, now: float) -> bool:
        return record.gone_at is not None and now >= record.gone_at

    # -- queries and commands ------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock()

    def name_in_use(self, owner_id: str, name: str) -> bool:
        """Whether the owner has a task (not deleted) of this name, case-insensitively."""
        with self._lock:
            now = self._clock()
            return any(
                t.owner.id == owner_id and not self._gone(t, now) and t.name.lower() == name.lower()
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
        display_name: str = "",
        step: float | None = None,
    ) -> TaskView:
        """A new task, spending ``step`` seconds (default: ``lifecycle_delay``) in each lifecycle step."""
        return self._insert(owner=owner, organization_id=organization_id, template=template, name=name,
                            prompt=prompt, preset_id=preset_id, display_name=display_name,
                            delay=self._lifecycle_delay if step is None else step)

    def existing(self, *, owner: User, organization_id: str, template: Template, name: str, prompt: str,
                 status: str, age: float) -> TaskView:
        """A task that was there before the server started: created ``age`` seconds ago, in ``status`` for good."""
        return self._insert(owner=owner, organization_id=organization_id, template=template, name=name,
                            prompt=prompt, preset_id=None, display_name=prompt, delay=self._lifecycle_delay,
                            age=age, fixed_status=status)

    def _insert(self, *, owner: User, organization_id: str, template: Template, name: str, prompt: str,
                preset_id: str | None, display_name: str, delay: float, age: float = 0.0,
                fixed_status: str | None = None) -> TaskView:
        with self._lock:
            now = self._clock()
            self._seq += 1
            task_id = self._new_id()
            record = _TaskRecord(
                id=task_id,
                seq=self._seq,
                organization_id=organization_id,
                owner=owner,
                name=name,
                template=template,
                preset_id=preset_id,
                initial_prompt=prompt,
                workspace_id=task_id if self._task_is_workspace else self._new_id(),
                agent_id=self._new_id(),
                app_id=self._new_id(),
                created_at=now - age,
                delay=delay,
                fixed_status=fixed_status,
                display_name=display_name,
                started_at=now - age,
            )
            self._tasks[record.id] = record
            return self._view(record, now)

    def lookup(self, ref: str, owner_id: str, *, by_name: bool = True) -> TaskView | None:
        """A task (not deleted) by uuid (any owner), else by name among ``owner_id``'s tasks (case-insensitive)."""
        with self._lock:
            now = self._clock()
            task_id = parse_uuid(ref)
            if task_id is not None:
                record = self._tasks.get(task_id)
                if record is not None and not self._gone(record, now):
                    return self._view(record, now)
            if not by_name:
                return None
            for record in self._tasks.values():
                if record.owner.id == owner_id and not self._gone(record, now) and record.name.lower() == ref.lower():
                    return self._view(record, now)
            return None

    def rows(self) -> list[TaskView]:
        """Every task the store holds, the deleted ones too, newest first."""
        with self._lock:
            now = self._clock()
            views = [self._view(r, now) for r in self._tasks.values()]
        views.sort(key=lambda v: (v.created_at, v.seq), reverse=True)
        return views

    def all(self) -> list[TaskView]:
        """Every task that is not deleted, newest first (created_at descending, then creation order descending)."""
        return [view for view in self.rows() if not view.deleted]

    def delete(self, task_id: str, *, after: float = 0.0) -> bool:
        """Accept a delete that takes effect ``after`` seconds: True for a task that is not gone (again True while an
        accepted delete is pending)."""
        with self._lock:
            now = self._clock()
            record = self._tasks.get(task_id)
            if record is None or self._gone(record, now):
                return False
            if record.gone_at is None:
                record.gone_at = now + max(0.0, after)
            return True

    def _record(self, task_id: str, now: float) -> _TaskRecord:
        record = self._tasks.get(task_id)
        if record is None:
            raise KeyError(task_id)
        self._advance(record, now)
        return record

    def build(self, task_id: str) -> int:
        """Count a workspace build of the task; its number."""
        with self._lock:
            record = self._record(task_id, self._clock())
            record.build_number += 1
            return record.build_number

    def pause(self, task_id: str) -> int:
        """Stop the task's workspace: a stop build (its number); the task is paused one lifecycle step later."""
        with self._lock:
            now = self._clock()
            record = self._record(task_id, now)
            record.build_number += 1
            if record.paused_at is None:
                record.paused_at, record.snapshot = now, None
            return record.build_number

    def resume(self, task_id: str) -> int:
        """Start the task's workspace: a start build (its number); a paused task starts again from pending."""
        with self._lock:
            now = self._clock()
            record = self._record(task_id, now)
            record.build_number += 1
            if self._phase(record, now)[0] == "paused":
                record.paused_at, record.started_at = None, now
            return record.build_number

    def update_input(self, task_id: str, text: str) -> None:
        """Replace the task's prompt."""
        with self._lock:
            self._record(task_id, self._clock()).initial_prompt = text

    def _active_record(self, task_id: str, now: float) -> _TaskRecord:
        record = self._record(task_id, now)
        phase = self._phase(record, now)[0]
        if phase != "active":
            raise TaskNotActive(self._status(phase))
        return record

    def send(self, task_id: str, text: str) -> LogEntry:
        """Give the agent an input (its log entry); it replies ``reply_delay`` seconds later."""
        with self._lock:
            now = self._clock()
            record = self._active_record(task_id, now)
            self._append(record, text, "input", now)
            record.pending.append(_PendingReply(now + self._reply_delay, self._reply(record, text)))
            return record.logs[-1]

    def logs(self, task_id: str) -> list[LogEntry]:
        """The log of an active task."""
        with self._lock:
            return list(self._active_record(task_id, self._clock()).logs)

    # -- facts given rather than simulated -----------------------------------------------------------------------

    def _reply(self, record: _TaskRecord, text: str) -> str:
        answer = self._replies.get(record.id) or self._replies.get(None) or agent_reply
        return answer(text)

    def script_replies(self, answer: Callable[[str], str] | None, task_id: str | None = None) -> None:
        """What the agent of one task (``task_id``) or of every task answers to an input from now on; None: as
        before (that task's answers follow every task's, and every task's ``agent_reply``)."""
        with self._lock:
            if task_id is not None:
                self._record(task_id, self._clock())
            if answer is None:
                self._replies.pop(task_id, None)
            else:
                self._replies[task_id] = answer

    def give_status(self, task_id: str, status: str) -> TaskView:
        """Put the task in ``status`` now. ``active`` and ``paused`` are lifecycle states it leaves as any task does
        (a pause, a resume); any other status it keeps until given another. A paused task's log is its snapshot."""
        with self._lock:
            now = self._clock()
            record = self._record(task_id, now)
            record.fixed_status = None
            if status != "active":
                record.pending = []  # a stopped or failed agent answers nothing more
            if status == "active":
                record.paused_at, record.started_at = None, now - 2 * record.delay
            elif status == "paused":
                record.paused_at, record.snapshot = now - record.delay, None
            else:
                record.fixed_status, record.paused_at = status, None
            return self._view(record, now)

    def report_state(self, task_id: str, state: str, message: str = "", uri: str = "") -> TaskView:
        """The task's agent reports a state now: it is the task's current state until the simulated agent has
        something newer (an input, a reply)."""
        with self._lock:
            now = self._clock()
            record = self._record(task_id, now)
            record.reported = CurrentState(timestamp=now, state=state, message=message, uri=uri)
            return self._view(record, now)

    def preload(self, task_id: str, entries: Iterable[tuple[str, str]]) -> TaskView:
        """Give a task the log it already has (``(type, content)`` pairs, ``input`` or ``output``) in place of the
        one it has: its agent has started, and the initial prompt is not sent again."""
        with self._lock:
            now = self._clock()
            record = self._record(task_id, now)
            record.booted, record.logs, record.pending = True, [], []
            for kind, content in entries:
                self._append(record, content, kind, now)
            return self._view(record, now)

    def clear(self) -> None:
        """No tasks and no given answers, as when the store was made."""
        with self._lock:
            self._tasks.clear()
            self._replies.clear()
            self._seq = 0
