"""The ignored_auth probes are sent once per kind of request, and again for a kind not yet seen enforced."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from conformance.fuzz.auth_probes import AuthConfirmations, kind_of

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
    check = AuthConfirmations().wrap(builtin)
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
    confirmations = AuthConfirmations()
    check = confirmations.wrap(builtin)
    first = case("GET /tasks/{user}/{task}", task=TASK_ID) if "task" in other.path_parameters else case()
    check(SimpleNamespace(), None, first)
    check(SimpleNamespace(), None, other)
    assert builtin.probed == [kind_of(first), kind_of(other)]
    assert len(confirmations) == 2


def test_a_kind_whose_probe_was_answered_stays_unconfirmed() -> None:
    builtin = Builtin(enforces=False)
    confirmations = AuthConfirmations()
    check = confirmations.wrap(builtin)
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
