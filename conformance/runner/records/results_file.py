"""A results.json this suite wrote, read back as user input: the requirement statuses and what the run judged by
(`--baseline`, `tasks-conformance diff`). Every row is checked: a results.json from elsewhere is user input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.runner.process.userfiles import UserFileError, load_json
from conformance.runner.records.redact import neutralize

MAX_RESULTS_BYTES = 256 * 1024 * 1024  # a results.json of a long run is a few MB
STATUSES = ("failed", "warning", "blocked", "waived", "passed", "skipped", "not_run")
_ID = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")  # the catalogue's ids: LIST-COUNT, GEN-NUL-NO-5XX


class ResultsFileError(ValueError):
    """A results.json that cannot be compared; the message says why, in one line."""


@dataclass(frozen=True)
class Status:
    status: str  # as in results.json: passed, failed, warning, blocked, waived, skipped, not_run
    level: str
    note: str | None = None  # why it was skipped or not run, as the run said (`matrix`)

    @property
    def against(self) -> bool:
        return self.status == "failed" or (self.status == "blocked" and self.level == "MUST")


@dataclass(frozen=True)
class RunSummary:
    """What `diff` needs of a results.json: the statuses and what the run judged by."""

    statuses: dict[str, Status]
    profile: str | None = None
    server_version: str | None = None
    target: str | None = None
    started_at: str | None = None
    verdict: str | None = None


def load_statuses(path: Path) -> dict[str, Status]:
    """Requirement id -> status of a results.json written by this suite."""
    return load_run(path).statuses


def load_run(path: Path) -> RunSummary:
    """A results.json written by this suite, as `diff` and `--baseline` read it."""
    try:
        data: Any = load_json(path, "results file", MAX_RESULTS_BYTES)
    except UserFileError as exc:
        raise ResultsFileError(str(exc)) from None
    statuses = statuses_of(data, str(path))
    target = data.get("target") if isinstance(data.get("target"), dict) else {}
    return RunSummary(statuses, _text(target.get("profile")), _text(target.get("server_version")),
                      _text(target.get("url")), _text(data.get("started_at")), _text(data.get("verdict")))


def _text(value: Any) -> str | None:
    """A word of a results.json that `diff` shows (a profile, a release, a URL): one line, no terminal escapes."""
    if not isinstance(value, str):
        return None
    value = neutralize(value)
    return value if len(value) <= 200 else value[:200] + "…"


def statuses_of(data: Any, where: str = "the results") -> dict[str, Status]:
    """Requirement id -> status; every row checked (an id shaped like the catalogue's, a known status and level): a
    results.json from elsewhere is user input."""
    rows = data.get("requirements") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and {"id", "status", "level"} <= set(r)
                                             for r in rows):
        raise ResultsFileError(f"{where} is not a results.json of tasks-conformance (no requirements list)")
    for number, row in enumerate(rows, 1):
        problem = ("its id is not a requirement id" if not (isinstance(row["id"], str) and _ID.fullmatch(row["id"]))
                   else "its status is not one of a results.json" if row["status"] not in STATUSES
                   else "its level is not MUST, SHOULD or MAY" if row["level"] not in ("MUST", "SHOULD", "MAY")
                   else None)
        if problem:
            raise ResultsFileError(f"{where} is not a results.json of tasks-conformance: requirement {number} is "
                                   f"wrong ({problem})")
    return {r["id"]: Status(r["status"], r["level"], _text(r.get("note"))) for r in rows}
