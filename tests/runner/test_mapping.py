"""Every requirement has a check; every check names known requirements."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conformance.cli import pytest_arguments
from conformance.contracts.requirements import catalogue
from conformance.runner.collected import checks_by_requirement


def test_every_requirement_has_a_check_and_every_check_a_known_requirement() -> None:
    checks = checks_by_requirement(pytest_arguments([]))
    known = catalogue()
    assert checks, "no checks were found"
    uncovered = [rid for rid in known if not checks.get(rid)]
    unknown = [rid for rid in checks if rid not in known]
    assert uncovered == [], f"requirements without a check: {uncovered}"
    assert unknown == [], f"checks name unknown requirements: {unknown}"


def test_catalogue_is_large_enough_and_well_formed() -> None:
    reqs = catalogue()
    assert len(reqs) >= 60
    for r in reqs.values():
        assert r.title and "\n" not in r.title and len(r.title) <= 200, r.id
        assert r.source, r.id


def test_requirements_lists_the_checks_whatever_pytest_addopts_holds() -> None:
    """PYTEST_ADDOPTS is for runs (-v, --check ...): listing the requirements neither trips on it nor loses it."""
    env = {**os.environ, "PYTEST_ADDOPTS": "-v -rA --check NO-SUCH-CHECK"}
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "requirements", "--json"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {row["id"]: row for row in json.loads(proc.stdout)}
    assert rows["LIST-COUNT"]["checks"] == checks_by_requirement(pytest_arguments([]))["LIST-COUNT"]


def test_listing_the_checks_gives_pytest_addopts_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-v --check NO-SUCH-CHECK")
    assert checks_by_requirement(pytest_arguments([]))["LIST-COUNT"]
    assert os.environ["PYTEST_ADDOPTS"] == "-v --check NO-SUCH-CHECK"
