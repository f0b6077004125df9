"""No output of a run contains a token: not the reports, not the curl commands, not exception messages."""

from __future__ import annotations

import pytest
from _pytest._code.code import ExceptionInfo
from report_support import SuiteRun, leaks

from conformance.runner.outcomes.recorder import redact_report
from conformance.runner.records.redact import Redactor

TOKEN = "AbCdEfGhIj-0123456789abcdefghijKL"


@pytest.mark.parametrize("which", ["passing_run", "failing_run", "preflight_failed_run"])
def test_no_output_contains_a_token(which: str, request: pytest.FixtureRequest) -> None:
    run: SuiteRun = request.getfixturevalue(which)
    assert run.secrets, "the run should know the tokens it used"
    files = {p.name for p in run.report_dir.iterdir()}
    assert {"conformance.html", "junit.xml", "results.json", "evidence.har"} <= files
    assert leaks(run) == []


def test_the_failing_run_did_send_tokens_and_shows_them_masked(failing_run: SuiteRun) -> None:
    page = failing_run.html.read_text(encoding="utf-8")
    assert "coder-session-token: [REDACTED]" in page
    assert "coder_session_token=[REDACTED]" in page  # the cookie of the precedence check
    assert "curl -i -X GET" in page


def _report_with(exc: BaseException, sections: list[tuple[str, str]] | None = None) -> pytest.TestReport:
    try:
        raise exc
    except BaseException:
        info = ExceptionInfo.from_current()
    return pytest.TestReport(
        nodeid="checks/test_x.py::test_y", location=("checks/test_x.py", 1, "test_y"), keywords={},
        outcome="failed", longrepr=info.getrepr(style="short"), when="call", sections=sections or [],
    )


def test_exception_messages_and_captured_output_are_redacted() -> None:
    report = _report_with(KeyError(f"no field in {{'token': '{TOKEN}'}}"),
                          [("Captured stdout call", f"GET /tasks?coder_session_token={TOKEN}")])
    assert TOKEN in report.longreprtext
    redactor = Redactor([TOKEN])
    redact_report(report, redactor, redactor.text(report.longreprtext))
    assert TOKEN not in report.longreprtext and "[REDACTED]" in report.longreprtext
    assert all(TOKEN not in content for _, content in report.sections)
    assert "coder_session_token=[REDACTED]" in report.sections[0][1]


def test_unknown_token_shapes_and_skip_reasons_are_redacted() -> None:
    other = "ZZZZZZZZZZ-yyyyyyyyyyyyyyyyyyyyyy"  # not known to the redactor, but token-shaped
    report = _report_with(AssertionError(f"Authorization: Bearer {other}"))
    redact_report(report, Redactor(), Redactor().text(report.longreprtext))
    assert other not in report.longreprtext
    skipped = pytest.TestReport(nodeid="n", location=("f", 1, "n"), keywords={}, outcome="skipped",
                                longrepr=("f", 1, f"Skipped: token {TOKEN} expired"), when="call")
    redact_report(skipped, Redactor([TOKEN]), "")
    assert isinstance(skipped.longrepr, tuple) and TOKEN not in skipped.longrepr[2]
