"""The run result: built once at the end of a run from the check outcomes and the facts of the run.

The verdict, the exit code, the terminal summary, results.json, JUnit XML, the HTML report and the evidence HAR
are all made from a `RunResult` and nothing else. Every string in it has been through the run's redactor.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.contracts.requirements import Requirement
from conformance.runner.outcomes.compare import Comparison, compare
from conformance.runner.outcomes.verdict import (
    WARNING,
    RequirementResult,
    Verdict,
    check_status,
    decide,
    exit_code,
    json_status,
    requirement_results,
    waive,
)
from conformance.runner.records.evidence import Exchange
from conformance.runner.records.outcome import BLOCKED, FAILED, CheckOutcome, CleanupResult
from conformance.runner.records.results_file import Status
from conformance.runner.settings.waivers import Waiver, WaiverReport


@dataclass(frozen=True)
class RunFacts:
    """What the reports say about a run besides its outcomes (all redacted)."""

    suite_version: str
    target_url: str | None  # without credentials, query or fragment
    api_prefix: str
    embedded: bool
    server_version: str | None
    profile: str  # the generation the target was judged by
    profile_reason: str  # why that one (a flag, the server's release, the prefix that answered)
    seed: int | None
    run_prefix: str | None
    read_only: bool
    strict: bool
    fuzz_budget: int
    started: float  # epoch seconds
    finished: float
    config: Mapping[str, Mapping[str, Any]]  # the effective settings, secrets "[REDACTED]"
    sources: Mapping[str, str]  # where each setting's value came from
    reference_faults: tuple[str, ...] = ()
    reference_variations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # how the run talked to the target: insecure TLS, 429s, pacing
    fuzzing: tuple[str, ...] = ()  # the fuzz tiers' summary lines
    traffic: str | None = None  # the rate the run used, and the server's announced limit
    cleanup: CleanupResult | None = None
    error: str | None = None  # why the run could not conclude (the preflight failed)
    stopped: str | None = None  # why it stopped before all its checks ran (interrupted, target stopped answering)
    interrupted: str | None = None  # "SIGINT" or "SIGTERM"
    rerun: str = "tasks-conformance run"  # the command that repeats the run (secrets left out), without --check
    rerun_check: str = "tasks-conformance run"  # the same with a report directory of its own, for `--check ID`
    baseline: str | None = None  # the results.json the run was compared with
    deleted_tasks: tuple[str, ...] = ()  # ids of the run's tasks that no longer exist at its end (its cleanup's)
    exchanges: tuple[tuple[str, Exchange], ...] = ()  # every exchange of the run, with what sent it (evidence.har)
    exchanges_left_out: str = ""  # what of the run's traffic `exchanges` does not hold, in words ("" nothing)
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def duration(self) -> float:
        return max(self.finished - self.started, 0.0)


@dataclass(frozen=True)
class CheckResult:
    """A check as the reports show it."""

    outcome: CheckOutcome
    status: str  # passed, failed, warning (breaks only SHOULD/MAY), blocked, skipped
    level: str  # the strongest level among its requirements
    rerun: str  # reruns just this check with the same seed


@dataclass(frozen=True)
class RunResult:
    facts: RunFacts
    checks: tuple[CheckResult, ...]
    requirements: tuple[RequirementResult, ...]
    verdict: Verdict
    exit_code: int
    waivers: WaiverReport
    comparison: Comparison | None  # against the baseline, when one was given

    @property
    def incomplete(self) -> bool:
        return self.facts.stopped is not None

    def problems(self) -> list[CheckResult]:
        """Failed, warned and blocked checks, failed first, each in run order."""
        order = (FAILED, WARNING, BLOCKED)
        return sorted((c for c in self.checks if c.status in order), key=lambda c: order.index(c.status))

    def unverified_by(self, check: CheckResult) -> list[RequirementResult]:
        """The requirements a failed check left not verified: it stopped at the failure of another of its own, and
        nothing else verified them (they are blocked, with this failure as their cause)."""
        o = check.outcome
        if o.status != FAILED or o.complete:
            return []
        ids = set(o.requirements) - set(o.breaks)
        return [r for r in self.requirements if r.requirement.id in ids and r.status == BLOCKED]

    def blocked_causes(self) -> list[Cause]:
        """The blocked checks grouped by what blocked them: one cause, however many checks it stopped."""
        causes: dict[str, Cause] = {}
        for check in self.checks:
            if check.status != BLOCKED:
                continue
            o = check.outcome
            key = " ".join(o.broken) or message_shape(o.message)
            cause = causes.setdefault(key, Cause(o.broken, o.message, [], []))
            cause.checks.append(check)
        for cause in causes.values():
            ids = {rid for c in cause.checks for rid in c.outcome.requirements}
            cause.requirements.extend(r for r in self.requirements
                                      if r.requirement.id in ids and r.status == BLOCKED)
        return list(causes.values())


@dataclass
class Cause:
    """What blocked some checks: the requirements it breaks (where a check named them) and the first message."""

    breaks: tuple[str, ...]
    message: str
    checks: list[CheckResult]
    requirements: list[RequirementResult]


def build_result(outcomes: Iterable[CheckOutcome], facts: RunFacts, catalogue: Mapping[str, Requirement], *,
                 waivers: Iterable[Waiver] = (), baseline: Mapping[str, Status] | None = None,
                 unpromised: Mapping[str, str] | None = None) -> RunResult:
    """The one result of a run: requirement statuses (waivers applied), the verdict, the exit code. `catalogue` is
    the requirements of the profile the run judged by; `unpromised` those the server's release predates."""
    outcomes = list(outcomes)
    levels = {rid: r.level for rid, r in catalogue.items()}
    requirements = requirement_results(outcomes, catalogue, facts.strict, unpromised)
    report = waive(requirements, waivers, facts.today, facts.profile, facts.server_version)
    comparison = None
    if baseline is not None:
        comparison = compare(baseline, {r.requirement.id: Status(json_status(r.status), r.requirement.level)
                                        for r in requirements})
    stopped = facts.stopped if facts.stopped else None
    error = facts.error or (f"{stopped} before all checks ran: the results are incomplete" if stopped else None)
    verdict = decide(requirements, strict=facts.strict, error=error, incomplete=stopped is not None,
                     expired_waivers=[w.describe() for w in report.expired],
                     regressions=([c.line() for c in comparison.regressed + comparison.unverified]
                                  if comparison is not None else None))
    checks = tuple(
        CheckResult(o, check_status(o, levels, facts.strict, report.waived), _strongest(levels, o.requirements),
                    f"{facts.rerun_check} --check {shlex.quote(o.id)}")
        for o in outcomes
    )
    return RunResult(facts, checks, tuple(requirements), verdict,
                     exit_code(verdict, interrupted=facts.interrupted if stopped else None), report, comparison)


_VARYING = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|ct-[a-z0-9]{6}[\w-]*|\d+(\.\d+)?")


def message_shape(message: str) -> str:
    """A message with its ids, task names and numbers taken out: the same cause reads the same."""
    return _VARYING.sub("#", message)


def _strongest(levels: Mapping[str, str], ids: Iterable[str]) -> str:
    found = [levels[r] for r in ids if r in levels]
    return min(found, key=("MUST", "SHOULD", "MAY").index) if found else "MAY"
