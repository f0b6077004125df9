"""Logs: GET /tasks/{user}/{task}/logs answers 200 with the conversation of an active task."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conformance.checks._task_helpers import (
    expect_snapshot,
    logs_when_ready,
    probe_before_active,
    random_uuid,
    send_when_ready,
    unique_text,
)
from conformance.contracts.profiles import EXPERIMENTAL
from conformance.runner.http.client import ApiClient
from conformance.runner.tasks import expect, waits
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext


@pytest.mark.requirement("LOGS-STATUS-200")
def test_logs_answers_200(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    expect.status(logs_when_ready(run, api, active_task["id"]), 200)


@pytest.mark.requirement("LOGS-CONTENT-TYPE")
def test_logs_content_type(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    expect.json_body(logs_when_ready(run, api, active_task["id"]))


@pytest.mark.requirement("LOGS-SCHEMA")
def test_logs_body_schema(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    """Sends something first, so the schema is checked on real entries rather than on an empty list."""
    task_id = active_task["id"]
    send_when_ready(run, api, task_id, unique_text(run, "logs-schema"))

    def has_entries(response: httpx.Response) -> bool:
        if response.status_code != 200:
            return True
        try:
            body = response.json()
        except ValueError:
            return True
        return isinstance(body, dict) and bool(body.get("logs"))

    try:
        response = run.waits.poll(waits.ENTRIES, lambda: logs_when_ready(run, api, task_id), has_entries,
                                  waiting_for="log entries")
    except (expect.TimedOut, expect.Blocked):
        response = logs_when_ready(run, api, task_id)  # still empty: check the empty list's shape
    if response.status_code != 200:
        pytest.skip(f"{expect.describe(response)} answered {response.status_code}; see LOGS-STATUS-200")
    expect.schema(response, "TaskLogsResponse", run.contract)


@pytest.mark.requirement("LOGS-NOT-ACTIVE")
def test_logs_not_active(run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    response = probe_before_active(tasks, api, "logs-early", "logs", api.task_logs)
    codes = run.terms.refuses_starting("logs")
    if codes == (200,) or (response.status_code == 200 and run.terms.profile is EXPERIMENTAL):
        # The stored snapshot of the conversation (required from v2.31; the experimental line may answer so too).
        expect_snapshot(response, "a task that is not active yet", run.contract)
        return
    expect.status(response, *codes)


@pytest.mark.readonly
@pytest.mark.requirement("LOGS-NOT-FOUND-404")
def test_logs_unknown_task_404(run: RunContext, api: ApiClient) -> None:
    expect.status(api.task_logs(random_uuid(run)), 404)
