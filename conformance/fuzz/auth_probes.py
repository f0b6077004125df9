"""Schemathesis's `ignored_auth` check, confirmed once per kind of request instead of once per case.

After every 2xx answer `ignored_auth` sends the same request again without the token and once per security scheme
with a wrong one (three probes with this contract), and fails if any of them is answered like the real one. Called
through `Case.validate_response` it knows nothing of earlier cases, so it probes every successful case again: in a
default run that was 475 of the 1,045 fuzz requests, for the same answer each time. Schemathesis's own runner
confirms each operation once per run (its `CheckContext.auth_enforced_operations`, the set the check reads and adds
the operation to once enforcement is seen).

The tiers use the same public field with a finer key: the operation, the names of the query parameters sent, and
whether each path parameter is a task id or not (a name lookup may be another route in a gateway). A server that
skips authentication only for some kinds of request is then still probed on each kind; one that enforces it is
not probed again for the same kind. The authentication checks (conformance/checks/test_auth.py, the AUTH-*
requirements) do not depend on this: they send their own requests without a token, or with a wrong one, to every
endpoint.
"""

from __future__ import annotations

import uuid
from typing import Any

Kind = tuple[str, tuple[str, ...], tuple[str, ...]]


def kind_of(case: Any) -> Kind:
    """What tells one kind of request from another for authentication: operation, query names, path-parameter kinds."""
    query = tuple(sorted(str(name) for name in (case.query or {})))
    path = tuple(sorted(f"{name}={'id' if _is_uuid(value) else 'other'}"
                        for name, value in (case.path_parameters or {}).items()))
    return str(case.operation.label), query, path


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class AuthConfirmations:
    """The kinds of request whose authentication the run has seen enforced; one per fuzz run, shared by the tiers."""

    def __init__(self) -> None:
        self._confirmed: set[Kind] = set()

    def __len__(self) -> int:
        return len(self._confirmed)

    def checks(self) -> tuple[list[Any], list[Any]]:
        """(additional_checks, excluded_checks) for `Case.validate_response`: the built-in check swapped for ours."""
        from schemathesis.specs.openapi.checks import ignored_auth

        return [self.wrap(ignored_auth)], [ignored_auth]

    def wrap(self, builtin: Any) -> Any:
        """The check `builtin` (Schemathesis's ignored_auth), told which kinds of request are confirmed already."""
        confirmed = self._confirmed

        def ignored_auth(ctx: Any, response: Any, case: Any) -> bool | None:
            kind = kind_of(case)
            label = kind[0]
            # The built-in check skips its probes for an operation in this set and adds the operation once the
            # probes were refused; the set is this call's own, so the run's record stays per kind.
            ctx.auth_enforced_operations = {label} if kind in confirmed else set()
            result = builtin(ctx, response, case)
            if label in ctx.auth_enforced_operations:
                confirmed.add(kind)
            return result

        return ignored_auth
