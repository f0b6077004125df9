"""Small helpers shared by the per-task checks (create, get, delete, lifecycle, logs, send)."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.contracts.contract import Contract
from conformance.runner.http.client import ApiClient
from conformance.runner.tasks import expect, ledger, waits
from conformance.runner.tasks.expect import parse_time
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext


def random_uuid(run: RunContext) -> str:
    """A random (seeded) v4 UUID that names no task."""
    return str(uuid.UUID(int=run.rng.getrandbits(128), version=4))


def unique_text(run: RunContext, label: str) -> str:
    """Input text no other check sends: carries the run prefix and a counter."""
    return f"{run.unique_name(label)} conformance input"


def _busy(run: RunContext, client: ApiClient, task_id: str, response: httpx.Response) -> bool:
    """Whether the answer says the task's agent is busy or unreachable (transient: try again). From v2.32 that is a
    409, as for a task that is not active: a 409 counts as busy only while get shows the task active."""
    codes = run.terms.busy_codes
    if response.status_code not in codes:
        return False
    if response.status_code in run.terms.profile.app_unavailable:
        return True
    status = client.get_task(task_id)
    try:
        return bool(status.status_code == 200 and status.json().get("status") == run.terms.profile.active)
    except (ValueError, AttributeError):
        return False


def _poll_past_busy(run: RunContext, client: ApiClient, task_id: str, call: Callable[[], httpx.Response],
                    what: str) -> httpx.Response:
    busy = " or ".join(str(c) for c in run.terms.busy_codes)
    return run.waits.poll(waits.NOT_BUSY, call, lambda r: not _busy(run, client, task_id, r),
                          waiting_for=f"{what} to stop answering {busy} (agent busy)",
                          last=lambda r: f"{r.status_code} for {expect.describe(r)}")


def send_when_ready(run: RunContext, client: ApiClient, task_id: str, text: str) -> httpx.Response:
    """Send input, retrying while the server says the agent is busy (Terms.busy_codes)."""
    return _poll_past_busy(run, client, task_id, lambda: client.send_input(task_id, text), f"send to task {task_id}")


def logs_when_ready(run: RunContext, client: ApiClient, task_id: str) -> httpx.Response:
    """Get the logs, retrying while the server says the agent is unreachable (Terms.busy_codes)."""
    return _poll_past_busy(run, client, task_id, lambda: client.task_logs(task_id), f"logs of task {task_id}")


def log_entries(response: httpx.Response) -> list[dict[str, Any]]:
    """The log entries of a 200 logs response (entries that are not objects are dropped)."""
    expect.status(response, 200)
    body = expect.json_body(response)
    logs = body.get("logs") if isinstance(body, dict) else None
    if not isinstance(logs, list):
        raise expect.fail(f"expected a 'logs' array in the body of {expect.describe(response)}, got "
                          f"{type(logs).__name__}")
    return [e for e in logs if isinstance(e, dict)]


def describe_entries(entries: list[dict[str, Any]], content: str) -> str:
    same = [e.get("type") for e in entries if e.get("content") == content]
    return f"{len(entries)} entries; entries with the sent content have types {same}"


def probe_before_active(tasks: TaskFactory, client: ApiClient, label: str, operation: str,
                        probe: Callable[[str], httpx.Response]) -> httpx.Response:
    """Create a task and probe it (`operation`: send or logs) at once, while it should still be starting.

    Returns the probe's response when the outcome is conclusive: the task was still not active after the
    probe (statuses only move forward, so it was not active during it), or the server already answered as its
    release does for a starting task (for logs answered 200, that answer is the stored snapshot: live logs are the
    answer for an active task). Skips when the task became active too quickly to tell.
    """
    active = tasks.run.terms.profile.active
    task = tasks.create(client, label)
    if task["status"] == active:
        pytest.skip(f"task {task['id']} was already {active} when create answered; cannot test {operation} on a "
                    f"task that is not {active}")
    response = probe(task["id"])
    after = tasks.get(client, task["id"])
    if after["status"] == active and not _starting_answer(response, tasks.run.terms.refuses_starting(operation)):
        pytest.skip(f"task {task['id']} became {active} before the probe could be confirmed "
                    f"({expect.describe(response)} answered {response.status_code}); cannot test {operation} on "
                    f"a task that is not {active}")
    return response


def _starting_answer(response: httpx.Response, codes: tuple[int, ...]) -> bool:
    """Whether an answer is the one the release gives for a task that is not active: one of its codes, and for a 200
    of logs the stored snapshot."""
    if response.status_code not in codes:
        return False
    if response.status_code != 200:
        return True
    try:
        body = json.loads(response.content)
    except ValueError:
        return True  # not the answer of an active task either: the check judges it
    return not isinstance(body, dict) or body.get("snapshot") not in (False, None)  # false or absent: live logs


def delete_after_build(run: RunContext, client: ApiClient, task_id: str) -> httpx.Response:
    """Delete a task; while the server refuses because a build of the task still runs (409: ledger.BUILD_RUNNING),
    send the delete again until it ends (the run's deadline; refused at once when a task never became active).
    The last answer, also when the deadline passes."""
    answers = [client.delete_task(task_id)]
    if answers[-1].status_code != ledger.BUILD_RUNNING:
        return answers[-1]

    def again() -> httpx.Response:
        answers.append(client.delete_task(task_id))
        return answers[-1]

    with contextlib.suppress(expect.TimedOut):
        run.waits.poll(waits.BUILT, again, lambda r: r.status_code != ledger.BUILD_RUNNING,
                       waiting_for=f"the delete of task {task_id} to stop answering {ledger.BUILD_RUNNING} (a build "
                                   "of the task is running)",
                       last=lambda r: f"{r.status_code} for {expect.describe(r)}")
    return answers[-1]


def wait_gone(run: RunContext, client: ApiClient, task_id: str) -> httpx.Response | None:
    """Poll get after a delete until it no longer answers 200; that response, or None at the deadline (blocked at
    once when an earlier wait for a delete to take effect ran out its deadline)."""
    try:
        return run.waits.poll(waits.GONE, lambda: client.get_task(task_id), lambda r: r.status_code != 200,
                              waiting_for=f"task {task_id} to disappear", last=lambda r: str(r.status_code))
    except expect.TimedOut:
        return None


def expect_snapshot(response: httpx.Response, of: str, contract: Contract) -> dict[str, Any]:
    """A logs answer that is a stored snapshot: 200, TaskLogsResponse, snapshot true, snapshot_at a date-time or
    absent."""
    if response.status_code != 200:
        raise expect.fail(f"expected 200 with the stored snapshot for the logs of {of}, got {response.status_code} "
                          f"for {expect.describe(response)}")
    body = expect.schema(response, "TaskLogsResponse", contract)
    if body.get("snapshot") is not True:
        raise expect.fail(f"expected the logs of {of} to be the stored snapshot (\"snapshot\": true), got "
                          f"\"snapshot\": {json.dumps(body.get('snapshot'))} from {expect.describe(response)}")
    if "snapshot_at" in body and parse_time(body["snapshot_at"]) is None:
        raise expect.fail(f"expected snapshot_at to be an RFC 3339 date-time, got {body['snapshot_at']!r}")
    return body


def task_fields(body: dict[str, Any], owner: Any, contract: Contract) -> dict[str, Any]:
    """What a task created from this body must show: the owner, the prompt unchanged and the template version (where
    the generation's Task has that field)."""
    wanted: dict[str, Any] = {"owner_id": owner.id, "owner_name": owner.username,
                              "initial_prompt": body.get("input", body.get("prompt"))}
    if "template_version_id" in contract.schemas["Task"]["properties"]:
        wanted["template_version_id"] = body["template_version_id"]
    return wanted
