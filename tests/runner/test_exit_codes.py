"""Every exit code of `tasks-conformance run`, the preflight, read-only mode and cleanup."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from runner_support import RunResult, all_tasks, run_pytest, run_suite, write_target

from conformance.reference import ReferenceServer

# A small, fast, stable selection of checks that exercises creating, reading and deleting tasks.
SUBSET = ["--fuzz-budget", "0", "--", "-k", "test_create or test_delete or test_auth", "-q"]


def test_pass_against_embedded_server_exits_0(tmp_path: Path) -> None:
    result = run_suite(*SUBSET, report_dir=tmp_path)
    assert result.code == 0, result.output
    assert "verdict: PASS" in result.output


def test_a_fault_exits_1_naming_the_broken_must(tmp_path: Path) -> None:
    result = run_suite("--reference-faults", "create-returns-200", *SUBSET, report_dir=tmp_path)
    assert result.code == 1, result.output
    assert "FAIL  MUST   CREATE-STATUS-201" in result.output
    assert "expected 201, got 200" in result.output


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_suite("--target-url", "notaurl", report_dir=tmp_path)
    assert result.code == 2
    assert "invalid url 'notaurl' (flag --target-url)" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[target]\nuri = "http://127.0.0.1:1"\n')
    result = run_suite("--config", str(bad), report_dir=tmp_path)
    assert result.code == 2
    assert "unknown key 'uri'" in result.output


@pytest.mark.parametrize("route", [run_suite, run_pytest])
def test_unknown_reference_fault_exits_2_before_collection(route: Callable[..., RunResult], tmp_path: Path) -> None:
    """A fault name is checked with the other settings: one plain line, before pytest collects a check."""
    result = route("--reference-faults", "no-such-fault", *SUBSET[:2], report_dir=tmp_path)
    assert result.code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tasks-conformance: configuration error: unknown fault name(s): "
                                                   "no-such-fault;"), result.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_target_exits_3(tmp_path: Path) -> None:
    result = run_suite("--target-url", f"http://127.0.0.1:{_closed_port()}", "--token", "a" * 10 + "-" + "b" * 22,
                       "--second-token", "c" * 10 + "-" + "d" * 22, "--read-only", report_dir=tmp_path)
    assert result.code == 3, result.output
    assert "target unreachable" in result.output
    assert result.output.count("preflight failed") == 1


def test_rejected_token_exits_3_without_printing_it(tmp_path: Path, reference: ReferenceServer) -> None:
    wrong = "Zq8Wx7Vc6B-" + "n" * 22
    config = write_target(reference, tmp_path / "t.toml", token=wrong)
    result = run_suite("--config", str(config), report_dir=tmp_path)
    assert result.code == 3, result.output
    assert "token rejected" in result.output
    assert wrong not in result.output and wrong[11:] not in result.output


def test_wrong_prefix_exits_3(tmp_path: Path, reference: ReferenceServer) -> None:
    config = write_target(reference, tmp_path / "t.toml", api_prefix="/api/v9")
    result = run_suite("--config", str(config), report_dir=tmp_path)
    assert result.code == 3, result.output
    assert "API prefix looks wrong" in result.output


def test_same_token_for_two_roles_exits_2(tmp_path: Path, reference: ReferenceServer) -> None:
    values = reference.target_config()
    config = write_target(reference, tmp_path / "t.toml", admin_token=values["token"])
    result = run_suite("--config", str(config), "--read-only", report_dir=tmp_path)
    assert result.code == 2, result.output
    assert "different" in result.output
    assert values["token"] not in result.output


def test_external_server_via_config_file_passes_and_leaves_nothing(tmp_path: Path, reference: ReferenceServer) -> None:
    config = write_target(reference, tmp_path / "t.toml")
    result = run_suite("--config", str(config), *SUBSET, report_dir=tmp_path)
    assert result.code == 0, result.output
    assert all_tasks(reference) == []


def test_failing_run_still_cleans_up(tmp_path: Path) -> None:
    with ReferenceServer(lifecycle_delay=0.02, faults=["send-drops-input"]) as server:
        config = write_target(server, tmp_path / "t.toml")
        result = run_suite("--config", str(config), "--fuzz-budget", "0", "--active-timeout", "3", "--",
                           "-k", "test_send or test_access",
                           report_dir=tmp_path)
        leftover = all_tasks(server)
    assert result.code == 1, result.output
    assert leftover == []


def test_read_only_creates_nothing(tmp_path: Path, reference: ReferenceServer) -> None:
    config = write_target(reference, tmp_path / "t.toml")
    result = run_suite("--config", str(config), "--read-only", "--", "-q", report_dir=tmp_path)
    assert result.code == 0, result.output
    assert all_tasks(reference) == []
    assert "deselected" in result.output
    results = json.loads((tmp_path / "results.json").read_text())
    statuses = {r["id"]: r["status"] for r in results["requirements"]}
    assert statuses["CREATE-STATUS-201"] == "not_run"
    assert statuses["AUTH-MISSING-401"] == "passed"
