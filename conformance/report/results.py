"""The run's results as plain data: the one model behind results.json, the HTML report and the JUnit properties.

`build_results` turns the check outcomes into a dict that validates against `results.schema.json` (shipped in
this package); every string in it has been through the run's redactor.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import conformance
from conformance.contracts.requirements import LEVELS, catalogue
from conformance.runner.config import Config, display_url
from conformance.runner.ledger import CleanupResult
from conformance.runner.redact import Redactor
from conformance.runner.verdict import (
    BLOCKED,
    FAILED,
    PASSED,
    SKIPPED,
    STATUS_ORDER,
    WARNING,
    CheckOutcome,
    RequirementResult,
    counts_for_verdict,
    requirement_results,
    verdict,
)

FORMAT_VERSION = 2  # 2: the "blocked" status
RESULTS_FILE = "results.json"
SCHEMA_FILE = "results.schema.json"
# Check outcomes in results.json, worst first. "warning": the check failed, but only SHOULD/MAY requirements;
# "blocked": it could not run (its set-up failed, or what it needed could not be had).
CHECK_STATUSES = (FAILED, WARNING, BLOCKED, PASSED, SKIPPED)
ERROR = "error"  # verdict of a run that could not conclude (preflight failed, interrupted, internal error)


def json_status(status: str) -> str:
    """Requirement statuses as JSON identifiers: 'not run' becomes 'not_run'."""
    return status.replace(" ", "_")


def check_status(outcome: CheckOutcome, strict: bool) -> str:
    """passed, skipped, blocked, failed (breaks a MUST, or a SHOULD with --strict) or warning (breaks only
    SHOULD/MAY)."""
    if outcome.outcome != FAILED:
        return outcome.outcome
    cat = catalogue()
    broken = [r for r in outcome.breaks if r in cat]
    if not broken:
        return FAILED
    return FAILED if any(counts_for_verdict(cat[r].level, strict) for r in broken) else WARNING


def redact_data(value: Any, redactor: Redactor) -> Any:
    """Every string in a JSON-like structure through the redactor."""
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, dict):
        return {redactor.text(str(k)): redact_data(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, redactor) for v in value]
    return value


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class RunFacts:
    """What the report writers know about a run besides its outcomes."""

    settings: Config
    redactor: Redactor
    started: float
    finished: float
    exit_code: int
    seed: int | None = None
    run_prefix: str | None = None
    server_version: str | None = None
    embedded: bool = False
    cleanup: CleanupResult | None = None  # what the end of the run did about the tasks it created
    error: str | None = None  # why the run could not conclude (e.g. the preflight failed)
    incomplete: bool = False  # the run stopped before all selected checks ran (interrupted, target stopped answering)
    notes: list[str] = field(default_factory=list)  # how the run talked to the target: insecure TLS, 429s, pacing


def build_results(outcomes: Iterable[CheckOutcome], facts: RunFacts) -> dict[str, Any]:
    """The results dict (see results.schema.json and the README's "results.json" section)."""
    outcomes = list(outcomes)
    settings = facts.settings
    strict = settings.run.strict
    reqs = requirement_results(outcomes, strict=strict)
    run_verdict = ERROR if facts.error else verdict(reqs, strict)
    target = settings.target
    check_rows = [_check_row(o, strict) for o in outcomes]
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "suite": {"name": "tasks-conformance", "version": conformance.__version__},
        "verdict": run_verdict,
        "exit_code": facts.exit_code,
        "error": facts.error,
        "incomplete": facts.incomplete,
        "target": {
            "url": display_url(target.url),
            "api_prefix": target.api_prefix,
            "embedded": facts.embedded,
            "server_version": facts.server_version,
            "reference_faults": list(settings.run.reference_faults) if facts.embedded else [],
            "reference_variations": list(settings.run.reference_variations) if facts.embedded else [],
        },
        "seed": facts.seed,
        "run_prefix": facts.run_prefix,
        "read_only": settings.run.read_only,
        "strict": strict,
        "fuzz_budget": getattr(settings.run, "fuzz_budget", None),
        "started_at": _iso(facts.started),
        "finished_at": _iso(facts.finished),
        "duration_seconds": round(max(facts.finished - facts.started, 0.0), 3),
        "counts": {
            "requirements": requirement_counts(reqs),
            "checks": _check_counts(check_rows),
        },
        "requirements": [_requirement_row(r) for r in reqs],
        "checks": check_rows,
        "leftovers": list(facts.cleanup.left) if facts.cleanup else [],
        "swept": list(facts.cleanup.swept) if facts.cleanup else [],
        "cleanup_abandoned": facts.cleanup.abandoned if facts.cleanup else None,
        "notes": list(facts.notes),
        "config": _config_data(settings),
    }
    return redact_data(data, facts.redactor)


def requirement_counts(reqs: list[RequirementResult]) -> dict[str, dict[str, int]]:
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


def _check_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counter = Counter(row["outcome"] for row in rows)
    out = {s: counter.get(s, 0) for s in CHECK_STATUSES}
    out["total"] = len(rows)
    return out


def _requirement_row(r: RequirementResult) -> dict[str, Any]:
    req = r.requirement
    return {
        "id": req.id,
        "level": req.level,
        "area": req.area,
        "endpoint": req.endpoint,
        "statement": req.title,
        "status": json_status(r.status),
        "checks": list(dict.fromkeys(r.checks)),
        "messages": list(dict.fromkeys(r.messages)),
    }


def _check_row(o: CheckOutcome, strict: bool) -> dict[str, Any]:
    return {
        "id": o.nodeid,
        "requirements": list(o.requirements),
        "broken": list(o.broken) if o.outcome == FAILED else [],
        "level": o.level,
        "outcome": check_status(o, strict),
        "duration_seconds": round(o.duration, 4),
        "message": o.message or None,
    }


def _config_data(settings: Config) -> dict[str, Any]:
    data = settings.redacted()
    if "url" in data.get("target", {}):
        data["target"]["url"] = display_url(data["target"]["url"])
    return data


# --- the file and its schema -----------------------------------------------------------------------------


def schema() -> dict[str, Any]:
    """The JSON Schema of results.json (Draft 2020-12), shipped as conformance/report/results.schema.json."""
    text = (resources.files("conformance.report") / SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def write_results(data: dict[str, Any], path: Path) -> Path:
    """Write results.json atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path

