"""results.json: written by every run, valid against the shipped schema, consistent with the verdict."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema_rs
import pytest
from report_support import MUST_REQ, SHOULD_REQ, SuiteRun

from conformance.contracts.requirements import catalogue
from conformance.report.results import schema


def _validate(data: dict[str, Any]) -> None:
    errors = [f"{e.instance_path}: {e.message}" for e in jsonschema_rs.validator_for(schema()).iter_errors(data)]
    assert errors == []


def test_the_schema_ships_in_the_package_and_is_a_valid_schema() -> None:
    text = (resources.files("conformance.report") / "results.schema.json").read_text(encoding="utf-8")
    loaded = json.loads(text)
    assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert jsonschema_rs.meta.is_valid(loaded)


@pytest.mark.parametrize("which, verdict, code", [("passing_run", "pass", 0), ("failing_run", "fail", 1),
                                                  ("embedded_failing_run", "fail", 1), ("blocked_run", "fail", 1),
                                                  ("preflight_failed_run", "error", 3)])
def test_every_run_writes_valid_results(which: str, verdict: str, code: int, request: pytest.FixtureRequest) -> None:
    run: SuiteRun = request.getfixturevalue(which)
    data = run.results()
    _validate(data)
    assert data["verdict"] == verdict
    assert data["exit_code"] == code == run.code
    judged = catalogue(data["target"]["profile"])  # the requirements of the profile the run judged by
    assert [r["id"] for r in data["requirements"]] == list(judged)
    for level, counts in data["counts"]["requirements"].items():
        assert counts["total"] == sum(v for k, v in counts.items() if k != "total")
        assert counts["total"] == sum(1 for r in judged.values() if r.level == level)
    checks = data["counts"]["checks"]
    assert checks["total"] == len(data["checks"]) == sum(v for k, v in checks.items() if k != "total")


def test_a_failing_run_names_the_failed_must_and_the_warned_should(failing_run: SuiteRun) -> None:
    data = failing_run.results()
    status = {r["id"]: r["status"] for r in data["requirements"]}
    assert status[MUST_REQ] == "failed"
    assert status[SHOULD_REQ] == "warning"
    assert data["counts"]["requirements"]["MUST"]["failed"] >= 1
    failed = [c for c in data["checks"] if c["outcome"] == "failed"]
    warned = [c for c in data["checks"] if c["outcome"] == "warning"]
    assert failed and warned
    for check in failed + warned:
        assert check["message"] and check["message"].startswith("expected"), check
        assert check["duration_seconds"] >= 0
    assert any(MUST_REQ in c["requirements"] for c in failed)
    assert all(SHOULD_REQ in c["requirements"] for c in warned)
    req = next(r for r in data["requirements"] if r["id"] == MUST_REQ)
    assert set(req["checks"]) >= {c["id"] for c in failed if MUST_REQ in c["requirements"]}


def test_provenance_and_redacted_target(failing_run: SuiteRun, embedded_failing_run: SuiteRun) -> None:
    data = failing_run.results()
    assert data["suite"]["version"]
    assert data["target"]["url"].startswith("http://127.0.0.1:")
    assert data["target"]["embedded"] is False
    assert isinstance(data["seed"], int)
    assert data["run_prefix"].startswith("ct-")
    assert data["fuzz_budget"] == 0
    assert data["config"]["target"]["token"] == "[REDACTED]"
    assert data["config"]["target"]["second_token"] == "[REDACTED]"
    assert data["duration_seconds"] > 0
    embedded = embedded_failing_run.results()
    assert embedded["target"]["embedded"] is True
    assert embedded["target"]["reference_faults"] == ["wrong-secret-accepted"]


def test_a_run_that_could_not_conclude_says_why(preflight_failed_run: SuiteRun) -> None:
    data = preflight_failed_run.results()
    assert data["verdict"] == "error"
    assert "preflight failed" in data["error"] and "second_token" in data["error"]
    assert data["checks"] == []
