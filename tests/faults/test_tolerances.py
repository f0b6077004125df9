"""The fuzz tolerances added for legitimate variations: narrow enough that the faults they resemble still fail."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest

from conformance.contracts.contract import Contract, contract_for
from conformance.contracts.profiles import EXPERIMENTAL, LEGACY
from conformance.fuzz.tolerance import invalid_status_values, tolerated

BASE = "http://127.0.0.1:1/api/experimental"
TOKEN = "abcdefghij-" + "k" * 22


class _Probe:
    token = TOKEN
    profile = EXPERIMENTAL

    def __init__(self, status: tuple[int, str | None] = (200, "active")) -> None:
        self.status = status

    @property
    def contract(self) -> Contract:
        return contract_for(self.profile.name)

    def task_status(self, task_id: str) -> tuple[int, str | None]:
        return self.status

    def wait_gone(self, task_id: str) -> float | None:
        return None


def _response(status: int, url: str, body: Any = None, content: bytes = b"") -> Any:
    raw = json.dumps(body).encode() if body is not None else None
    request = SimpleNamespace(url=url, body=raw, headers={"Coder-Session-Token": TOKEN})
    return SimpleNamespace(status_code=status, request=request, content=content)


def _case() -> Any:
    return SimpleNamespace(path_parameters={})


@pytest.mark.parametrize("body", [{"input": "", "template_version_id": "x"}, {"template_version_id": "x"},
                                  {"input": None, "template_version_id": "x"}])
def test_a_create_with_empty_input_may_be_refused(body: dict[str, Any]) -> None:
    response = _response(400, f"{BASE}/tasks/me", body)
    assert tolerated("ST202", "createTask", _case(), response, _Probe()) is not None


def test_a_create_with_input_must_not_be_refused() -> None:
    response = _response(400, f"{BASE}/tasks/me", {"input": "do it", "template_version_id": "x"})
    assert tolerated("ST202", "createTask", _case(), response, _Probe()) is None
    empty_but_409 = _response(409, f"{BASE}/tasks/me", {"input": "", "template_version_id": "x"})
    assert tolerated("ST202", "createTask", _case(), empty_but_409, _Probe()) is None


@pytest.mark.parametrize(("q", "bad"), [("status:bogus", ["bogus"]), ('OWNER:me STATUS:"Nope"', ["nope"]),
                                        ("status:active", []), ("owner:me", []), ("status:a:b", []),
                                        ('owner:"status:x"', [])])
def test_invalid_status_values_are_found_as_coder_parses_q(q: str, bad: list[str]) -> None:
    assert invalid_status_values(f"{BASE}/tasks?{urlencode({'q': q})}", EXPERIMENTAL.statuses) == bad


def test_the_statuses_are_the_generations() -> None:
    url = f"{BASE}/tasks?{urlencode({'q': 'status:running status:active'})}"
    assert invalid_status_values(url, LEGACY.statuses) == ["active"]
    assert invalid_status_values(url, EXPERIMENTAL.statuses) == ["running"]


def test_a_deleted_legacy_task_may_show_its_delete_build() -> None:
    case = SimpleNamespace(path_parameters={"task": "1b0c73e6-beef-44df-93eb-198a25d8bcf8"})
    legacy = _Probe((200, "deleting"))
    legacy.profile = LEGACY
    assert tolerated("ST301", "getTask", case, _response(200, f"{BASE}/tasks/me/x"), legacy) is not None
    running = _Probe((200, "running"))
    running.profile = LEGACY
    assert tolerated("ST301", "getTask", case, _response(200, f"{BASE}/tasks/me/x"), running) is None
    assert tolerated("ST301", "getTask", case, _response(200, f"{BASE}/tasks/me/x"), _Probe((200, "deleting"))) is None


def test_a_500_for_an_invalid_status_value_is_left_to_the_should() -> None:
    response = _response(500, f"{BASE}/tasks?q=status%3Abogus")
    assert tolerated("ST101", "listTasks", _case(), response, _Probe()) is not None
    assert tolerated("ST103", "listTasks", _case(), response, _Probe()) is not None


@pytest.mark.parametrize("url", [f"{BASE}/tasks?q=owner%3Ame++status%3Aactive", f"{BASE}/tasks?q=status%3Aactive",
                                 f"{BASE}/tasks"])
def test_any_other_500_from_list_still_fails(url: str) -> None:
    response = _response(500, url)
    assert tolerated("ST101", "listTasks", _case(), response, _Probe()) is None
    assert tolerated("ST103", "listTasks", _case(), response, _Probe()) is None


def test_the_documented_502_is_still_tolerated() -> None:
    response = _response(502, f"{BASE}/tasks/me/x/send", content=b'{"message": "busy"}')
    assert tolerated("ST101", "sendTaskInput", _case(), response, _Probe()) is not None
    assert tolerated("ST101", "getTask", _case(), response, _Probe()) is None
