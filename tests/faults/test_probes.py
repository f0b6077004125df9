"""Specificity: with each legitimate variation on by itself, the whole suite (every check, fuzzing at its default
budget) still passes against the embedded server: exit 0, no requirement failed, and only the SHOULD/MAY
requirements the variation declares in ``warns`` may be reported as warnings.

The run's embedded server picks the variation up from TASKS_CONFORMANCE_REFERENCE_VARIATIONS.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from faults_support import run_suite, variation_env

from conformance.contracts.requirements import catalogue
from conformance.reference.conforming.generation import DEFAULT_VERSIONS
from conformance.reference.variations import VARIATIONS, Variation, list_variations

MIN_VARIATIONS = 20


def _declaration_problems(variations: list[Variation]) -> list[str]:
    known = catalogue()
    problems = [f"{v.name} may warn on unknown requirement {rid}" for v in variations for rid in v.warns
                if rid not in known]
    problems += [f"{v.name} may not break the MUST requirement {rid} in {p}" for v in variations for p in v.profiles
                 for rid in v.warns if rid in catalogue(p) and catalogue(p)[rid].level == "MUST"]
    problems += [f"{v.name} has no description or source" for v in variations if not (v.description and v.source)]
    return problems


def test_the_variation_registry() -> None:
    variations = list_variations()
    assert all(len(list_variations(p)) >= MIN_VARIATIONS for p in ("legacy", "experimental", "stable"))
    assert len({v.name for v in variations}) == len(variations)
    assert _declaration_problems(variations) == []


def test_a_bad_variation_declaration_is_found() -> None:
    """The declaration rules above can fail: each kind of mistake in a declaration is named."""
    variation = list_variations("stable")[0]
    must = next(rid for rid, r in catalogue("stable").items() if r.level == "MUST")
    bad = [dataclasses.replace(variation, name="unknown-warn", warns=("NO-SUCH-REQUIREMENT",)),
           dataclasses.replace(variation, name="warns-a-must", warns=(must,), profiles=("stable",)),
           dataclasses.replace(variation, name="unsourced", source="")]
    problems = " | ".join(_declaration_problems(bad))
    assert "unknown-warn may warn on unknown requirement NO-SUCH-REQUIREMENT" in problems
    assert f"warns-a-must may not break the MUST requirement {must} in stable" in problems
    assert "unsourced has no description or source" in problems


def _home(profiles: tuple[str, ...]) -> str:
    """The generation whose run of a variation includes fuzzing: stable where the variation belongs to it."""
    return "stable" if "stable" in profiles else profiles[-1]


@pytest.mark.parametrize(("name", "profile"), [pytest.param(v.name, p, id=f"{p}-{v.name}")
                                               for v in list_variations() for p in v.profiles])
def test_the_suite_accepts_the_variation(name: str, profile: str, tmp_path: Path) -> None:
    variation = VARIATIONS[name]
    # Every check runs on every generation the variation belongs to (the checks read what they expect from the
    # profile); the fuzz tiers, which judge every generation by the same rules against its own document, at their
    # default budget on one generation: CI time (CONTRIBUTING.md).
    home = profile == _home(variation.profiles)
    fuzzing = [] if home else ["--fuzz-budget", "0"]
    plugins = [] if home else ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]  # start-up only, unused
    run = run_suite("--reference-version", DEFAULT_VERSIONS[profile], *fuzzing, "--", "-q", *plugins,
                    report_dir=tmp_path, env=variation_env(name))
    assert run.code == 0, f"{name}: expected exit code 0 (pass); {run.explain()}"
    broken = run.broken()
    failed = sorted(rid for rid, status in broken.items() if status == "failed")
    assert not failed, f"{name}: requirements failed: {failed}; {run.explain()}"
    unexpected = sorted(set(broken) - set(variation.warns))
    assert not unexpected, f"{name}: undeclared warnings {unexpected}; {run.explain()}"
    assert run.results["verdict"] == "pass"
    assert run.results["leftovers"] == [], f"{name}: tasks of the run left on the server"
    assert run.results["target"]["embedded"] is True
    assert run.results["target"]["profile"] == profile  # chosen from the server's release (auto)
