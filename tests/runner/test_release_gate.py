"""Gating a release: check ids that do not move, waivers, a baseline, `diff`, the certification bundle."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import conformance

PACKAGE = Path(conformance.__file__).resolve().parent
SELECT = ["--", "-k", "test_auth_before_not_found or test_list_count"]
FAULT = "list-count-off-by-one"  # breaks LIST-COUNT (MUST)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    env.update(extra)
    return env


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env or _env(), stdin=subprocess.DEVNULL)


def _ids(report_dir: Path) -> tuple[list[str], list[str]]:
    results = json.loads((report_dir / "results.json").read_text())
    junit = [f"{c.get('classname')}::{c.get('name')}" for c in ET.parse(report_dir / "junit.xml").iter("testcase")]
    return [c["id"] for c in results["checks"]], junit


def test_check_ids_are_the_same_wherever_and_however_the_suite_runs(tmp_path: Path) -> None:
    elsewhere, configs, pytest_cwd = tmp_path / "elsewhere", tmp_path / "configs", tmp_path / "pytest-cwd"
    for folder in (elsewhere, configs, pytest_cwd):
        folder.mkdir()
    config = configs / "t.toml"
    config.write_text('[run]\nfuzz_budget = 0\n')
    installed = tmp_path / "site"  # the package as an installed copy elsewhere, ahead of the clone on the path
    shutil.copytree(PACKAGE, installed / "conformance", ignore=shutil.ignore_patterns("__pycache__"))
    runs = {
        "clone": _run("run", "--report-dir", str(tmp_path / "r1"), *SELECT, cwd=PACKAGE.parent),
        "other directory, config file elsewhere": _run("run", "--config", str(config), "--report-dir",
                                                       str(tmp_path / "r2"), *SELECT, cwd=elsewhere),
        "installed copy": _run("run", "--report-dir", str(tmp_path / "r3"), *SELECT, cwd=elsewhere,
                               env=_env(PYTHONPATH=str(installed))),
    }
    pytest_mode = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "conformance", "--assert=plain",
                                  f"--config={config}", "--report-dir", str(tmp_path / "r4"), *SELECT[1:]],
                                 capture_output=True, text=True, timeout=300, cwd=pytest_cwd, env=_env(),
                                 stdin=subprocess.DEVNULL)
    for name, proc in [*runs.items(), ("pytest", pytest_mode)]:
        assert proc.returncode == 0, f"{name}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    found = subprocess.run([sys.executable, "-c", "import conformance; print(conformance.__file__)"],
                           capture_output=True, text=True, env=_env(PYTHONPATH=str(installed)), cwd=elsewhere)
    assert found.stdout.startswith(str(installed)), found.stdout
    ids = {name: _ids(tmp_path / folder) for name, folder in
           (("clone", "r1"), ("elsewhere", "r2"), ("installed", "r3"), ("pytest", "r4"))}
    first = ids["clone"]
    assert first[0] and all(i.startswith("conformance/checks/") for i in first[0]), first[0]
    assert all(i.startswith("conformance.checks.") for i in first[1]), first[1]
    for name, other in ids.items():
        assert other == first, name
    # `tasks-conformance run` leaves nothing in the working directory, nor next to the config file (plain pytest
    # keeps its own cache in its working directory, as it always does)
    assert sorted(p.name for p in elsewhere.iterdir()) == [] and sorted(p.name for p in configs.iterdir()) == ["t.toml"]


def _waivers(path: Path, *entries: str) -> Path:
    path.write_text("\n".join(entries))
    return path


def _waiver(requirement: str, expires: dt.date, extra: str = "") -> str:
    return f'[[waiver]]\nrequirement = "{requirement}"\nreason = "known, issue #7"\nexpires = {expires}\n{extra}\n'


def test_waivers_turn_a_known_failure_into_waived_and_an_expired_one_fails(tmp_path: Path) -> None:
    today = dt.date.today()
    later, earlier = today + dt.timedelta(days=30), today - dt.timedelta(days=1)
    waived = _run("run", "--reference-faults", FAULT, "--report-dir", str(tmp_path / "w"), "--waivers",
                  str(_waivers(tmp_path / "w.toml", _waiver("LIST-COUNT", later))), *SELECT, cwd=tmp_path)
    assert waived.returncode == 0, waived.stdout[-3000:]
    results = json.loads((tmp_path / "w" / "results.json").read_text())
    row = next(r for r in results["requirements"] if r["id"] == "LIST-COUNT")
    assert row["status"] == "waived" and "known, issue #7" in row["note"]
    assert "WAIVE" in waived.stdout and results["verdict"] == "pass"
    # what CI tools read: the waived check is neither a <failure> in junit.xml nor "failed" in pytest's summary
    counted = [c for c in results["checks"] if "test_list_count" in c["id"]]
    assert counted and all(c["outcome"] == "waived" for c in counted), counted
    assert results["counts"]["checks"]["failed"] == 0 and results["counts"]["checks"]["waived"] == len(counted)
    cases = [c for c in ET.parse(tmp_path / "w" / "junit.xml").iter("testcase") if "count" in str(c.get("name"))]
    assert len(cases) == len(counted) and all(c.find("failure") is None and c.find("error") is None for c in cases)
    skipped = [c.find("skipped") for c in cases]
    assert all(s is not None and s.get("type") == "waived" and "known, issue #7" in (s.text or "") for s in skipped)
    summary = waived.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and f"{len(counted)} waived" in summary, summary
    expired = _run("run", "--reference-faults", FAULT, "--report-dir", str(tmp_path / "e"), "--waivers",
                   str(_waivers(tmp_path / "e.toml", _waiver("LIST-COUNT", earlier))), *SELECT, cwd=tmp_path)
    assert expired.returncode == 1, expired.stdout[-3000:]
    assert "waiver expired" in expired.stdout
    unneeded = _run("run", "--report-dir", str(tmp_path / "u"), "--waivers",
                    str(_waivers(tmp_path / "u.toml", _waiver("LIST-COUNT", later))), *SELECT, cwd=tmp_path)
    assert unneeded.returncode == 0 and "waiver no longer needed" in unneeded.stdout
    other_version = _run("run", "--reference-faults", FAULT, "--report-dir", str(tmp_path / "o"), "--waivers",
                         str(_waivers(tmp_path / "o.toml", _waiver("LIST-COUNT", later,
                                                                   'server_version = "v9.*"'))), *SELECT, cwd=tmp_path)
    assert other_version.returncode == 1


@pytest.mark.parametrize("text, problem", [
    ('[[waiver]]\nrequirement = "NO-SUCH-REQ"\nreason = "x"\nexpires = 2030-01-01\n', "catalogue does not have"),
    ('[[waiver]]\nrequirement = "LIST-COUNT"\nreason = "x"\nexpires = "soon"\n', "expires must be a date"),
    ('[[waiver]]\nrequirement = "LIST-COUNT"\nexpires = 2030-01-01\n', "lacks 'reason'"),
    ("[[waiver]\n", "not valid TOML"),
])
def test_a_bad_waivers_file_is_a_configuration_error(text: str, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text(text)
    proc = _run("run", "--waivers", str(path), *SELECT, cwd=tmp_path)
    assert proc.returncode == 2 and problem in proc.stderr, proc.stderr


def test_a_baseline_fails_only_on_regressions_and_diff_says_what_changed(tmp_path: Path) -> None:
    failing = _run("run", "--reference-faults", FAULT, "--report-dir", str(tmp_path / "a"), *SELECT, cwd=tmp_path)
    assert failing.returncode == 1
    old = tmp_path / "a" / "results.json"
    again = _run("run", "--reference-faults", FAULT, "--baseline", str(old), "--report-dir", str(tmp_path / "b"),
                 *SELECT, cwd=tmp_path)
    assert again.returncode == 0, again.stdout[-3000:]  # the same failure: no regression
    assert "verdict: PASS against the baseline: 1 known failure, 0 regressed" in again.stdout, again.stdout[-2000:]
    results = json.loads((tmp_path / "b" / "results.json").read_text())
    assert results["verdict_label"].startswith("PASS against the baseline: 1 known failure")
    assert results["verdict_reasons"] == ["known failure (in the baseline too): LIST-COUNT failed"]
    fixed = _run("run", "--report-dir", str(tmp_path / "c"), *SELECT, cwd=tmp_path)
    assert fixed.returncode == 0
    new = tmp_path / "c" / "results.json"
    diff = _run("diff", str(old), str(new), cwd=tmp_path)
    assert diff.returncode == 0 and "fixed      LIST-COUNT: failed -> passed" in diff.stdout, diff.stdout
    assert "note:" not in diff.stdout  # the same profile and release
    backwards = _run("diff", str(new), str(old), "--json", cwd=tmp_path)
    assert backwards.returncode == 1
    answer = json.loads(backwards.stdout)
    assert answer["regressed"] == [{"id": "LIST-COUNT", "level": "MUST", "old": "passed", "new": "failed"}]
    assert answer["note"] is None and answer["old"]["profile"] == answer["new"]["profile"] == "stable"
    regressed = _run("run", "--reference-faults", FAULT, "--baseline", str(new), "--report-dir", str(tmp_path / "d"),
                     *SELECT, cwd=tmp_path)
    assert regressed.returncode == 1 and "regressed LIST-COUNT: passed -> failed" in regressed.stdout
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert _run("diff", str(broken), str(new), cwd=tmp_path).returncode == 2


def test_diff_says_when_the_two_runs_judged_different_profiles_or_releases(tmp_path: Path) -> None:
    """A legacy run and a stable run (or two releases) are compared with a note saying so, not silently."""
    stable = _run("run", "--report-dir", str(tmp_path / "s"), *SELECT, cwd=tmp_path)
    legacy = _run("run", "--profile", "legacy", "--report-dir", str(tmp_path / "l"), *SELECT, cwd=tmp_path)
    older = _run("run", "--reference-version", "v2.31.0", "--report-dir", str(tmp_path / "o"), *SELECT, cwd=tmp_path)
    assert stable.returncode == legacy.returncode == older.returncode == 0
    diff = _run("diff", str(tmp_path / "l" / "results.json"), str(tmp_path / "s" / "results.json"), cwd=tmp_path)
    assert "note: the two runs judged different profiles (legacy and stable)" in diff.stdout, diff.stdout
    releases = _run("diff", str(tmp_path / "o" / "results.json"), str(tmp_path / "s" / "results.json"), "--json",
                    cwd=tmp_path)
    note = json.loads(releases.stdout)["note"]
    assert note.startswith("the two runs judged different releases (v2.31.0") and "v2.34.0" in note, note
    assert "`tasks-conformance changes v2.31.0 v2.34.0`" in note
    # What v2.31.0 was spared and v2.34.0 passes is the contract's change, named with its difference, not the server's.
    spared = {r["id"] for r in json.loads((tmp_path / "o" / "results.json").read_text())["requirements"]
              if r["promised"] is False}
    found = json.loads(releases.stdout)
    assert spared and {c["id"] for c in found["contract"]} == spared, found["contract"]
    assert all(c["old"] == "skipped" and c["new"] != "skipped" and "v2.32" in c["why"] for c in found["contract"])
    assert found["fixed"] == found["changed"] == found["regressed"] == []


def test_the_bundle_holds_every_report_the_redacted_config_and_a_manifest(tmp_path: Path) -> None:
    bundle = tmp_path / "certification.tar.gz"
    proc = _run("run", "--report-dir", str(tmp_path / "r"), "--bundle", str(bundle), *SELECT, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    with tarfile.open(bundle) as tar:
        files = {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    assert set(files) == {"results.json", "junit.xml", "conformance.html", "evidence.har", "config.toml",
                          "SHA256SUMS"}
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    config = files["config.toml"].decode()
    assert 'token = "[REDACTED]"' in config and "template_version_id" in config
    assert files["results.json"] == (tmp_path / "r" / "results.json").read_bytes()


def test_check_takes_the_ids_requirements_json_lists_and_requirement_ids(tmp_path: Path) -> None:
    """`--check` takes a check id with its parameters (as the reports and `requirements --json` show it), one
    without them (every parameter), and a requirement id (every check of it); anything else is exit 2 in one
    line."""
    listed = json.loads(_run("requirements", "--json", cwd=tmp_path).stdout)
    count = next(r for r in listed if r["id"] == "LIST-COUNT")
    assert {"conformance/checks/test_list.py::test_list_count_matches[None]",
            "conformance/checks/test_list.py::test_list_count_matches[owner:me]"} <= set(count["checks"])

    def checks_run(*names: str, where: str) -> list[str]:
        args = [a for name in names for a in ("--check", name)]
        proc = _run("run", "--fuzz-budget", "0", "--report-dir", str(tmp_path / where), *args, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
        return [c["id"] for c in json.loads((tmp_path / where / "results.json").read_text())["checks"]]

    without_parameters = checks_run("conformance/checks/test_list.py::test_list_count_matches", where="a")
    assert without_parameters == ["conformance/checks/test_list.py::test_list_count_matches[None]",
                                  "conformance/checks/test_list.py::test_list_count_matches[owner:me]"]
    one = checks_run("conformance/checks/test_list.py::test_list_count_matches[owner:me]", where="b")
    assert one == ["conformance/checks/test_list.py::test_list_count_matches[owner:me]"]
    by_requirement = checks_run("LIST-COUNT", where="c")
    assert set(by_requirement) == set(count["checks"]), by_requirement  # the ids pytest's collection gives
    unknown = _run("run", "--check", "NO-SUCH-THING", "--report-dir", str(tmp_path / "d"), cwd=tmp_path)
    assert unknown.returncode == 2
    lines = [line for line in (unknown.stdout + unknown.stderr).splitlines() if "NO-SUCH-THING" in line]
    assert lines == ["tasks-conformance: configuration error: no check or requirement with the id 'NO-SUCH-THING' "
                     "(--check takes the check ids every report and `tasks-conformance requirements --json` show, or "
                     "a requirement id)"], unknown.stdout[-2000:] + unknown.stderr
    assert "_pytest" not in unknown.stdout + unknown.stderr
