"""The Node example (examples/node-client) passes: its `node --test` suite starts `tasks-conformance serve` from this
environment (PATH pointing at its bin), preloads a paused task, makes the agent busy, sees 409 or 502 per release,
and reads back the recorded requests and the findings over the control API."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import conformance

REPO = Path(conformance.__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "node-client"
BIN = Path(sys.executable).parent
TESTS = 8  # the example's tests: four for each of its two releases


def test_the_node_example_passes_against_serve() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the Node example (examples/node-client) needs Node.js 18 or later")
    assert (BIN / "tasks-conformance").exists(), f"no tasks-conformance in {BIN}: install the project (pip install .)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    files = sorted(str(path) for path in (EXAMPLE / "test").glob("*.test.mjs"))
    started = time.monotonic()
    proc = subprocess.run([node, "--test", *files], cwd=EXAMPLE, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    took = time.monotonic() - started
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report[-6000:]
    counts = {key: int(value) for key, value in re.findall(r"^# (pass|fail|cancelled|skipped|todo) (\d+)$", report,
                                                           re.MULTILINE)}
    assert counts == {"pass": TESTS, "fail": 0, "cancelled": 0, "skipped": 0, "todo": 0}, report[-3000:]
    assert took < 120, f"the Node example took {took:.1f} s"
