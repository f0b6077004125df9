"""What the run caused is known by the id the server gave it, and only that is ever deleted (runner/tasks/ledger.py,
runner/tasks/cleanup.py): a create answered 2xx is claimed whatever name it carried; tasks that merely carry the run's
prefix, and creates that got no usable answer, are reported, never touched."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from conformance.runner.http.readonly import ReadOnlyGate
from conformance.runner.http.transport import NoResponse, NotSent
from conformance.runner.tasks.cleanup import sweep
from conformance.runner.tasks.ledger import TaskLedger

PRIMARY, SECOND = "abcdefghij-0123456789abcdefghijkl", "klmnopqrst-0123456789abcdefghijkl"
CREATE_URL = "http://target/api/v2/tasks/me"


class FakeClient:
    """A client whose list shows the tasks of a shared store that it may see, and whose delete removes one."""

    def __init__(self, store: dict[str, dict[str, Any]], owner: str, sees_all: bool = False) -> None:
        self.store, self.owner, self.sees_all = store, owner, sees_all
        self.deleted: list[str] = []

    def _visible(self) -> list[dict[str, Any]]:
        return [t for t in self.store.values() if self.sees_all or t["owner_id"] == self.owner]

    def list_tasks(self, **_: object) -> httpx.Response:
        tasks = self._visible()
        return httpx.Response(200, json={"tasks": tasks, "count": len(tasks)})

    def delete_task(self, task_id: str, **_: object) -> httpx.Response:
        self.deleted.append(task_id)
        if task_id in {t["id"] for t in self._visible()}:
            del self.store[task_id]
            return httpx.Response(202)
        return httpx.Response(404)

    def get_task(self, task_id: str, **_: object) -> httpx.Response:
        return httpx.Response(200 if task_id in {t["id"] for t in self._visible()} else 404)


def _task(name: str, owner: str = "u1", prompt: str = "x") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": name, "owner_id": owner, "initial_prompt": prompt}


def _create(ledger: TaskLedger, body: dict[str, Any], answer: dict[str, Any] | None, status: int = 201,
            token: str = PRIMARY, error: str | None = None) -> httpx.Request:
    request = httpx.Request("POST", CREATE_URL, json=body, headers={"Coder-Session-Token": token})
    ledger.sending(request)
    response = None if answer is None and error else httpx.Response(status, json=answer, request=request)
    ledger.exchanged(request, response, 0.01, error)
    return request


def test_a_create_answered_2xx_is_claimed_whatever_it_was_named() -> None:
    """A gateway that fills in a template version makes a task of `{"input": "x"}`: no run prefix anywhere."""
    ledger = TaskLedger("ct-abc123", {"primary": PRIMARY}, cause=lambda: "conformance/checks/test_x.py::test_y")
    made = _task("task-name-from-the-server")
    _create(ledger, {"input": "x"}, made)
    entry = ledger.get(made["id"])
    assert entry is not None and entry.role == "primary" and entry.cause.endswith("::test_y")


def test_a_task_that_existed_before_the_run_is_never_claimed() -> None:
    ledger = TaskLedger("ct-abc123", {"primary": PRIMARY})
    existing = _task("ct-abc123-looks-like-ours")
    ledger.note_existing([existing["id"]])
    _create(ledger, {"input": "ct-abc123 x"}, existing)
    assert ledger.get(existing["id"]) is None


def test_a_create_without_a_valid_token_is_claimed_as_anonymous_and_named() -> None:
    store: dict[str, dict[str, Any]] = {}
    ledger = TaskLedger("ct-abc123", {"primary": PRIMARY}, cause=lambda: "an auth check")
    ledger.note_user("primary", "u1")
    made = _task("made-without-a-token", owner="u1", prompt="ct-abc123 x")
    store[made["id"]] = made
    _create(ledger, {"input": "ct-abc123 x"}, made, token="not-a-token-at-all")
    client = FakeClient(store, "u1")
    result = sweep(ledger, {"primary": client}, confirm_seconds=0)  # type: ignore[dict-item]
    assert client.deleted == [made["id"]] and store == {}
    assert len(result.caused) == 1 and "an auth check" in result.caused[0] and made["id"] in result.caused[0]


def test_tasks_carrying_the_prefix_that_the_run_did_not_make_are_reported_not_touched() -> None:
    """Another user's (seen only by the admin), the second member's, one whose prompt merely starts with it."""
    prefix = "ct-abc123"
    store = {t["id"]: t for t in (_task(f"{prefix}-someone-elses", owner="u9"), _task(f"{prefix}-seconds", owner="u2"),
                                  _task("plain-name", owner="u2", prompt=f"{prefix} looks like ours"))}
    ledger = TaskLedger(prefix, {"primary": PRIMARY, "second": SECOND, "admin": "adminadmin-0123456789abcdefghijkl"})
    clients = {"primary": FakeClient(store, "u1"), "second": FakeClient(store, "u2"),
               "admin": FakeClient(store, "u0", sees_all=True)}
    result = sweep(ledger, clients, confirm_seconds=0)  # type: ignore[arg-type]
    assert len(store) == 3 and not any(c.deleted for c in clients.values())
    assert len(result.foreign) == 3 and result.swept == [] and result.left == []


def test_a_create_without_a_usable_answer_is_named_never_deleted() -> None:
    prefix = "ct-abc123"
    made = _task(f"{prefix}-lost-1", owner="u1")
    store = {made["id"]: made}
    ledger = TaskLedger(prefix, {"primary": PRIMARY})
    _create(ledger, {"name": f"{prefix}-lost-1", "input": f"{prefix} x"}, None, error="no response within 10 s")
    client = FakeClient(store, "u1")
    result = sweep(ledger, {"primary": client}, confirm_seconds=0)  # type: ignore[dict-item]
    assert client.deleted == [] and made["id"] in store
    assert len(result.unknown) == 1 and f"{prefix}-lost-1" in result.unknown[0] and made["id"] in result.unknown[0]
    assert "not deleted" in result.unknown[0]


def test_an_answered_create_is_never_called_unanswered() -> None:
    """Every attempt ends in `exchanged`, refused ones included: none stays in flight. A server error may have made
    the task all the same: kept, and named only when a list shows a task of the name it asked for."""
    ledger = TaskLedger("ct-abc123", {"primary": PRIMARY})
    for status in (400, 409, 429):
        _create(ledger, {"name": "ct-abc123-x", "input": "ct-abc123 x"}, {"message": "no"}, status=status)
    assert ledger.in_flight() == [] and ledger.unanswered() == []
    _create(ledger, {"name": "ct-abc123-y", "input": "ct-abc123 y"}, {"message": "bad gateway"}, status=502)
    assert [u.asked.name for u in ledger.unanswered()] == ["ct-abc123-y"]
    result = sweep(ledger, {"primary": FakeClient({}, "u1")}, confirm_seconds=0)  # type: ignore[dict-item]
    assert result.unknown == [] and result.left == []  # no list shows it: it made nothing
    made = _task("ct-abc123-y", owner="u1", prompt="ct-abc123 y")
    shown = sweep(ledger, {"primary": FakeClient({made["id"]: made}, "u1")}, confirm_seconds=0)  # type: ignore[dict-item]
    assert len(shown.unknown) == 1 and "it was answered 502" in shown.unknown[0] and made["id"] in shown.unknown[0]


def test_a_create_answered_with_a_task_it_did_not_ask_for_claims_nothing() -> None:
    """Someone else's task the preflight could not see (made after it, or visible to no configured token), given in
    answer to a create: not the run's, so never deleted (read-only mode's one exception relies on it), and named."""
    store: dict[str, dict[str, Any]] = {}
    ledger = TaskLedger("ct-abc123", {"primary": PRIMARY, "admin": "adminadmin-0123456789abcdefghijkl"})
    alices = _task("alices-real-task", owner="u9", prompt="refactor the billing module")
    store[alices["id"]] = alices
    _create(ledger, {"name": "ct-abc123-x", "input": "ct-abc123 x"}, alices, token="not-a-token-at-all")
    _create(ledger, {"input": "ct-abc123 no name"}, alices)  # no name asked: the prompt must match
    _create(ledger, {}, dict(alices, created_at="2020-01-01T00:00:00Z"))  # nothing to compare: an old task is not
    assert ledger.get(alices["id"]) is None and not ledger.holds(alices["id"])
    admin = FakeClient(store, "u0", sees_all=True)
    result = sweep(ledger, {"primary": FakeClient(store, "u1"), "admin": admin}, confirm_seconds=0)  # type: ignore[arg-type]
    assert admin.deleted == [] and alices["id"] in store
    assert len(result.unknown) == 3 and all("which it did not ask for" in u for u in result.unknown)


def test_a_task_answering_what_the_create_asked_for_is_claimed() -> None:
    ledger = TaskLedger("ct-abc123", {"primary": PRIMARY})
    named = _task("CT-ABC123-Named-1", prompt="anything")  # the name asked, in another letter case
    _create(ledger, {"name": "ct-abc123-named-1", "input": "ct-abc123 x"}, named)
    prompted = _task("server-made-name", prompt="ct-abc123 only a prompt")
    _create(ledger, {"input": "ct-abc123 only a prompt"}, prompted)
    assert ledger.holds(named["id"]) and ledger.holds(prompted["id"])


def test_a_2xx_whose_body_could_not_be_read_is_unknown() -> None:
    ledger = TaskLedger("ct-abc123", {"primary": PRIMARY})
    request = httpx.Request("POST", CREATE_URL, json={"name": "ct-abc123-big"})
    ledger.sending(request)
    ledger.exchanged(request, httpx.Response(201, request=request), 0.1, NoResponse("too large").reason)
    assert [u.asked.name for u in ledger.unanswered()] == ["ct-abc123-big"]


def test_the_read_only_gate_fails_closed_wherever_a_valid_token_sits() -> None:
    """Forms a server might read that the client's own placement never makes: a repeated header, a quoted or folded
    cookie, a bearer with two spaces, a token in the body or in a header's name: never sent."""
    gate = ReadOnlyGate({"primary": PRIMARY}, holds=lambda task: False, cause=lambda: "conformance/checks/t.py::c")
    url = "http://target/api/v2/tasks/me"
    forms: list[tuple[list[tuple[str, str]], bytes, str]] = [
        ([("Coder-Session-Token", "bad"), ("Coder-Session-Token", PRIMARY)], b"", url),
        ([("Cookie", f'coder_session_token="{PRIMARY}"')], b"", url),
        ([("Cookie", "a=b"), ("Cookie", f"coder_session_token={PRIMARY}")], b"", url),
        ([("Authorization", f"Bearer  {PRIMARY}")], b"", url),
        ([("X-Forwarded-Token", PRIMARY)], b"", url),
        ([(f"X-{PRIMARY}", "1")], b"", url),
        ([], f'{{"input": "x", "token": "{PRIMARY}"}}'.encode(), url),
        ([], b"", f"{url}?coder_session_token={PRIMARY.replace('-', '%2D')}"),
    ]
    for headers, body, where in forms:
        for method in ("POST", "DELETE", "PUT", "PATCH", "FOO"):
            with pytest.raises(NotSent):
                gate.check(httpx.Request(method, where, headers=headers, content=body))
    gate.check(httpx.Request("GET", url, headers=[("Coder-Session-Token", PRIMARY)]))  # safe methods go
    gate.check(httpx.Request("POST", url, headers=[("Coder-Session-Token", "not-a-token-at-all")]))  # bad tokens go
    assert len(gate.refused) == len(forms) * 5
    # the run's note says which checks met the gate, and what it kept back
    (said,) = gate.refusals()
    assert said.startswith(f"conformance/checks/t.py::c: {len(forms) * 5} request(s) (POST /api/v2/tasks/me, "), said
