"""Logs: GET /tasks/{user}/{task}/logs answers 200 with the conversation of an active task."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conformance.checks._task_helpers import (
    NOT_ACTIVE_CODES,
    logs_when_ready,
    probe_before_active,
    random_uuid,
    send_when_ready,
    unique_text,
)
from conformance.runner import expect
from conformance.runner.client import ApiClient
from conformance.runner.expect import CheckFailure
from conformance.runner.session import RunContext
from conformance.runner.tasks import TaskFactory


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
        response = expect.poll(lambda: logs_when_ready(run, api, task_id), has_entries,
                               timeout=run.config.run.active_timeout, interval=run.config.run.poll_interval,
                               waiting_for="log entries")
    except CheckFailure:
        response = logs_when_ready(run, api, task_id)  # still empty: check the empty list's shape
    if response.status_code != 200:
        pytest.skip(f"{expect.describe(response)} answered {response.status_code}; see LOGS-STATUS-200")
    expect.schema(response, "TaskLogsResponse")


@pytest.mark.requirement("LOGS-NOT-ACTIVE")
def test_logs_not_active(api: ApiClient, tasks: TaskFactory) -> None:
    response = probe_before_active(tasks, api, "logs-early", "logs", api.task_logs)
    if response.status_code == 200:
        # Later releases may answer with a stored snapshot of the conversation instead (documented).
        body = expect.schema(response, "TaskLogsResponse")
        if body.get("snapshot") is True:
            return
        raise expect.fail(f"expected 400 or 409 (or a stored snapshot, \"snapshot\": true) for the logs of a task "
                          f"that is not active yet, got 200 without a snapshot for {expect.describe(response)}")
    expect.status(response, *NOT_ACTIVE_CODES)


@pytest.mark.readonly
@pytest.mark.requirement("LOGS-NOT-FOUND-404")
def test_logs_unknown_task_404(run: RunContext, api: ApiClient) -> None:
    expect.status(api.task_logs(random_uuid(run)), 404)
