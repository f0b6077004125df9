"""The command line: help, the requirement listing, and how `run` maps onto pytest."""

from __future__ import annotations

import json
import subprocess
import sys

from conformance.cli import build_parser, pytest_arguments


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_help_explains_commands_and_exit_codes() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for word in ("run", "serve", "requirements", "Exit codes"):
        assert word in result.stdout
    run_help = cli("run", "--help").stdout
    assert "--target-url" in run_help and "TASKS_CONFORMANCE_URL" in run_help


def test_requirements_json_lists_every_requirement_with_its_checks() -> None:
    result = cli("requirements", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) >= 60
    assert all(row["checks"] for row in rows), [row["id"] for row in rows if not row["checks"]]
    assert {row["level"] for row in rows} == {"MUST", "SHOULD", "MAY"}


def test_requirements_table() -> None:
    result = cli("requirements")
    assert result.returncode == 0
    assert "LIST-COUNT" in result.stdout and "requirements" in result.stdout.splitlines()[-1]


def test_run_flags_become_pytest_flags() -> None:
    args = build_parser(with_serve_arguments=False).parse_args(
        ["run", "--target-url", "http://h", "--strict", "--read-only", "--", "-k", "auth"])
    assert pytest_arguments(args) == ["--pyargs", "conformance", "--assert=plain", "--target-url", "http://h",
                                      "--read-only", "--conformance-strict", "-k", "auth"]


def test_no_command_is_usage_error() -> None:
    assert cli().returncode == 2
