"""The tasks this run caused: every one known by the id the server gave it. The only tasks the suite ever deletes.

Every exchange the run's transport makes passes `TaskLedger.exchanged`. A create (a POST to `.../tasks/{user}`),
whichever code sent it (a check, the fuzz tiers, a follow-up probe of Schemathesis, the preflight) and whatever name
or token it carried, that is answered 2xx with a task claims that task by its id, when that task is the one the
create asked for (`Asked.made`: its name, else its prompt, else a task created during the run) and its id did not
exist before the run (the preflight lists what every configured token sees). So a task made by a create the server
should have refused (a gateway that fills in a template version, a server that ignores a missing token) is known
too; a create answered with a task it did not ask for (someone else's) claims nothing, and is reported.

A create that got no usable answer may have made a task nobody knows the id of: the ledger keeps the name it asked
for, and the cleanup names it in the report (it never deletes by name). Tasks that merely carry the run's prefix are
reported, never touched (cleanup.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.runner.http.client import role_of, roles_by_token
from conformance.runner.records.evidence import parse_json
from conformance.runner.tasks.expect import parse_time

CLOCK_SKEW = 600.0  # seconds a server's clock may be behind the suite's when a task's created_at is all there is
# Answers to a delete after which the task is (being) removed.
ACCEPTED = (200, 202, 204, 404)
# The answer to a delete while a build of the task still runs (its start, right after the create): "A workspace build
# is already active." (coderd/wsbuilder checkRunningBuild, every transition). The delete is sent again later.
BUILD_RUNNING = 409


@dataclass
class CreatedTask:
    """A task this run caused."""

    id: str
    name: str
    role: str  # whose token the create carried: "primary", "second", "admin" or "anonymous" (none of ours)
    cause: str = ""  # what sent the create: a check id, "the preflight", ...
    owner_id: str = ""  # the owner the create's answer named
    delete_answer: str = ""  # what the last delete got ("202", "500", "no response (...)"); "" before any
    gone: bool = False  # a later read showed it gone
    seen: bool = False  # a read after its delete showed it still there (else: no read could tell)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id

    @property
    def deleted(self) -> bool:
        """A delete of it was accepted (it may still be going)."""
        return self.delete_answer.split(" ", 1)[0] in {str(c) for c in ACCEPTED}

    @property
    def building(self) -> bool:
        """Its last delete was refused because a build of it still runs (to be sent again)."""
        return self.delete_answer == str(BUILD_RUNNING)


@dataclass(frozen=True)
class Asked:
    """What a create asked for: the task its answer must be to be the run's."""

    name: str = ""  # the name it asked for ("" when none)
    prompt: str = ""  # the prompt it sent (`input`, or legacy's `prompt`; "" when none was a string)
    sent: float = 0.0  # when it went (unix seconds)

    @classmethod
    def of(cls, request: httpx.Request) -> Asked:
        try:
            body = parse_json(request.content)
        except (ValueError, httpx.RequestNotRead):
            body = None
        body = body if isinstance(body, dict) else {}
        prompt = next((body[key] for key in ("input", "prompt") if isinstance(body.get(key), str)), "")
        return cls(body["name"] if isinstance(body.get("name"), str) else "", prompt, time.time())

    def made(self, task: dict[str, Any], run_started: float) -> bool:
        """Whether `task` is what this create asked for: the name it asked (any letter case) or the prompt it sent
        (as the task's initial_prompt holds it; the run's prompts carry its prefix), else, with nothing to compare,
        a task created after the run began (by its created_at)."""
        name, prompt = task.get("name"), task.get("initial_prompt")
        by_name = bool(self.name) and isinstance(name, str)
        by_prompt = bool(self.prompt.strip()) and isinstance(prompt, str)
        if by_name or by_prompt:  # a server may rename a task, or keep another prompt field: either will do
            return ((by_name and str(name).lower() == self.name.lower())
                    or (by_prompt and str(prompt).strip() == self.prompt.strip()))
        created = parse_time(task.get("created_at"))
        return created is not None and created.timestamp() >= run_started - CLOCK_SKEW


@dataclass(frozen=True)
class Unanswered:
    """A create that got no usable answer: it may have made a task whose id the run never learned."""

    asked: Asked  # what it asked for
    why: str  # what came instead of an answer
    cause: str


class TaskLedger:
    """What this run caused; thread-safe (the transport's watcher runs in whatever thread sends)."""

    def __init__(self, prefix: str, tokens: Mapping[str, str], cause: Callable[[], str] = lambda: "") -> None:
        self.prefix = prefix
        self._roles = roles_by_token(tokens)
        self._cause = cause  # what is sending requests now (the evidence sink's label)
        self._tasks: dict[str, CreatedTask] = {}
        self._existing: set[str] = set()
        self._users: dict[str, str] = {}  # user id -> role, as users/me said in the preflight
        self._in_flight: dict[int, Asked] = {}  # creates sent and not answered yet: id(request) -> what it asked
        self._unanswered: list[Unanswered] = []
        self._not_asked: list[str] = []  # tasks creates were answered with that they did not ask for
        self._started = time.time()
        self._lock = threading.Lock()

    # --- what exists before the run ---------------------------------------------------------------------------
    def note_existing(self, ids: Iterable[str]) -> None:
        """Task ids that existed before the run (the preflight's lists): never claimed, never deleted."""
        with self._lock:
            self._existing.update(ids)

    def note_user(self, role: str, user_id: str) -> None:
        """Whose a configured token is (users/me): a task owned by that user is deleted with that token."""
        with self._lock:
            self._users[user_id] = role

    def role_of_user(self, user_id: str) -> str | None:
        with self._lock:
            return self._users.get(user_id)

    def carries_prefix(self, task: Any) -> bool:
        """A task object whose name or initial prompt starts with the run prefix (reported, never touched, unless
        the ledger holds it)."""
        if not isinstance(task, dict) or not isinstance(task.get("id"), str):
            return False
        name, prompt = task.get("name"), task.get("initial_prompt")
        return ((isinstance(name, str) and name.lower().startswith(self.prefix + "-"))
                or (isinstance(prompt, str) and prompt.startswith(self.prefix)))

    # --- the transport's watcher --------------------------------------------------------------------------------
    def sending(self, request: httpx.Request) -> None:
        """Before a request goes: a create is in flight until it ends."""
        if is_create(request):
            with self._lock:
                self._in_flight[id(request)] = Asked.of(request)

    def exchanged(self, request: httpx.Request, response: httpx.Response | None, elapsed: float,
                  error: str | None) -> None:
        """After each attempt: claim the task a create answered with; remember a create that got no usable answer
        (or a server error, after which the task may exist all the same)."""
        if not is_create(request):
            return
        with self._lock:
            asked = self._in_flight.pop(id(request), None) or Asked.of(request)
        if response is None or error is not None or response.status_code >= 500 or response.status_code == 408:
            # no usable answer, or a server error: the task may exist all the same
            self._remember_unanswered(asked, error or f"it was answered {response.status_code if response else '?'}")
            return
        status = response.status_code
        if 200 <= status < 300:
            try:
                answer = parse_json(response.content)
            except ValueError:
                self._remember_unanswered(asked, f"its {status} answer was not JSON")
                return
            if not _is_task(answer):
                self._remember_unanswered(asked, f"its {status} answer held no task id")
            elif not asked.made(answer, self._started):
                with self._lock:
                    self._not_asked.append(
                        f"a create by {self._cause() or 'the run'} asking for {asked.name or 'no name'} was answered "
                        f"with task {answer.get('name') or '(no name)'} ({answer['id']}), which it did not ask for: "
                        "not the run's, not deleted")
            else:
                self.claim(role_of(request, self._roles), answer)

    def _remember_unanswered(self, asked: Asked, why: str) -> None:
        with self._lock:
            self._unanswered.append(Unanswered(asked, why, self._cause()))

    def not_asked(self) -> list[str]:
        """Creates answered with a task they did not ask for (never claimed, never deleted), in words."""
        with self._lock:
            return list(self._not_asked)

    def in_flight(self) -> list[Asked]:
        """What the creates still on the wire asked for."""
        with self._lock:
            return list(self._in_flight.values())

    def unanswered(self) -> list[Unanswered]:
        with self._lock:
            return list(self._unanswered)

    # --- the tasks ------------------------------------------------------------------------------------------------
    def claim(self, role: str, answer: Any) -> CreatedTask | None:
        """Track the task of a create's 2xx answer (or a task a check found its refused create made): the entry (new
        or known), or None when the answer is no task or a task that existed before the run."""
        if not _is_task(answer) or answer["id"] in self._existing:
            return None
        with self._lock:
            entry = self._tasks.get(answer["id"])
            if entry is None:
                owner = answer.get("owner_id")
                entry = self._tasks[answer["id"]] = CreatedTask(
                    answer["id"], str(answer.get("name") or ""), role, self._cause(),
                    owner if isinstance(owner, str) else "")
            return entry

    def get(self, task_id: str) -> CreatedTask | None:
        with self._lock:
            return self._tasks.get(task_id)

    def holds(self, task_id: str) -> bool:
        return self.get(task_id) is not None

    def entries(self) -> list[CreatedTask]:
        with self._lock:
            return list(self._tasks.values())

    def pending(self) -> list[CreatedTask]:
        """The tasks not yet seen gone."""
        return [e for e in self.entries() if not e.gone]


def _is_task(answer: Any) -> bool:
    return isinstance(answer, dict) and isinstance(answer.get("id"), str) and bool(answer["id"])


def is_create(request: httpx.Request) -> bool:
    """A POST to `.../tasks/{user}` (one segment after `tasks`)."""
    if request.method.upper() != "POST":
        return False
    parts = request.url.path.rstrip("/").split("/")
    return len(parts) >= 2 and parts[-2] == "tasks" and parts[-1] != ""
