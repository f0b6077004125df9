"""Answers that are costly after they arrive: nesting deep enough to crash a recursive parser, bodies that make a
schema validator collect millions of errors, bodies too large to take in, bytes that are not HTTP. Each fails the
check that got it, in bounded time and memory, and the run goes on (and cleans up)."""

from __future__ import annotations

import json
import resource
from collections.abc import Callable
from pathlib import Path

from hostile_support import (
    LIST_CHECK,
    LOGS_CHECK,
    SELECT_LOGS,
    HostileProxy,
    Request,
    all_tasks,
    big_body,
    is_list,
    is_logs,
    json_answer,
    raw,
    run_suite,
)

from conformance.reference import ReferenceServer

DEEP = b"[" * 100_000 + b"]" * 100_000


def test_deeply_nested_json_fails_the_check_not_the_run(reference: ReferenceServer, proxy: HostileProxy,
                                                        proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    proxy.rules.append((is_logs, json_answer(DEEP)))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 1, result.output[-3000:]
    assert "nested more than 64 levels deep" in result.check(LOGS_CHECK)["message"]
    assert "INTERNALERROR" not in result.output and "RecursionError" not in result.output
    assert result.results()["verdict"] == "fail"
    assert all_tasks(reference) == []


def test_deep_lists_after_the_preflight_do_not_keep_the_cleanup_from_its_tasks(
        reference: ReferenceServer, proxy: HostileProxy, proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """Once the preflight has listed, every list answer is 100,000 levels deep: the checks that list fail, and the
    cleanup still removes every task the run created (it knows them from their creates)."""
    seen = {"lists": 0}

    def deep_after_preflight(request: Request) -> bool:
        if not is_list(request):
            return False
        seen["lists"] += 1
        return seen["lists"] > 3

    proxy.rules.append((deep_after_preflight, json_answer(DEEP)))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k",
                       "test_list_includes_a_new_task or test_list_is_newest_first or test_logs_content_type")
    assert result.code == 1, result.output[-3000:]
    assert "INTERNALERROR" not in result.output
    assert any(p.method == "POST" for p in proxy.requests)
    assert all_tasks(reference) == []
    assert result.results()["leftovers"] == []


def test_a_body_that_makes_validators_collect_errors_costs_little(reference: ReferenceServer, proxy: HostileProxy,
                                                                  proxied_config: Callable[..., Path],
                                                                  tmp_path: Path) -> None:
    """4 MB of empty objects where tasks belong: twenty million violations, if a validator collected them all."""
    count = 4_000_000 // 3
    body = b'{"count": 1, "tasks": [' + b"{}," * (count - 1) + b"{}]}"
    proxy.rules.append((lambda r: is_list(r) and "q=" not in r.target, json_answer(body)))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", LIST_CHECK, timeout=60)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert result.code in (1, 3), result.output[-3000:]
    assert result.elapsed < 40, result.elapsed
    assert peak_mb < 1500 or before / 1024 >= 1500, f"{peak_mb:.0f} MB"
    if result.code == 1:
        assert 'at /tasks/0: "id" is a required property' in result.check(LIST_CHECK)["message"]


def test_over_cap_answers_everywhere_are_failures_not_a_dead_target(reference: ReferenceServer, proxy: HostileProxy,
                                                                    proxied_config: Callable[..., Path],
                                                                    tmp_path: Path) -> None:
    """After the preflight every answer is 5 MB: more than ten requests in a row get no usable body, yet the server
    answered each; the run is not stopped as if the target were gone."""
    seen = {"n": 0}

    def after_preflight(request: Request) -> bool:
        seen["n"] += 1
        return seen["n"] > 6

    proxy.rules.append((after_preflight, big_body()))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", "test_auth_before_not_found or "
                       "test_401_has_error_body or test_bad_token_is_401")
    assert result.code == 1, result.output[-3000:]
    results = result.results()
    assert results["incomplete"] is False and "stopped answering" not in result.output
    messages = [c["message"] for c in results["checks"] if c["outcome"] == "failed"]
    assert len(messages) > 10 and all("larger than 4194304 bytes" in m for m in messages), messages[:3]


def test_bytes_that_are_not_http_are_named_so(reference: ReferenceServer, proxy: HostileProxy,
                                              proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    proxy.rules.append((is_logs, raw(b"\x00\x01binary junk, no line end")))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 1, result.output[-3000:]
    message = result.check(LOGS_CHECK)["message"]
    assert "that are not an HTTP response" in message and "closed the connection without answering" not in message
    assert json.loads((tmp_path / "reports" / "results.json").read_text())["incomplete"] is False
