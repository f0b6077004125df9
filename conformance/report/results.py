"""results.json: the run result as plain data (validates against results.schema.json, shipped in this package)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from conformance.runner.outcomes.result import CheckResult, RunResult
from conformance.runner.outcomes.verdict import LEVELS, STATUS_ORDER, RequirementResult, json_status

FORMAT_VERSION = 6  # 2: "blocked"; 3: stable check ids, waived, partial verdicts, cleanup, baseline; 4: profiles;
# 5: traffic; 6: what the run caused and does not hold (unknown, foreign, caused tasks), waived checks, baseline objects
RESULTS_FILE = "results.json"
SCHEMA_FILE = "results.schema.json"
CHECK_STATUSES = ("failed", "warning", "blocked", "waived", "passed", "skipped")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def to_dict(result: RunResult) -> dict[str, Any]:
    """The results dict (see results.schema.json and the README's "results.json" section)."""
    facts = result.facts
    cleanup = facts.cleanup
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "suite": {"name": "tasks-conformance", "version": facts.suite_version},
        "verdict": result.verdict.status,
        "verdict_label": result.verdict.label,
        "verdict_reasons": list(result.verdict.reasons),
        "partial": result.verdict.partial or None,
        "exit_code": result.exit_code,
        "error": facts.error or (f"{facts.stopped} before all checks ran (exit code {result.exit_code}): the "
                                 "results are incomplete" if facts.stopped else None) or (
            result.verdict.reasons[0] if result.verdict.status == "error" and result.verdict.reasons else None),
        "incomplete": result.incomplete,
        "target": {
            "url": facts.target_url,
            "api_prefix": facts.api_prefix,
            "embedded": facts.embedded,
            "server_version": facts.server_version,
            "profile": facts.profile,
            "profile_reason": facts.profile_reason,
            "reference_faults": list(facts.reference_faults),
            "reference_variations": list(facts.reference_variations),
        },
        "seed": facts.seed,
        "run_prefix": facts.run_prefix,
        "rerun": facts.rerun,
        "read_only": facts.read_only,
        "strict": facts.strict,
        "fuzz_budget": facts.fuzz_budget,
        "started_at": _iso(facts.started),
        "finished_at": _iso(facts.finished),
        "duration_seconds": round(facts.duration, 3),
        "counts": {"requirements": requirement_counts(result.requirements), "checks": check_counts(result.checks)},
        "requirements": [_requirement_row(r) for r in result.requirements],
        "checks": [_check_row(c) for c in result.checks],
        "leftovers": list(cleanup.left) if cleanup else [],
        "unknown_tasks": list(cleanup.unknown) if cleanup else [],
        "foreign_tasks": list(cleanup.foreign) if cleanup else [],
        "caused_tasks": list(cleanup.caused) if cleanup else [],
        "swept": list(cleanup.swept) if cleanup else [],
        "cleanup_abandoned": cleanup.abandoned if cleanup else None,
        "waivers": result.waivers.notes(),
        "baseline": None if result.comparison is None else {"file": facts.baseline, **result.comparison.as_dict()},
        "notes": list(facts.notes),
        "traffic": facts.traffic,
        "config": {table: dict(values) for table, values in facts.config.items()},
        "sources": dict(facts.sources),
    }
    return data


def requirement_counts(reqs: tuple[RequirementResult, ...] | list[RequirementResult]) -> dict[str, dict[str, int]]:
    """{level: {status: n, ..., "total": n}} with every level and status present."""
    out: dict[str, dict[str, int]] = {}
    for level in LEVELS:
        row = dict.fromkeys((json_status(s) for s in STATUS_ORDER), 0)
        for r in reqs:
            if r.requirement.level == level:
                row[json_status(r.status)] += 1
        row["total"] = sum(row.values())
        out[level] = row
    return out


def check_counts(checks: tuple[CheckResult, ...]) -> dict[str, int]:
    counter = Counter(c.status for c in checks)
    out = {s: counter.get(s, 0) for s in CHECK_STATUSES}
    out["total"] = len(checks)
    return out


def _requirement_row(r: RequirementResult) -> dict[str, Any]:
    req = r.requirement
    return {
        "id": req.id,
        "level": req.level,
        "area": req.area,
        "endpoint": req.endpoint,
        "statement": req.title,
        "source": req.source,
        "status": json_status(r.status),
        "checks": list(r.checks),
        "messages": list(r.messages),
        "note": r.note or None,
        "promised": r.promised,
    }


def _check_row(c: CheckResult) -> dict[str, Any]:
    o = c.outcome
    return {
        "id": o.id,
        "requirements": list(o.requirements),
        "broken": list(o.broken) if o.status == "failed" else [],
        "level": c.level,
        "outcome": c.status,
        "duration_seconds": round(o.duration, 4),
        "message": o.message or None,
        "rerun": c.rerun if c.status in ("failed", "warning", "blocked", "waived") else None,
        "properties": dict(o.properties),
    }


def schema() -> dict[str, Any]:
    """The JSON Schema of results.json (Draft 2020-12), shipped as conformance/report/results.schema.json."""
    text = (resources.files("conformance.report") / SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def to_json(result: RunResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
