"""evidence.har: every exchange of the run, as HTTP Archive 1.2 (redacted like all evidence).

Every request the run's transport sent is in it: the checks', the fuzz tiers' (every generated case and follow-up
probe), the preflight's and the cleanup's. Open it in a browser's network panel, share it, or judge it again
offline with `tasks-conformance audit`. Each entry names what sent it (`_check`: a check id, "the preflight", "the
final sweep", ...); a body longer than the evidence keeps is cut, and says so (`content.comment`), so an audit does
not take the cut for the server's. What the run's traffic log did not keep (it is bounded) is said in the log's
`comment`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.runner.outcomes.result import RunResult
from conformance.runner.records.evidence import CUT_COMMENT, Exchange


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _header_value(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def entry(exchange: Exchange, check_id: str) -> dict[str, Any]:
    headers = [{"name": k, "value": v} for k, v in exchange.request_headers]
    request: dict[str, Any] = {
        "method": exchange.method, "url": exchange.url, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": headers, "headersSize": -1, "bodySize": len(exchange.request_body.encode("utf-8")),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(exchange.url).query,
                                                                      keep_blank_values=True)],
    }
    if exchange.request_body:
        request["postData"] = {"mimeType": _header_value(exchange.request_headers, "content-type"),
                               "text": exchange.request_body}
        if not exchange.request_body_complete:
            request["postData"]["comment"] = CUT_COMMENT
    content: dict[str, Any] = {"size": len(exchange.response_body.encode("utf-8")),
                               "mimeType": _header_value(exchange.response_headers, "content-type"),
                               "text": exchange.response_body}
    if not exchange.response_body_complete:
        content["comment"] = CUT_COMMENT
    response: dict[str, Any] = {
        "status": exchange.status or 0, "statusText": "", "httpVersion": "HTTP/1.1" if exchange.status else "",
        "cookies": [], "headers": [{"name": k, "value": v} for k, v in exchange.response_headers],
        "content": content, "redirectURL": _header_value(exchange.response_headers, "location"),
        "headersSize": -1, "bodySize": -1,
    }
    if exchange.error:
        response["_error"] = exchange.error
    millis = round(exchange.elapsed * 1000, 3)
    return {"startedDateTime": _iso(exchange.started), "time": millis, "request": request, "response": response,
            "cache": {}, "timings": {"send": 0, "wait": millis, "receive": 0}, "_check": check_id}


def to_har(result: RunResult) -> dict[str, Any]:
    facts = result.facts
    entries = [entry(exchange, sender) for sender, exchange in facts.exchanges]
    comment = (f"tasks-conformance run against {facts.target_url}{facts.api_prefix}: {result.verdict.label}; "
               f"{len(entries)} exchange(s), every one the run made")
    if facts.exchanges_left_out:
        comment += f" but what the run's traffic log {facts.exchanges_left_out}"
    return {"log": {
        "version": "1.2",
        "creator": {"name": "tasks-conformance", "version": facts.suite_version},
        "pages": [],
        "entries": entries,
        "comment": comment,
    }}


def to_json(result: RunResult) -> str:
    return json.dumps(to_har(result), indent=1, ensure_ascii=False) + "\n"
