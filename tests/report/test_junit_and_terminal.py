"""JUnit XML (one test case per check, requirement properties, the HTML's message) and the terminal summary."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

from report_support import MUST_REQ, SHOULD_REQ, SuiteRun

from conformance.contracts.requirements import catalogue


def _cases(run: SuiteRun) -> list[ET.Element]:
    return list(ET.parse(run.junit).getroot().iter("testcase"))


def _props(case: ET.Element) -> list[tuple[str, str]]:
    return [(p.get("name", ""), p.get("value", "")) for p in case.iter("property")]


def test_one_test_case_per_check_with_requirements_and_levels(failing_run: SuiteRun) -> None:
    results = failing_run.results()
    cases = _cases(failing_run)
    assert len(cases) == len(results["checks"])
    cat = catalogue()
    by_name: dict[str, dict[str, str]] = {}
    for case in cases:
        props = _props(case)
        reqs = [v for n, v in props if n == "requirement"]
        assert reqs and all(r in cat for r in reqs), props
        levels = [v for n, v in props if n == "level"]
        assert levels and levels[0] in ("MUST", "SHOULD", "MAY")
        by_name[case.get("name", "")] = dict(props)
    for check in results["checks"]:
        found = by_name[check["id"].split("::")[-1]]
        assert found["status"] == check["outcome"]
        assert found["level"] == check["level"]
        assert found["check_id"] == check["id"]
    modules = {"conformance.checks.test_auth", "conformance.checks.test_access"}
    assert {case.get("classname") for case in cases} <= modules


def test_failures_carry_the_same_message_as_the_html_and_results(failing_run: SuiteRun) -> None:
    results = failing_run.results()
    page = failing_run.html.read_text(encoding="utf-8")
    messages = {c["id"].split("::")[-1]: c["message"] for c in results["checks"]
                if c["outcome"] in ("failed", "warning")}
    failures = {case.get("name", ""): f for case in _cases(failing_run) if (f := case.find("failure")) is not None}
    assert set(failures) == set(messages)
    for name, failure in failures.items():
        assert failure.get("message") == messages[name]
        assert html.escape(messages[name], quote=True) in page


def test_suite_properties_carry_the_verdict(failing_run: SuiteRun, passing_run: SuiteRun) -> None:
    for run, verdict in ((failing_run, "fail"), (passing_run, "pass")):
        suite = ET.parse(run.junit).getroot().find("testsuite")
        assert suite is not None and suite.get("name") == "tasks-conformance"
        props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
        assert props["verdict"] == verdict
        assert props["suite_version"]
        assert (props["target"] or "").startswith("http://127.0.0.1:")


def test_terminal_summary_lists_failed_musts_first(failing_run: SuiteRun, passing_run: SuiteRun) -> None:
    out = failing_run.output
    assert f"FAIL  MUST   {MUST_REQ}" in out
    assert f"WARN  SHOULD {SHOULD_REQ}" in out
    assert out.index(f"FAIL  MUST   {MUST_REQ}") < out.index(f"WARN  SHOULD {SHOULD_REQ}")
    assert "verdict: FAIL" in out
    assert "report: " in out and "results.json" in out
    assert "verdict: PASS" in passing_run.output
    assert "report problem" not in failing_run.output + passing_run.output
