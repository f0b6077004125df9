"""From check outcomes to requirement statuses and the one verdict (partial runs, waivers and baselines too)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from conformance.contracts.requirements import catalogue
from conformance.runner.outcomes.result import RunFacts, build_result
from conformance.runner.outcomes.verdict import (
    BLOCKED,
    FAILED,
    NOT_RUN,
    PASSED,
    SKIPPED,
    WAIVED,
    WARNING,
    decide,
    exit_code,
    requirement_results,
)
from conformance.runner.records.outcome import CheckOutcome, failure_status
from conformance.runner.records.results_file import Status
from conformance.runner.settings.waivers import Waiver

TODAY = dt.date(2026, 12, 1)


def outcome(check: str, requirements: tuple[str, ...], status: str, message: str = "",
            broken: tuple[str, ...] = ()) -> CheckOutcome:
    return CheckOutcome(check, requirements, status, message, broken)


def results_of(*outcomes: CheckOutcome, strict: bool = False) -> list:
    return requirement_results(outcomes, catalogue(), strict)


def status_of(results: list, rid: str) -> str:
    return next(r.status for r in results if r.requirement.id == rid)


def every_must_passes() -> list[CheckOutcome]:
    return [outcome(f"c{i}", (rid,), PASSED) for i, rid in enumerate(catalogue()) if catalogue()[rid].level == "MUST"]


def test_must_failure_fails_the_verdict() -> None:
    results = results_of(*every_must_passes(), outcome("a", ("LIST-COUNT",), FAILED, "off by one"))
    assert status_of(results, "LIST-COUNT") == FAILED
    verdict = decide(results)
    assert verdict.status == "fail" and verdict.label == "FAIL" and "LIST-COUNT failed" in verdict.reasons
    assert exit_code(verdict) == 1


def test_should_failure_is_a_warning_unless_strict() -> None:
    failed = outcome("a", ("LIST-ORDER",), FAILED, "wrong order")
    results = results_of(*every_must_passes(), failed)
    assert status_of(results, "LIST-ORDER") == WARNING
    assert decide(results).status == "pass"
    strict = results_of(*every_must_passes(), failed, strict=True)
    assert status_of(strict, "LIST-ORDER") == FAILED
    assert decide(strict, strict=True).status == "fail"


def test_may_failure_never_fails() -> None:
    results = results_of(*every_must_passes(), outcome("a", ("AUTH-BEARER",), FAILED, "401"), strict=True)
    assert decide(results, strict=True).status == "pass"


def test_statuses_passed_skipped_not_run_and_a_partial_run_says_so() -> None:
    results = results_of(outcome("a", ("LIST-COUNT",), PASSED),
                         outcome("b", ("ACL-ADMIN-SEES-ALL",), SKIPPED, "no admin token"))
    assert status_of(results, "LIST-COUNT") == PASSED
    assert status_of(results, "ACL-ADMIN-SEES-ALL") == SKIPPED
    assert status_of(results, "LIST-ORDER") == NOT_RUN
    assert len(results) == len(catalogue())
    musts = sum(1 for r in catalogue().values() if r.level == "MUST")
    verdict = decide(results)
    assert verdict.status == "pass"
    assert verdict.label == (f"PASS (partial: {musts - 1} of {musts} MUST requirements not verified: "
                             f"{musts - 2} not run, 1 skipped)")
    only_not_run = decide(results_of(outcome("a", ("LIST-COUNT",), PASSED)))
    assert only_not_run.label == f"PASS (partial: {musts - 1} of {musts} MUST requirements not run)"
    assert decide(results_of(*every_must_passes())).label == "PASS"


def test_failure_naming_one_requirement_leaves_the_other_not_verified_by_that_check() -> None:
    results = results_of(
        outcome("a", ("CREATE-STATUS-201", "CREATE-SCHEMA"), FAILED, "schema", broken=("CREATE-SCHEMA",)),
        outcome("b", ("CREATE-STATUS-201",), PASSED),
    )
    assert status_of(results, "CREATE-SCHEMA") == FAILED
    assert status_of(results, "CREATE-STATUS-201") == BLOCKED  # check a stopped before it; b passing is not enough
    alone = results_of(outcome("a", ("CREATE-STATUS-201", "CREATE-SCHEMA"), FAILED, "x", broken=("CREATE-SCHEMA",)))
    result = next(r for r in alone if r.requirement.id == "CREATE-STATUS-201")
    assert result.status == BLOCKED and "stopped at the failure of CREATE-SCHEMA" in result.messages[0]


def test_one_failing_check_among_passing_ones_fails_the_requirement() -> None:
    results = results_of(outcome("a", ("AUTH-MISSING-401",), PASSED), outcome("b", ("AUTH-MISSING-401",), FAILED, "x"))
    assert status_of(results, "AUTH-MISSING-401") == FAILED


def test_failure_naming_a_foreign_requirement_counts_against_the_checks_own() -> None:
    results = results_of(outcome("a", ("LIST-COUNT",), FAILED, "count off", broken=("ACL-LIST-OTHER-HIDDEN",)))
    assert status_of(results, "LIST-COUNT") == FAILED
    assert status_of(results, "ACL-LIST-OTHER-HIDDEN") == NOT_RUN


def test_a_failed_set_up_blocks_unless_it_judged_one_of_the_checks_own_requirements() -> None:
    own = ("LOGS-STATUS-200", "LOGS-SCHEMA")
    assert failure_status("setup", own, ()) == BLOCKED
    assert failure_status("setup", own, ("LIFE-REACHES-ACTIVE",)) == BLOCKED  # the cause is another requirement's
    assert failure_status("setup", own, ("LOGS-SCHEMA",)) == FAILED
    assert failure_status("call", own, ()) == FAILED
    assert failure_status("teardown", own, ()) == FAILED
    assert failure_status("call", own, ("LIFE-REACHES-ACTIVE",), blocked=True) == BLOCKED
    assert failure_status("call", own, (), blocked=True) == BLOCKED
    assert failure_status("call", own, ("LOGS-SCHEMA",), blocked=True) == FAILED
    assert failure_status("call", own, ("LIFE-REACHES-ACTIVE",)) == FAILED  # a plain failure counts against its own


def test_blocked_is_not_failed_but_a_blocked_must_fails_the_verdict() -> None:
    results = results_of(*every_must_passes(), outcome("b", ("LIST-COUNT",), BLOCKED, "no active task"))
    assert status_of(results, "LIST-COUNT") == BLOCKED
    assert next(r for r in results if r.requirement.id == "LIST-COUNT").messages == ["no active task"]
    assert decide(results).status == "fail"


def test_a_failure_outranks_blocked_and_a_blocked_should_only_fails_when_strict() -> None:
    results = results_of(outcome("a", ("LIST-COUNT",), BLOCKED, "no task"), outcome("b", ("LIST-COUNT",), FAILED, "x"))
    assert status_of(results, "LIST-COUNT") == FAILED
    assert next(r for r in results if r.requirement.id == "LIST-COUNT").messages[0] == "x"  # the failure first
    should = results_of(*every_must_passes(), outcome("a", ("LIST-ORDER",), BLOCKED, "no task"))
    assert status_of(should, "LIST-ORDER") == BLOCKED
    assert decide(should).status == "pass"
    assert decide(should, strict=True).status == "fail"


def test_errors_and_interrupts_decide_the_exit_code() -> None:
    results = results_of(*every_must_passes())
    assert exit_code(decide(results, error="preflight failed: x")) == 3
    interrupted = decide(results, incomplete=True)
    assert interrupted.label == "INCOMPLETE"
    assert exit_code(interrupted, interrupted="SIGINT") == 130
    assert exit_code(interrupted, interrupted="SIGTERM") == 143


def _facts(**changes: object) -> RunFacts:
    base: dict = {"suite_version": "0", "target_url": "http://t", "api_prefix": "/api", "embedded": False,
                  "server_version": "v2.31.4+abc", "profile": "stable", "profile_reason": "set by a test",
                  "seed": 1, "run_prefix": "ct-x", "read_only": False,
                  "strict": False, "fuzz_budget": 0, "started": 0.0, "finished": 1.0, "config": {}, "sources": {},
                  "today": TODAY}
    base.update(changes)
    return RunFacts(**base)


def test_an_unexpired_waiver_waives_an_expired_one_fails_and_an_unneeded_one_is_reported() -> None:
    failing = [*every_must_passes(), outcome("z", ("LIST-COUNT",), FAILED, "off by one")]
    waiver = Waiver("LIST-COUNT", "known bug #1", TODAY + dt.timedelta(days=1))
    result = build_result(failing, _facts(), catalogue(), waivers=[waiver])
    row = next(r for r in result.requirements if r.requirement.id == "LIST-COUNT")
    assert row.status == WAIVED and "known bug #1" in row.note
    assert result.verdict.status == "pass" and result.exit_code == 0
    old = Waiver("LIST-COUNT", "old", TODAY - dt.timedelta(1))
    expired = build_result(failing, _facts(), catalogue(), waivers=[old])
    assert expired.verdict.status == "fail" and any("waiver expired" in r for r in expired.verdict.reasons)
    expired_but_passing = build_result(every_must_passes(), _facts(), catalogue(),
                                       waivers=[Waiver("LIST-COUNT", "old", TODAY - dt.timedelta(1))])
    assert expired_but_passing.verdict.status == "fail"  # an expired waiver fails the run whatever it covered
    unneeded = build_result(every_must_passes(), _facts(), catalogue(), waivers=[waiver])
    assert unneeded.verdict.status == "pass"
    assert any("no longer needed" in note for note in unneeded.waivers.notes())


def test_a_waiver_for_another_profile_or_server_version_does_not_apply() -> None:
    failing = [*every_must_passes(), outcome("z", ("LIST-COUNT",), FAILED, "off by one")]
    later = TODAY + dt.timedelta(days=30)
    for waiver in (Waiver("LIST-COUNT", "r", later, server_version="v2.30.*"),
                   Waiver("LIST-COUNT", "r", later, profile="legacy")):
        result = build_result(failing, _facts(), catalogue(), waivers=[waiver])
        assert result.verdict.status == "fail", waiver
    matching = Waiver("LIST-COUNT", "r", later, server_version="v2.31.*", profile="stable")
    assert build_result(failing, _facts(), catalogue(), waivers=[matching]).verdict.status == "pass"


def test_a_baseline_fails_only_on_regressions() -> None:
    failing = [*every_must_passes(), outcome("z", ("LIST-COUNT",), FAILED, "off by one")]
    known = {"LIST-COUNT": Status("failed", "MUST")}
    same = build_result(failing, _facts(baseline="old.json"), catalogue(), baseline=known)
    assert same.verdict.status == "pass" and same.comparison is not None and same.comparison.regressed == []
    # a pass against the baseline is no clean pass: it says how many known failures it carries, and names them
    assert same.verdict.label.startswith("PASS against the baseline: 1 known failure, 0 regressed"), same.verdict
    assert same.verdict.reasons == ("known failure (in the baseline too): LIST-COUNT failed",)
    was_passing = {"LIST-COUNT": Status("passed", "MUST")}
    regressed = build_result(failing, _facts(), catalogue(), baseline=was_passing)
    assert regressed.verdict.status == "fail"
    assert regressed.comparison is not None
    assert [c.line() for c in regressed.comparison.regressed] == ["LIST-COUNT: passed -> failed"]
    fixed = build_result(every_must_passes(), _facts(), catalogue(), baseline=known)
    assert fixed.comparison is not None
    assert [c.line() for c in fixed.comparison.fixed] == ["LIST-COUNT: failed -> passed"]
    assert fixed.verdict.label.startswith("PASS against the baseline: 0 known failures, 0 regressed")


def test_a_requirement_blocked_by_another_failure_is_not_called_a_regression() -> None:
    """A hand-written check that stops at its first failure leaves its other requirement not verified: against a
    baseline where both passed, one regressed and one is no longer verified (both fail the run)."""
    check = outcome("c", ("CREATE-STATUS-201", "CREATE-SCHEMA"), FAILED, "expected 201, got 200")
    check = dataclasses.replace(check, broken=("CREATE-STATUS-201",))
    passing = {rid: Status("passed", r.level) for rid, r in catalogue().items()}
    result = build_result([*every_must_passes(), check], _facts(), catalogue(), baseline=passing)
    assert result.comparison is not None
    assert [c.id for c in result.comparison.regressed] == ["CREATE-STATUS-201"]
    assert [c.id for c in result.comparison.unverified] == ["CREATE-SCHEMA"]
    assert result.verdict.status == "fail"
    assert [r.requirement.id for r in result.unverified_by(result.checks[-1])] == ["CREATE-SCHEMA"]


def test_a_fuzz_failure_leaves_the_requirements_it_does_not_name_passed() -> None:
    """A fuzz tier judges every one of its requirements: a failure naming one does not block the others."""
    check = outcome("fuzz", ("FUZZ-NO-SERVER-ERROR", "FUZZ-RESPONSE-SCHEMA"), FAILED, "ST101 server error")
    check = dataclasses.replace(check, broken=("FUZZ-NO-SERVER-ERROR",), complete=True)
    result = build_result([*every_must_passes(), check], _facts(), catalogue())
    statuses = {r.requirement.id: r.status for r in result.requirements}
    assert statuses["FUZZ-NO-SERVER-ERROR"] == FAILED and statuses["FUZZ-RESPONSE-SCHEMA"] == PASSED
    assert result.unverified_by(result.checks[-1]) == [] and result.blocked_causes() == []


def test_a_requirement_the_release_predates_is_skipped_with_the_reason_and_the_run_is_not_partial() -> None:
    stable = catalogue("stable")
    reason = "not in v2.29.0: POST .../pause and .../resume arrived in v2.32 (coder/coder#22544)"
    passing = [outcome(f"c{i}", (rid,), PASSED) for i, rid in enumerate(stable) if rid != "PAUSE-202"]
    result = build_result(passing, _facts(), stable, unpromised={"PAUSE-202": reason})
    pause = next(r for r in result.requirements if r.requirement.id == "PAUSE-202")
    assert (pause.status, pause.promised, pause.messages, pause.note) == (SKIPPED, False, [reason], reason)
    assert result.verdict.label == "PASS"
    promised = build_result(passing, _facts(), stable)  # the same outcomes, the release promising it
    assert promised.verdict.label.startswith("PASS (partial: 1 of ")
    assert "not run" in promised.verdict.label
