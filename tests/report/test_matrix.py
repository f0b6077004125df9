"""`tasks-conformance matrix`: several runs side by side, the rows that differ first, one self-contained page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from report_support import run_suite

from conformance.cli import main
from conformance.contracts.changes import changes, release
from conformance.contracts.profiles import STABLE, Terms, parse_version
from conformance.contracts.requirements import catalogue
from conformance.report import matrix

RELEASES = ("v2.29.0", "v2.31.0", "v2.34.0")


def _results(path: Path, rows: dict[str, tuple[str, str | None]], *, profile: str = "stable",
             version: str = "v2.34.0+reference", verdict: str = "pass") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "target": {"url": "http://127.0.0.1:1", "profile": profile, "server_version": version},
        "started_at": "2026-12-07T00:00:00Z", "verdict": verdict,
        "requirements": [{"id": rid, "level": "MUST", "status": status, "note": note}
                         for rid, (status, note) in rows.items()]}
    (path / "results.json").write_text(json.dumps(data), encoding="utf-8")
    return path


def test_differing_rows_come_first_with_reasons_and_links(tmp_path: Path) -> None:
    old = _results(tmp_path / "old", {"GEN-CONTENT-TYPE": ("passed", None),
                                      "PAUSE-202": ("skipped", "not in v2.29.0: pause arrived in v2.32")},
                   version="v2.29.0")
    (old / "conformance.html").write_text("<html></html>", encoding="utf-8")
    new = _results(tmp_path / "new", {"GEN-CONTENT-TYPE": ("passed", None), "PAUSE-202": ("failed", None)},
                   verdict="fail")
    assert main(["matrix", str(old), str(new / "results.json"), "--out", str(tmp_path / "out")]) == 0
    data = json.loads((tmp_path / "out" / "matrix.json").read_text())
    assert [r["id"] for r in data["rows"]] == ["PAUSE-202", "GEN-CONTENT-TYPE"] and data["differing"] == 1
    assert data["rows"][0]["cells"][0] == {"status": "skipped", "note": "not in v2.29.0: pause arrived in v2.32"}
    assert [r["release"] for r in data["runs"]] == ["v2.29.0", "v2.34.0+reference"] and data["note"] is None
    page = (tmp_path / "out" / "matrix.html").read_text()
    assert 'href="../old/conformance.html#req-PAUSE-202"' in page  # the evidence beside the run
    assert "../new/conformance.html" not in page  # no report beside that one: no link
    assert "pause arrived in v2.32" in page and "FAIL" in page
    table = (tmp_path / "out" / "matrix.md").read_text()
    assert "| **PAUSE-202** | MUST | skipped: not in v2.29.0: pause arrived in v2.32 | failed |" in table


def test_runs_of_different_profiles_are_named_never_compared_silently(tmp_path: Path) -> None:
    legacy = _results(tmp_path / "a", {"LEGACY-ID-IS-WORKSPACE": ("passed", None)}, profile="legacy",
                      version="v2.27.1")
    stable = _results(tmp_path / "b", {"STABLE-ALIASES": ("passed", None)})
    columns = matrix.load([legacy, stable])
    assert matrix.profiles_note(columns) is not None
    markdown = matrix.markdown(columns)
    assert "different profiles (legacy, stable)" in markdown and "not in profile" in markdown
    assert "· legacy ·" in markdown and "· stable ·" in markdown


def test_an_unreadable_run_is_exit_2_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    assert main(["matrix", str(tmp_path / "bad.json"), "--out", str(tmp_path / "out")]) == 2
    assert main(["matrix", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("tasks-conformance: matrix: ") for line in err)
    assert not (tmp_path / "out").exists()


def test_three_releases_of_the_reference_differ_in_exactly_their_contract(tmp_path: Path) -> None:
    """Three runs of the reference (a small selection: the requirements a release predates are skipped whatever
    runs): the differing rows are exactly those whose feature one of the releases lacks, and `changes` names each."""
    for version in RELEASES:
        run = run_suite("--profile", "stable", "--reference-version", version, "--fuzz-budget", "0", "-q",
                        "-k", "test_list_count", report_dir=tmp_path / version, cwd=tmp_path)
        assert run.code == 0, run.output[-2000:]
    columns = matrix.load([tmp_path / v for v in RELEASES])
    differing = {r.id for r in matrix.rows(columns) if r.differs}
    terms = [Terms(STABLE, parse_version(v)) for v in RELEASES]
    expected = {rid for rid, r in catalogue("stable").items()
                if r.feature and len({t.has(r.feature) for t in terms}) > 1}
    assert differing == expected and differing
    assert differing <= changes(release(RELEASES[0]), release(RELEASES[-1])).requirements
    page = matrix.page(columns, tmp_path)
    assert not re.search(r"<script|<link|\bsrc=|@import|url\(", page)  # self-contained: nothing to fetch
    assert page.count('<tr class="tc-differs">') == len(differing)


def test_one_run_is_counted_in_the_singular(tmp_path: Path) -> None:
    only = _results(tmp_path / "only", {"GEN-CONTENT-TYPE": ("passed", None)})
    assert main(["matrix", str(only), "--out", str(tmp_path / "out")]) == 0
    assert "<h1>Conformance across 1 run</h1>" in (tmp_path / "out" / "matrix.html").read_text()
    assert (tmp_path / "out" / "matrix.md").read_text().startswith("## Conformance across 1 run\n")


def test_a_control_character_in_a_run_is_shown_escaped_in_the_markdown(tmp_path: Path) -> None:
    run = _results(tmp_path / "run", {"PAUSE-202": ("skipped", "not in \x1b[31mv2.29.0\r")})
    table = matrix.markdown(matrix.load([run]))
    assert "\x1b" not in table and "\r" not in table and "\\u001b[31mv2.29.0\\u000d" in table
