"""The per-requirement summary printed at the end of a run: a compact table, failed MUSTs first, then warnings,
then the blocked requirements (a check of theirs could not run)."""

from __future__ import annotations

import textwrap
from typing import Any

from conformance.runner.session import RunContext
from conformance.runner.verdict import (
    BLOCKED,
    FAILED,
    NOT_RUN,
    PASSED,
    SKIPPED,
    WARNING,
    RequirementResult,
    counts,
    verdict,
)

_LABELS = {FAILED: "FAIL", WARNING: "WARN", BLOCKED: "BLOCK"}  # the statuses listed, in this order
_LEVELS = ("MUST", "SHOULD", "MAY")
_DEFAULT_WIDTH = 120
_MAX_LINES = 2  # per requirement: the table stays compact; the reports have the full message


def _width(tr: Any) -> int:
    try:
        return max(int(tr._tw.fullwidth), 100)
    except (AttributeError, TypeError, ValueError):
        return _DEFAULT_WIDTH


def _rows(line: str, detail: str, width: int) -> list[str]:
    """The line, with a long detail wrapped onto an indented continuation line."""
    room = max(width - len(line), 40)
    wrapped = textwrap.wrap(detail, room, break_long_words=True, break_on_hyphens=False, max_lines=_MAX_LINES,
                            placeholder=" ...") or [""]
    return [line + wrapped[0]] + [" " * len(line) + more for more in wrapped[1:]]


def write_summary(tr: Any, results: list[RequirementResult], run: RunContext, notes: list[str] | None = None,
                  error: str | None = None) -> None:
    width = _width(tr)
    tr.section("tasks-conformance: requirements", sep="=")
    target = run.config.target
    tr.write_line(f"target {target.url}{target.api_prefix}" + (" (embedded reference server)"
                                                             if run.server is not None else ""))
    order = list(_LABELS)
    shown = sorted((r for r in results if r.status in _LABELS),
                   key=lambda r: (order.index(r.status), _LEVELS.index(r.requirement.level)))
    if shown:
        tr.write_line(f"{'':5} {'LEVEL':6} {'REQUIREMENT':28} FIRST FAILURE")
    for r in shown:
        line = f"{_LABELS[r.status]:5} {r.requirement.level:6} {r.requirement.id:28} "
        detail = r.messages[0] if r.messages else r.requirement.title
        for row in _rows(line, detail, width):
            tr.write_line(row, red=r.status == FAILED, yellow=r.status != FAILED)
    by_level = counts(results)
    for level, c in by_level.items():
        total = sum(c.values())
        tr.write_line(f"{level:6} {total:3} requirements: {c[PASSED]} passed, {c[FAILED]} failed, "
                      f"{c[WARNING]} warnings, " + (f"{c[BLOCKED]} blocked, " if c[BLOCKED] else "")
                      + f"{c[SKIPPED]} skipped, {c[NOT_RUN]} not run")
    cleanup = run.cleanup
    if cleanup is not None and cleanup.swept:
        tr.write_line(f"cleanup: the final sweep removed {len(cleanup.swept)} task(s) their checks had not: "
                      + ", ".join(cleanup.swept[:5]), yellow=True)
    if cleanup is not None and cleanup.left:
        tr.write_line(f"cleanup: {len(cleanup.left)} task(s) of this run are still on the target: "
                      + ", ".join(cleanup.left[:5]), red=True)
    if cleanup is not None and cleanup.abandoned:
        tr.write_line(f"cleanup: {cleanup.abandoned}", red=True)
    for note in notes or []:
        tr.write_line(f"note: {note}", yellow=True)
    stop = getattr(run, "stop_reason", None)
    if error:
        tr.write_line(f"verdict: ERROR ({error})", bold=True, red=True)
        return
    if stop:
        tr.write_line(f"verdict: INCOMPLETE ({stop}; the results cover only the checks that ran)", bold=True,
                      red=True)
        return
    v = verdict(results, run.config.run.strict)
    tr.write_line(f"verdict: {v.upper()}", bold=True, red=v == "fail", green=v == "pass")
