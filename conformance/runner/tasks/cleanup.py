"""Removing what the run caused, and saying what is left: the tasks the ledger holds, and only those.

A task counts as removed only when a later read shows it gone (a list without it, or a 404 to get). The final sweep
(`sweep`) is bounded in time by the caller (the transport's cutoff: no request or 429 wait past cleanup_timeout),
deletes what the ledger holds that no check deleted, and reports:

- `left`: the run's tasks still there, each with what its delete got;
- `unknown`: creates answered with a task they did not ask for (not the run's), and creates that got no usable
  answer whose task a list shows (it is not known by its id) — never deleted;
- `foreign`: tasks that carry the run's prefix but that the ledger does not hold (another user's, a task whose prompt
  merely starts with it) — never touched.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from typing import Any

from conformance.runner.http.client import ApiClient, RateLimited, TransportError
from conformance.runner.http.transport import HttpTransport, NotSent
from conformance.runner.process.interrupts import interrupts
from conformance.runner.process.polling import poll_pauses
from conformance.runner.records.evidence import DISCARD, parse_json
from conformance.runner.records.outcome import CleanupResult
from conformance.runner.settings.config import ROLES
from conformance.runner.tasks.ledger import BUILD_RUNNING, Asked, CreatedTask, TaskLedger

READERS = tuple(dict.fromkeys(("admin", *ROLES)))  # whose list shows the most tasks first
BUILD_RETRY_PAUSE = 5.0  # seconds between sending a delete refused while a build runs: a build takes seconds to minutes
SHOWN_FOREIGN = 10  # tasks carrying the prefix that the report names; the rest are counted


def clients_for(entry: CreatedTask, ledger: TaskLedger, clients: Mapping[str, ApiClient]) -> list[ApiClient]:
    """Who may delete or read a task, most likely first: the token of its owner (users/me said whose each token is),
    the token its create carried, the admin's, then the others."""
    roles = [ledger.role_of_user(entry.owner_id) or "", entry.role, *READERS]
    return [clients[r] for r in dict.fromkeys(roles) if r in clients]


def delete(entry: CreatedTask, ledger: TaskLedger, clients: Mapping[str, ApiClient]) -> None:
    """Delete a task of the run; remember the answer (it is not counted removed until a read shows it gone). A
    token that is refused (401, 403), or that may not see the task (404 where its owner is not known), hands over to
    the next one who may."""
    owner_known = ledger.role_of_user(entry.owner_id) is not None
    for client in clients_for(entry, ledger, clients):
        try:
            status = client.delete_task(entry.id, log=DISCARD).status_code
        except RateLimited:
            entry.delete_answer = "429 (still rate limited after every retry)"
            return
        except (TransportError, NotSent) as exc:
            entry.delete_answer = f"no response ({str(exc).rsplit(': ', 1)[-1]})"
            return
        entry.delete_answer = str(status)
        if status not in (401, 403) and (status != 404 or owner_known):
            return


def delete_all(entries: Iterable[CreatedTask], ledger: TaskLedger, clients: Mapping[str, ApiClient],
               transport: HttpTransport, seconds: float) -> None:
    """A check's (or a fuzz tier's) cleanup: delete each entry not yet deleted, newest first, each delete given at
    most `seconds` and no long wait for a rate limit; what is refused is the final sweep's."""
    for entry in reversed(list(entries)):
        if not entry.deleted:
            with transport.cutoff(seconds):
                delete(entry, ledger, clients)


def listed(client: ApiClient) -> list[dict[str, Any]] | None:
    """The tasks a client's list shows, or None when the list gave no usable answer."""
    try:
        response = client.list_tasks(log=DISCARD)
        body = parse_json(response.content) if response.status_code == 200 else None
    except (TransportError, NotSent, ValueError):
        return None
    tasks = body.get("tasks") if isinstance(body, dict) else None
    return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else None


def sweep(ledger: TaskLedger, clients: Mapping[str, ApiClient], *, confirm_seconds: float,
          build_seconds: float = 0.0) -> CleanupResult:
    """Delete what the ledger holds that no check deleted, confirm what is gone, report what is left and what the run
    may have caused without knowing it.

    The caller bounds it in time (the transport's cutoff). `confirm_seconds` is how long a task whose delete was
    accepted may take to go (the run's active_timeout); `build_seconds` how long a delete refused while a build of the
    task runs is sent again."""
    swept: list[tuple[CreatedTask, str]] = []
    for entry in ledger.pending():
        if not entry.deleted:
            why = (f"an earlier delete was answered {BUILD_RUNNING} while it was building" if entry.building else
                   "not deleted by its check")
            delete(entry, ledger, clients)
            swept.append((entry, why))
    _confirm(ledger, clients, confirm_seconds, build_seconds)
    result = CleanupResult()
    result.swept = [f"{entry.label} ({why})" for entry, why in swept if entry.gone]
    result.left = [f"{entry.label} ({_why_left(entry)})" for entry in ledger.pending()]
    result.caused = [f"{entry.label}, made by {entry.cause or 'a request'} without a valid session token"
                     for entry in ledger.entries() if entry.role == "anonymous"]
    visible = _visible(clients)
    result.unknown = ledger.not_asked() + _unknown(ledger, visible)
    result.foreign = _foreign(ledger, visible)
    return result


def _why_left(entry: CreatedTask) -> str:
    if entry.deleted and entry.seen:
        return f"still there after its delete was answered {entry.delete_answer}"
    if entry.deleted:
        return f"its delete was answered {entry.delete_answer}, but no read could confirm it is gone"
    return f"its delete was answered {entry.delete_answer}" if entry.delete_answer else "not deleted"


def _visible(clients: Mapping[str, ApiClient]) -> list[dict[str, Any]] | None:
    """Every task the configured tokens' lists show (None when a list gave no usable answer)."""
    seen: dict[str, dict[str, Any]] = {}
    for role in READERS:
        client = clients.get(role)
        if client is None:
            continue
        tasks = listed(client)
        if tasks is None:
            return None
        for task in tasks:
            if isinstance(task.get("id"), str):
                seen.setdefault(task["id"], task)
    return list(seen.values())


def _unknown(ledger: TaskLedger, visible: list[dict[str, Any]] | None) -> list[str]:
    """The creates without a usable answer (and those still on the wire) whose task may exist, each with what the
    lists show of it: a task that is what the create asked for (Asked.made) is named, never deleted; a create no list
    shows a task of is left out (it made nothing); when no list could be read, each is named as possibly made."""
    known = {e.id for e in ledger.entries()}
    out = []
    pending = [(u.asked, u.why, u.cause) for u in ledger.unanswered()]
    pending += [(asked, "its answer had not come when the run ended", "") for asked in ledger.in_flight()]
    for asked, why, cause in pending:
        what = f"a create{f' by {cause}' if cause else ''} asking for {asked.name or 'no name'}: {why}"
        if visible is None:
            out.append(f"{what}; no list could show whether it made a task")
            continue
        found = [t for t in visible if t.get("id") not in known and _matches(asked, t)]
        if found:
            out.append(f"{what}; a task that is what it asked for is on the target ({found[0].get('name') or '?'}, "
                       f"{found[0].get('id')}), not deleted: the suite deletes only tasks whose create it saw "
                       "answered")
    return out


def _matches(asked: Asked, task: dict[str, Any]) -> bool:
    """A task a create without an answer may have made: its name, else its prompt (no created_at guess here: a task
    is never named as possibly the run's on its age alone)."""
    if not (asked.name or asked.prompt.strip()):
        return False
    return asked.made(task, run_started=float("inf"))


def _foreign(ledger: TaskLedger, visible: list[dict[str, Any]] | None) -> list[str]:
    """Tasks that carry the run's prefix and that the ledger does not hold: named (up to SHOWN_FOREIGN), counted."""
    found = [t for t in visible or [] if ledger.carries_prefix(t) and not ledger.holds(t["id"])]
    shown = [f"{t.get('name') or '(no name)'} ({t['id']}, owner {t.get('owner_name') or t.get('owner_id') or '?'})"
             for t in found[:SHOWN_FOREIGN]]
    if len(found) > SHOWN_FOREIGN:
        shown.append(f"and {len(found) - SHOWN_FOREIGN} more")
    return shown


def _confirm(ledger: TaskLedger, clients: Mapping[str, ApiClient], seconds: float, build_seconds: float) -> None:
    """Mark gone what a later read shows gone (absent from its owner's list; a 404 to get where the list gives
    no usable answer), polling until `seconds` have passed for deletes that take a while; send again, for
    `build_seconds`, the deletes refused while a build ran."""
    started = last_retry = time.monotonic()
    deadline, build_deadline = started + seconds, started + build_seconds
    pauses = poll_pauses(1.0)
    while True:
        _read(ledger.pending(), ledger, clients)
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
            if entry.building:
                delete(entry, ledger, clients)


def _read(entries: list[CreatedTask], ledger: TaskLedger, clients: Mapping[str, ApiClient]) -> None:
    """Mark each task gone or seen as the first token that may see it tells: one list per token for all of its
    tasks; a get where the list gives no usable answer."""
    by_reader: dict[int, tuple[ApiClient, list[CreatedTask]]] = {}
    for entry in entries:
        readers = clients_for(entry, ledger, clients)
        if readers:
            by_reader.setdefault(id(readers[0]), (readers[0], []))[1].append(entry)
    for client, mine in by_reader.values():
        tasks = listed(client)
        present = {t.get("id") for t in tasks} if tasks is not None else None
        for entry in mine:
            if present is not None:
                entry.gone, entry.seen = entry.id not in present, entry.id in present
                continue
            with contextlib.suppress(TransportError, NotSent):
                status = client.get_task(entry.id, log=DISCARD).status_code
                if status in (200, 404):
                    entry.gone, entry.seen = status == 404, status == 200

