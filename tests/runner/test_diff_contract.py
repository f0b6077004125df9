"""`diff` of two runs of different releases sets apart the changes the contract made between them
(compare_runs): a requirement the older release was spared is not a fix or a change of the server; one the newer
run fails is still a regression."""

from __future__ import annotations

from conformance.runner.outcomes.compare import compare_runs
from conformance.runner.records.results_file import RunSummary, Status


def _run(version: str | None, **statuses: str) -> RunSummary:
    return RunSummary({rid.replace("_", "-"): Status(s, "MUST") for rid, s in statuses.items()}, "stable", version)


def test_the_contract_changes_are_set_apart_from_the_servers() -> None:
    old = _run("v2.29.0", PAUSE_202="skipped", SEND_PAUSED_409="skipped", LIST_COUNT="passed", GET_SCHEMA="passed")
    new = _run("v2.34.0+abc", PAUSE_202="passed", SEND_PAUSED_409="failed", LIST_COUNT="failed", GET_SCHEMA="passed")
    found = compare_runs(old, new)
    assert [c.id for c in found.contract] == ["PAUSE-202"]
    assert "pauseTask" in found.why["PAUSE-202"] and "v2.32" in found.why["PAUSE-202"]
    assert {c.id for c in found.regressed} == {"SEND-PAUSED-409", "LIST-COUNT"}  # failing is the server's own
    assert found.fails and found.changed == found.fixed == []


def test_a_downgrade_and_the_same_release() -> None:
    newer = _run("v2.34.0", PAUSE_202="failed", LIST_COUNT="passed")
    older = _run("v2.29.0", PAUSE_202="skipped", LIST_COUNT="passed")
    down = compare_runs(newer, older)
    assert [c.id for c in down.contract] == ["PAUSE-202"] and down.fixed == []  # not fixed: no longer promised
    same = compare_runs(_run("v2.34.0", PAUSE_202="failed"), _run("v2.34.0", PAUSE_202="passed"))
    assert same.contract == [] and [c.id for c in same.fixed] == ["PAUSE-202"]
    unknown = compare_runs(_run(None, PAUSE_202="skipped"), _run("v2.34.0", PAUSE_202="passed"))
    assert unknown.contract == [] and [c.id for c in unknown.changed] == ["PAUSE-202"]
