"""The per-requirement summary printed at the end of a run: failed MUSTs first, then warnings."""

from __future__ import annotations

from typing import Any

from conformance.session import RunContext
from conformance.verdict import FAILED, NOT_RUN, PASSED, SKIPPED, WARNING, RequirementResult, counts, verdict

_SHOWN = (FAILED, WARNING)
_WIDTH = 100


def write_summary(tr: Any, results: list[RequirementResult], run: RunContext) -> None:
    tr.section("tasks-conformance: requirements", sep="=")
    target = run.config.target
    tr.write_line(f"target {target.url}{target.api_prefix}" + (" (embedded reference server)"
                                                             if run.server is not None else ""))
    order = {FAILED: 0, WARNING: 1}
    shown = sorted((r for r in results if r.status in _SHOWN),
                   key=lambda r: (order[r.status], ("MUST", "SHOULD", "MAY").index(r.requirement.level)))
    for r in shown:
        label = "FAIL" if r.status == FAILED else "WARN"
        line = f"{label:4} {r.requirement.level:6} {r.requirement.id:28} "
        detail = r.messages[0] if r.messages else r.requirement.title
        tr.write_line((line + detail)[:_WIDTH * 2], red=r.status == FAILED, yellow=r.status == WARNING)
    by_level = counts(results)
    for level, c in by_level.items():
        total = sum(c.values())
        tr.write_line(f"{level:6} {total:3} requirements: {c[PASSED]} passed, {c[FAILED]} failed, "
                      f"{c[WARNING]} warnings, {c[SKIPPED]} skipped, {c[NOT_RUN]} not run")
    if run.leftovers:
        tr.write_line(f"cleanup: {len(run.leftovers)} leftover task(s) removed by the sweep: "
                      + ", ".join(run.leftovers[:5]), yellow=True)
    v = verdict(results)
    tr.write_line(f"verdict: {v.upper()}", bold=True, red=v == "fail", green=v == "pass")
