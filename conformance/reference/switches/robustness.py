"""Switches of what a server does with input it cannot use: unknown users, unreadable bodies, NUL characters."""

from __future__ import annotations

from typing import Any

from ..conforming.answers import Answer
from ..conforming.decisions import Decisions
from ..conforming.identities import User
from ..conforming.responses import NOT_FOUND_MESSAGE, PQ_NUL_DETAIL, ApiError
from .kinds import Switch, fault, variation


def _body_500(when_json: bool, when_field: str | None = None) -> Any:
    """500 for a body that is (``when_json``) or is not JSON, of the wrong type as a whole or in ``when_field``."""
    def decide(below: Decisions, error: ApiError, is_json: bool, field: str | None) -> ApiError:
        conforming = below.unreadable_body(error, is_json, field)
        if is_json == when_json and field == when_field:
            return ApiError(500, "Internal error decoding the request.", detail="unexpected body")
        return conforming
    return decide


def _nul_task(below: Decisions, operation: str, ref: str, owner: User) -> ApiError | Answer:
    if "\x00" in ref:
        return ApiError(500, "Internal error fetching task.", detail=PQ_NUL_DETAIL)
    return below.task_missing(operation, ref, owner)


def _nul_query(below: Decisions, params: list[tuple[str, str]]) -> str:
    q = below.query(params)
    if "\x00" in q:
        raise ApiError(500, "Internal error fetching tasks.", detail=PQ_NUL_DETAIL)
    return q


def _nul_insert(below: Decisions, prompt: str, display_name: str) -> ApiError | None:
    if "\x00" in prompt + display_name:
        return ApiError(500, "Internal error creating task.", detail=PQ_NUL_DETAIL)
    return below.insert_refusal(prompt, display_name)


SWITCHES: tuple[Switch, ...] = (
    fault("unknown-user-500", "an unknown {user} path segment answers 500 instead of 400",
          breaks=("GEN-UNKNOWN-USER-400",), area="robustness",
          decisions={Decisions.unknown_user: lambda below, ref: ApiError(500, "Internal error fetching user.",
                                                                         detail="sql: no rows in result set")}),
    fault("non-object-body-500", "a JSON body that is not an object (array, string, null) answers 500",
          breaks=("GEN-NO-5XX",), area="robustness", decisions={Decisions.unreadable_body: _body_500(True)}),
    fault("wrong-type-input-500", "an input that is not a string answers 500", breaks=("GEN-NO-5XX",),
          area="robustness", decisions={Decisions.unreadable_body: _body_500(True, "input")}),
    fault("malformed-json-500", "a request body that is not JSON answers 500 instead of 400",
          breaks=("GEN-MALFORMED-JSON-400",), area="robustness",
          decisions={Decisions.unreadable_body: _body_500(False)}),
    variation("unknown-user-404", "an unknown {user} path segment answers 404 instead of 400",
              source="docs/requirements: 400 (Coder) or 404",
              decisions={Decisions.unknown_user: lambda below, ref: ApiError(
                  404, NOT_FOUND_MESSAGE, detail=below.unknown_user(ref).detail)}),
    variation("coder-nul-500",
              "a NUL character in a task name lookup, a q or a create's input answers 500, as Coder does",
              warns=("GEN-NUL-NO-5XX",),
              source="coder: the value reaches PostgreSQL, whose text type cannot hold NUL (coderd/httpmw/taskparam.go "
                     "name lookup, the search query, the task insert); the 4xx is a SHOULD",
              decisions={Decisions.task_missing: _nul_task, Decisions.query: _nul_query,
                         Decisions.insert_refusal: _nul_insert}),
)
