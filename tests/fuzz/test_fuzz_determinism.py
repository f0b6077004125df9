"""The gate tier sends the same requests on every run: same seed, same target -> same request sequence."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from fuzz_support import fuzz_run, run_fuzz_suite, target_env

from conformance.fuzz.driver import run_gate
from conformance.fuzz.schema import OPERATIONS
from conformance.reference import ReferenceServer


def _gate_requests(server: ReferenceServer, seed: int, ops: tuple[str, ...] = OPERATIONS) -> dict[str, list[str]]:
    with fuzz_run(server, fuzz_seed=seed) as fuzz:
        return {op: run_gate(fuzz, op).sent for op in ops}


def test_two_runs_send_the_same_requests(reference: ReferenceServer) -> None:
    first, second = _gate_requests(reference, 7), _gate_requests(reference, 7)
    for op in OPERATIONS:
        assert first[op], f"the gate tier sent nothing for {op}"
        diff = next((i for i, (a, b) in enumerate(zip(first[op], second[op], strict=False)) if a != b), None)
        assert diff is None, f"{op}: request {diff} differs:\n  {first[op][diff]}\n  {second[op][diff]}"
        assert len(first[op]) == len(second[op]), f"{op}: {len(first[op])} vs {len(second[op])} requests"


def test_another_seed_sends_other_requests(reference: ReferenceServer) -> None:
    one, other = _gate_requests(reference, 1, ("createTask",)), _gate_requests(reference, 2, ("createTask",))
    assert one["createTask"] != other["createTask"]


def test_two_suite_runs_record_the_same_fingerprints(tmp_path: Path, reference: ReferenceServer) -> None:
    """End to end: the JUnit report of two runs (different run prefixes) carries the same request fingerprints."""
    runs = [run_fuzz_suite("-k", "test_gate", report_dir=tmp_path / str(i), env=target_env(reference))
            for i in (1, 2)]
    for run in runs:
        assert run.code == 0, run.output
    first, second = (r.properties() for r in runs)
    assert set(first) == {f"test_gate[{op}]" for op in OPERATIONS}
    for name, props in first.items():
        assert int(props["fuzz_requests"]) > 0
        assert props["fuzz_fingerprint"] == second[name]["fuzz_fingerprint"], name
        assert props["fuzz_requests"] == second[name]["fuzz_requests"], name


def test_a_fuzz_failures_rerun_command_run_as_printed_fails_the_same_way(tmp_path: Path) -> None:
    """The run's seed is random (no --seed); the rerun command of the failing fuzz check carries every seed that
    shaped it: run as printed, it fails the same check with the same request fingerprint, and writes its reports
    where they do not overwrite the first run's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    first = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--reference-faults",
                            "query-double-space-500", "--report-dir", "reports", "--", "-k", "test_gate"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert first.returncode == 1, first.stdout[-3000:] + first.stderr[-2000:]
    results_file = tmp_path / "reports" / "results.json"
    results = json.loads(results_file.read_text())
    failed = next(c for c in results["checks"] if c["outcome"] == "failed")
    assert failed["id"] == "conformance/fuzz/test_gate.py::test_gate[listTasks]", failed
    command = shlex.split(failed["rerun"])
    assert command[:2] == ["tasks-conformance", "run"] and "--fuzz-seed" in command, command
    before = results_file.read_bytes()
    again = subprocess.run([sys.executable, "-m", "conformance.cli", *command[1:]], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert again.returncode == 1, again.stdout[-3000:] + again.stderr[-2000:]
    assert results_file.read_bytes() == before, "the rerun overwrote the first run's reports"
    rerun = json.loads((tmp_path / "reports" / "rerun" / "results.json").read_text())
    (check,) = rerun["checks"]
    assert (check["id"], check["outcome"], check["broken"]) == (failed["id"], "failed", failed["broken"])
    assert check["properties"]["fuzz_fingerprint"] == failed["properties"]["fuzz_fingerprint"]
    assert rerun["seed"] == results["seed"]
