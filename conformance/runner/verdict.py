"""From check outcomes to requirement statuses and the run's verdict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from conformance.contracts.requirements import Requirement, catalogue, strongest

# Requirement statuses, worst first. BLOCKED: a check of it could not run (what it needed from the target,
# e.g. an active task, could not be had), so the requirement was not verified; the cause fails elsewhere.
FAILED, WARNING, BLOCKED, PASSED, SKIPPED, NOT_RUN = "failed", "warning", "blocked", "passed", "skipped", "not run"
STATUS_ORDER = (FAILED, WARNING, BLOCKED, PASSED, SKIPPED, NOT_RUN)


@dataclass
class CheckOutcome:
    """The result of one check (a pytest test) as the verdict sees it."""

    nodeid: str
    requirements: tuple[str, ...]
    outcome: str  # "passed", "failed", "skipped", "blocked" (what it needed could not be had: it did not judge)
    message: str = ""
    duration: float = 0.0
    broken: tuple[str, ...] = ()  # the requirements a failure names; empty = all of the check's

    @property
    def breaks(self) -> tuple[str, ...]:
        """The requirements a failure counts against: those it names among its own, else all of its own."""
        named = tuple(r for r in self.broken if r in self.requirements)
        return named or self.requirements

    @property
    def level(self) -> str:
        cat = catalogue()
        return strongest([cat[r].level for r in self.requirements if r in cat])


def failed_outcome(phase: str, requirements: tuple[str, ...], broken: tuple[str, ...], blocked: bool = False) -> str:
    """The outcome of a check whose `phase` ("setup", "call", "teardown") failed: BLOCKED when its set-up failed, or
    it raised expect.Blocked (what it needed could not be had), without naming one of the check's own
    requirements; else FAILED."""
    if (phase == "setup" or blocked) and not set(broken) & set(requirements):
        return BLOCKED
    return FAILED


@dataclass
class RequirementResult:
    requirement: Requirement
    status: str
    checks: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def requirement_results(outcomes: list[CheckOutcome], strict: bool = False) -> list[RequirementResult]:
    """Every catalogue requirement with its status, in catalogue order."""
    results = {rid: RequirementResult(req, NOT_RUN) for rid, req in catalogue().items()}
    seen: dict[str, Counter[str]] = {rid: Counter() for rid in results}
    for o in outcomes:
        for rid in o.requirements:
            if rid not in results:
                continue
            results[rid].checks.append(o.nodeid)
            outcome = o.outcome
            if outcome == "failed" and rid not in o.breaks:
                continue  # the failure names other requirements: no verdict on this one from this check
            seen[rid][outcome] += 1
            if outcome in ("failed", "skipped", "blocked") and o.message:
                results[rid].messages.append(o.message)
    for rid, result in results.items():
        counts = seen[rid]
        if counts["failed"]:
            result.status = FAILED if counts_for_verdict(result.requirement.level, strict) else WARNING
        elif counts["blocked"]:
            result.status = BLOCKED
        elif counts["passed"]:
            result.status = PASSED
        elif counts["skipped"]:
            result.status = SKIPPED
    return list(results.values())


def verdict(results: list[RequirementResult], strict: bool = False) -> str:
    """'fail' when a requirement failed, or when one that would fail the verdict (a MUST; a SHOULD when strict)
    is blocked: it was not verified. Else 'pass' (warnings allowed)."""
    for r in results:
        if r.status == FAILED or (r.status == BLOCKED and counts_for_verdict(r.requirement.level, strict)):
            return "fail"
    return "pass"


def counts_for_verdict(level: str, strict: bool) -> bool:
    """Whether a failure of a requirement of this level fails the verdict (else it is a warning)."""
    return level == "MUST" or (strict and level == "SHOULD")


def counts(results: list[RequirementResult]) -> dict[str, dict[str, int]]:
    """{level: {status: n}} for every level and status."""
    out = {level: dict.fromkeys(STATUS_ORDER, 0) for level in ("MUST", "SHOULD", "MAY")}
    for r in results:
        out[r.requirement.level][r.status] += 1
    return out
