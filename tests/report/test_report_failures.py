"""A report that cannot be written is reported, and never changes the verdict or the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_support import MUST_FAULT, SUBSET, run_suite


@pytest.mark.parametrize("faults, code, verdict", [([], 0, "PASS"), (["--reference-faults", MUST_FAULT], 1, "FAIL")])
def test_unusable_report_directory(tmp_path: Path, faults: list[str], code: int, verdict: str) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the report directory should go\n")
    run = run_suite(*faults, *SUBSET, report_dir=blocker / "reports", cwd=tmp_path)
    assert run.code == code, run.output
    assert f"verdict: {verdict}" in run.output
    assert "report problem (the verdict is unchanged): HTML report not written" in run.output
    assert "report problem (the verdict is unchanged): JUnit XML not written" in run.output
    assert "report problem (the verdict is unchanged): results.json not written" in run.output
    assert "INTERNALERROR" not in run.output
    assert "Generated html report" not in run.output


def test_html_that_cannot_be_written_leaves_the_other_outputs(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    in_the_way = reports / "conformance.html"
    in_the_way.mkdir(parents=True)  # a directory where the HTML file should be written
    run = run_suite("--reference-faults", MUST_FAULT, *SUBSET, report_dir=reports, cwd=tmp_path)
    assert run.code == 1, run.output
    assert "verdict: FAIL" in run.output
    assert "report problem (the verdict is unchanged): HTML report" in run.output
    assert "INTERNALERROR" not in run.output
    assert (reports / "results.json").is_file()
    assert (reports / "junit.xml").is_file()
