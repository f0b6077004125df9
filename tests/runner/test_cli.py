"""The command line: help, the requirement listing, and how `run` maps onto pytest."""

from __future__ import annotations

import json
import subprocess
import sys

from conformance.cli import build_parser, pytest_arguments


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_help_explains_commands_defaults_and_exit_codes() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for word in ("run", "serve", "requirements", "diff", "exit codes"):
        assert word in result.stdout
    run_help = " ".join(cli("run", "--help").stdout.split())
    assert "--target-url" in run_help and "TASKS_CONFORMANCE_URL" in run_help
    assert "(default: 120.0)" in run_help  # active_timeout
    assert "--html" in run_help and "--junitxml" in run_help and "--check" in run_help
    assert "130 interrupted by Ctrl-C (SIGINT); 143 by SIGTERM" in run_help


def test_requirements_json_lists_every_requirement_with_its_checks_and_source() -> None:
    result = cli("requirements", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) >= 60
    assert all(row["checks"] for row in rows), [row["id"] for row in rows if not row["checks"]]
    assert all(row["source"] for row in rows)
    assert all(c.startswith("conformance/") and "::test_" in c for row in rows for c in row["checks"])
    assert {row["level"] for row in rows} == {"MUST", "SHOULD", "MAY"}


def test_requirements_table() -> None:
    result = cli("requirements")
    assert result.returncode == 0
    assert "LIST-COUNT" in result.stdout and "requirements" in result.stdout.splitlines()[-1]


def test_run_hands_pytest_no_settings_only_the_package_and_what_follows_the_double_dash() -> None:
    args = build_parser(with_serve_arguments=False).parse_args(
        ["run", "--target-url", "http://h", "--strict", "--read-only", "--", "-k", "auth"])
    assert args.url == "http://h" and args.strict and args.read_only
    argv = pytest_arguments(args.pytest_args)
    assert argv[:2] == ["--pyargs", "conformance"] and argv[-2:] == ["-k", "auth"]
    assert "--target-url" not in argv and "-p" in argv and "no:cacheprovider" in argv and "--rootdir" in argv


def test_no_command_is_usage_error() -> None:
    assert cli().returncode == 2
