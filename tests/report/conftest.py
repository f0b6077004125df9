"""Runs of the suite shared by the report self-tests (each run is a subprocess; the servers run here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from report_support import (  # noqa: E402
    BLOCKED_SUBSET,
    BLOCKING_FAULT,
    MUST_FAULT,
    SHOULD_FAULT,
    SUBSET,
    SuiteRun,
    run_suite,
    secrets_of,
    target_flags,
    write_target,
)

from conformance.reference import ReferenceServer  # noqa: E402


@pytest.fixture(scope="session")
def passing_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    """A passing run against a reference server started here; the tokens come from a config file."""
    base = tmp_path_factory.mktemp("passing")
    with ReferenceServer(lifecycle_delay=0.02) as server:
        config = write_target(server, base / "target.toml")
        run = run_suite("--config", str(config), *SUBSET, report_dir=base / "reports", cwd=base)
        run.secrets = secrets_of(server)
    assert run.code == 0, run.output
    return run


@pytest.fixture(scope="session")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    """A failing run (a MUST and a SHOULD fault) against a reference server; the tokens are command-line flags."""
    base = tmp_path_factory.mktemp("failing")
    with ReferenceServer(lifecycle_delay=0.02, faults=[MUST_FAULT, SHOULD_FAULT]) as server:
        run = run_suite(*target_flags(server), *SUBSET, report_dir=base / "reports", cwd=base)
        run.secrets = secrets_of(server)
    assert run.code == 1, run.output
    return run


@pytest.fixture(scope="session")
def embedded_failing_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    """The embedded reference server with a fault switched on by --reference-faults."""
    base = tmp_path_factory.mktemp("embedded")
    run = run_suite("--reference-faults", MUST_FAULT, *SUBSET, report_dir=base / "reports", cwd=base)
    assert run.code == 1, run.output
    return run


@pytest.fixture(scope="session")
def preflight_failed_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    """A run whose preflight fails: the second token is rejected (exit 3); the reports still say why."""
    base = tmp_path_factory.mktemp("preflight")
    with ReferenceServer(lifecycle_delay=0.02) as server:
        bad = "Qw3Er5Ty7U-" + "k" * 22
        run = run_suite(*target_flags(server, second_token=bad), *SUBSET, report_dir=base / "reports", cwd=base)
        run.secrets = [*secrets_of(server), bad, bad.split("-", 1)[1]]
    assert run.code == 3, run.output
    return run


@pytest.fixture(scope="session")
def blocked_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    """Tasks never become active: the lifecycle check fails, the checks that need an active task are blocked."""
    base = tmp_path_factory.mktemp("blocked")
    run = run_suite("--reference-faults", BLOCKING_FAULT, "--active-timeout", "1", *BLOCKED_SUBSET,
                    report_dir=base / "reports", cwd=base)
    assert run.code == 1, run.output
    return run
