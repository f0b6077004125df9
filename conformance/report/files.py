"""Writing a run's reports to disk: each one whole or not at all, and never an earlier run's in its place.

Each report is rendered from the run result, written to a temporary name in its own directory and renamed over
the old file, so a reader never sees half a file. A report that cannot be written (a full disk, a missing
directory) is reported, and the file an earlier run left under its name is removed: a stale `pass` must not
stand next to this run's results. A failure to write never changes the verdict or the exit code.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from conformance.report import har, html, junit, results
from conformance.runner.outcomes.result import RunResult
from conformance.runner.process.userfiles import write_atomic


@dataclass(frozen=True)
class ReportPaths:
    """Where the reports go; None: not written."""

    results: Path | None
    junit: Path | None
    html: Path | None
    har: Path | None
    bundle: Path | None = None


def _renderers() -> list[tuple[str, str, Callable[[RunResult], bytes]]]:
    return [
        ("results", "results.json", lambda r: results.to_json(r).encode("utf-8")),
        ("junit", "JUnit XML", junit.to_xml),
        ("html", "HTML report", lambda r: html.to_html(r).encode("utf-8")),
        ("har", "evidence HAR", lambda r: har.to_json(r).encode("utf-8")),
    ]


def unwritable(paths: ReportPaths) -> str | None:
    """Why a report could not be written where it goes (a directory that cannot be made, or written in), checked
    before the run's first request; None when every one can. Nothing is left behind."""
    for label, path in (("results.json", paths.results), ("JUnit XML", paths.junit), ("HTML report", paths.html),
                        ("evidence HAR", paths.har), ("bundle", paths.bundle)):
        if path is None:
            continue
        if path.is_dir():
            return f"configuration error: the {label} path {path} is a directory"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            return (f"configuration error: the {label} cannot be written to {path}: {exc.strerror or exc} (set "
                    "--report-dir, or the report's own path, to a directory this user can write)")
    return None


def _remove_stale(path: Path) -> str:
    """Remove what an earlier run left at `path`; the sentence to add to the problem."""
    try:
        if path.is_file() or path.is_symlink():
            path.unlink()
            return f"; the earlier {path.name} there was removed"
    except OSError as exc:
        return f"; the earlier {path.name} there could not be removed ({exc.strerror or exc}): it is stale"
    return ""


def write_reports(result: RunResult, paths: ReportPaths, config_toml: dict[str, object] | None = None) -> tuple[
        list[Path], list[str]]:
    """Write every report; (the files written, the problems met)."""
    written: list[Path] = []
    problems: list[str] = []
    rendered: dict[str, bytes] = {}
    for key, label, render in _renderers():
        path: Path | None = getattr(paths, key)
        if path is None and paths.bundle is None:
            continue
        try:
            rendered[key] = render(result)
        except Exception as exc:  # noqa: BLE001 - a report problem never breaks the run
            problems.append(f"{label} could not be rendered: {type(exc).__name__}: {exc}"
                            + (_remove_stale(path) if path is not None else ""))
            continue
        if path is None:
            continue
        try:
            write_atomic(path, rendered[key])
            written.append(path)
        except OSError as exc:
            problems.append(f"{label} not written to {path}: {exc.strerror or exc}{_remove_stale(path)}")
    if paths.bundle is not None:
        try:
            write_atomic(paths.bundle, bundle(rendered, config_toml or {}))
            written.append(paths.bundle)
        except OSError as exc:
            problems.append(f"bundle not written to {paths.bundle}: {exc.strerror or exc}"
                            f"{_remove_stale(paths.bundle)}")
    return written, problems


_BUNDLE_NAMES = {"results": "results.json", "junit": "junit.xml", "html": "conformance.html",
                 "har": "evidence.har"}


def bundle(rendered: dict[str, bytes], config: dict[str, object]) -> bytes:
    """A certification bundle (tar.gz): the reports, the redacted configuration and a SHA-256 manifest."""
    files = {_BUNDLE_NAMES[key]: data for key, data in rendered.items()}
    files["config.toml"] = tomli_w.dumps(_tomlable(config)).encode("utf-8")
    manifest = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items()))
    files["SHA256SUMS"] = manifest.encode("ascii")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"tasks-conformance/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _tomlable(value: dict[str, object]) -> dict[str, object]:
    """TOML has no null: settings without a value are left out."""
    return {k: _tomlable(v) if isinstance(v, dict) else v for k, v in value.items() if v is not None}
