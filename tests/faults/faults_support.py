"""Helpers of the catalogue self-tests: run the suite (a subprocess) against the embedded server with one fault or
one variation on, and read its verdict per requirement from results.json."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.contracts.requirements import catalogue
from conformance.reference import FAULTS_ENV_VAR, VARIATIONS_ENV_VAR

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 300.0
# Fault runs: a task that should become active does so in 0.1 s on the embedded server, so a stuck one is known
# after 3 s; poll faster than the default so each wait costs little.
FAULT_RUN_SETTINGS = ("--active-timeout", "3", "--poll-interval", "0.05")


@dataclass
class SuiteRun:
    code: int
    output: str
    results: dict[str, Any]

    def statuses(self) -> dict[str, str]:
        """requirement id -> passed / failed / warning / blocked / skipped / not_run."""
        return {r["id"]: r["status"] for r in self.results.get("requirements", [])}

    def broken(self) -> dict[str, str]:
        """The requirements that failed, warned or were blocked (a check of theirs could not run: before the blocked
        status existed, that counted as failed or warned, and a probe must not hide it)."""
        return {rid: status for rid, status in self.statuses().items() if status in ("failed", "warning", "blocked")}

    def explain(self) -> str:
        """What to show when an assertion about this run fails: exit code, broken requirements, the output's end."""
        tail = "\n".join(self.output.strip().splitlines()[-40:])
        return f"exit code {self.code}; broken: {self.broken()}\n--- output (end) ---\n{tail}"


def run_suite(*args: str, report_dir: Path, env: dict[str, str] | None = None) -> SuiteRun:
    """`tasks-conformance run --report-dir DIR ARGS` (embedded server) with a clean TASKS_CONFORMANCE_* environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    clean.pop("PYTEST_ADDOPTS", None)
    clean.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--report-dir", str(report_dir), *args],
        capture_output=True, text=True, timeout=RUN_TIMEOUT, env=clean, stdin=subprocess.DEVNULL, cwd=REPO_ROOT,
    )
    results_file = report_dir / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return SuiteRun(proc.returncode, proc.stdout + proc.stderr, results)


@functools.cache
def check_functions() -> dict[str, frozenset[str]]:
    """requirement id -> the names of the check functions that verify it (from `tasks-conformance requirements`)."""
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "requirements", "--json"], capture_output=True,
                          text=True, timeout=120, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                          env={k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")})
    assert proc.returncode == 0, proc.stderr
    return {row["id"]: frozenset(node.split("::", 1)[1].split("[", 1)[0] for node in row["checks"])
            for row in json.loads(proc.stdout)}


def selection(requirements: tuple[str, ...]) -> str:
    """A -k expression selecting every check of these requirements (and perhaps a few more: -k matches parts)."""
    functions = check_functions()
    names = sorted(set().union(*(functions.get(rid, frozenset()) for rid in requirements)))
    assert names, f"no checks verify {requirements}"
    return " or ".join(names)


def musts(requirements: tuple[str, ...], profile: str) -> tuple[str, ...]:
    known = catalogue(profile)
    return tuple(rid for rid in requirements if known[rid].level == "MUST")


def fault_run_arguments(name: str, breaks: tuple[str, ...], profile: str) -> list[str]:
    """The run that must catch a fault on a server of `profile`: only the checks of the requirements it breaks;
    fuzzing only when those are fuzz requirements; --strict when it breaks no MUST (a SHOULD failure alone is a
    warning and exits 0)."""
    args = ["--reference-faults", name, "--profile", profile, *FAULT_RUN_SETTINGS]
    pytest_args = ["-q", "-k", selection(breaks)]
    if not any(rid.startswith("FUZZ-") for rid in breaks):
        # Without fuzzing, Schemathesis's and Hypothesis's own pytest plugins (which the fuzz tiers do not use)
        # only cost start-up time: a second of the ~1.5 s a run takes.
        args += ["--fuzz-budget", "0"]
        pytest_args += ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]
    if not musts(breaks, profile):
        args.append("--strict")
    return [*args, "--", *pytest_args]


def variation_env(name: str) -> dict[str, str]:
    """The environment that turns a variation on for the run's embedded server (ReferenceServer reads it)."""
    return {VARIATIONS_ENV_VAR: name}


__all__ = ["FAULTS_ENV_VAR", "SuiteRun", "check_functions", "fault_run_arguments", "run_suite", "selection"]
