"""Running pytest on a suite of a client's own (an example, or a tiny suite in tmp_path), as its author would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Plugins that come with the package's dependencies and that these suites do not use: off, they cost seconds a run.
UNUSED_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:html", "-p", "no:metadata")


def run_pytest(where: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m pytest` in `where` (its own rootdir and ini), without the caller's pytest settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TASKS_CONFORMANCE_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *UNUSED_PLUGINS, *args],
                          cwd=where, env=env, capture_output=True, text=True, timeout=timeout)
