"""Switches of authentication: where the token is read from, what is checked, how a refusal is answered."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from conformance.contracts.profiles import CSRF_REFUSAL

from ..conforming.auth import SESSION_COOKIE, SESSION_HEADER, SESSION_QUERY, AuthFailure, header_before_cookie
from ..conforming.decisions import Decisions
from ..conforming.identities import User
from ..conforming.responses import ApiError
from ..conforming.routes import Routed
from .kinds import Switch, fault, variation

_CSRF_SAFE = ("GET", "HEAD", "OPTIONS", "TRACE")  # nosurf never checks these


def _served_anyway(route_name: str, method: str | None = None, as_owner: bool = False) -> Any:
    """Serve an unauthenticated request to a route as if authenticated (as the admin, or as the task's owner)."""
    def decide(below: Decisions, failure: AuthFailure, route: Routed | None, request: Request) -> ApiError | User:
        refusal = below.unauthenticated(failure, route, request)
        if route is None or route.name != route_name or (method and request.method != method):
            return refusal
        if not as_owner:
            return below.identities.admin
        found = below.app.tasks.lookup(route.params["task"], "")
        return found.owner if found is not None else refusal
    return decide


def _other_answer(kind: str, error: Callable[[AuthFailure], ApiError]) -> Any:
    """Answer a failure of this kind otherwise."""
    def decide(below: Decisions, failure: AuthFailure, route: Routed | None, request: Request) -> ApiError | User:
        refusal = below.unauthenticated(failure, route, request)
        return error(failure) if failure.kind == kind else refusal
    return decide


def _without(*sources: str, unless_get: bool = False) -> Any:
    """Do not read these token sources (on GET requests too, unless ``unless_get``)."""
    def decide(below: Decisions, request: Request) -> Sequence[str]:
        read = below.token_sources(request)
        if unless_get and request.method == "GET":
            return read
        return tuple(source for source in read if source not in sources)
    return decide


def _csrf(below: Decisions, request: Request) -> Response | None:
    """coderd/httpmw/csrf.go: an unsafe request to /api that carries the session cookie is refused unless the same
    token came in the Coder-Session-Token header or the coder_session_token query (or a valid X-CSRF-TOKEN)."""
    refused = below.before_routing(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if refused is not None or request.method in _CSRF_SAFE or not request.url.path.startswith("/api") \
            or cookie is None:
        return refused
    if cookie in (request.headers.get(SESSION_HEADER), request.query_params.get(SESSION_QUERY)):
        return refused
    return below.app.wire.text(400, CSRF_REFUSAL + "\n", {})


_AUTH_401 = ("AUTH-MISSING-401", "AUTH-MALFORMED-401", "AUTH-UNKNOWN-401", "AUTH-WRONG-SECRET-401")

SWITCHES: tuple[Switch, ...] = (
    fault("get-skips-auth", "get of a task answers without a valid session token (acts as the admin)",
          breaks=_AUTH_401, area="authentication",
          decisions={Decisions.unauthenticated: _served_anyway("task", method="GET")}),
    fault("auth-after-routing", "unknown routes under the API prefix answer 404 before authentication (not 401)",
          breaks=("AUTH-BEFORE-404",), area="authentication",
          decisions={Decisions.route_before_auth: lambda below, rest: True}),
    fault("token-precedence-reversed", "the Coder-Session-Token header wins over the session cookie",
          breaks=("AUTH-PRECEDENCE",), area="authentication",
          decisions={Decisions.token_sources: lambda below, request: header_before_cookie(
              below.token_sources(request))}),
    fault("wrong-secret-accepted", "a token with a known id but a wrong secret is accepted",
          breaks=("AUTH-WRONG-SECRET-401",), area="authentication",
          decisions={Decisions.secret_checked: lambda below, source: False}),
    fault("malformed-token-400", "a token that is not in <id>-<secret> format answers 400 instead of 401",
          breaks=("AUTH-MALFORMED-401",), area="authentication",
          decisions={Decisions.unauthenticated: _other_answer(
              "malformed", lambda failure: ApiError(400, "Invalid API key format.", detail=failure.detail))}),
    fault("unknown-token-403", "a well-formed token with an unknown id answers 403 instead of 401",
          breaks=("AUTH-UNKNOWN-401",), area="authentication",
          decisions={Decisions.unauthenticated: _other_answer(
              "unknown", lambda failure: ApiError(403, "Forbidden.", detail=failure.detail))}),
    fault("header-token-get-only", "the Coder-Session-Token header is honoured on GET requests only",
          breaks=("AUTH-HEADER",), area="authentication",
          decisions={Decisions.token_sources: _without("header", unless_get=True)}),
    fault("cookie-token-ignored", "the coder_session_token cookie is ignored", breaks=("AUTH-COOKIE",
                                                                                       "AUTH-PRECEDENCE"),
          area="authentication", decisions={Decisions.token_sources: _without("cookie")}),
    fault("query-token-ignored", "the coder_session_token query parameter is ignored", breaks=("AUTH-QUERY",),
          area="authentication", decisions={Decisions.token_sources: _without("query")}),
    fault("bearer-skips-secret-check", "an Authorization: Bearer token is accepted on its id alone (any secret)",
          breaks=("AUTH-WRONG-SECRET-401",), area="authentication",
          decisions={Decisions.secret_checked: lambda below, source: below.secret_checked(source)
                     and source != "bearer"}),
    fault("pause-skips-auth", "pause of a task answers without a valid session token (acts as the admin)",
          breaks=_AUTH_401, area="pause and resume", profiles=("stable",),
          decisions={Decisions.unauthenticated: _served_anyway("pause")}),
    fault("logs-skips-auth", "logs of an existing task answer without a valid session token",
          breaks=("FUZZ-IGNORED-AUTH",), area="found by fuzzing",
          decisions={Decisions.unauthenticated: _served_anyway("logs", as_owner=True)}),
    variation("no-bearer-or-access-token", "Authorization: Bearer and the access_token query are not supported",
              warns=("AUTH-BEARER", "AUTH-ACCESS-TOKEN"), source="docs: newer releases only (MAY)",
              decisions={Decisions.token_sources: _without("bearer", "access_token")}),
    variation("coder-csrf",
              "an unsafe request carrying the session cookie, without the same token in the header or query, "
              "answers 400 (text) before anything else",
              source="coder: coderd/httpmw/csrf.go (nosurf, on every /api route, before authentication)",
              decisions={Decisions.before_routing: _csrf}),
)
