"""From check outcomes to requirement statuses, and the run's one verdict.

Every status the reports and the verdict read is decided here: `check_status` a check's, `requirement_results` every
requirement's of the catalogue, `waive` what the waivers change of them; `decide` is the only place a verdict is made
(pass, fail, error; partial or not); `exit_code` the only place the process's exit code is.
"""

from __future__ import annotations

import datetime as dt
import signal
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from conformance.contracts.requirements import Requirement
from conformance.runner.records.outcome import BLOCKED, FAILED, PASSED, SKIPPED, CheckOutcome, counted_against
from conformance.runner.settings.exitcodes import EXIT_FAIL, EXIT_PASS, EXIT_SIGNAL_BASE, EXIT_UNREACHABLE
from conformance.runner.settings.waivers import Waiver, WaiverReport, judge, live

# Requirement statuses, worst first. BLOCKED: a check of it could not run (what it needed from the target, e.g. an
# active task, could not be had), or stopped at another requirement's failure before it got to this one: not
# verified; the cause fails elsewhere. WAIVED: failed or blocked, and a waiver that has not expired covers it.
WARNING, WAIVED, NOT_RUN = "warning", "waived", "not run"
STATUS_ORDER = (FAILED, WARNING, BLOCKED, WAIVED, PASSED, SKIPPED, NOT_RUN)
WAIVABLE = (FAILED, WARNING, BLOCKED)  # the statuses a waiver that covers them turns into WAIVED
LEVELS = ("MUST", "SHOULD", "MAY")
PASS, FAIL, ERROR = "pass", "fail", "error"


def json_status(status: str) -> str:
    """A status as a JSON identifier: 'not run' becomes 'not_run'."""
    return status.replace(" ", "_")


def counts_for_verdict(level: str, strict: bool) -> bool:
    """Whether a failure of a requirement of this level fails the verdict (else it is a warning)."""
    return level == "MUST" or (strict and level == "SHOULD")


def check_status(outcome: CheckOutcome, levels: Mapping[str, str], strict: bool,
                 waived: Collection[str] = ()) -> str:
    """A check's status in the reports: passed, skipped, blocked, failed (breaks a MUST, or a SHOULD with strict)
    or warning (breaks only SHOULD/MAY requirements); waived when it failed, warned or was blocked and every
    requirement it breaks (blocked: every one of its own) is among the `waived` ones."""
    status = outcome.status
    if status == FAILED:
        broken = [levels[r] for r in outcome.breaks if r in levels]
        if broken and not any(counts_for_verdict(level, strict) for level in broken):
            status = WARNING
    if status in WAIVABLE and _all_covered(waiver_subject(status, outcome.broken, outcome.requirements), waived):
        return WAIVED
    return status


def waiver_subject(status: str, broken: tuple[str, ...], own: tuple[str, ...]) -> tuple[str, ...]:
    """The requirements whose waivers decide whether a check of this status is waived: those a failure (or warning)
    counts against, every one of a blocked check's own; none for another status."""
    if status in (FAILED, WARNING):
        return counted_against(broken, own)
    return own if status == BLOCKED else ()


def _all_covered(ids: Collection[str], waived: Collection[str]) -> bool:
    """The waiver rule for a check: waived when there is something to waive and a waiver covers every one of it."""
    return bool(ids) and all(rid in waived for rid in ids)


def waived_words(waivers: Iterable[Waiver], requirements: Collection[str], today: dt.date, profile: str | None,
                 server_version: str | None) -> str | None:
    """While the run goes (before its result): what the waivers say when the rule of check_status waives a check
    whose failure breaks `requirements`; None when it does not."""
    covering = live(waivers, today, profile, server_version)
    if not _all_covered(requirements, covering):
        return None
    return "; ".join(f"{rid} until {covering[rid].expires.isoformat()} ({covering[rid].reason})"
                     for rid in requirements)


def waive(results: Iterable[RequirementResult], waivers: Iterable[Waiver], today: dt.date, profile: str | None,
          server_version: str | None) -> WaiverReport:
    """Apply the waivers that cover this run to the requirement results (WAIVABLE ones become WAIVED, with the
    waiver's words as their note); what the waivers did, for the reports and the verdict."""
    results = list(results)
    report = judge(waivers, {r.requirement.id: r.status for r in results}, today, profile, server_version,
                   waivable=WAIVABLE)
    for result in results:
        waiver = report.waived.get(result.requirement.id)
        if waiver is not None:
            result.status, result.note = WAIVED, f"waived until {waiver.expires.isoformat()}: {waiver.reason}"
    return report


@dataclass
class RequirementResult:
    requirement: Requirement
    status: str
    checks: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    note: str = ""  # what a waiver says about it
    promised: bool = True  # False: the server's release predates it (skipped, with the reason in the note)


def requirement_results(outcomes: Iterable[CheckOutcome], catalogue: Mapping[str, Requirement],
                        strict: bool = False, unpromised: Mapping[str, str] | None = None
                        ) -> list[RequirementResult]:
    """Every catalogue requirement with its status, in catalogue order; those `unpromised` names (the server's
    release predates them) skipped, with the reason."""
    unpromised = unpromised or {}
    results = {rid: RequirementResult(req, NOT_RUN) for rid, req in catalogue.items()}
    seen: dict[str, Counter[str]] = {rid: Counter() for rid in results}
    said: dict[str, dict[str, list[str]]] = {rid: {FAILED: [], BLOCKED: [], SKIPPED: []} for rid in results}
    for o in outcomes:
        for rid in o.requirements:
            if rid not in results:
                continue
            results[rid].checks.append(o.id)
            status, message = o.status, o.message
            if status == FAILED and rid not in o.breaks:
                if o.complete:  # the check judged this one too, and its failure does not name it: it held
                    status, message = PASSED, ""
                else:  # the check stopped at the failure of another of its requirements first
                    status = BLOCKED
                    message = f"not verified: {o.id} stopped at the failure of {', '.join(o.breaks)} ({o.message})"
            seen[rid][status] += 1
            if status in said[rid] and message:
                said[rid][status].append(message)
    for rid, result in results.items():
        counts = seen[rid]
        if counts[FAILED]:
            result.status = FAILED if counts_for_verdict(result.requirement.level, strict) else WARNING
        elif counts[BLOCKED]:
            result.status = BLOCKED
        elif counts[PASSED]:
            result.status = PASSED
        elif counts[SKIPPED]:
            result.status = SKIPPED
        result.messages = list(dict.fromkeys(m for status in (FAILED, BLOCKED, SKIPPED) for m in said[rid][status]))
        result.checks = list(dict.fromkeys(result.checks))
        if rid in unpromised and result.status == NOT_RUN:
            result.status, result.promised, result.note = SKIPPED, False, unpromised[rid]
            result.messages = [unpromised[rid]]
    return list(results.values())


def counts(results: Iterable[RequirementResult]) -> dict[str, dict[str, int]]:
    """{level: {status: n}} for every level and status."""
    out = {level: dict.fromkeys(STATUS_ORDER, 0) for level in LEVELS}
    for r in results:
        out[r.requirement.level][r.status] += 1
    return out


@dataclass(frozen=True)
class Verdict:
    """The run's verdict, as every report shows it."""

    status: str  # PASS, FAIL or ERROR
    label: str  # "PASS", "FAIL", "ERROR", "INCOMPLETE", with "(partial: ...)" when MUST requirements did not run
    reasons: tuple[str, ...] = ()  # why it failed or could not conclude, one line each
    partial: str = ""  # e.g. "50 of 86 MUST requirements not run"


def unverified(results: Iterable[RequirementResult]) -> str | None:
    """Why no MUST requirement was verified although checks of some ran (each skipped), or None: at least one
    passed, failed or was blocked, or none ran at all (a selection of other checks: not a run of the MUSTs)."""
    musts = [r for r in results if r.requirement.level == "MUST" and r.promised]
    if not musts or any(r.status in (PASSED, FAILED, BLOCKED, WAIVED) for r in musts):
        return None
    skipped = [r for r in musts if r.status == SKIPPED]
    if not skipped:
        return None
    why = next((m for r in skipped for m in r.messages), "every check was skipped")
    return f"no MUST requirement could be verified: every check of one that ran was skipped (first: {why})"


def decide(results: list[RequirementResult], *, strict: bool = False, error: str | None = None,
           incomplete: bool = False, expired_waivers: Iterable[str] = (),
           regressions: Iterable[str] | None = None) -> Verdict:
    """The one verdict of a run.

    - error: the run could not conclude (the preflight failed); incomplete: it stopped before all its checks ran
      (interrupted, the target stopped answering): both ERROR.
    - Without a baseline: FAIL when a requirement failed (a MUST; a SHOULD with strict: the statuses say so) or one
      that would fail it is blocked (it was not shown to hold), or a waiver has expired; else PASS.
    - With a baseline (`regressions` given): FAIL only on a regression (or a newly unverified MUST), or an expired
      waiver; a pass says how many known failures it carries ("PASS against the baseline: 4 known failures, 0
      regressed", the reasons naming them).
    A run in which MUST requirements did not run or were skipped says so: "PASS (partial: ...)". A run in which
    checks of MUST requirements ran but not one of them was verified (every one skipped: still rate limited, say) is
    never a pass: ERROR, with the first reason (`unverified`)."""
    error = error or unverified(results)
    if error or incomplete:
        return Verdict(ERROR, "INCOMPLETE" if incomplete else "ERROR", (error,) if error else ())
    reasons = [f"waiver expired: {text}" for text in expired_waivers]
    standing = [f"{r.requirement.id} {r.status}" for r in results if r.status == FAILED
                or (r.status == BLOCKED and counts_for_verdict(r.requirement.level, strict))]
    if regressions is not None:
        reasons += [f"regression: {text}" for text in regressions]
    else:
        reasons += standing
    status = FAIL if reasons else PASS
    against_baseline = ""
    if regressions is not None and status == PASS:
        # Known failures do not fail a run against its baseline, but they are not a clean pass either: said so.
        against_baseline = (f" against the baseline: {len(standing)} known failure{'' if len(standing) == 1 else 's'}"
                            ", 0 regressed")
        reasons = [f"known failure (in the baseline too): {text}" for text in standing]
    musts = [r for r in results if r.requirement.level == "MUST" and r.promised]
    not_run = sum(1 for r in musts if r.status == NOT_RUN)
    skipped = sum(1 for r in musts if r.status == SKIPPED)
    partial = ""
    if not_run and skipped:
        partial = (f"{not_run + skipped} of {len(musts)} MUST requirements not verified: {not_run} not run, "
                   f"{skipped} skipped")
    elif not_run or skipped:
        partial = f"{not_run or skipped} of {len(musts)} MUST requirements {'not run' if not_run else 'skipped'}"
    label = status.upper() + against_baseline + (f" (partial: {partial})" if partial else "")
    return Verdict(status, label, tuple(reasons), partial)


def exit_code(verdict: Verdict, *, interrupted: str | None = None) -> int:
    """0 pass, 1 fail; a run that could not conclude: 128 + the signal that interrupted it, else 3."""
    if verdict.status == PASS:
        return EXIT_PASS
    if verdict.status == FAIL:
        return EXIT_FAIL
    if interrupted:
        return EXIT_SIGNAL_BASE + int(getattr(signal, interrupted, signal.SIGINT))
    return EXIT_UNREACHABLE
