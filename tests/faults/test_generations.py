"""Each generation's clean reference passes, judged by the profile `auto` picks from its release; a release that
predates a feature has that feature's requirements skipped with the reason, not failed; a release without the
Tasks API stops the run with one sentence (exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from faults_support import run_suite

from conformance.audit.command import audit
from conformance.contracts.profiles import OPERATION_FEATURES
from conformance.contracts.requirements import catalogue
from conformance.reference.conforming.generation import DEFAULT_VERSIONS
from conformance.runner.records.redact import Redactor


@pytest.mark.parametrize("profile", list(DEFAULT_VERSIONS))
def test_each_generations_clean_reference_passes(profile: str, tmp_path: Path) -> None:
    version = DEFAULT_VERSIONS[profile]
    run = run_suite("--reference-version", version, report_dir=tmp_path)
    assert run.code == 0, run.explain()
    target = run.results["target"]
    assert (target["profile"], run.results["verdict"], run.results["partial"]) == (profile, "pass", None)
    assert version in target["profile_reason"]
    assert f"judged by the {profile} profile" in run.output
    assert [r["id"] for r in run.results["requirements"]] == list(catalogue(profile))
    assert all(r["status"] == "passed" for r in run.results["requirements"] if r["level"] == "MUST")
    _assert_its_evidence_audits_clean(tmp_path / "evidence.har", profile)


def _assert_its_evidence_audits_clean(har: Path, profile: str) -> None:
    """The run's own evidence, judged again offline (`tasks-conformance audit`), agrees: every exchange with an
    operation of the profile passes, judged by that profile; what is ignored is what the suite sends outside the
    operations on purpose (unknown routes, wrong methods)."""
    tally = audit([har], None, Redactor())
    assert (tally.exit_code(), tally.outcomes["fail"]) == (0, 0), [j.problems for j in tally.failures]
    # evidence.har holds the fuzz tiers' probes of undocumented methods too (ignored: no such operation)
    assert tally.judged > 200 and tally.outcomes["ignored"] < 0.1 * tally.exchanges, tally.ignored
    assert all(basis.startswith(profile + " ") for basis in tally.bases), tally.bases
    core = {"listTasks", "createTask", "getTask", "deleteTask", "getTaskLogs", "sendTaskInput"}
    extra = set(OPERATION_FEATURES) if profile == "stable" else set()
    assert set(tally.operations) == core | extra


def test_a_release_before_pause_skips_its_requirements_with_the_reason(tmp_path: Path) -> None:
    run = run_suite("--reference-version", "v2.29.0", "--fuzz-budget", "0", "--", "-k", "pause or display_name",
                    report_dir=tmp_path)
    assert run.code == 0, run.explain()
    by_id = {r["id"]: r for r in run.results["requirements"]}
    for rid in ("PAUSE-202", "RESUME-202", "SEND-PAUSED-409"):
        assert (by_id[rid]["status"], by_id[rid]["promised"]) == ("skipped", False), rid
        assert by_id[rid]["note"].startswith("not in v2.29.0: "), by_id[rid]["note"]
    assert "v2.32" in by_id["PAUSE-202"]["note"] and "#22544" in by_id["PAUSE-202"]["note"]
    assert by_id["DISPLAY-NAME-GIVEN"]["status"] == "passed"  # display_name came in v2.29 itself
    assert by_id["DISPLAY-NAME-TOO-LONG-400"]["status"] == "passed"  # and its 64-byte limit with it (#20856)
    assert by_id["INPUT-UPDATE-NOT-PAUSED-409"]["status"] == "passed"
    assert not run.results["checks"] or all("pause" not in c["id"] or "input" in c["id"] or "resume" in c["id"]
                                            or c["outcome"] != "failed" for c in run.results["checks"])


@pytest.mark.parametrize(("args", "sentence"), [
    (("--reference-version", "v2.37.0"),
     "this Coder v2.37.0 server does not serve the Tasks API: it was removed from v2.37 (coder/coder#28789)"),
    (("--reference-version", "v2.40.1", "--profile", "stable"),
     "this Coder v2.40.1 server does not serve the Tasks API: it was removed from v2.37 (coder/coder#28789)"),
], ids=["auto", "explicit-profile"])
def test_a_release_without_the_tasks_api_stops_the_run(args: tuple[str, ...], sentence: str, tmp_path: Path) -> None:
    run = run_suite(*args, report_dir=tmp_path)
    assert run.code == 3, run.explain()
    assert sentence in run.output
    assert "API prefix looks wrong" not in run.output
    assert sentence in (run.results.get("error") or "")


def test_an_explicit_profile_that_is_not_the_servers_says_so(tmp_path: Path) -> None:
    run = run_suite("--reference-version", "v2.34.0", "--profile", "stable", "--fuzz-budget", "0", "--", "-k",
                    "test_list_count", report_dir=tmp_path)
    assert run.code == 0, run.explain()
    assert run.results["target"]["profile_reason"] == "profile stable set by flag --profile"
