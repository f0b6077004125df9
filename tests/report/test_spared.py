"""A run of a release older than the newest of its line says, in the terminal and the HTML report, how many
requirements it was spared and that `tasks-conformance changes` lists them; a run of a release that has every
feature of its line says nothing of it."""

from __future__ import annotations

from pathlib import Path

from report_support import run_suite


def _run(tmp_path: Path, version: str):  # type: ignore[no-untyped-def]
    return run_suite("--profile", "stable", "--reference-version", version, "--fuzz-budget", "0", "-q",
                     "-k", "test_list_count", report_dir=tmp_path / version, cwd=tmp_path)


def test_an_older_release_is_told_what_it_was_spared(tmp_path: Path) -> None:
    old = _run(tmp_path, "v2.31.0")
    assert old.code == 0, old.output[-2000:]
    spared = [r["id"] for r in old.results()["requirements"] if r["promised"] is False]
    assert spared and all(r.startswith("not in v2.31.0") for r in
                          (row["note"] for row in old.results()["requirements"] if row["id"] in spared))
    sentence = (f"this v2.31.0 server was spared {len(spared)} requirements of the stable profile that newer "
                "releases of its line promise")
    assert f"release: {sentence}" in old.output
    assert "`tasks-conformance changes v2.31.0 stable`" in old.output
    assert sentence in old.html.read_text(encoding="utf-8")

    newest = _run(tmp_path, "v2.34.0")
    assert newest.code == 0, newest.output[-2000:]
    assert not any(r["promised"] is False for r in newest.results()["requirements"])
    assert "spared" not in newest.output and "spared" not in newest.html.read_text(encoding="utf-8")
