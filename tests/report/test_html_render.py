"""The HTML page itself: everything from the server is escaped, long polls are shortened, sources are linked."""

from __future__ import annotations

import dataclasses

from conformance.contracts.requirements import catalogue
from conformance.report.html import MAX_EXCHANGES, check_anchor, source_html, to_html
from conformance.runner.outcomes.result import RunFacts, build_result
from conformance.runner.records.evidence import Exchange
from conformance.runner.records.outcome import CheckOutcome, CleanupResult

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _exchange(i: int, body: str = "{}") -> Exchange:
    return Exchange(method="GET", url=f"http://h/api/experimental/tasks?i={i}", request_headers=[("accept", "*/*")],
                    request_body="", status=200, response_headers=[("content-type", "text/html")],
                    response_body=body, elapsed=0.01)


def _facts() -> RunFacts:
    return RunFacts(suite_version="0", target_url="http://h", api_prefix="/api/experimental", embedded=False,
                    server_version=HOSTILE, profile="experimental", profile_reason=HOSTILE,
                    seed=1, run_prefix="ct-abc", read_only=False, strict=False,
                    fuzz_budget=0, started=0.0, finished=1.0, config={"target": {"url": HOSTILE}}, sources={})


def test_server_content_is_escaped_and_long_polls_are_shortened() -> None:
    evidence = tuple(_exchange(i) for i in range(MAX_EXCHANGES + 30)) + (_exchange(999, HOSTILE),)
    failed = CheckOutcome("conformance/checks/test_list.py::test_x", ("LIST-COUNT",), "failed",
                          f"expected 200, got {HOSTILE}", evidence=evidence)
    page = to_html(build_result([failed], _facts(), catalogue()))
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count('<details class="tc-exchange') == MAX_EXCHANGES
    assert "tasks?i=999<" in page and "tasks?i=0<" in page and f"tasks?i={MAX_EXCHANGES}<" not in page
    assert f"31 of {MAX_EXCHANGES + 31} requests in the middle are not shown" in page
    assert f'id="{check_anchor(failed.id)}"' in page
    assert "<script" not in page


def test_blocked_checks_are_shown_once_per_cause() -> None:
    blocked = [CheckOutcome(f"conformance/checks/test_logs.py::test_{i}", ("LOGS-STATUS-200",), "blocked",
                            f"waited 10 s for task {i}-x to become active", ("LIFE-REACHES-ACTIVE",)) for i in range(5)]
    page = to_html(build_result(blocked, _facts(), catalogue()))
    assert page.count("tc-check tc-check-blocked") == 1
    assert "5 checks could not run" in page and "LIFE-REACHES-ACTIVE failed: waited 10 s" in page


def test_sources_link_coder_files_and_pull_requests() -> None:
    text = source_html("coder: coderd/httpmw/apikey.go and coder/coder#21887 <b>")
    assert '<a href="https://github.com/coder/coder/blob/main/coderd/httpmw/apikey.go">' in text
    assert '<a href="https://github.com/coder/coder/pull/21887">coder/coder#21887</a>' in text
    assert "&lt;b&gt;" in text


def test_the_page_names_every_task_the_run_left_caused_or_may_have_made() -> None:
    """What the cleanup found is on the page as on the terminal: left, swept, made without a token, not known by its
    id, and tasks carrying the prefix that were left alone; every one of the run's own named, not the first few."""
    left = [f"ct-abc-left-{i} (00000000-0000-4000-8000-00000000000{i}, not deleted)" for i in range(7)]
    cleanup = CleanupResult(swept=["ct-abc-swept (11111111-1111-4111-8111-111111111111, not deleted by its check)"],
                            left=left, caused=["ct-abc-anon (22222222-2222-4222-8222-222222222222), made by x"],
                            unknown=["a create by y asking for ct-abc-lost: it was answered 502"],
                            foreign=["ct-abc-other (33333333-3333-4333-8333-333333333333, owner bob)"],
                            abandoned="the cleanup stopped after 20 s (cleanup_timeout)")
    facts = dataclasses.replace(_facts(), cleanup=cleanup)
    page = to_html(build_result([CheckOutcome("conformance/checks/test_list.py::test_x", ("LIST-COUNT",), "passed",
                                              "")], facts, catalogue()))
    notes = page.split('id="tc-notes">', 1)[1].split("</ul>", 1)[0]
    for text in (*left, *cleanup.swept, *cleanup.caused, *cleanup.unknown, *cleanup.foreign, cleanup.abandoned):
        assert text in notes, text
