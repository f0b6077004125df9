"""A check whose set-up fails is blocked, not failed: the cause fails in its own requirement, and every output
says which requirements could not be verified."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from report_support import BLOCKED_REQ, BLOCKING_REQ, SuiteRun


def test_results_json_fails_the_cause_and_blocks_what_depended_on_it(blocked_run: SuiteRun) -> None:
    data = blocked_run.results()
    status = {r["id"]: r["status"] for r in data["requirements"]}
    assert status[BLOCKING_REQ] == "failed"
    assert status[BLOCKED_REQ] == "blocked"
    assert data["verdict"] == "fail"  # a blocked MUST was not verified
    blocked = [c for c in data["checks"] if c["outcome"] == "blocked"]
    assert blocked and data["counts"]["checks"]["blocked"] == len(blocked)
    assert all("waited 1 s for task" in c["message"] for c in blocked), blocked
    assert all(c["rerun"] and "--check " in c["rerun"] for c in blocked)
    assert data["counts"]["requirements"]["MUST"]["blocked"] >= 1
    req = next(r for r in data["requirements"] if r["id"] == BLOCKED_REQ)
    assert req["messages"] and "waited 1 s for task" in req["messages"][0]


def test_the_terminal_shows_one_line_per_cause_after_the_failures(blocked_run: SuiteRun) -> None:
    lines = blocked_run.output.splitlines()
    fail_row = next(i for i, line in enumerate(lines) if line.startswith("FAIL") and BLOCKING_REQ in line)
    block_rows = [i for i, line in enumerate(lines) if line.startswith("BLOCK")]
    assert len(block_rows) == 1 and fail_row < block_rows[0]  # one cause, one line, however many checks
    cause = " ".join(lines[block_rows[0]:block_rows[0] + 4])
    assert f"{BLOCKING_REQ} failed" in cause and BLOCKED_REQ in cause
    assert any(line.startswith("MUST") and " blocked, " in line for line in lines)
    blocked = blocked_run.results()["counts"]["checks"]["blocked"]
    assert f"{blocked} blocked" in lines[-1]  # pytest's own count line agrees
    assert "ERROR " not in blocked_run.output  # a blocked check is not listed as a pytest error


def test_the_html_report_shows_blocked_checks_by_cause_with_evidence(blocked_run: SuiteRun) -> None:
    page = blocked_run.html.read_text(encoding="utf-8")
    assert "not verified (blocked)" in page
    assert page.count('<article class="tc-check tc-check-blocked">') == 1
    assert 'tc-badge tc-badge-blocked">BLOCKED</span>' in page
    assert "Not verified:" in page and f"{BLOCKING_REQ} failed: " in page
    assert "earlier, waited 1 s for task" in page  # the first wait's words, not waited for again
    assert f'id="req-{BLOCKED_REQ}" class="tc-row tc-row-blocked"' in page


def test_junit_marks_blocked_checks(blocked_run: SuiteRun) -> None:
    root = ET.parse(blocked_run.junit).getroot()
    statuses = {p.get("value") for p in root.iter("property") if p.get("name") == "status"}
    assert {"blocked", "failed"} <= statuses
    errors = [case for case in root.iter("testcase") if case.find("error") is not None]
    assert errors and all(case.find("error").get("type") == "blocked" for case in errors)  # type: ignore[union-attr]
