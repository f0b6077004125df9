"""The ignored_auth probes are sent once per kind of request, and again for a kind not yet seen enforced: with a
stand-in for the check, then with Schemathesis's own through the gate tier's validation against reference servers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fuzz_support import fuzz_run

from conformance.fuzz.auth_probes import AuthConfirmations, kind_of
from conformance.reference import ReferenceServer

TASK_ID = "3f0c2a9e-8d5b-4c1e-9a7f-2b6d4e8c1a03"


def case(label: str = "GET /tasks", query: dict[str, Any] | None = None, **path: str) -> Any:
    return SimpleNamespace(operation=SimpleNamespace(label=label), query=query, path_parameters=path)


class Builtin:
    """Stands in for Schemathesis's ignored_auth: probes unless told the operation is enforced, then records it."""

    def __init__(self, enforces: bool = True) -> None:
        self.enforces = enforces
        self.probed: list[Any] = []

    def __call__(self, ctx: Any, response: Any, case: Any) -> None:
        if case.operation.label in ctx.auth_enforced_operations:
            return
        self.probed.append(kind_of(case))
        if not self.enforces:
            raise AssertionError("answered without a token")
        ctx.auth_enforced_operations.add(case.operation.label)


def test_a_kind_seen_enforced_is_not_probed_again() -> None:
    builtin = Builtin()
    check = AuthConfirmations(builtin).check
    for _ in range(3):
        check(SimpleNamespace(), None, case(query={"q": "x"}))
    assert len(builtin.probed) == 1


@pytest.mark.parametrize("other", [
    case(query={"q": "owner:me"}),  # a query parameter the first did not send
    case("GET /tasks/{user}/{task}", task="my-task"),  # a name where the first had an id
    case("DELETE /tasks/{user}/{task}", task=TASK_ID),  # another operation
])
def test_another_kind_is_probed(other: Any) -> None:
    builtin = Builtin()
    confirmations = AuthConfirmations(builtin)
    check = confirmations.check
    first = case("GET /tasks/{user}/{task}", task=TASK_ID) if "task" in other.path_parameters else case()
    check(SimpleNamespace(), None, first)
    check(SimpleNamespace(), None, other)
    assert builtin.probed == [kind_of(first), kind_of(other)]
    assert len(confirmations) == 2


def test_a_kind_whose_probe_was_answered_stays_unconfirmed() -> None:
    builtin = Builtin(enforces=False)
    confirmations = AuthConfirmations(builtin)
    check = confirmations.check
    for _ in range(2):
        with pytest.raises(AssertionError):
            check(SimpleNamespace(), None, case())
    assert len(builtin.probed) == 2
    assert len(confirmations) == 0


def test_the_builtin_check_is_swapped_for_the_wrapped_one() -> None:
    from schemathesis.specs.openapi.checks import ignored_auth

    additional, excluded = AuthConfirmations().checks()
    assert excluded == [ignored_auth]
    assert [c.__name__ for c in additional] == ["ignored_auth"]  # failures keep the built-in check's name


def _generated(operation: Any) -> Any:
    """One case as the tiers' generation makes it: with the token where the schema's auth settings put it."""
    import hypothesis

    drawn: list[Any] = []

    @hypothesis.given(operation.as_strategy())
    @hypothesis.settings(max_examples=1, database=None, phases=[hypothesis.Phase.generate],
                         suppress_health_check=list(hypothesis.HealthCheck))
    def draw(case: Any) -> None:
        drawn.append(case)

    draw()
    return drawn[0]


def _validated(fuzz: Any, found: list[str], operation_id: str, **parts: Any) -> int:
    """Send one case of the operation through the gate tier and validate it: the follow-up requests it cost (the
    codes of the failures it found are added to `found`)."""
    operation = fuzz.schema("gate").find_operation_by_id(operation_id)
    tier = fuzz.tier("gate", operation_id)
    case = _generated(operation)
    case.query = parts.get("query", {})
    case.path_parameters = {**(case.path_parameters or {}), **parts.get("path_parameters", {})}
    response = tier.send_and_validate(case)
    assert response is not None and response.status_code == 200, response
    found += [failure.code for failure in tier.failures.values()]
    return tier.stats.requests - 1  # the case itself is the first request of its tier


def test_schemathesis_probes_each_kind_once_on_a_server_that_enforces_auth() -> None:
    found: list[str] = []
    with ReferenceServer() as server, fuzz_run(server) as fuzz:
        first = _validated(fuzz, found, "listTasks")
        assert first >= 2  # without a token, and with a wrong one per security scheme
        assert _validated(fuzz, found, "listTasks") == 0  # the same kind: confirmed already
        assert _validated(fuzz, found, "listTasks", query={"q": "status:active"}) == first  # a query the first had not
        assert _validated(fuzz, found, "listTasks", query={"q": "owner:me"}) == 0
        assert not found


def test_schemathesis_catches_a_server_that_skips_auth_on_every_case() -> None:
    found: list[str] = []
    with ReferenceServer(faults=["get-skips-auth"]) as server, fuzz_run(server) as fuzz:
        task = fuzz.primary.create_task({"input": f"{fuzz.run.prefix} probe",
                                         "template_version_id": server.target_config()["template_version_id"]})
        path = {"user": "me", "task": task.json()["id"]}
        assert _validated(fuzz, found, "getTask", path_parameters=path) >= 1
        assert _validated(fuzz, found, "getTask", path_parameters=path) >= 1  # not confirmed: probed again
        assert found == ["ST401", "ST401"], found  # FUZZ-IGNORED-AUTH (conformance/fuzz/schema.py)
        fuzz.primary.delete_task(task.json()["id"])
