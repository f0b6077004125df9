"""The summary printed at the end of a run, as lines: what failed first, then warnings, then what was blocked
(one line per cause, however many checks it stopped), the counts, the cleanup, the notes, the verdict."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from conformance.report.spared import spared
from conformance.runner.outcomes.result import RunResult
from conformance.runner.outcomes.verdict import (
    BLOCKED,
    FAILED,
    LEVELS,
    NOT_RUN,
    PASSED,
    SKIPPED,
    WAIVED,
    WARNING,
    RequirementResult,
    counts,
)

_MAX_LINES = 2  # per requirement: the table stays compact; the reports have the full message
_SHOWN_IDS = 6
_SHOWN_TASKS = 5  # tasks named per cleanup line (the reports name every one)


@dataclass(frozen=True)
class Line:
    text: str
    markup: tuple[str, ...] = ()  # pytest's terminal markup names: "red", "yellow", "green", "bold"


def _rows(head: str, detail: str, width: int, markup: tuple[str, ...]) -> list[Line]:
    """The line, with a long detail wrapped onto an indented continuation line."""
    room = max(width - len(head), 40)
    wrapped = textwrap.wrap(detail, room, break_long_words=True, break_on_hyphens=False, max_lines=_MAX_LINES,
                            placeholder=" ...") or [""]
    return [Line(head + wrapped[0], markup)] + [Line(" " * len(head) + more, markup) for more in wrapped[1:]]


def summary(result: RunResult, width: int = 120) -> list[Line]:
    facts = result.facts
    target = Line(f"target {facts.target_url}{facts.api_prefix}"
                  + (" (embedded reference server)" if facts.embedded else ""))
    if facts.error:  # the preflight stopped the run: no check ran, the one line says why
        return [target, *_cleanup(result), verdict_line(result)]
    out = [target, Line(f"judged by the {facts.profile} profile: {facts.profile_reason}")]
    failed = [r for r in result.requirements if r.status == FAILED]
    warned = [r for r in result.requirements if r.status == WARNING]
    failed.sort(key=lambda r: LEVELS.index(r.requirement.level))
    if failed or warned or any(r.status == BLOCKED for r in result.requirements):
        out.append(Line(f"{'':5} {'LEVEL':6} {'REQUIREMENT':28} FIRST FAILURE"))
    for r in failed + warned:
        label = "FAIL" if r.status == FAILED else "WARN"
        head = f"{label:5} {r.requirement.level:6} {r.requirement.id:28} "
        out += _rows(head, r.messages[0] if r.messages else r.requirement.title, width,
                     ("red",) if r.status == FAILED else ("yellow",))
    for check in result.checks:
        unverified = result.unverified_by(check)
        if unverified:
            out += _rows(f"{'BLOCK':5} ", f"{check.outcome.id} stopped at the failure of "
                         f"{', '.join(check.outcome.breaks)}: {_not_verified(unverified)}", width, ("yellow",))
    for cause in result.blocked_causes():
        if not cause.requirements:
            continue
        cause_text = (f"{' '.join(cause.breaks)} failed: " if cause.breaks else "") + cause.message
        out += _rows(f"{'BLOCK':5} {len(cause.checks)} check(s) could not run: ", cause_text, width, ("yellow",))
        out += _rows(f"{'':5} ", _not_verified(cause.requirements), width, ("yellow",))
    for r in result.requirements:
        if r.status == WAIVED:
            out += _rows(f"{'WAIVE':5} {r.requirement.level:6} {r.requirement.id:28} ", r.note, width, ("yellow",))
    for level, c in counts(result.requirements).items():
        total = sum(c.values())
        out.append(Line(f"{level:6} {total:3} requirements: {c[PASSED]} passed, {c[FAILED]} failed, "
                        f"{c[WARNING]} warnings, " + (f"{c[BLOCKED]} blocked, " if c[BLOCKED] else "")
                        + (f"{c[WAIVED]} waived, " if c[WAIVED] else "")
                        + f"{c[SKIPPED]} skipped, {c[NOT_RUN]} not run"))
    out += _cleanup(result)
    out += [Line(f"waiver: {text}", ("yellow",)) for text in result.waivers.notes()]
    if result.comparison is not None:
        comparison = result.comparison
        out.append(Line(f"baseline {facts.baseline}: {len(comparison.regressed)} regressed, "
                        f"{len(comparison.unverified)} no longer verified, {len(comparison.fixed)} fixed, "
                        f"{len(comparison.changed)} changed"))
        out += [Line(f"  regressed {c.line()}", ("red",)) for c in comparison.regressed]
        out += [Line(f"  unverified {c.line()}", ("red",)) for c in comparison.unverified]
        out += [Line(f"  fixed {c.line()}", ("green",)) for c in comparison.fixed]
    if facts.traffic:
        out.append(Line(f"traffic: {facts.traffic}"))
    out += [Line(f"note: {note}", ("yellow",)) for note in facts.notes]
    release_note = spared(result)
    if release_note:
        out.append(Line(f"release: {release_note}"))
    out.append(verdict_line(result))
    return out


def _cleanup(result: RunResult) -> list[Line]:
    """What the end of the run did about the tasks it caused, and what it did not touch."""
    cleanup = result.facts.cleanup
    if cleanup is None:
        return []
    return [Line(f"cleanup: {text}", ("red",) if problem else ("yellow",))
            for text, problem in cleanup.sentences(shown=_SHOWN_TASKS)]


def _not_verified(requirements: list[RequirementResult]) -> str:
    ids = [r.requirement.id for r in requirements]
    musts = sum(1 for r in requirements if r.requirement.level == "MUST")
    shown = ", ".join(ids[:_SHOWN_IDS]) + (f" and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else "")
    return f"not verified: {len(ids)} requirement(s), {musts} MUST: {shown}"


def verdict_line(result: RunResult) -> Line:
    verdict = result.verdict
    if result.incomplete:
        return Line(f"verdict: {verdict.label} ({result.facts.stopped}; the results cover only the checks that ran)",
                    ("bold", "red"))
    if verdict.status == "error":
        why = verdict.reasons[0] if verdict.reasons else "the run could not conclude"
        return Line(f"verdict: {verdict.label} ({why})", ("bold", "red"))
    return Line(f"verdict: {verdict.label}", ("bold", "red" if verdict.status == "fail" else "green"))


def fuzzing(result: RunResult) -> list[Line]:
    """The fuzz tiers' lines (their own section), when fuzzing ran."""
    return [Line(text, ("red",) if " 0 failure(s)" not in text and "failure(s)" in text else ())
            for text in result.facts.fuzzing]
