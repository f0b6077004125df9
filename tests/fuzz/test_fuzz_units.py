"""The pieces: Go-semantics body reading, the auth guard, the time limit, read-only selection, the budget."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fuzz_support import fuzz_run, run_fuzz_suite

from conformance.contracts.contract import Contract, contract_for
from conformance.contracts.profiles import EXPERIMENTAL, LEGACY, STABLE
from conformance.contracts.requirements import catalogue
from conformance.fuzz.driver import Tier, run_gate, run_stateful
from conformance.fuzz.guard import AuthGuard
from conformance.fuzz.schema import FAILURE_REQUIREMENTS, OPERATIONS, fuzz_document, query_pattern
from conformance.fuzz.tolerance import go_body, tolerated
from conformance.reference import ReferenceServer
from conformance.runner.settings.config import load_config
from conformance.runner.tasks import expect

TOKEN = "abcdefghij-" + "k" * 22


def test_every_failure_code_maps_to_catalogued_requirements() -> None:
    known = catalogue()
    for code, ids in FAILURE_REQUIREMENTS.items():
        assert ids and all(i in known and known[i].area == "fuzzing" for i in ids), code


def test_go_reads_null_as_absent_and_missing_input_as_empty() -> None:
    experimental = contract_for("experimental")  # the document bodies are judged by (a run's preflight picks it)
    body = go_body("createTask", json.dumps({"input": None, "name": None, "Template_Version_Id": "{"
                                             "0A6E2A4C-6E57-4A4A-9A55-3B1C1F9C2D10}"}), experimental)
    assert body == {"input": "", "name": "", "template_version_id": "0a6e2a4c-6e57-4a4a-9a55-3b1c1f9c2d10"}
    assert experimental.errors("CreateTaskRequest", body) == []
    assert go_body("createTask", b"[1]", experimental) is None
    assert go_body("sendTaskInput", b"{}", experimental) == {"input": ""}
    assert experimental.errors("SendTaskInputRequest", {"input": ""}) != []


@pytest.mark.parametrize("q", ["", "   ", "owner:me", "  OWNER:ME   status:active ", 'status:Pending owner:"me"',
                               "ME", "status:error"])
def test_the_query_pattern_accepts_valid_queries(q: str) -> None:
    assert re.search(query_pattern(EXPERIMENTAL), q)


@pytest.mark.parametrize("q", ["status:running", "owner:me status:stopped", "STATUS:RUNNING"])
def test_the_query_pattern_follows_the_generation(q: str) -> None:
    assert re.search(query_pattern(LEGACY), q)
    assert not re.search(query_pattern(EXPERIMENTAL), q)


@pytest.mark.parametrize("q", ["owner:me owner:me", "status:bogus", "me me", "owner:", "x:y"])
def test_the_query_pattern_rejects_queries_a_server_may_refuse(q: str) -> None:
    assert not re.search(query_pattern(EXPERIMENTAL), q)


def test_the_profile_leaves_the_contract_alone() -> None:
    before = json.dumps(contract_for("stable").document, sort_keys=True)
    doc = fuzz_document(contract_for("stable").document, "11111111-1111-4111-8111-111111111111", EXPERIMENTAL)
    assert json.dumps(contract_for("stable").document, sort_keys=True) == before
    props = doc["components"]["schemas"]["CreateTaskRequest"]["properties"]
    assert props["template_version_id"]["enum"] == ["11111111-1111-4111-8111-111111111111"]
    assert "template_version_preset_id" not in props


def test_the_fuzz_seed_defaults_to_the_seed_then_zero() -> None:
    def seed_of(flags: dict[str, str]) -> int:
        return load_config(flags, environ={}).run.fuzzing_seed

    assert seed_of({"fuzz_seed": "5", "seed": "9"}) == 5
    assert seed_of({"seed": "9"}) == 9
    assert seed_of({}) == 0


def _response(status: int, headers: dict[str, str], url: str = "http://h/api/experimental/tasks") -> Any:
    return SimpleNamespace(status_code=status, request=SimpleNamespace(headers=headers, url=url))


def _case(mode: str) -> Any:
    return SimpleNamespace(meta=SimpleNamespace(generation=SimpleNamespace(
        mode=SimpleNamespace(is_positive=mode == "positive"))))


def test_the_guard_trips_on_401_to_the_valid_token_only() -> None:
    guard = AuthGuard(TOKEN)
    header = {"Coder-Session-Token": TOKEN}
    assert guard.inspect(_case("positive"), _response(401, header)) is not None
    assert guard.inspect(_case("negative"), _response(401, header)) is None
    assert guard.inspect(_case("positive"), _response(401, {"Coder-Session-Token": "other"})) is None
    assert guard.inspect(_case("positive"), _response(401, {**header, "Cookie": "coder_session_token=x"})) is None
    assert guard.inspect(_case("positive"), _response(401, header, url="http://h/t?access_token=x")) is None
    assert guard.inspect(_case("positive"), _response(200, header)) is None
    assert (guard.accepted, guard.refused) == (1, 1)


def test_a_wrong_token_fails_the_gate_clearly(reference: ReferenceServer) -> None:
    real = reference.target_config()["token"]
    wrong = real.split("-")[0] + "-" + "Z" * 22  # a known id with a wrong secret: every answer is 401
    with fuzz_run(reference) as fuzz:
        fuzz.settings = type(fuzz.settings)(**{**vars(fuzz.settings), "token": wrong})
        fuzz.guard = AuthGuard(wrong)
        with pytest.raises(expect.CheckFailure) as failure:
            run_gate(fuzz, "listTasks")
    assert "FUZZ-VALID-TOKEN-ACCEPTED" in failure.value.requirements
    assert "the configured session token was refused" in str(failure.value)
    assert wrong not in str(failure.value) and real not in str(failure.value)


def test_the_time_limit_stops_fuzzing_cleanly(reference: ReferenceServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with fuzz_run(reference, fuzz_time_limit=30) as fuzz:
        left = iter([30.0] * 25)  # the clock runs out after 25 looks at it: mid-way through the createTask gate
        monkeypatch.setattr(fuzz, "time_left", lambda: next(left, -1.0))
        stats = run_gate(fuzz, "createTask")  # cut short: no failure, no exception
        assert stats.stopped and 0 < stats.cases < 40
        assert "fuzzing stopped early" in Tier(fuzz, stats).summary()
        with pytest.raises(pytest.skip.Exception, match="time limit of 30 s was reached"):
            run_gate(fuzz, "listTasks")
        with pytest.raises(pytest.skip.Exception):
            run_stateful(fuzz)
        assert all(e.deleted for e in fuzz.run.ledger.entries()), "every task the cut-short tier created was deleted"


def test_read_only_mode_selects_only_the_operations_that_create_nothing(tmp_path: Path) -> None:
    result = run_fuzz_suite("--read-only", "--collect-only", report_dir=tmp_path)
    selected = set(re.findall(r"test_gate\[(\w+)\]", result.output))
    assert selected == {"listTasks", "getTask", "getTaskLogs"}, result.output
    assert "test_stateful_links" not in result.output


def test_budget_zero_turns_fuzzing_off(tmp_path: Path) -> None:
    """Every fuzz check skipped; a run of nothing but them verified no MUST requirement, which is never a pass."""
    result = run_fuzz_suite("--fuzz-budget", "0", report_dir=tmp_path)
    assert result.code == 3, result.output
    assert f"{len(OPERATIONS) + 1} skipped" in result.output  # every gate (a stable server) and the stateful tier
    assert "no MUST requirement could be verified" in result.output and "fuzzing is off" in result.output


def test_the_time_limit_stops_the_stateful_tier_cleanly(reference: ReferenceServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with fuzz_run(reference, fuzz_time_limit=30) as fuzz:
        left = iter([30.0] * 30)
        monkeypatch.setattr(fuzz, "time_left", lambda: next(left, -1.0))
        stats = run_stateful(fuzz)  # Hypothesis finishes its scenarios without requests: no flaky-data error
        assert stats.stopped and stats.cases > 0
        assert all(e.deleted for e in fuzz.run.ledger.entries())


class _Probe:
    """A fake server state for the tolerance rules."""

    token = TOKEN
    profile = EXPERIMENTAL

    def __init__(self, status: tuple[int, str | None] = (200, "active"), gone_after: float | None = 0.5) -> None:
        self.status, self.gone_after = status, gone_after

    @property
    def contract(self) -> Contract:
        return contract_for(self.profile.name)

    def task_status(self, task_id: str) -> tuple[int, str | None]:
        return self.status

    def wait_gone(self, task_id: str) -> float | None:
        return self.gone_after


def _sent(status: int, body: Any = None, content: bytes = b"", token: str = TOKEN) -> Any:
    raw = json.dumps(body).encode() if body is not None else None
    request = SimpleNamespace(headers={"Coder-Session-Token": token}, body=raw, url="http://h/x")
    return SimpleNamespace(status_code=status, request=request, content=content)


_TASK_CASE = SimpleNamespace(path_parameters={"user": "me", "task": "1b0c73e6-beef-44df-93eb-198a25d8bcf8"})


def test_accepting_what_only_the_profile_forbids_is_tolerated() -> None:
    tv = "0a6e2a4c-6e57-4a4a-9a55-3b1c1f9c2d10"
    probe = _Probe()
    assert tolerated("ST201", "createTask", None, _sent(201, {"template_version_id": tv, "name": None}), probe)
    assert tolerated("ST201", "listTasks", None, _sent(200), probe)
    assert not tolerated("ST201", "createTask", None, _sent(201, {"template_version_id": tv, "input": 5}), probe)
    assert not tolerated("ST201", "sendTaskInput", None, _sent(204, {"input": None}), probe)
    assert not tolerated("ST201", "listTasks", None, _sent(200, token="other"), probe), "accepted without token"


def test_logs_and_send_on_a_task_that_is_not_active_are_the_documented_lifecycle() -> None:
    assert tolerated("ST202", "getTaskLogs", _TASK_CASE, _sent(400), _Probe((200, "pending")))
    assert tolerated("ST202", "sendTaskInput", _TASK_CASE, _sent(409), _Probe((200, "initializing")))
    assert not tolerated("ST202", "getTaskLogs", _TASK_CASE, _sent(400), _Probe((200, "active")))
    assert not tolerated("ST202", "createTask", _TASK_CASE, _sent(400), _Probe((200, "pending")))


def test_a_display_name_over_coders_limit_in_bytes_is_a_documented_400() -> None:
    """Coder counts the trimmed display_name's UTF-8 bytes: 22 check marks are 66 bytes, over its 64."""
    stable = _Probe()
    stable.profile = STABLE
    tv = "0a6e2a4c-6e57-4a4a-9a55-3b1c1f9c2d10"

    def create(display_name: str) -> Any:
        return _sent(400, {"template_version_id": tv, "input": "x", "display_name": display_name})

    assert tolerated("ST202", "createTask", None, create("\u2713" * 22), stable)
    assert tolerated("ST202", "createTask", None, create("d" * 65), stable)
    assert not tolerated("ST202", "createTask", None, create("\u2713" * 21), stable), "63 bytes are within it"
    assert not tolerated("ST202", "createTask", None, create("\u3000 " + "d" * 64 + "\u2029"), stable), \
        "Go trims Unicode space before it counts"
    assert not tolerated("ST202", "createTask", None, create("\u2713" * 22), _Probe()), "no limit before stable"


def test_a_delete_that_takes_a_moment_is_not_use_after_free() -> None:
    assert tolerated("ST301", "getTask", _TASK_CASE, _sent(200), _Probe(gone_after=1.5))
    assert not tolerated("ST301", "getTask", _TASK_CASE, _sent(200), _Probe(gone_after=None))


def test_a_documented_502_from_logs_or_send_is_not_a_server_error() -> None:
    error = json.dumps({"message": "Failed to get logs from agent."}).encode()
    assert tolerated("ST101", "getTaskLogs", _TASK_CASE, _sent(502, content=error), _Probe())
    assert not tolerated("ST101", "getTaskLogs", _TASK_CASE, _sent(502, content=b"Bad Gateway"), _Probe())
    assert not tolerated("ST101", "getTask", _TASK_CASE, _sent(502, content=error), _Probe())
    assert not tolerated("ST101", "sendTaskInput", _TASK_CASE, _sent(500, content=error), _Probe())
    initializing = json.dumps({"message": "Task sidebar app is initializing. Try again shortly."}).encode()
    legacy = _Probe()
    legacy.profile = LEGACY
    assert tolerated("ST101", "sendTaskInput", _TASK_CASE, _sent(503, content=initializing), legacy)
    assert not tolerated("ST101", "sendTaskInput", _TASK_CASE, _sent(503, content=initializing), _Probe()), \
        "503 is legacy's sidebar-app check only"


def test_the_library_internals_the_driver_patches_are_still_there() -> None:
    """driver.through_run_transport and driver.without_local_constants patch internals of Schemathesis and
    Hypothesis (no public hook exists); they raise when those move, and this fails first, on upgrade."""
    from hypothesis.internal.conjecture import providers
    from schemathesis.transport import requests as st_requests

    assert isinstance(getattr(st_requests, "SameHostRedirectsSession", None), type)
    assert callable(getattr(providers, "_get_local_constants", None))
    assert hasattr(getattr(providers, "CONSTANTS_CACHE", None), "cache")
