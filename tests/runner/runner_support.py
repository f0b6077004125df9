"""Helpers for running the suite as a subprocess against reference servers the tests start themselves.

conftest.py re-exports the `reference` fixture.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import tomli_w

from conformance.reference import ReferenceServer


@dataclass
class RunResult:
    code: int
    output: str
    report_dir: Path


def run_suite(*args: str, report_dir: Path, env: dict[str, str] | None = None, timeout: float = 300) -> RunResult:
    """`tasks-conformance run ARGS --report-dir DIR` in a subprocess with a clean TASKS_CONFORMANCE_* environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    clean.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--report-dir", str(report_dir), *args],
        capture_output=True, text=True, timeout=timeout, env=clean, stdin=subprocess.DEVNULL,
    )
    return RunResult(proc.returncode, proc.stdout + proc.stderr, report_dir)


def run_pytest(*args: str, report_dir: Path, env: dict[str, str] | None = None, timeout: float = 300) -> RunResult:
    """The same through pytest: `python -m pytest --pyargs conformance --report-dir DIR ARGS`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    clean.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance", "--assert=plain", "-p", "no:cacheprovider",
         "--report-dir", str(report_dir), *args],
        capture_output=True, text=True, timeout=timeout, env=clean, stdin=subprocess.DEVNULL, cwd=report_dir.parent,
    )
    return RunResult(proc.returncode, proc.stdout + proc.stderr, report_dir)


def write_target(server: ReferenceServer, path: Path, **overrides: str) -> Path:
    values = {k: v for k, v in server.target_config().items() if v is not None}
    values.update(overrides)
    path.write_text(tomli_w.dumps({"target": values}))
    return path


def all_tasks(server: ReferenceServer) -> list[dict]:
    """Every task on the server, as its admin sees them."""
    config = server.target_config()
    response = httpx.get(f"{server.url}{server.api_prefix}/tasks",
                         headers={"Coder-Session-Token": config["admin_token"]}, timeout=10)
    response.raise_for_status()
    return list(response.json()["tasks"])


@pytest.fixture
def reference() -> Iterator[ReferenceServer]:
    with ReferenceServer(lifecycle_delay=0.02) as server:
        yield server
