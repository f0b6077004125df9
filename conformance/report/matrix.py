"""`tasks-conformance matrix`: several runs side by side, one column per run and one row per requirement.

Each run is a results.json this suite wrote (or the report directory holding one), read back as user input
(runner/records/results_file.py). The rows that differ between the columns come first; a cell says what its run made
of the requirement (passed, failed, warned, skipped with its reason, waived, blocked, not run, or not in the run's
profile) and links to that run's HTML report where it lies beside the results.json. Runs that judged different
profiles are shown side by side with the profile in each column's head, and said so: never compared silently.
Written as one self-contained HTML page (inline CSS, no script), a markdown table and JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.contracts.requirements import catalogue
from conformance.report.html import esc, req_anchor, stylesheet
from conformance.report.results import RESULTS_FILE
from conformance.runner.records.results_file import ResultsFileError, RunSummary, Status, load_run

HTML_REPORT = "conformance.html"  # the run's HTML report, beside its results.json (plugin's default name)
OUTPUTS = ("matrix.html", "matrix.md", "matrix.json")
ABSENT = "absent"  # the requirement is not in the run's profile
LABELS = {"passed": "passed", "failed": "failed", "warning": "warned", "blocked": "blocked", "waived": "waived",
          "skipped": "skipped", "not_run": "not run", ABSENT: "not in profile"}
_CSS = """
.tc-mx th:nth-child(n+3) { width: auto; }
.tc-mx th:nth-child(2) { width: 5em; }
.tc-mx th.tc-run { font-weight: 400; font-size: 12px; }
.tc-mx th.tc-run b { font-size: 13px; }
.tc-mx td.tc-cell { font-size: 12px; }
.tc-mx tr.tc-differs td:first-child { border-left: 6px solid #bf8700; font-weight: 700; }
.tc-mx .tc-badge-absent { background: #fff; color: #57606a; border-color: #d0d7de; border-style: dashed; }
.tc-mx .tc-why { display: block; color: #57606a; margin-top: 2px; }
.tc-note { border: 1px solid #d4a72c; background: #fff8c5; padding: 6px 10px; border-radius: 6px; }
"""


@dataclass(frozen=True)
class Column:
    """One run: where its results.json is and what it says."""

    path: Path
    run: RunSummary

    @property
    def release(self) -> str:
        return self.run.server_version or "release not reported"

    @property
    def profile(self) -> str:
        return self.run.profile or "unknown profile"

    def heading(self) -> dict[str, str | None]:
        return {"file": str(self.path), "target": self.run.target, "release": self.run.server_version,
                "profile": self.run.profile, "date": self.run.started_at, "verdict": self.run.verdict}


@dataclass(frozen=True)
class Row:
    id: str
    level: str
    cells: tuple[Status | None, ...]  # None: not in that run's profile

    @property
    def differs(self) -> bool:
        return len({_state(c) for c in self.cells}) > 1


def _state(cell: Status | None) -> str:
    return ABSENT if cell is None else cell.status


def load(paths: Sequence[Path]) -> list[Column]:
    """The runs, in the order given; a directory means its results.json. ResultsFileError: one line."""
    columns = []
    for path in paths:
        file = path / RESULTS_FILE if path.is_dir() else path
        columns.append(Column(file, load_run(file)))
    if not columns:
        raise ResultsFileError("no runs given")
    return columns


def rows(columns: Sequence[Column]) -> list[Row]:
    """One row per requirement of any run: the differing rows first, each part in catalogue order."""
    known = list(catalogue())
    ids = list(dict.fromkeys(rid for c in columns for rid in c.run.statuses))
    ids.sort(key=lambda rid: known.index(rid) if rid in known else len(known))
    out = []
    for rid in ids:
        cells = tuple(c.run.statuses.get(rid) for c in columns)
        level = next(cell.level for cell in cells if cell is not None)
        out.append(Row(rid, level, cells))
    return sorted(out, key=lambda r: not r.differs)


def profiles_note(columns: Sequence[Column]) -> str | None:
    profiles = list(dict.fromkeys(c.profile for c in columns))
    if len(profiles) < 2:
        return None
    return (f"The runs judged different profiles ({', '.join(profiles)}): each column names its own; a requirement "
            "only one profile has shows as \"not in profile\" in the others, and is not a difference of the servers.")


def as_dict(columns: Sequence[Column]) -> dict[str, Any]:
    found = rows(columns)
    return {"runs": [c.heading() for c in columns], "note": profiles_note(columns),
            "differing": sum(r.differs for r in found),
            "rows": [{"id": r.id, "level": r.level, "differs": r.differs,
                      "cells": [{"status": _state(c), "note": c.note if c else None} for c in r.cells]}
                     for r in found]}


def markdown(columns: Sequence[Column]) -> str:
    found = rows(columns)
    head = [f"{c.run.target or c.path} · {c.release} · {c.profile} · {c.run.started_at or '?'} · "
            f"{(c.run.verdict or '?').upper()}" for c in columns]
    lines = [f"## Conformance across {_runs(len(columns))}", "",
             f"{sum(r.differs for r in found)} of {len(found)} requirements differ between the runs (listed first).",
             ""]
    note = profiles_note(columns)
    if note:
        lines += [f"> {note}", ""]
    lines += ["| requirement | level | " + " | ".join(_md(h) for h in head) + " |",
              "|---|---|" + "---|" * len(columns)]
    for r in found:
        cells = [LABELS[_state(c)] + (f": {c.note}" if c is not None and c.note and c.status == "skipped" else "")
                 for c in r.cells]
        name = f"**{r.id}**" if r.differs else r.id
        lines.append(f"| {name} | {r.level} | " + " | ".join(_md(x) for x in cells) + " |")
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def page(columns: Sequence[Column], out: Path) -> str:
    """The self-contained page, its links relative to `out` (the directory it is written into)."""
    found = rows(columns)
    reports = [c.path.parent / HTML_REPORT for c in columns]
    links = [os.path.relpath(r, out) if r.is_file() else None for r in reports]
    heads = "".join(
        f'<th class="tc-run"><b>{esc(c.run.target or c.path)}</b><br>{esc(c.release)}<br>profile '
        f"<b>{esc(c.profile)}</b><br>{esc(c.run.started_at or 'date not reported')}<br>"
        f'<span class="tc-badge tc-badge-{"passed" if c.run.verdict == "pass" else "failed"}">'
        f"{esc((c.run.verdict or 'unknown').upper())}</span></th>" for c in columns)
    body = []
    for r in found:
        cells = "".join(_cell(r.id, cell, link) for cell, link in zip(r.cells, links, strict=True))
        body.append(f'<tr class="{"tc-differs" if r.differs else ""}"><td><code>{esc(r.id)}</code></td>'
                    f"<td>{esc(r.level)}</td>{cells}</tr>")
    differing = sum(r.differs for r in found)
    note = profiles_note(columns)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Conformance across {_runs(len(columns))}</title><style>{stylesheet()}{_CSS}</style></head>"
            f'<body><main id="tc-report"><h1>Conformance across {_runs(len(columns))}</h1>'
            f"<p>{differing} of {len(found)} requirements differ between the runs; they come first, marked at the "
            "left. A cell links to its run's evidence where the run's HTML report lies beside its results.json.</p>"
            + (f'<p class="tc-note">{esc(note)}</p>' if note else "")
            + '<table class="tc-matrix tc-mx" id="tc-runs"><thead><tr><th>requirement</th><th>level</th>'
            f"{heads}</tr></thead><tbody>{''.join(body)}</tbody></table></main></body></html>\n")


def _cell(rid: str, cell: Status | None, link: str | None) -> str:
    state = _state(cell)
    badge = f'<span class="tc-badge tc-badge-{esc(state)}">{esc(LABELS[state])}</span>'
    if link and cell is not None:
        badge = f'<a href="{esc(link)}#{esc(req_anchor(rid))}">{badge}</a>'
    why = f'<span class="tc-why">{esc(cell.note)}</span>' if cell is not None and cell.note else ""
    return f'<td class="tc-cell">{badge}{why}</td>'


def write(columns: Sequence[Column], out: Path) -> list[Path]:
    """matrix.html, matrix.md and matrix.json in `out` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    texts = (page(columns, out), markdown(columns), json.dumps(as_dict(columns), indent=2) + "\n")
    written = []
    for name, content in zip(OUTPUTS, texts, strict=True):
        (out / name).write_text(content, encoding="utf-8")
        written.append(out / name)
    return written


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"
