"""Small helpers shared by the per-task checks (create, get, delete, lifecycle, logs, send)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from conformance.runner import expect
from conformance.runner.client import ApiClient
from conformance.runner.expect import CheckFailure
from conformance.runner.session import RunContext
from conformance.runner.tasks import ACTIVE, TaskFactory

NOT_ACTIVE_CODES = (400, 409)  # 400 at the experimental release line, 409 in later releases
_BUSY = 502  # the agent is unreachable or busy: transient, the documented answer while it works


def random_uuid(run: RunContext) -> str:
    """A random (seeded) v4 UUID that names no task."""
    return str(uuid.UUID(int=run.rng.getrandbits(128), version=4))


def unique_text(run: RunContext, label: str) -> str:
    """Input text no other check sends: carries the run prefix and a counter."""
    return f"{run.unique_name(label)} conformance input"


def _poll_past_busy(run: RunContext, call: Callable[[], httpx.Response], what: str) -> httpx.Response:
    settings = run.config.run
    return expect.poll(call, lambda r: r.status_code != _BUSY, timeout=settings.active_timeout,
                       interval=settings.poll_interval, waiting_for=f"{what} to stop answering 502 (agent busy)",
                       last=lambda r: f"{r.status_code} for {expect.describe(r)}")


def send_when_ready(run: RunContext, client: ApiClient, task_id: str, text: str) -> httpx.Response:
    """Send input, retrying while the server says the agent is busy (502)."""
    return _poll_past_busy(run, lambda: client.send_input(task_id, text), f"send to task {task_id}")


def logs_when_ready(run: RunContext, client: ApiClient, task_id: str) -> httpx.Response:
    """Get the logs, retrying while the server says the agent is unreachable (502)."""
    return _poll_past_busy(run, lambda: client.task_logs(task_id), f"logs of task {task_id}")


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


def probe_before_active(tasks: TaskFactory, client: ApiClient, label: str, what: str,
                        probe: Callable[[str], httpx.Response]) -> httpx.Response:
    """Create a task and probe it at once, while it should still be starting.

    Returns the probe's response when the outcome is conclusive: the task was still not active after the
    probe (statuses only move forward, so it was not active during it), or the server already refused the
    probe with 400/409. Skips when the task became active too quickly to tell.
    """
    task = tasks.create(client, label)
    if task["status"] == ACTIVE:
        pytest.skip(f"task {task['id']} was already active when create answered; cannot test {what} on a task "
                    "that is not active")
    response = probe(task["id"])
    after = tasks.get(client, task["id"])
    if after["status"] == ACTIVE and response.status_code not in NOT_ACTIVE_CODES:
        pytest.skip(f"task {task['id']} became active before the probe could be confirmed "
                    f"({expect.describe(response)} answered {response.status_code}); cannot test {what} on a "
                    "task that is not active")
    return response


def wait_gone(run: RunContext, client: ApiClient, task_id: str) -> httpx.Response | None:
    """Poll get after a delete until it no longer answers 200; that response, or None at the deadline."""
    settings = run.config.run
    try:
        return expect.poll(lambda: client.get_task(task_id), lambda r: r.status_code != 200,
                           timeout=settings.active_timeout, interval=settings.poll_interval,
                           waiting_for=f"task {task_id} to disappear", last=lambda r: str(r.status_code))
    except CheckFailure:
        return None


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))")


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 date-time (any number of fraction digits, truncated to microseconds), or None."""
    if not isinstance(text, str):
        return None
    m = _RFC3339.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        if m.group(9) == "-":
            offset = -offset
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset))
    except ValueError:
        return None
