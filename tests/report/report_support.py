"""Helpers for the report self-tests: run the suite as a subprocess and look at what it wrote."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from conformance.reference import ReferenceServer
from conformance.runner.settings.config import SETTINGS_BY_NAME

# A small, fast, stable selection of checks (authentication and access control) and two faults it catches:
# one breaks a MUST (the verdict fails), one a SHOULD (a warning).
SUBSET = ["-k", "test_auth or test_access", "--fuzz-budget", "0", "-q", "-p", "no:randomly"]
MUST_FAULT, MUST_REQ = "wrong-secret-accepted", "AUTH-WRONG-SECRET-401"
SHOULD_FAULT, SHOULD_REQ = "token-precedence-reversed", "AUTH-PRECEDENCE"
# A fault that keeps tasks from becoming active: the lifecycle check fails (BLOCKING_REQ), and the checks that need an
# active task cannot be set up, so their requirements (e.g. BLOCKED_REQ) are blocked, not failed.
BLOCKING_FAULT, BLOCKING_REQ, BLOCKED_REQ = "task-stuck-pending", "LIFE-REACHES-ACTIVE", "LOGS-STATUS-200"
BLOCKED_SUBSET = ["-k", "test_logs or test_lifecycle", "--fuzz-budget", "0", "-q", "-p", "no:randomly"]
TARGET_KEYS = ("url", "api_prefix", "token", "second_token", "admin_token", "template_version_id",
               "non_ai_template_version_id")


@dataclass
class SuiteRun:
    code: int
    output: str
    report_dir: Path
    secrets: list[str] = field(default_factory=list)

    @property
    def html(self) -> Path:
        return self.report_dir / "conformance.html"

    @property
    def junit(self) -> Path:
        return self.report_dir / "junit.xml"

    @property
    def results_file(self) -> Path:
        return self.report_dir / "results.json"

    def results(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.results_file.read_text(encoding="utf-8"))
        return data


def run_suite(*args: str, report_dir: Path, cwd: Path, timeout: float = 300) -> SuiteRun:
    """`python -m pytest --pyargs conformance --assert=plain --report-dir DIR ARGS` with a clean TASKS_CONFORMANCE_*
    environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance", "--assert=plain", "--report-dir", str(report_dir),
         "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL, cwd=cwd,
    )
    return SuiteRun(proc.returncode, proc.stdout + proc.stderr, report_dir)


def target_flags(server: ReferenceServer, **overrides: str) -> list[str]:
    """The server's target settings as command-line flags (tokens included, on purpose)."""
    values = {k: v for k, v in server.target_config().items() if k in TARGET_KEYS and v}
    values.update(overrides)
    out: list[str] = []
    for key, value in values.items():
        out += [SETTINGS_BY_NAME[key].pytest_flag, value]
    return out


def write_target(server: ReferenceServer, path: Path, **overrides: str) -> Path:
    values = {k: v for k, v in server.target_config().items() if k in TARGET_KEYS and v}
    values.update(overrides)
    path.write_text(tomli_w.dumps({"target": values}), encoding="utf-8")
    return path


def secrets_of(server: ReferenceServer) -> list[str]:
    """Every token of the server, and each token's halves (the id and the secret)."""
    out: list[str] = []
    for key in ("token", "second_token", "admin_token"):
        token = server.target_config()[key]
        out.append(token)
        out += token.split("-", 1)
    return out


_DATA_URI = re.compile(r"data:[\w/+.-]+(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)")


def readable_texts(path: Path) -> list[str]:
    """The text of a file, plus the decoded content of any base64 data: URI inside it (pytest-html extras)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []  # binary (the screenshot)
    texts = [text]
    for match in _DATA_URI.finditer(text):
        try:
            texts.append(base64.b64decode(match.group(1)).decode("utf-8", errors="replace"))
        except ValueError:
            continue
    return texts


def leaks(run: SuiteRun) -> list[str]:
    """'<file>: <secret prefix>...' for every secret found in any output file or in the run's terminal output."""
    found = []
    sources: list[tuple[str, list[str]]] = [("terminal output", [run.output])]
    sources += [(str(p), readable_texts(p)) for p in sorted(run.report_dir.rglob("*")) if p.is_file()]
    for name, texts in sources:
        for secret in run.secrets:
            if any(secret in t for t in texts):
                found.append(f"{name}: {secret[:3]}...")
    return found
