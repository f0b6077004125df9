"""From check outcomes to requirement statuses and the verdict."""

from __future__ import annotations

from conformance.requirements import catalogue
from conformance.verdict import FAILED, NOT_RUN, PASSED, SKIPPED, WARNING, CheckOutcome, requirement_results, verdict


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
