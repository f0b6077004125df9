"""examples/python-client: a small Tasks API client whose pytest suite uses the coder_tasks_server fixture passes
against a fake Coder of every generation, in under 2 s of test time per generation."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from examples_support import ROOT, run_pytest

EXAMPLE = ROOT / "examples" / "python-client"
PROFILES = ("legacy", "experimental", "stable")
BUDGET = 2.0  # seconds of test time (setup, call, teardown) per generation


def test_the_python_client_example_passes_against_every_generation_quickly(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    proc = run_pytest(EXAMPLE, f"--junitxml={junit}", "-o", "junit_duration_report=total")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seconds: dict[str, float] = defaultdict(float)
    tests: dict[str, int] = defaultdict(int)
    for case in ET.parse(junit).iter("testcase"):
        profile = case.attrib["name"].rpartition("[")[2].rstrip("]")
        seconds[profile] += float(case.attrib["time"])
        tests[profile] += 1
    assert dict(tests) == dict.fromkeys(PROFILES, 3)
    print("test time per generation:", {p: round(s, 2) for p, s in seconds.items()})
    assert all(s < BUDGET for s in seconds.values()), dict(seconds)
