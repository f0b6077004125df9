"""Switches of routing: the prefixes served, unknown routes, wrong methods, routes outside the Tasks API."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..conforming.decisions import Decisions
from ..conforming.responses import ApiError
from .kinds import STABLE_ONLY, Switch, fault, variation

_HTML_404 = "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"


def _html_404(below: Decisions) -> Response:
    return Response(_HTML_404, status_code=404, media_type="text/html; charset=utf-8")


def _without_version(below: Decisions, response: Response, request: Any) -> Response:
    response = below.finish(response, request)
    if "x-coder-build-version" in response.headers:
        del response.headers["x-coder-build-version"]
    return response


SWITCHES: tuple[Switch, ...] = (
    fault("wrong-method-404", "a known route with an unsupported method answers 404 instead of 405",
          breaks=("GEN-WRONG-METHOD",), area="status codes",
          decisions={Decisions.method_not_allowed: lambda below, route: ApiError(404, "Route not found.")}),
    fault("unknown-route-html", "an unknown route answers 404 with an HTML page instead of the error body",
          breaks=("GEN-UNKNOWN-ROUTE-404",), area="status codes", decisions={Decisions.route_not_found: _html_404}),
    fault("experimental-aliases-missing", "only /api/v2 answers: the /api/experimental aliases are 404",
          breaks=("STABLE-ALIASES",), area="generations", profiles=STABLE_ONLY,
          decisions={Decisions.prefixes: lambda below: below.prefixes()[:1]}),
    variation("no-build-version",
              "the server names no Coder release: no X-Coder-Build-Version header, no buildinfo",
              source="forks, gateways and mocks: the profile then comes from the prefix that answers (README: "
                     "profiles)",
              decisions={Decisions.finish: _without_version, Decisions.buildinfo: lambda below: None}),
    variation("unknown-route-before-auth", "an unknown route outside /tasks answers 404 without authentication",
              source="coder: the API router's NotFound handler runs without the API key middleware",
              decisions={Decisions.route_before_auth:
                         lambda below, rest: below.route_before_auth(rest) or not rest or rest[0] != "tasks"}),
)
