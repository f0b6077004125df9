"""What README.md and CONTRIBUTING.md say about the catalogues is what the catalogues hold: how many requirements
each profile has, the stable profile's MUST count and how many of them a read-only run leaves out, and how many
faults and variations each profile's reference has.

Figures the documents give as examples are not tested: the partial verdict shown as the format of every report
(`PASS (partial: 50 of 107 ...)`), the audit's example output, and the measurements of CONTRIBUTING.md's
benchmark and run-time paragraphs, which name the commit they were taken at."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conformance.contracts.requirements import catalogue
from conformance.reference import FAULTS, list_faults, list_variations

REPO = Path(__file__).resolve().parent.parent
PROFILES = ("legacy", "experimental", "stable")


def _said(document: str, sentence: str) -> tuple[int, ...]:
    """The numbers at the `#` of `sentence` in the document (once, however its lines are wrapped)."""
    text = (REPO / document).read_text(encoding="utf-8")
    pattern = r"(\d+)".join(re.escape(part) for part in sentence.split("#")).replace(re.escape(" "), r"\s+")
    found = re.findall(pattern, text)
    assert len(found) == 1, f"{document} should say once: {sentence}"
    numbers = found[0] if isinstance(found[0], tuple) else (found[0],)
    return tuple(int(n) for n in numbers)


def _musts(profile: str) -> int:
    return sum(1 for r in catalogue(profile).values() if r.level == "MUST")


def test_the_readme_counts_the_requirements_of_each_profile() -> None:
    said = _said("README.md", "`tasks-conformance requirements --profile stable` lists one profile's requirements "
                              "(# in all; legacy #, experimental #, stable #).")
    assert said == (len(catalogue()), *(len(catalogue(p)) for p in PROFILES))


def test_the_readme_says_how_many_must_requirements_a_read_only_run_leaves_out(tmp_path: Path) -> None:
    """A read-only run against the embedded server (stable, its newest release: every MUST is promised)."""
    not_run, musts = _said("README.md", "Its verdict says it was partial: `PASS (partial: # of # MUST requirements "
                                        "not run)` against a stable server.")
    assert musts == _musts("stable")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--read-only", "--report-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["target"]["profile"] == "stable"
    assert results["verdict_label"] == f"PASS (partial: {not_run} of {musts} MUST requirements not run)"


def test_contributing_counts_the_faults_and_variations_of_each_profile() -> None:
    said = _said("CONTRIBUTING.md", "Figures: legacy # faults and # variations, experimental # and #, stable # and #.")
    assert said == tuple(n for p in PROFILES for n in (len(list_faults(p)), len(list_variations(p))))
    one, stable = _said("CONTRIBUTING.md", "# faults belong to one generation only (# of the stable line:")
    (legacy,) = _said("CONTRIBUTING.md", "...; # of legacy:")
    alone = [fault.profiles for fault in FAULTS.values() if len(fault.profiles) == 1]
    assert (one, stable, legacy) == (len(alone), alone.count(("stable",)), alone.count(("legacy",)))
