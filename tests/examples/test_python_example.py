"""examples/python-client: a small Tasks API client whose pytest suite uses the coder_tasks_server fixture passes
against a fake Coder of every generation; its whole flow (create, active, a reply, pause on stable, delete) takes
under 2 s of test time in each."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from examples_support import ROOT, run_pytest

EXAMPLE = ROOT / "examples" / "python-client"
PROFILES = ("legacy", "experimental", "stable")
FLOW = "test_a_task_from_create_to_delete"
BUDGET = 2.0  # seconds of test time (setup, call, teardown) of the flow, per generation


def test_the_python_client_example_passes_against_every_generation_quickly(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    proc = run_pytest(EXAMPLE, f"--junitxml={junit}", "-o", "junit_duration_report=total")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seconds: dict[str, float] = defaultdict(float)
    flow: dict[str, float] = {}
    tests: dict[str, int] = defaultdict(int)
    for case in ET.parse(junit).iter("testcase"):
        name, _, profile = case.attrib["name"].rstrip("]").partition("[")
        seconds[profile] += float(case.attrib["time"])
        tests[profile] += 1
        if name == FLOW:
            flow[profile] = float(case.attrib["time"])
    assert dict(tests) == dict.fromkeys(PROFILES, 3)
    print("test time per generation: the flow", flow, "all three tests", {p: round(s, 2) for p, s in seconds.items()})
    assert all(s < BUDGET for s in flow.values()), flow
