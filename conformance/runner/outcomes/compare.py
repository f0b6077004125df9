"""Two runs side by side: what regressed, what was fixed, what changed status (`--baseline`, `tasks-conformance diff`).

A requirement stands against a run when it failed (a MUST; a SHOULD under strict) or is a blocked MUST. A
regression is a requirement that failed in the new run and did not stand against the old one (or is new to it); a
requirement that is newly blocked is listed apart (`unverified`: not shown to hold, because something else failed or
could not be had) — it still stands against the run, but it is not called a regression of its own. A fix is a
requirement that stood against the old run and no longer does; every other difference in status is a change.

Two runs that judged the target by different profiles (or releases) are compared all the same, and said so: their
requirement lists differ by generation, not by the server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.runner.records.redact import neutralize
from conformance.runner.settings.userfiles import UserFileError, load_json

MAX_RESULTS_BYTES = 256 * 1024 * 1024  # a results.json of a long run is a few MB
STATUSES = ("failed", "warning", "blocked", "waived", "passed", "skipped", "not_run")
_ID = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")  # the catalogue's ids: LIST-COUNT, GEN-NUL-NO-5XX


class ResultsFileError(ValueError):
    """A results.json that cannot be compared; the message says why, in one line."""


@dataclass(frozen=True)
class Status:
    status: str  # as in results.json: passed, failed, warning, blocked, waived, skipped, not_run
    level: str

    @property
    def against(self) -> bool:
        return self.status == "failed" or (self.status == "blocked" and self.level == "MUST")


@dataclass(frozen=True)
class Change:
    """One requirement whose status differs between the two runs ("absent": not in that run's profile)."""

    id: str
    level: str
    old: str
    new: str

    def line(self) -> str:
        return f"{self.id}: {self.old} -> {self.new}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class RunSummary:
    """What `diff` needs of a results.json: the statuses and what the run judged by."""

    statuses: dict[str, Status]
    profile: str | None = None
    server_version: str | None = None
    target: str | None = None


@dataclass
class Comparison:
    regressed: list[Change] = field(default_factory=list)  # newly failed
    unverified: list[Change] = field(default_factory=list)  # newly blocked (a MUST): not shown to hold any more
    fixed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    @property
    def fails(self) -> bool:
        """Whether the new run stands worse: something regressed or is no longer verified."""
        return bool(self.regressed or self.unverified)

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        return {name: [c.as_dict() for c in getattr(self, name)]
                for name in ("regressed", "unverified", "fixed", "changed")}


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
                      _text(target.get("url")))


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
    return {r["id"]: Status(r["status"], r["level"]) for r in rows}


def compare(old: Mapping[str, Status], new: Mapping[str, Status]) -> Comparison:
    out = Comparison()
    for rid, now in new.items():
        before = old.get(rid)
        change = Change(rid, now.level, before.status if before else "absent", now.status)
        if now.against and (before is None or not before.against):
            (out.regressed if now.status == "failed" else out.unverified).append(change)
        elif before is not None and before.against and not now.against:
            out.fixed.append(change)
        elif before is not None and before.status != now.status:
            out.changed.append(change)
    for rid, before in old.items():
        if rid not in new:
            out.changed.append(Change(rid, before.level, before.status, "absent"))
    return out


def different_terms(old: RunSummary, new: RunSummary) -> str | None:
    """A sentence when the two runs judged by different profiles or releases, else None."""
    if old.profile != new.profile:
        return (f"the two runs judged different profiles ({old.profile or 'unknown'} and {new.profile or 'unknown'}): "
                "requirements that only one profile has show as absent in the other")
    if old.server_version != new.server_version:
        return (f"the two runs judged different releases ({old.server_version or 'not reported'} and "
                f"{new.server_version or 'not reported'}): a requirement may differ because the contract did")
    return None
