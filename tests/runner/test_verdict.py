"""From check outcomes to requirement statuses and the verdict."""

from __future__ import annotations

from conformance.contracts.requirements import catalogue
from conformance.runner.verdict import (
    BLOCKED,
    FAILED,
    NOT_RUN,
    PASSED,
    SKIPPED,
    WARNING,
    CheckOutcome,
    failed_outcome,
    requirement_results,
    verdict,
)


def status_of(results: list, rid: str) -> str:
    return next(r.status for r in results if r.requirement.id == rid)


def test_must_failure_fails_the_verdict() -> None:
    results = requirement_results([CheckOutcome("a", ("LIST-COUNT",), "failed", "off by one")])
    assert status_of(results, "LIST-COUNT") == FAILED
    assert verdict(results) == "fail"


def test_should_failure_is_a_warning_unless_strict() -> None:
    outcome = [CheckOutcome("a", ("LIST-ORDER",), "failed", "wrong order")]
    assert status_of(requirement_results(outcome), "LIST-ORDER") == WARNING
    assert verdict(requirement_results(outcome)) == "pass"
    assert status_of(requirement_results(outcome, strict=True), "LIST-ORDER") == FAILED
    assert verdict(requirement_results(outcome, strict=True)) == "fail"


def test_may_failure_never_fails() -> None:
    outcome = [CheckOutcome("a", ("AUTH-BEARER",), "failed", "401")]
    assert verdict(requirement_results(outcome, strict=True)) == "pass"


def test_statuses_passed_skipped_not_run() -> None:
    results = requirement_results([
        CheckOutcome("a", ("LIST-COUNT",), "passed"),
        CheckOutcome("b", ("ACL-ADMIN-SEES-ALL",), "skipped", "no admin token"),
    ])
    assert status_of(results, "LIST-COUNT") == PASSED
    assert status_of(results, "ACL-ADMIN-SEES-ALL") == SKIPPED
    assert status_of(results, "LIST-ORDER") == NOT_RUN
    assert len(results) == len(catalogue())


def test_failure_naming_one_requirement_leaves_the_others() -> None:
    results = requirement_results([
        CheckOutcome("a", ("CREATE-STATUS-201", "CREATE-SCHEMA"), "failed", "schema", broken=("CREATE-SCHEMA",)),
        CheckOutcome("b", ("CREATE-STATUS-201",), "passed"),
    ])
    assert status_of(results, "CREATE-SCHEMA") == FAILED
    assert status_of(results, "CREATE-STATUS-201") == PASSED


def test_one_failing_check_among_passing_ones_fails_the_requirement() -> None:
    results = requirement_results([
        CheckOutcome("a", ("AUTH-MISSING-401",), "passed"),
        CheckOutcome("b", ("AUTH-MISSING-401",), "failed", "200 on get"),
    ])
    assert status_of(results, "AUTH-MISSING-401") == FAILED


def test_failure_naming_a_foreign_requirement_counts_against_the_checks_own() -> None:
    results = requirement_results([
        CheckOutcome("a", ("LIST-COUNT",), "failed", "count off", broken=("ACL-LIST-OTHER-HIDDEN",)),
    ])
    assert status_of(results, "LIST-COUNT") == FAILED
    assert status_of(results, "ACL-LIST-OTHER-HIDDEN") == NOT_RUN


def test_a_failed_set_up_blocks_unless_it_judged_one_of_the_checks_own_requirements() -> None:
    own = ("LOGS-STATUS-200", "LOGS-SCHEMA")
    assert failed_outcome("setup", own, ()) == BLOCKED
    assert failed_outcome("setup", own, ("LIFE-REACHES-ACTIVE",)) == BLOCKED  # the cause is another requirement's
    assert failed_outcome("setup", own, ("LOGS-SCHEMA",)) == FAILED
    assert failed_outcome("call", own, ()) == FAILED
    assert failed_outcome("teardown", own, ()) == FAILED


def test_expect_blocked_blocks_in_any_phase_unless_its_cause_is_the_checks_own() -> None:
    own = ("LOGS-STATUS-200", "LOGS-SCHEMA")
    assert failed_outcome("call", own, ("LIFE-REACHES-ACTIVE",), blocked=True) == BLOCKED
    assert failed_outcome("call", own, (), blocked=True) == BLOCKED
    assert failed_outcome("call", own, ("LOGS-SCHEMA",), blocked=True) == FAILED
    assert failed_outcome("call", own, ("LIFE-REACHES-ACTIVE",)) == FAILED  # a plain failure counts against its own


def test_blocked_is_not_failed_but_a_blocked_must_fails_the_verdict() -> None:
    results = requirement_results([
        CheckOutcome("a", ("LIST-COUNT",), "passed"),
        CheckOutcome("b", ("LIST-COUNT",), BLOCKED, "could not set up the check: no active task"),
    ])
    assert status_of(results, "LIST-COUNT") == BLOCKED
    assert next(r for r in results if r.requirement.id == "LIST-COUNT").messages == [
        "could not set up the check: no active task"]
    assert verdict(results) == "fail"


def test_a_failure_outranks_blocked_and_a_blocked_should_only_fails_when_strict() -> None:
    results = requirement_results([
        CheckOutcome("a", ("LIST-COUNT",), BLOCKED, "no task"),
        CheckOutcome("b", ("LIST-COUNT",), "failed", "off by one"),
    ])
    assert status_of(results, "LIST-COUNT") == FAILED
    should = [CheckOutcome("a", ("LIST-ORDER",), BLOCKED, "no task")]
    assert status_of(requirement_results(should), "LIST-ORDER") == BLOCKED
    assert verdict(requirement_results(should)) == "pass"
    assert verdict(requirement_results(should, strict=True), strict=True) == "fail"
