"""The tasks this run created, and removing them: the only tasks the suite ever deletes.

Every answer the run's transport receives passes `TaskLedger.observe`: a create's 2xx answer (a POST to
`.../tasks/{user}`), whichever code sent it (a check, the fuzz tiers, a follow-up probe of Schemathesis), is
claimed when it is a task of this run: its id was not seen before the run (the preflight lists what exists) and its
name or initial prompt carries the run prefix (every create the suite sends carries it in both). A task the server
answered with that is not ours, such as someone else's existing task, is never claimed, so never deleted.

A task counts as removed only when a later read shows it gone (a list without it, or a 404 to get). The final
sweep (`sweep`) is bounded in time (no request or 429 wait beyond it) and in how many unknown tasks carrying the
prefix it will delete (no more than the run sent creates), and reports what is actually left.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.runner.client import ApiClient, RateLimited, TransportError
from conformance.runner.evidence import parse_json
from conformance.runner.expect import poll_pauses
from conformance.runner.interrupts import interrupts
from conformance.runner.transport import HttpTransport

RESCAN_PAUSE = 0.5  # after an interrupt, look for tasks again after this pause: a create may have been in flight
PREFIX_SLACK = 20  # unknown tasks carrying the prefix the sweep deletes beyond the creates the ledger saw
ROLES = ("admin", "primary", "second")
_ACCEPTED = (200, 202, 204, 404)  # answers to a delete after which the task is (being) removed
# The answer to a delete while a build of the task still runs (its start, right after the create): "A workspace build
# is already active." (coderd/wsbuilder checkRunningBuild, every transition). The delete is sent again later.
BUILD_RUNNING = 409
BUILD_RETRY_PAUSE = 5.0  # seconds between sending such a delete again: a build takes seconds to minutes


@dataclass
class CreatedTask:
    """A task of this run."""

    id: str
    name: str
    owner: str  # the role whose token created it: "primary", "second" or "admin"
    found_by: str = "create"  # "create": claimed from a create's answer; "prefix": found in a list by the sweep
    delete_answer: str = ""  # what the last delete got ("202", "500", "no response (...)"); "" before any
    gone: bool = False  # a later read showed it gone
    seen: bool = False  # a read after its delete showed it still there (else: no read could tell)

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def deleted(self) -> bool:
        """A delete of it was accepted (it may still be going)."""
        return self.delete_answer.split(" ", 1)[0] in {str(c) for c in _ACCEPTED}

    @property
    def building(self) -> bool:
        """Its last delete was refused because a build of it still runs (to be sent again)."""
        return self.delete_answer == str(BUILD_RUNNING)


@dataclass
class CleanupResult:
    """What the end of a run did about the tasks it created."""

    swept: list[str] = field(default_factory=list)  # removed by the final sweep: their checks had not deleted them
    left: list[str] = field(default_factory=list)  # still on the target after the cleanup, with why
    abandoned: str | None = None  # why the cleanup stopped before its end


class TaskLedger:
    """Which tasks this run created; thread-safe (the transport's watcher runs in whatever thread sends)."""

    def __init__(self, prefix: str, tokens: Mapping[str, str]) -> None:
        self.prefix = prefix
        self._roles = {token: role for role, token in tokens.items() if token}
        self._tasks: dict[str, CreatedTask] = {}
        self._existing: set[str] = set()
        self._in_flight: dict[int, str] = {}  # creates sent and not answered yet: id(request) -> the name it asked
        self._lock = threading.Lock()
        self.creates_seen = 0

    # --- what exists before the run, and what the run creates ---------------------------------------------------
    def note_existing(self, ids: Iterable[str]) -> None:
        """Task ids that existed before the run (the preflight's lists): never claimed, never deleted."""
        with self._lock:
            self._existing.update(ids)

    def carries_prefix(self, task: Any) -> bool:
        """A task object whose name or initial prompt carries the run prefix (and that existed before the run)."""
        if not isinstance(task, dict) or not isinstance(task.get("id"), str) or task["id"] in self._existing:
            return False
        name, prompt = task.get("name"), task.get("initial_prompt")
        return ((isinstance(name, str) and name.lower().startswith(self.prefix + "-"))
                or (isinstance(prompt, str) and prompt.startswith(self.prefix)))

    def sending(self, request: httpx.Request) -> None:
        """The transport's watcher, before a request goes: a create is in flight until its answer comes."""
        if request.method == "POST" and _is_create_path(request.url.path):
            with self._lock:
                self._in_flight[id(request)] = _asked_name(request)

    def in_flight(self) -> list[str]:
        """The names (or "" when none was given) that creates asked for and whose answers never came: an interrupted
        run may have created them."""
        with self._lock:
            return list(self._in_flight.values())

    def observe(self, request: httpx.Request, response: httpx.Response) -> None:
        """The transport's watcher, for each answer: claim the task a create answered with."""
        if request.method != "POST" or not _is_create_path(request.url.path):
            return
        with self._lock:
            self.creates_seen += 1
            self._in_flight.pop(id(request), None)
        if 200 <= response.status_code < 300:
            try:
                answer = parse_json(response.content)
            except ValueError:
                return
            self.claim(role_of(request, self._roles), answer)

    def claim(self, role: str, answer: Any) -> CreatedTask | None:
        """Track the task of a create's answer if it is this run's; the entry (new or known), or None."""
        if not self.carries_prefix(answer):
            return None
        with self._lock:
            entry = self._tasks.get(answer["id"])
            if entry is None:
                entry = self._tasks[answer["id"]] = CreatedTask(answer["id"], str(answer.get("name") or ""), role)
            return entry

    def get(self, task_id: str) -> CreatedTask | None:
        with self._lock:
            return self._tasks.get(task_id)

    def entries(self) -> list[CreatedTask]:
        with self._lock:
            return list(self._tasks.values())

    def pending(self) -> list[CreatedTask]:
        """The tasks not yet seen gone."""
        return [e for e in self.entries() if not e.gone]

    def add_found(self, role: str, task: dict[str, Any]) -> CreatedTask:
        with self._lock:
            entry = self._tasks.setdefault(task["id"], CreatedTask(task["id"], str(task.get("name") or ""), role,
                                                                    found_by="prefix"))
            return entry


def _asked_name(request: httpx.Request) -> str:
    try:
        body = parse_json(request.content)
    except (ValueError, httpx.RequestNotRead):
        return ""
    name = body.get("name") if isinstance(body, dict) else None
    return name if isinstance(name, str) else ""


def _is_create_path(path: str) -> bool:
    """`.../tasks/{user}`: one segment after `tasks`."""
    parts = path.rstrip("/").split("/")
    return len(parts) >= 2 and parts[-2] == "tasks" and parts[-1] != ""


def role_of(request: httpx.Request, roles: Mapping[str, str]) -> str:
    """Whose token a request carried (header, bearer, cookie or query), "anonymous" if none of ours."""
    headers = request.headers
    candidates = [headers.get("coder-session-token", ""), headers.get("authorization", "").partition(" ")[2]]
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "coder_session_token":
            candidates.append(value)
    candidates += [v for k, v in request.url.params.multi_items() if k in ("coder_session_token", "access_token")]
    return next((roles[c] for c in candidates if c in roles), "anonymous")


# --- removing -------------------------------------------------------------------------------------------------


def _client_for(entry: CreatedTask, clients: Mapping[str, ApiClient]) -> ApiClient | None:
    """The client of the task's owner (the admin's for a task found by prefix in a list nobody else reads)."""
    return clients.get(entry.owner) or clients.get("admin")


def delete(entry: CreatedTask, client: ApiClient) -> None:
    """Delete a task of the run; remember the answer (it is not counted removed until a read shows it gone)."""
    try:
        entry.delete_answer = str(client.delete_task(entry.id, log=DISCARD).status_code)
    except RateLimited:
        entry.delete_answer = "429 (still rate limited after every retry)"
    except TransportError as exc:
        entry.delete_answer = f"no response ({str(exc).rsplit(': ', 1)[-1]})"


def delete_all(entries: Iterable[CreatedTask], clients: Mapping[str, ApiClient], transport: HttpTransport,
               seconds: float) -> None:
    """A check's (or a fuzz tier's) cleanup: delete each entry not yet deleted, newest first, each delete given at
    most `seconds` and no long wait for a rate limit; what is refused is the final sweep's."""
    for entry in reversed(list(entries)):
        client = _client_for(entry, clients)
        if client is not None and not entry.deleted:
            with transport.cutoff(seconds):
                delete(entry, client)


def listed(client: ApiClient) -> list[dict[str, Any]] | None:
    """The tasks a client's list shows, or None when the list gave no usable answer."""
    try:
        response = client.list_tasks(log=DISCARD)
        body = parse_json(response.content) if response.status_code == 200 else None
    except (TransportError, ValueError):
        return None
    tasks = body.get("tasks") if isinstance(body, dict) else None
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else None


def sweep(ledger: TaskLedger, clients: Mapping[str, ApiClient], *, confirm_seconds: float,
          build_seconds: float = 0.0, rescan_after: float | None = None) -> CleanupResult:
    """Find the run's tasks, delete those no check deleted, confirm what is gone, report what is left.

    The caller bounds it in time (the transport's cutoff: no request, and no wait for a 429, past cleanup_timeout).
    `confirm_seconds` is how long a task whose delete was accepted may take to go (the run's active_timeout);
    `build_seconds` how long a delete refused while a build of the task runs is sent again."""
    listed_all = _find_unknown(ledger, clients)
    if rescan_after is not None:
        interrupts.sleep(rescan_after)
        listed_all = _find_unknown(ledger, clients)
    swept: list[tuple[CreatedTask, str]] = []
    for entry in ledger.pending():
        client = _client_for(entry, clients)
        if client is not None and not entry.deleted:
            why = ("found by prefix" if entry.found_by == "prefix" else
                   f"an earlier delete was answered {BUILD_RUNNING} while it was building" if entry.building else
                   "not deleted by its check")
            delete(entry, client)
            swept.append((entry, why))
    _confirm(ledger, clients, confirm_seconds, build_seconds)
    result = CleanupResult()
    result.swept = [f"{entry.label} ({why})" for entry, why in swept if entry.gone]
    for entry in ledger.pending():
        if entry.deleted and entry.seen:
            why = f"still there after its delete was answered {entry.delete_answer}"
        elif entry.deleted:
            why = f"its delete was answered {entry.delete_answer}, but no read could confirm it is gone"
        else:
            why = f"its delete was answered {entry.delete_answer}" if entry.delete_answer else "not deleted"
        result.left.append(f"{entry.label} ({why})")
    if not listed_all:  # a create whose answer never came may have made a task no list could show
        known = {e.name for e in ledger.entries()}
        result.left += [f"{name or 'a task without a name'} (its create was interrupted before the answer came, and "
                        "no list could show whether it exists)" for name in ledger.in_flight() if name not in known]
    return result


def _find_unknown(ledger: TaskLedger, clients: Mapping[str, ApiClient]) -> bool:
    """Tasks carrying the prefix that the ledger does not know (a create still in flight when the run was
    interrupted, an answer that could not be read): at most as many as the run sent creates, plus a few. Whether
    every role's list could be read."""
    room = ledger.creates_seen + len(ledger.in_flight()) + PREFIX_SLACK - len(ledger.entries())
    every_list = True
    for role in ROLES:
        client = clients.get(role)
        if client is None:
            continue
        tasks = listed(client)
        every_list = every_list and tasks is not None
        for task in tasks or []:
            if room > 0 and ledger.carries_prefix(task) and ledger.get(task["id"]) is None:
                ledger.add_found(role, task)
                room -= 1
    return every_list


def _confirm(ledger: TaskLedger, clients: Mapping[str, ApiClient], seconds: float, build_seconds: float) -> None:
    """Mark gone what a later read shows gone (absent from its owner's list; a 404 to get where the list gives
    no usable answer), polling until `seconds` have passed for deletes that take a while; send again, for
    `build_seconds`, the deletes refused while a build ran."""
    started = last_retry = time.monotonic()
    deadline, build_deadline = started + seconds, started + build_seconds
    pauses = poll_pauses(1.0)
    while True:
        by_role: dict[str, list[CreatedTask]] = {}
        for entry in ledger.pending():
            by_role.setdefault(entry.owner if entry.owner in clients else "admin", []).append(entry)
        for role, entries in by_role.items():
            client = clients.get(role)
            if client is None:
                continue
            tasks = listed(client)
            present = {t.get("id") for t in tasks} if tasks is not None else None
            for entry in entries:
                if present is not None:
                    entry.gone, entry.seen = entry.id not in present, entry.id in present
                    continue
                with contextlib.suppress(TransportError):
                    status = client.get_task(entry.id, log=DISCARD).status_code
                    entry.gone, entry.seen = status == 404, status == 200
        pause = next(pauses)
        soon = time.monotonic() + pause
        going = soon < deadline and any(e.deleted for e in ledger.pending())
        if not going and not (soon < build_deadline and any(e.building for e in ledger.pending())):
            return
        interrupts.sleep(pause)
        if time.monotonic() - last_retry < BUILD_RETRY_PAUSE:
            continue
        last_retry = time.monotonic()
        for entry in ledger.pending():
            client = _client_for(entry, clients)
            if entry.building and client is not None:
                delete(entry, client)


class _Discard:
    """An evidence sink for cleanup traffic, which is not part of any check's evidence."""

    def add(self, exchange: object) -> None:
        pass


DISCARD: Any = _Discard()
