"""The HTML page reads like the README says: the verdict and the run's provenance first, then what failed, one card
per root cause (the plainest first), each exchange's curl section saying when its task is gone."""

from __future__ import annotations

import dataclasses
import re

from conformance.contracts.requirements import catalogue
from conformance.report.html import check_anchor, to_html
from conformance.runner.outcomes.result import RunFacts, build_result
from conformance.runner.records.evidence import Exchange
from conformance.runner.records.outcome import CheckOutcome

TASK_IDS = ["0b7e4a52-6f0e-4d8e-9d8a-0c1f2e3d4a5b", "1c8f5b63-7a1f-4e9f-8e9b-1d2a3f4e5b6c",
            "2d9a6c74-8b2a-4fa0-9fac-2e3b4a5f6c7d", "3eab7d85-9c3b-4ab1-8abd-3f4c5b6a7d8e"]


def _exchange(url: str) -> Exchange:
    return Exchange(method="GET", url=url, request_headers=[("coder-session-token", "[REDACTED]")], request_body="",
                    status=500, response_headers=[], response_body="{}", elapsed=0.01,
                    credential="TASKS_CONFORMANCE_TOKEN")


def _task_url(task_id: str, tail: str = "") -> str:
    return f"http://h/api/experimental/tasks/me/{task_id}{tail}"


def _failed(name: str, breaks: tuple[str, ...], message: str, exchanges: int = 1,
            module: str = "conformance/checks/test_tasks.py") -> CheckOutcome:
    evidence = tuple(_exchange(f"http://h/api/experimental/tasks?{name}={i}") for i in range(exchanges))
    return CheckOutcome(f"{module}::{name}", breaks, "failed", message, evidence=evidence)


def _facts(**changes: object) -> RunFacts:
    facts = RunFacts(suite_version="0", target_url="http://h", api_prefix="/api/experimental", embedded=False,
                     server_version="v2.30.0", profile="experimental", profile_reason="the server's release",
                     seed=1, run_prefix="ct-abc123", read_only=False, strict=False, fuzz_budget=0, started=0.0,
                     finished=1.0, config={"target": {"url": "http://h", "token": "[REDACTED]"}},
                     sources={"url": "--url", "token": "TASKS_CONFORMANCE_TOKEN"})
    return dataclasses.replace(facts, **changes)  # type: ignore[arg-type]


def _page(outcomes: list[CheckOutcome], **changes: object) -> str:
    return to_html(build_result(outcomes, _facts(**changes), catalogue()))


def _articles(page: str) -> list[str]:
    return re.findall(r'<article class="tc-check tc-check-(?:failed|warning)[^"]*".*?</article>', page, re.S)


def test_failed_checks_with_one_cause_share_one_card() -> None:
    same = [CheckOutcome(f"conformance/checks/test_tasks.py::test_get_{i}", ("GET-STATUS-200",), "failed",
                         f"expected 200, got 500 for GET /api/experimental/tasks/me/{task} (ct-abc12{i}-get-{i})",
                         evidence=(_exchange(_task_url(task, f"?n={i}")),))
            for i, task in enumerate(TASK_IDS)]
    other = _failed("test_count", ("LIST-COUNT",), "expected 200, got 500 for GET /api/experimental/tasks/me/x")
    page = _page([*same, other])
    cards = _articles(page)
    assert len(cards) == 2, [c[:200] for c in cards]
    card = next(c for c in cards if "GET-STATUS-200" in c)
    assert "4 checks failed with this cause" in card
    assert f"for GET /api/experimental/tasks/me/{TASK_IDS[0]}" in card  # the first check's message
    for check in same:  # every check is listed, and its old link target still works
        assert f'id="{check_anchor(check.id)}"' in card and f"<code>{check.id}</code>" in card
        assert page.count(f'id="{check_anchor(check.id)}"') == 1
    assert f"--check {same[0].id}" in card and f"--check {same[1].id}" not in card  # rerun: the first check
    assert "?n=0" in card and "?n=1" not in card  # evidence: the first check's
    assert f'id="{check_anchor(other.id)}"' in page  # a cause of one check is the check's card, as before
    assert "checks failed with this cause" not in next(c for c in cards if "LIST-COUNT" in c)
    assert re.search(r'<h2 id="tc-failed">Failed \(5 checks, 2 causes\)</h2>', page)


def test_the_same_message_breaking_other_requirements_is_another_cause() -> None:
    a = _failed("test_a", ("LIST-COUNT",), "expected 200, got 500")
    b = _failed("test_b", ("GET-STATUS-200",), "expected 200, got 500")
    c = _failed("test_c", ("LIST-COUNT",), "expected 200, got 503")
    cards = _articles(_page([a, b, c]))
    assert len(cards) == 2
    assert "2 checks failed with this cause" in next(card for card in cards if "LIST-COUNT" in card)


def test_warned_checks_are_grouped_apart_from_failed_ones() -> None:
    warned = [_failed(f"test_w{i}", ("AUTH-PRECEDENCE",), f"expected 401, got {200 + i}") for i in range(3)]
    failed = _failed("test_f", ("AUTH-WRONG-SECRET-401",), "expected 401, got 200")
    page = _page([*warned, failed])
    cards = _articles(page)
    assert len(cards) == 2
    assert "3 checks warned with this cause" in next(c for c in cards if "tc-check-warning" in c[:60])


def test_the_plainest_cause_comes_first() -> None:
    run = [
        _failed("test_fuzz", ("LIST-COUNT",), "server error 500", module="conformance/fuzz/test_gate.py"),
        _failed("test_should", ("AUTH-PRECEDENCE",), "expected 401, got 200"),  # strict: a failure
        _failed("test_three", ("LIST-COUNT",), "count is off", exchanges=3),
        _failed("test_one", ("AUTH-WRONG-SECRET-401",), "wrong secret accepted"),
        _failed("test_two", ("GET-STATUS-200",), "no task", exchanges=2),
        _failed("test_one_later", ("GET-STATUS-200",), "not found"),
    ]
    page = _page(run, strict=True)
    order = sorted(run, key=lambda o: page.index(f'id="{check_anchor(o.id)}"'))
    assert [o.id.split("::")[1] for o in order] == ["test_one", "test_one_later", "test_two", "test_three",
                                                     "test_fuzz", "test_should"]


def test_a_cause_shows_its_plainest_check_first() -> None:
    fuzz = _failed("test_fuzz", ("LIST-COUNT",), "count is 3, expected 2", module="conformance/fuzz/test_gate.py")
    long = _failed("test_long", ("LIST-COUNT",), "count is 4, expected 3", exchanges=4)
    short = _failed("test_short", ("LIST-COUNT",), "count is 5, expected 4", exchanges=2)
    page = _page([fuzz, long, short])
    [card] = _articles(page)
    assert "count is 5, expected 4" in card and "count is 3, expected 2" not in card
    assert f"--check {short.id}" in card and f"--check {fuzz.id}" not in card
    assert card.index(check_anchor(short.id)) < card.index(check_anchor(long.id)) < card.index(check_anchor(fuzz.id))


def test_provenance_follows_the_verdict() -> None:
    page = _page([_failed("test_a", ("LIST-COUNT",), "expected 200, got 500")])
    header, provenance, problems = (page.index(f'id="{i}"') for i in ("tc-header", "tc-provenance", "tc-problems"))
    assert header < provenance < problems < page.index('id="tc-endpoints"') < page.index('id="tc-matrix"')
    section = page[provenance:problems]
    assert "Suite version" in section and "Repeat this run" in section
    table = section.index('<table class="tc-config-table">')
    assert section.rfind("<details", 0, table) > section.rfind("</details>", 0, table)  # inside a <details>
    assert "TASKS_CONFORMANCE_TOKEN" in section  # where each setting came from


def test_curl_section_says_when_its_task_is_gone() -> None:
    gone, alive = TASK_IDS[0], TASK_IDS[1]
    evidence = (_exchange(_task_url(gone, "/logs")), _exchange(_task_url(alive)), _exchange("http://h/x?id=" + gone))
    check = CheckOutcome("conformance/checks/test_logs.py::test_x", ("LOGS-STATUS-200",), "failed", "expected 200",
                         evidence=evidence)
    page = _page([check], deleted_tasks=(gone, TASK_IDS[2]))
    curls = re.findall(r'<div class="tc-full"><h4>curl.*?</div>', page, re.S)
    assert len(curls) == 3
    assert "(takes the token from $TASKS_CONFORMANCE_TOKEN)" in curls[0]
    assert "deleted by this run" in curls[0] and "id of an existing task" in curls[0]
    assert "deleted" not in curls[1] and "deleted" not in curls[2]  # alive; the id is not in the path
