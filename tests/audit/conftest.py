"""The suite's own runs against the reference server, whose evidence.har the audit self-tests read (each
profile's whole clean run is audited by tests/faults/test_generations.py, which makes that run anyway)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from audit_support import suite_run  # noqa: E402

SCHEMA_FAULT = "missing-owner-name"  # Task objects lack owner_name: the create, get and list schema checks fail
SCHEMA_SUBSET = ["--fuzz-budget", "0", "--", "-q", "-k", "test_create or test_get or test_list or test_delete"]


@pytest.fixture(scope="session")
def stable_har(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A passing stable run's evidence (a few checks: quick to edit and audit)."""
    base = tmp_path_factory.mktemp("stable-subset")
    proc = suite_run("--profile", "stable", *SCHEMA_SUBSET, report_dir=base / "reports", cwd=base)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return base / "reports" / "evidence.har"


@pytest.fixture(scope="session")
def schema_fault_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run that fails on response schemas: its reports directory."""
    base = tmp_path_factory.mktemp("schema-fault")
    proc = suite_run("--profile", "stable", "--reference-faults", SCHEMA_FAULT, *SCHEMA_SUBSET,
                     report_dir=base / "reports", cwd=base)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    return base / "reports"
