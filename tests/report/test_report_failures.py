"""Reports that cannot be written: a report directory (or a report's own path) that cannot be written is found before
the run's first request (exit 2, one line: a long deployment run must not lose its evidence at the end); a report
that still fails at the end (a full disk) is reported, and never changes the verdict or the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_support import SUBSET, run_suite

from conformance.contracts.requirements import catalogue
from conformance.report.files import ReportPaths, write_reports
from conformance.runner.outcomes.result import RunFacts, build_result
from conformance.runner.records.outcome import FAILED, CheckOutcome


@pytest.mark.parametrize("where", ["report-dir", "html"])
def test_an_unwritable_report_path_stops_the_run_before_its_first_request(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the report directory should go\n")
    reports = tmp_path / "reports"
    args = ("--html", str(blocker / "page.html")) if where == "html" else ()
    run = run_suite(*args, *SUBSET, report_dir=blocker / "reports" if where == "report-dir" else reports,
                    cwd=tmp_path)
    assert run.code == 2, run.output
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tasks-conformance: configuration error: the "), run.output
    assert "cannot be written to" in lines[0] and str(blocker) in lines[0]
    assert not reports.exists() or not any(reports.iterdir())


def test_a_report_that_fails_at_the_end_is_reported_and_the_others_are_written(tmp_path: Path) -> None:
    """The HTML path turns into a directory after the start (as a full disk would fail it): the problem is told, the
    other reports are written, none of them lie about the verdict."""
    facts = RunFacts(suite_version="0", target_url="http://t", api_prefix="/api/v2", embedded=False,
                     server_version=None, profile="stable", profile_reason="set by a test", seed=1, run_prefix="ct-x",
                     read_only=False, strict=False, fuzz_budget=0, started=0.0, finished=1.0, config={}, sources={})
    failed = CheckOutcome("conformance/checks/test_list.py::test_list_count", ("LIST-COUNT",), FAILED, "off by one")
    result = build_result([failed], facts, catalogue("stable"))
    reports = tmp_path / "reports"
    (reports / "conformance.html").mkdir(parents=True)
    written, problems = write_reports(result, ReportPaths(results=reports / "results.json",
                                                          junit=reports / "junit.xml",
                                                          html=reports / "conformance.html", har=reports / "x.har"))
    assert [p.name for p in written] == ["results.json", "junit.xml", "x.har"], written
    assert len(problems) == 1 and problems[0].startswith("HTML report not written to "), problems
    assert '"verdict": "fail"' in (reports / "results.json").read_text()
