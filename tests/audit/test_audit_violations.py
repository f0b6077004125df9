"""One exchange of a clean recording edited per kind of violation: the audit fails that exchange, and only it,
with the words that name what is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from audit_support import audit, edited, find, load, write_har

from conformance.contracts.profiles import CSRF_REFUSAL

TASK, LIST = r"/tasks/[^/]+/[^/]+$", r"/tasks$"  # a task's path and the list's


def _nested(depth: int) -> str:
    return '{"message": "x", "detail": ' + "[" * depth + "]" * depth + "}"


def _workspace_status(body: str) -> dict[str, Any]:
    return {**json.loads(body), "status": "running"}


@dataclass(frozen=True)
class Violation:
    """Which exchange to edit (method, status, path pattern), how, and the words the audit must say."""

    method: str
    status: int
    path: str
    words: str
    new_status: int | None = None
    body: Callable[[str], Any] | None = None  # the new body, from the recorded one
    content_type: str | None = "keep"


VIOLATIONS = {
    "undocumented-status": Violation("GET", 200, TASK, "status 299 is not documented", new_status=299),
    "schema": Violation("GET", 200, TASK, "does not match the Task schema: at /status", body=_workspace_status),
    "content-type": Violation("GET", 200, LIST, "expected Content-Type application/json",
                              content_type="text/plain; charset=utf-8"),
    "no-content-type": Violation("GET", 200, LIST, "expected Content-Type application/json, got 'none'",
                                 content_type=None),
    "unparseable": Violation("GET", 200, LIST, "got unparseable content", body=lambda _: '{"tasks": [], "count": 0'),
    "error-envelope": Violation("GET", 404, TASK, "does not match the Error schema",
                                body=lambda _: {"error": "not found"}),
    "undocumented-error-status": Violation("GET", 404, TASK, "status 418 is not documented", new_status=418,
                                           body=lambda _: "teapot", content_type="text/plain"),
    "body-where-none-is-documented": Violation("DELETE", 202, TASK, "expected an empty body",
                                               body=lambda _: {"deleted": True}, content_type="application/json"),
    "too-deep": Violation("GET", 404, TASK, "nests JSON more than 64 levels deep", body=lambda _: _nested(100)),
}


def _apply(har: dict[str, Any], violation: Violation) -> dict[str, Any]:
    index = find(har, violation.method, violation.status, violation.path)
    recorded = har["log"]["entries"][index]["response"]["content"]["text"]
    return edited(har, index, status=violation.new_status, content_type=violation.content_type,
                  body=violation.body(recorded) if violation.body else None)


@pytest.mark.parametrize("kind", VIOLATIONS)
def test_one_edited_exchange_fails_with_the_right_words(kind: str, stable_har: Path, tmp_path: Path) -> None:
    violation = VIOLATIONS[kind]
    har, words = _apply(load(stable_har), violation), violation.words
    result = audit(write_har(har, tmp_path / "edited.har"))
    assert result.code == 1, result.output[-2000:]
    fail_lines = [line for line in result.output.splitlines() if line.startswith("FAIL  ")]
    assert len(fail_lines) == 1, result.output[-3000:]
    assert "[judged by stable at v2.34.0" in fail_lines[0]
    assert words in result.output, result.output[-2000:]
    assert "audit: FAIL" in result.output


def test_the_unedited_recording_passes(stable_har: Path) -> None:
    result = audit(stable_har)
    assert result.code == 0 and "0 failed" in result.output and "audit: PASS" in result.output, result.output


def test_a_body_the_recording_cut_is_not_judged(stable_har: Path, tmp_path: Path) -> None:
    """The suite marks the bodies its evidence cut; an audit says so instead of failing the cut."""
    har = load(stable_har)
    index = find(har, "GET", 200, path=LIST)
    har = edited(har, index, body='{"tasks": [{"id": "12')
    har["log"]["entries"][index]["response"]["content"]["comment"] = (
        "body cut by tasks-conformance (longer than its evidence keeps)")
    data = audit(write_har(har, tmp_path / "cut.har"), "--json").json()
    assert data["exit_code"] == 0
    assert data["not_judged_in_part"] == {"body not (wholly) in the recording: not judged": 1}


def test_coders_csrf_refusal_is_not_judged_as_a_tasks_api_answer(stable_har: Path, tmp_path: Path) -> None:
    """Coder's CSRF middleware answers an unsafe request carrying the session cookie alone with a text 400 before any
    Tasks API handler: not the API's answer. Any other text 400 is still judged (and fails)."""
    har = load(stable_har)
    index = find(har, "POST", 201, r"/tasks/[^/]+$")
    csrf = edited(har, index, status=400, content_type="text/plain; charset=utf-8", body=CSRF_REFUSAL + "\n")
    data = audit(write_har(csrf, tmp_path / "csrf.har"), "--json").json()
    assert data["exit_code"] == 0 and data["failed"] == 0
    assert any("Coder's CSRF check" in reason for reason in data["ignored_by_reason"]), data["ignored_by_reason"]
    other = edited(har, index, status=400, content_type="text/plain; charset=utf-8", body="Bad request\n")
    assert audit(write_har(other, tmp_path / "text.har"), "--json").json()["failed"] == 1
