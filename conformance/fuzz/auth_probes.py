"""Schemathesis's `ignored_auth` check, confirmed once per kind of request instead of once per case.

After a 2xx answer to a request that carried the token, `ignored_auth` sends the request again without it and
once per security scheme with a wrong one, and fails unless each probe is refused (401, 403 or a redirect). Called
through `Case.validate_response` it knows nothing of earlier cases, so it probes every successful case again, for
the same answer each time (what that cost is in benchmarks/README.md). Schemathesis's own runner confirms each
operation once per run: its `CheckContext.auth_enforced_operations`, the set the check reads, skipping its probes
for an operation in it, and adds the operation to once every probe was refused.

The tiers use that public field with a finer key: the operation, the names of the query parameters sent, and
whether each path parameter is a task id or not (a name lookup may be another route in a gateway). A kind whose
probes were refused is not probed again, so a server that enforces authentication for a kind of request on one
case and skips it on a later one of the same kind is not caught here; one that skips it for a kind is caught on its
first successful case of that kind. A kind whose probe was answered stays unconfirmed and is probed again. The
authentication checks (conformance/checks/test_auth.py, the AUTH-* requirements) do not depend on this: they send
their own requests without a token, or with a wrong one, to every endpoint.
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
    """The kinds of request whose authentication the run has seen enforced; one per fuzz run, shared by the tiers.

    `builtin` is the check it wraps (Schemathesis's ignored_auth unless a test gives another)."""

    def __init__(self, builtin: Any = None) -> None:
        if builtin is None:
            from schemathesis.specs.openapi.checks import ignored_auth as builtin
        self._builtin = builtin
        self._confirmed: set[Kind] = set()
        self.check = self._wrap()  # in place of the built-in; named like it, so its failures read the same

    def __len__(self) -> int:
        return len(self._confirmed)

    def checks(self) -> tuple[list[Any], list[Any]]:
        """(additional_checks, excluded_checks) for `Case.validate_response`: the built-in check swapped for ours."""
        return [self.check], [self._builtin]

    def _wrap(self) -> Any:
        builtin, confirmed = self._builtin, self._confirmed

        def ignored_auth(ctx: Any, response: Any, case: Any) -> bool | None:
            kind = kind_of(case)
            label = kind[0]
            # The set is this call's own (a context is made per validate_response): the run's record stays per kind.
            ctx.auth_enforced_operations = {label} if kind in confirmed else set()
            result = builtin(ctx, response, case)
            if label in ctx.auth_enforced_operations:
                confirmed.add(kind)
            return result

        return ignored_auth
