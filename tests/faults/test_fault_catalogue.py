"""Sensitivity: with each named fault on by itself, the suite fails (exit 1) and reports the requirements the fault
declares it breaks as failed (a SHOULD as a warning when a MUST fails too; alone, under --strict).

Each fault runs only the checks of the requirements it breaks (-k), on its own embedded server, with fuzzing only
for the faults only fuzzing finds; xdist spreads the runs over the workers.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from faults_support import fault_run_arguments, musts, run_suite, selection

from conformance.contracts.requirements import catalogue
from conformance.reference.faults import FAULTS, Fault, list_faults

MIN_FAULTS = 40
MIN_STABLE_ONLY = 20
AREAS = ("status codes", "body schemas", "content types", "error bodies", "authentication", "access control",
         "filtering", "lifecycle", "send and logs", "create and get", "delete", "list", "robustness",
         "pause and resume", "input, logs and send while paused", "display name", "generations",
         "found by fuzzing")
PROFILES = ("legacy", "experimental", "stable")


def _declaration_problems(faults: list[Fault]) -> list[str]:
    known = catalogue()
    problems = [f"{f.name} declares no requirement it breaks in {p}" for f in faults for p in f.profiles
                if not f.breaks_in(p)]
    problems += [f"{f.name} declares unknown requirement {rid}" for f in faults for rid in f.breaks if rid not in known]
    problems += [f"{f.name} declares only MAY requirements in {p} (a MAY failure never fails a run)"
                 for f in faults for p in f.profiles
                 if all(catalogue(p)[rid].level == "MAY" for rid in f.breaks_in(p))]
    problems += [f"{f.name} has no known area" for f in faults if f.area not in AREAS]
    return problems


def test_the_registry_has_enough_faults_in_every_area() -> None:
    faults = list_faults()
    assert all(len(list_faults(p)) >= MIN_FAULTS for p in PROFILES)
    assert len([f for f in faults if f.profiles == ("stable",)]) >= MIN_STABLE_ONLY
    assert [f for f in faults if f.profiles == ("legacy",)]
    assert len({f.name for f in faults}) == len(faults)
    assert {f.area for f in faults} == set(AREAS)


def test_every_fault_declares_known_requirements() -> None:
    assert _declaration_problems(list_faults()) == []


def test_a_bad_fault_declaration_is_found() -> None:
    """The declaration rules above can fail: each kind of mistake in a declaration is named."""
    fault = list_faults("stable")[0]
    may_only = next(rid for rid, r in catalogue("stable").items() if r.level == "MAY")
    bad = [dataclasses.replace(fault, name="unknown-requirement", breaks=("NO-SUCH-REQUIREMENT",), only_in={}),
           dataclasses.replace(fault, name="may-only", breaks=(may_only,), only_in={}, profiles=("stable",)),
           dataclasses.replace(fault, name="no-area", area="nowhere")]
    problems = " | ".join(_declaration_problems(bad))
    assert "unknown-requirement declares unknown requirement NO-SUCH-REQUIREMENT" in problems
    assert "unknown-requirement declares no requirement it breaks" in problems
    assert "may-only declares only MAY requirements in stable" in problems
    assert "no-area has no known area" in problems


def test_every_declared_requirement_has_checks_to_run() -> None:
    for fault in list_faults():
        assert selection(fault.breaks), fault.name


@pytest.mark.parametrize(("name", "profile"), [pytest.param(f.name, p, id=f"{p}-{f.name}")
                                               for f in list_faults() for p in f.profiles])
def test_the_suite_catches_the_fault(name: str, profile: str, tmp_path: Path) -> None:
    fault = FAULTS[name]
    breaks = fault.breaks_in(profile)
    run = run_suite(*fault_run_arguments(name, breaks, profile), report_dir=tmp_path)
    assert run.code == 1, f"{name}: expected exit code 1; {run.explain()}"
    statuses = run.statuses()
    strict_needed = not musts(breaks, profile)
    for rid in breaks:
        level = catalogue(profile)[rid].level
        wanted = ("failed",) if level == "MUST" or strict_needed else ("failed", "warning")
        assert statuses.get(rid) in wanted, f"{name}: expected {rid} {' or '.join(wanted)}, got " \
                                            f"{statuses.get(rid)}; {run.explain()}"
    assert run.results["target"]["reference_faults"] == [name]
    assert run.results["target"]["profile"] == profile
