"""The HTML fragments themselves: everything from the server is escaped, long polls are shortened."""

from __future__ import annotations

import json
from typing import Any

from report_support import SuiteRun

from conformance.report.html import MAX_EXCHANGES, FailedCheck, check_anchor, render_summary

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _exchange(i: int, body: str = "{}") -> dict[str, Any]:
    return {"method": "GET", "url": f"http://h/api/experimental/tasks?i={i}", "request_headers": [["accept", "*/*"]],
            "request_body": "", "status": 200, "response_headers": [["content-type", "text/html"]],
            "response_body": body, "elapsed": 0.01, "error": None, "curl": f"curl -i -X GET 'http://h/?i={i}'"}


def test_server_content_is_escaped_and_long_polls_are_shortened(failing_run: SuiteRun) -> None:
    results = json.loads(failing_run.results_file.read_text(encoding="utf-8"))
    check = next(c for c in results["checks"] if c["outcome"] == "failed")
    evidence = [_exchange(i) for i in range(MAX_EXCHANGES + 30)] + [_exchange(999, HOSTILE)]
    failure = FailedCheck(id=check["id"], status="failed", message=f"expected 200, got {HOSTILE}",
                          requirements=check["requirements"], broken=[], evidence=evidence)
    page = render_summary(results, [failure], {})
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count('<details class="tc-exchange') == MAX_EXCHANGES
    assert "tasks?i=999<" in page and "tasks?i=0<" in page and f"tasks?i={MAX_EXCHANGES}<" not in page
    assert f"31 of {MAX_EXCHANGES + 31} requests in the middle are not shown" in page
    assert f'id="{check_anchor(check["id"])}"' in page
