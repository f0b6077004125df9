"""Two runs side by side: what regressed, what was fixed, what changed status (`--baseline`, `tasks-conformance diff`).

A requirement stands against a run when it failed (a MUST; a SHOULD under strict) or is a blocked MUST. A
regression is a requirement that stands against the new run and did not against the old one (or is new to it);
a fix, the other way round; every other difference in status is a change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ResultsFileError(ValueError):
    """A results.json that cannot be compared; the message says why, in one line."""


@dataclass(frozen=True)
class Status:
    status: str  # as in results.json: passed, failed, warning, blocked, waived, skipped, not_run
    level: str

    @property
    def against(self) -> bool:
        return self.status == "failed" or (self.status == "blocked" and self.level == "MUST")


def load_statuses(path: Path) -> dict[str, Status]:
    """Requirement id -> status of a results.json written by this suite."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"{path} is not JSON: {exc}") from None
    return statuses_of(data, str(path))


def statuses_of(data: Any, where: str = "the results") -> dict[str, Status]:
    rows = data.get("requirements") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and {"id", "status", "level"} <= set(r)
                                             for r in rows):
        raise ResultsFileError(f"{where} is not a results.json of tasks-conformance (no requirements list)")
    return {str(r["id"]): Status(str(r["status"]), str(r["level"])) for r in rows}


@dataclass
class Comparison:
    regressed: list[str] = field(default_factory=list)  # "ID: passed -> failed"
    fixed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def compare(old: Mapping[str, Status], new: Mapping[str, Status]) -> Comparison:
    out = Comparison()
    for rid, now in new.items():
        before = old.get(rid)
        line = f"{rid}: {before.status if before else 'absent'} -> {now.status}"
        if now.against and (before is None or not before.against):
            out.regressed.append(line)
        elif before is not None and before.against and not now.against:
            out.fixed.append(line)
        elif before is not None and before.status != now.status:
            out.changed.append(line)
    for rid, before in old.items():
        if rid not in new:
            out.changed.append(f"{rid}: {before.status} -> absent")
    return out
