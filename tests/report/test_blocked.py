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
    assert all(c["message"].startswith("could not set up the check: waited 1 s for task") for c in blocked), blocked
    assert data["counts"]["requirements"]["MUST"]["blocked"] >= 1
    req = next(r for r in data["requirements"] if r["id"] == BLOCKED_REQ)
    assert req["messages"] and req["messages"][0].startswith("could not set up the check")


def test_the_terminal_lists_blocked_requirements_after_the_failures(blocked_run: SuiteRun) -> None:
    lines = blocked_run.output.splitlines()
    fail_row = next(i for i, line in enumerate(lines) if line.startswith("FAIL") and BLOCKING_REQ in line)
    block_row = next(i for i, line in enumerate(lines) if line.startswith("BLOCK") and BLOCKED_REQ in line)
    assert fail_row < block_row
    assert any(line.startswith("MUST") and " blocked, " in line for line in lines)


def test_the_html_report_shows_blocked_checks_with_their_evidence(blocked_run: SuiteRun) -> None:
    page = blocked_run.html.read_text(encoding="utf-8")
    assert "could not be checked (blocked: what a check needed could not be had)" in page
    assert 'tc-badge tc-badge-blocked">BLOCKED</span>' in page
    assert "Not verified (blocked):" in page
    assert f'id="req-{BLOCKED_REQ}" class="tc-row tc-row-blocked tc-row-MUST"' in page


def test_junit_marks_blocked_checks(blocked_run: SuiteRun) -> None:
    statuses = {p.get("value") for p in ET.parse(blocked_run.junit).getroot().iter("property")
                if p.get("name") == "status"}
    assert {"blocked", "failed"} <= statuses
