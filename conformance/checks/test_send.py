"""Send: POST /tasks/{user}/{task}/send answers 204 and the input shows up in the logs, followed by a reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from conformance.checks._task_helpers import (
    describe_entries,
    log_entries,
    logs_when_ready,
    probe_before_active,
    random_uuid,
    send_when_ready,
    unique_text,
)
from conformance.runner.http.client import ApiClient
from conformance.runner.records.evidence import Exchange, Shared
from conformance.runner.tasks import expect, waits
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext


@dataclass
class Sent(Shared):
    """One input sent to the shared active task, inspected by several checks."""

    task_id: str
    content: str
    response: httpx.Response
    evidence: list[Exchange] = field(default_factory=list)

    def require_accepted(self) -> None:
        if not 200 <= self.response.status_code < 300:
            pytest.skip(f"{expect.describe(self.response)} answered {self.response.status_code}; "
                        "see SEND-STATUS-204")


@pytest.fixture(scope="module")
def sent(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> Sent:
    content = unique_text(run, "send")
    log: list[Exchange] = []
    with run.evidence.shared(log):
        response = send_when_ready(run, api, active_task["id"], content)
    return Sent(active_task["id"], content, response, log)


def _input_index(entries: list[dict[str, Any]], content: str) -> int | None:
    for index, entry in enumerate(entries):
        if entry.get("type") == "input" and entry.get("content") == content:
            return index
    return None


@pytest.mark.requirement("SEND-STATUS-204")
def test_send_answers_204(sent: Sent) -> None:
    expect.status(sent.response, 204)


@pytest.mark.requirement("SEND-EMPTY-BODY")
def test_send_empty_body(sent: Sent) -> None:
    sent.require_accepted()
    expect.empty_body(sent.response)


@pytest.mark.requirement("SEND-INPUT-LOGGED")
def test_send_input_logged(run: RunContext, api: ApiClient, sent: Sent) -> None:
    sent.require_accepted()

    def done(entries: list[dict[str, Any]]) -> bool:
        # Stop early on an exact copy typed 'output' too: a correct server logs the input before any reply.
        return any(e.get("content") == sent.content for e in entries)

    entries = run.waits.poll(waits.LOGGED, lambda: log_entries(logs_when_ready(run, api, sent.task_id)), done,
                             waiting_for=f"an 'input' entry with the sent content {sent.content!r} in the logs of "
                                         f"task {sent.task_id}",
                             last=lambda e: describe_entries(e, sent.content))
    if _input_index(entries, sent.content) is None:
        types = sorted({str(e.get("type")) for e in entries if e.get("content") == sent.content})
        raise expect.fail(f"expected the sent input {sent.content!r} to appear in GET "
                          f"{api.api_prefix}/tasks/me/{sent.task_id}/logs as an entry of type 'input', but the "
                          f"entries with that content have type {', '.join(types)}")


@pytest.mark.requirement("SEND-OUTPUT-FOLLOWS")
def test_send_output_follows(run: RunContext, api: ApiClient, sent: Sent) -> None:
    sent.require_accepted()
    found_input = False
    mistyped = False  # the content is in the logs, but not as an 'input' entry (SEND-INPUT-LOGGED fails on that)

    def done(entries: list[dict[str, Any]]) -> bool:
        nonlocal found_input, mistyped
        index = _input_index(entries, sent.content)
        found_input = found_input or index is not None
        mistyped = index is None and any(e.get("content") == sent.content for e in entries)
        return mistyped or (index is not None and any(e.get("type") == "output" for e in entries[index + 1:]))

    try:
        run.waits.poll(waits.REPLY, lambda: log_entries(logs_when_ready(run, api, sent.task_id)), done,
                       waiting_for=f"an 'output' entry after the input {sent.content!r} in the logs of task "
                                   f"{sent.task_id}",
                       last=lambda e: describe_entries(e, sent.content))
    except expect.TimedOut:
        if not found_input:
            pytest.skip(f"the sent input {sent.content!r} never appeared in the logs; see SEND-INPUT-LOGGED")
        raise
    if mistyped:
        pytest.skip(f"the sent input {sent.content!r} is in the logs, but not as an 'input' entry; see "
                    "SEND-INPUT-LOGGED")


@pytest.mark.requirement("SEND-EMPTY-INPUT-400")
def test_send_empty_input_400(run: RunContext, api: ApiClient, active_task: dict[str, Any]) -> None:
    expect.status(send_when_ready(run, api, active_task["id"], ""), 400)


@pytest.mark.requirement("SEND-NOT-ACTIVE")
def test_send_not_active(run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    text = unique_text(run, "send-early")
    response = probe_before_active(tasks, api, "send-early", "send",
                                   lambda task_id: api.send_input(task_id, text))
    expect.status(response, *run.terms.refuses_starting("send"))


@pytest.mark.requirement("SEND-NOT-FOUND-404")
def test_send_unknown_task_404(run: RunContext, api: ApiClient) -> None:
    expect.status(api.send_input(random_uuid(run), unique_text(run, "unknown")), 404)
