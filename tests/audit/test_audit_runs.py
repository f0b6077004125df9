"""The audit of the suite's own runs: a clean run's evidence passes as HAR and as every cassette layout; a run that
fails on schemas is failed by its audit on the same operations."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from audit_support import as_cassette, audit, load, text_bodies, write_yaml


def test_the_cassette_layouts_audit_like_the_har(stable_har: Path, tmp_path: Path) -> None:
    har = load(stable_har)
    reference = audit(stable_har, "--json").json()
    plain = write_yaml(as_cassette(har, gzipped=False), tmp_path / "plain.yaml")
    gzipped = write_yaml(as_cassette(har, gzipped=True), tmp_path / "gzipped.yaml")
    as_json = tmp_path / "cassette.json"
    as_json.write_text(json.dumps(text_bodies(as_cassette(har, gzipped=False))), encoding="utf-8")
    older = write_yaml(as_cassette(har, gzipped=True)["interactions"], tmp_path / "older.yml")
    for cassette in (plain, gzipped, as_json, older):
        result = audit(cassette, "--json")
        assert result.code == 0, (cassette.name, result.output[-2000:])
        data = result.json()
        for key in ("exchanges", "judged", "passed", "by_operation"):
            assert data[key] == reference[key], (cassette.name, key)
    assert b"!!binary" in gzipped.read_bytes()  # the bodies really are stored compressed
    assert gzip.decompress(as_cassette(har, gzipped=True)["interactions"][0]["response"]["body"]["string"])


def test_a_pytest_recording_directory_is_searched(stable_har: Path, tmp_path: Path) -> None:
    """pytest-recording keeps one cassette per test under cassettes/<module>/; a directory is audited whole."""
    cassette = as_cassette(load(stable_har), gzipped=True)
    half = len(cassette["interactions"]) // 2
    root = tmp_path / "tests" / "cassettes"
    write_yaml({**cassette, "interactions": cassette["interactions"][:half]}, root / "test_tasks" / "test_one.yaml")
    write_yaml({**cassette, "interactions": cassette["interactions"][half:]}, root / "test_tasks" / "test_two.yaml")
    (root / "test_tasks" / "notes.txt").write_text("not a recording")
    data = audit(root, "--json").json()
    assert data["exit_code"] == 0 and len(data["files"]) == 2
    assert data["exchanges"] == len(cassette["interactions"])


def test_the_audit_agrees_with_the_runs_schema_verdicts(schema_fault_run: Path) -> None:
    results = load(schema_fault_run / "results.json")
    failed_schema = {r["id"] for r in results["requirements"]
                     if r["id"].endswith("-SCHEMA") and r["status"] == "failed"}
    assert failed_schema == {"CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA"}
    result = audit(schema_fault_run / "evidence.har", "--json")
    assert result.code == 1
    data = result.json()
    operations = {"createTask": "CREATE-SCHEMA", "getTask": "GET-SCHEMA", "listTasks": "LIST-SCHEMA"}
    assert {operations.get(f["operation"], f["operation"]) for f in data["failures"]} == failed_schema
    assert all("owner_name" in " ".join(f["problems"]) for f in data["failures"])
    text = audit(schema_fault_run / "evidence.har").output
    assert "does not match the Task schema" in text and "audit: FAIL" in text
