"""Switches of the wire format every answer shares: Content-Type, the JSON itself, headers, content coding."""

from __future__ import annotations

import gzip
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..conforming.answers import Answer
from ..conforming.decisions import Decisions
from .kinds import Switch, fault, variation

_EXTRA_HEADERS = {
    "Cache-Control": "no-store, max-age=0",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Access-Control-Allow-Origin": "*",
    "Server": "coder-reference",
}


def _labelled(kinds: tuple[str, ...], content_type: str | None) -> Any:
    """Label the JSON answers of these kinds with another Content-Type (None: none)."""
    return lambda answer: replace(answer, content_type=content_type) if answer.kind in kinds else answer


def _relabelled(content_type: str) -> Any:
    """Label every answer that has a Content-Type with another one."""
    return lambda answer: replace(answer, content_type=content_type) if answer.content_type is not None else answer


def _extra_task_fields(body: dict[str, Any], task: Any) -> dict[str, Any]:
    out = {**body, "template_version_name": "v1.0.0",
           "reference_server": {"variation": "extra-response-fields", "fields": [1, 2, 3]}}
    if isinstance(out.get("current_state"), dict):
        out["current_state"] = {**out["current_state"], "reference_note": "ignored by clients"}
    return out


def _extra_fields(answer: Answer) -> Answer:
    if answer.kind == "error" and isinstance(answer.body, dict):
        answer.body = {**answer.body, "reference_code": "E"}
        if isinstance(answer.body.get("validations"), list):
            answer.body["validations"] = [{**v, "reference_code": "invalid"} for v in answer.body["validations"]]
    answer.each_task(_extra_task_fields)
    answer.each_entry(lambda body, entry: {**body, "source": "agentapi"})
    if isinstance(answer.body, dict):
        answer.body = {**answer.body, "reference_extra": {"ignored": True}}
    return answer


def _reversed_keys(value: Any) -> Any:
    """The same JSON value with the keys of every object in reverse order."""
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


def _extra_headers(below: Decisions, response: Response, request: Request) -> Response:
    response = below.finish(response, request)
    response.headers.update(_EXTRA_HEADERS)
    return response


def _gzip(below: Decisions, response: Response, request: Request) -> Response:
    response = below.finish(response, request)
    body = getattr(response, "body", b"")
    if body and "gzip" in request.headers.get("accept-encoding", "").lower() and \
            "content-encoding" not in response.headers:
        compressed = gzip.compress(body)
        response.body = compressed
        response.headers["content-length"] = str(len(compressed))
        response.headers["content-encoding"] = "gzip"
        response.headers["vary"] = "Accept-Encoding"
    return response


SWITCHES: tuple[Switch, ...] = (
    fault("json-without-content-type", "JSON responses are labelled text/plain",
          breaks=("GEN-CONTENT-TYPE", "LIST-CONTENT-TYPE", "CREATE-CONTENT-TYPE", "GET-CONTENT-TYPE",
                  "LOGS-CONTENT-TYPE"), area="content types",
          answers={"*": _labelled(("json", "error", "logs"), "text/plain; charset=utf-8")}),
    fault("errors-labelled-html", "error responses carry a JSON body labelled text/html",
          breaks=("GEN-CONTENT-TYPE",), area="content types",
          answers={"*": _labelled(("error",), "text/html; charset=utf-8")}),
    fault("logs-without-content-type", "the logs response has no Content-Type", breaks=("LOGS-CONTENT-TYPE",),
          area="content types", answers={"*": _labelled(("logs",), None)}),
    variation("extra-response-fields", "unknown extra fields in tasks, lists, logs, log entries and errors",
              source="docs: clients must ignore unknown fields", answers={"*": _extra_fields}),
    variation("json-without-charset", "JSON responses are labelled application/json without a charset",
              source="docs: JSON responses carry application/json",
              answers={"*": _relabelled("application/json")}),
    variation("json-charset-uppercase", "JSON responses are labelled application/json;charset=UTF-8",
              source="RFC 8259 / RFC 9110: media type parameters are case-insensitive",
              answers={"*": _relabelled("application/json;charset=UTF-8")}),
    variation("reordered-keys", "JSON object keys come in reverse order", source="JSON objects are unordered",
              answers={"*": lambda answer: replace(answer, body=_reversed_keys(answer.body))}),
    variation("extra-response-headers", "extra response headers (caching, security, CORS, server)",
              source="HTTP: clients ignore headers they do not know", decisions={Decisions.finish: _extra_headers}),
    variation("gzip-responses", "JSON responses are gzip-compressed when the client accepts gzip",
              source="HTTP content coding (Coder compresses API responses)", decisions={Decisions.finish: _gzip}),
)
