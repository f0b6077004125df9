"""The controls a client's tests use to put a reference server in the state a test needs (``server.control``).

Everything a control sets is a fact of the server's world, seen by every route as a real one would be: a user or a
template it has, a task it holds in any status with a log, the state a task's agent reported (kept in the task store,
conforming/store.py); what the agent answers to an input; an agent that is busy or that cannot be reached (the
answers Coder gives then, through the decisions seam, seams.py); faults and variations switched on for a number of
requests. ``reset`` puts the server back where it started: same users, tokens and ids again with a seed.

Coder's answers to a send the agent cannot take (coderd/aitasks.go ``taskSend``, through
``authAndDoWithTaskAppClient``): a busy agent (its AgentAPI status is not ``stable``) is 502 "Task app is not ready
to accept input." with detail "Status: running" until coder/coder#23424 (v2.32) made it 409 (the reference's
generation.py ``agent_busy``); an agent that cannot be reached is 502 "Failed to get status from task app." for a
send, and 502 "Failed to get messages from task app." for the logs (``taskLogs``), each with the Go error as the
detail. A busy agent still answers the logs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.reference.conforming.app import ReferenceApp
from conformance.reference.conforming.decisions import Decisions
from conformance.reference.conforming.identities import Identities, User
from conformance.reference.conforming.names import generate_name, name_problem
from conformance.reference.conforming.responses import ApiError
from conformance.reference.conforming.store import TaskView, agent_reply
from conformance.reference.mock.recording import RecordedRequest
from conformance.reference.seams import Seams

TASK_STATUSES = ("pending", "initializing", "active", "paused", "error", "unknown")
AGENT_STATES = ("working", "idle", "complete", "failure")
LOG_TYPES = ("input", "output")
SEND = "sendTaskInput"
LOGS = "getTaskLogs"
_UNREACHABLE_DETAIL = 'Get "http://127.0.0.1:3284/status": dial tcp 127.0.0.1:3284: connect: connection refused'

Replies = Callable[[str], str] | Sequence[str] | None


class Server(Protocol):
    """What the controls need of the server they control (server.py ``ReferenceServer``)."""

    identities: Identities
    app: ReferenceApp
    start_switches: tuple[frozenset[str], frozenset[str]]

    @property
    def faults(self) -> frozenset[str]: ...

    @property
    def variations(self) -> frozenset[str]: ...

    def set_switches(self, faults: Iterable[str], variations: Iterable[str]) -> None: ...

    def recompose(self) -> None: ...

    def restart(self, users: Iterable[str], templates: Iterable[str]) -> None: ...

    def requests(self) -> list[RecordedRequest]: ...


class UnknownTask(LookupError):
    """A control named a task the server does not hold."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"no task with id {task_id!r}")
        self.task_id = task_id


@dataclass(frozen=True)
class MockUser:
    """A user of the server, as a client's test needs it: its name, its id and its session token (not shown in the
    repr)."""

    username: str
    id: str
    token: str = field(repr=False)
    owner: bool = False

    @classmethod
    def of(cls, user: User) -> MockUser:
        return cls(username=user.username, id=user.id, token=user.token.value, owner=user.is_owner)

    def to_json(self) -> dict[str, Any]:
        return {"username": self.username, "id": self.id, "token": self.token, "owner": self.owner}


@dataclass(frozen=True)
class Users:
    """The users every server starts with: two members and an owner."""

    member: MockUser
    second_member: MockUser
    owner: MockUser


@dataclass(frozen=True)
class TemplateVersions:
    """The template versions every server starts with: one with an AI task, one without."""

    ai: str
    plain: str


def _in_turn(replies: Sequence[str]) -> Callable[[str], str]:
    """Answers used one after the other; past the last, the agent's own answer again."""
    remaining = list(replies)
    lock = threading.Lock()

    def answer(text: str) -> str:
        with lock:
            return remaining.pop(0) if remaining else agent_reply(text)
    return answer


@dataclass
class _Temporary:
    faults: frozenset[str]
    variations: frozenset[str]
    remaining: int


class Controls:
    """The controls of one reference server (``ReferenceServer.control``)."""

    def __init__(self, server: Server) -> None:
        self._server = server
        self._lock = threading.RLock()
        self._busy: set[str] = set()
        self._unreachable: set[str] = set()
        self._temporary: list[_Temporary] = []
        self._base_faults = server.faults
        self._base_variations = server.variations
        self._users = tuple(server.identities.users)
        self._templates = tuple(server.identities.templates)

    # -- the world: users, templates, tasks ------------------------------------------------------------------------

    def add_user(self, username: str, *, owner: bool = False) -> MockUser:
        """A new user of the organization (an owner with ``owner=True``), with a session token; ValueError when the
        name is taken or not a valid username."""
        if not username or not username.replace("-", "").isalnum() or len(username) > 32:
            raise ValueError(f"not a valid username: {username!r}")
        return MockUser.of(self._server.identities.add_user(username, is_owner=owner))

    def add_template(self, name: str, *, has_ai_task: bool = True) -> str:
        """A new template with one version (with an AI task unless ``has_ai_task=False``); its version id."""
        if not name:
            raise ValueError("a template needs a name")
        return self._server.identities.add_template(name, has_ai_task=has_ai_task).version.id

    def add_task(self, *, owner: str | None = None, status: str = "active", name: str | None = None,
                 display_name: str | None = None, prompt: str = "", logs: Iterable[tuple[str, str]] = (),
                 agent_state: str | None = None, agent_message: str = "", agent_uri: str = "",
                 template_version_id: str | None = None) -> str:
        """A task the server holds, as if it had been created and had come to ``status`` (a paused one with its log
        as its snapshot), with ``logs`` as its log and, when given, the state its agent last reported; its id.
        ``owner`` is a username (default: the first member)."""
        server = self._server
        ids = server.identities
        user = ids.user_by_name(owner) if owner is not None else ids.alice
        if user is None:
            raise ValueError(f"no user named {owner!r}")
        _check(status, TASK_STATUSES, "status")
        entries = [(str(kind), str(content)) for kind, content in logs]
        for kind, _ in entries:
            _check(kind, LOG_TYPES, "log entry type")
        if agent_state is not None:
            _check(agent_state, AGENT_STATES, "agent state")
        template = ids.template_version(template_version_id) if template_version_id else ids.ai_template
        if template is None:
            raise ValueError(f"no template version {template_version_id!r}")
        app = server.app
        task_name = name or generate_name(prompt, lambda candidate: app.decide.name_taken(user, candidate),
                                          ids.randomness.choice)
        problem = name_problem(task_name)
        if problem is not None:
            raise ValueError(f"task name {task_name!r} {problem}")
        if app.tasks.name_in_use(user.id, task_name):
            raise ValueError(f"{user.username} already has a task named {task_name!r}")
        shown = display_name if display_name is not None else app.decide.display_name("", prompt, task_name)
        task = app.tasks.create(owner=user, organization_id=template.organization_id, template=template,
                                name=task_name, prompt=prompt, preset_id=None, display_name=shown)
        if entries:
            app.tasks.preload(task.id, entries)
        app.tasks.give_status(task.id, status)
        if agent_state is not None:
            app.tasks.report_state(task.id, agent_state, agent_message, agent_uri)
        return task.id

    def template_version_of(self, template: str) -> str | None:
        """The version id of a template named so, or the id itself when it is one of a template version."""
        ids = self._server.identities
        named = ids.templates.get(template)
        if named is not None:
            return named.version.id
        found = ids.template_version(template)
        return found.version.id if found is not None else None

    def set_status(self, task_id: str, status: str) -> None:
        """Move a task to ``status``: ``active`` and ``paused`` as if its workspace had started or stopped (a pause,
        a resume and a delete then work as for any task); ``pending``, ``initializing``, ``error`` and ``unknown``
        it keeps until set otherwise."""
        _check(status, TASK_STATUSES, "status")
        task_id = self._task(task_id)
        self._server.app.tasks.give_status(task_id, status)

    def set_agent_state(self, task_id: str, state: str, message: str = "", uri: str = "") -> None:
        """The task's agent reports ``state`` (working, idle, complete, failure) with a message and a URI: the
        task's ``current_state`` until the agent has something newer (an input, a reply)."""
        _check(state, AGENT_STATES, "agent state")
        task_id = self._task(task_id)
        self._server.app.tasks.report_state(task_id, state, message, uri)

    def script_replies(self, replies: Replies = None, *, task_id: str | None = None) -> None:
        """What the agent (of one task, or of every task) answers to each input: None, its own answer (it echoes
        the input, ``Working on: <input>``); a function of the input; or a sequence of answers used in turn (past
        the last, its own answer again)."""
        if replies is not None and not callable(replies) and (
                isinstance(replies, str | bytes) or not all(isinstance(r, str) for r in replies)):
            raise ValueError("replies must be None, a function of the input, or a sequence of strings")
        if task_id is not None:
            task_id = self._task(task_id)
        answer = replies if callable(replies) else (None if replies is None else _in_turn(replies))
        store = self._server.app.store
        store.script_replies(None if answer is None else _checked(answer), task_id)

    def agent_busy(self, task_id: str, busy: bool = True) -> None:
        """The task's agent is busy: a send is refused (409 from v2.32, 502 before); the logs still answer."""
        task_id = self._task(task_id)
        self._mark(self._busy, task_id, busy)

    def agent_unreachable(self, task_id: str, unreachable: bool = True) -> None:
        """The task's agent cannot be reached: a send and the logs answer 502."""
        task_id = self._task(task_id)
        self._mark(self._unreachable, task_id, unreachable)

    # -- switches -------------------------------------------------------------------------------------------------

    def switch(self, *, faults: Iterable[str] = (), variations: Iterable[str] = (),
               requests: int | None = None) -> None:
        """Switch faults and variations on, besides those already on: for the next ``requests`` requests the server
        receives (control requests do not count), or for good (None). ValueError on unknown names."""
        from conformance.reference.faults import validate_fault_names
        from conformance.reference.variations import validate_variation_names

        new_faults, new_variations = validate_fault_names(faults), validate_variation_names(variations)
        if requests is not None and (isinstance(requests, bool) or not isinstance(requests, int) or requests < 1):
            raise ValueError(f"requests must be a whole number >= 1 or None, got {requests!r}")
        with self._lock:
            if requests is None:
                self._base_faults |= new_faults
                self._base_variations |= new_variations
            else:
                self._temporary.append(_Temporary(new_faults, new_variations, requests))
            self._apply()

    def based_on(self, *, faults: Iterable[str] | None = None, variations: Iterable[str] | None = None) -> None:
        """The faults or the variations on for good, as set on the server itself (``set_faults``,
        ``set_variations``); those switched on for a number of requests stay on for them."""
        with self._lock:
            if faults is not None:
                self._base_faults = frozenset(faults)
            if variations is not None:
                self._base_variations = frozenset(variations)
            self._apply()

    def count_request(self) -> None:
        """A request of a client arrived: switches whose requests are used up go off before it is served."""
        with self._lock:
            if not self._temporary:
                return
            used_up = [t for t in self._temporary if t.remaining <= 0]
            for temporary in self._temporary:
                temporary.remaining -= 1
            if used_up:
                self._temporary = [t for t in self._temporary if t not in used_up]
                self._apply()

    def _apply(self) -> None:
        faults, variations = set(self._base_faults), set(self._base_variations)
        for temporary in self._temporary:
            faults |= temporary.faults
            variations |= temporary.variations
        self._server.set_switches(faults, variations)

    # -- reading back, starting over --------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the server's start: its users, templates and switches, no task, no scripted answer, no busy or
        unreachable agent, no recorded request, no finding; with a seed, the same ids and tokens again."""
        with self._lock:
            self._busy.clear()
            self._unreachable.clear()
            self._temporary.clear()
            self._base_faults, self._base_variations = self._server.start_switches
            self._server.restart(self._users, self._templates)
            self._apply()

    def requests(self) -> list[RecordedRequest]:
        """Every request of a client received so far (``ReferenceServer.requests``)."""
        return self._server.requests()

    def findings(self) -> list[Any]:
        """What the server found wrong with the client's requests (``ReferenceServer.findings``: mock/judge.py
        ``Finding``s)."""
        findings: Callable[[], list[Any]] = getattr(self._server, "findings", list)
        return findings()

    # -- the decisions a busy or unreachable agent changes ------------------------------------------------------------

    def seams(self) -> list[Seams]:
        """The seam that answers for busy and unreachable agents (none while every agent answers)."""
        with self._lock:
            if not (self._busy or self._unreachable):
                return []
            return [Seams(decisions={Decisions.busy: self._is_busy, Decisions.busy_error: self._busy_error})]

    def _is_busy(self, below: Decisions, task: TaskView, operation: str) -> bool:
        if task.id in self._unreachable and operation in (SEND, LOGS):
            return True
        return (task.id in self._busy and operation == SEND) or below.busy(task, operation)

    def _busy_error(self, below: Decisions, task: TaskView, operation: str) -> ApiError:
        if task.id in self._unreachable:
            message = "Failed to get status from task app." if operation == SEND else \
                "Failed to get messages from task app."
            return ApiError(502, message, detail=_UNREACHABLE_DETAIL)
        return below.busy_error(task, operation)

    def _mark(self, marked: set[str], task_id: str, on: bool) -> None:
        with self._lock:
            (marked.add if on else marked.discard)(task_id)
            self._server.recompose()

    def _task(self, task_id: str) -> str:
        """The id of a task the server holds, as it writes it (UnknownTask: none)."""
        task = self._server.app.store.lookup(task_id, "", by_name=False)
        if task is None:
            raise UnknownTask(task_id)
        return task.id


def _checked(answer: Callable[[str], str]) -> Callable[[str], str]:
    def reply(text: str) -> str:
        given = answer(text)
        if not isinstance(given, str):
            raise TypeError(f"a scripted reply must be a string, got {type(given).__name__}")
        return given
    return reply


def _check(value: object, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; one of {', '.join(allowed)}")
