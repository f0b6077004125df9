"""Every requirement has a check; every check names known requirements."""

from __future__ import annotations

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
