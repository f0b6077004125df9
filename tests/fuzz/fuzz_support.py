"""Helpers of the fuzz self-tests: in-process fuzz runs against reference servers, and suite subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.fuzz.driver import FuzzRun
from conformance.reference import ReferenceServer
from conformance.runner.settings.config import load_config
from conformance.runner.tasks.session import RunContext

TARGET_KEYS = ("url", "token", "second_token", "admin_token", "template_version_id", "non_ai_template_version_id")


@contextmanager
def fuzz_run(server: ReferenceServer, **settings: Any) -> Iterator[FuzzRun]:
    """A FuzzRun against `server`, as the plugin would set it up (flag-style settings, e.g. fuzz_seed=3)."""
    values = server.target_config()
    config = load_config(settings, environ={}).with_target(**{k: values[k] for k in TARGET_KEYS})
    run = RunContext.begin(config, 0, server)
    run.terms = server.generation.terms  # what the preflight would decide
    run.evidence.begin()
    fuzz = FuzzRun(run)
    try:
        yield fuzz
    finally:
        run.evidence.end()
        fuzz.close()
        run.close()


@dataclass
class SuiteResult:
    code: int
    output: str
    report_dir: Path

    def properties(self) -> dict[str, dict[str, str]]:
        """JUnit properties per test name (test_gate[listTasks] -> {fuzz_fingerprint: ...})."""
        tree = ET.parse(self.report_dir / "junit.xml")
        out: dict[str, dict[str, str]] = {}
        for case in tree.iter("testcase"):
            out[str(case.get("name"))] = {str(p.get("name")): str(p.get("value")) for p in case.iter("property")}
        return out


def run_fuzz_suite(*args: str, report_dir: Path, env: dict[str, str] | None = None,
                   timeout: float = 300) -> SuiteResult:
    """`pytest --pyargs conformance.fuzz ARGS` in a subprocess with a clean TASKS_CONFORMANCE_* environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    clean.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.fuzz", "--report-dir", str(report_dir),
         "-q", "-p", "no:randomly", *args],
        capture_output=True, text=True, timeout=timeout, env=clean, stdin=subprocess.DEVNULL,
    )
    return SuiteResult(proc.returncode, proc.stdout + proc.stderr, report_dir)


def target_env(server: ReferenceServer) -> dict[str, str]:
    """The environment that points a suite run at `server` (tokens stay out of the command line)."""
    values = server.target_config()
    return {f"TASKS_CONFORMANCE_{k.upper()}": values[k] for k in TARGET_KEYS}
