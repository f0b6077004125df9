"""Round three of hostile servers: never a PASS without checks, every wait the server asks for bounded, the
server's words shown safely. Each server is the reference behind a proxy on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_support import (
    HostileProxy,
    Request,
    answer_with,
    json_answer,
    run_suite,
    write_config,
)

from conformance.reference import ReferenceServer

# What the preflight of a read-only run asks (its version, a list per token, whose each token is): everything else is
# a check's.
PREFLIGHT = ("/api/v2/buildinfo", "/api/v2/tasks", "/api/v2/users/me", "/api/v2/users/me/roles")


def after_the_preflight() -> Callable[[Request], bool]:
    """A rule's predicate: true from the first request that is not the preflight's on (every request after it)."""
    state = {"on": False}

    def matches(request: Request) -> bool:
        state["on"] = state["on"] or request.path not in PREFLIGHT or "?" in request.target
        return state["on"]

    return matches


def _config(tmp_path: Path, reference: ReferenceServer, proxy: HostileProxy, **run: str) -> Path:
    target = dict(reference.target_config())
    target["url"] = proxy.url
    return write_config(tmp_path / "t.toml", target, **run)


def test_a_server_that_rate_limits_everything_after_the_preflight_is_exit_3(
        tmp_path: Path, reference: ReferenceServer, proxy: HostileProxy) -> None:
    """Every answer after the preflight is 429 (Retry-After: 0): no MUST requirement could be verified, which is
    never a pass (it was "PASS (partial: 107 of 107 MUST requirements skipped)")."""
    proxy.rules.append((after_the_preflight(), json_answer(b'{"message": "Rate limit exceeded."}',
                                                           "429 Too Many Requests", [("Retry-After", "0")])))
    result = run_suite(_config(tmp_path, reference, proxy, read_only="true", fuzz_budget="5"), tmp_path / "reports",
                       timeout=180)
    assert result.code == 3, result.output[-3000:]
    results = result.results()
    assert results["verdict"] == "error", results["verdict_label"]
    assert results["error"].startswith("no MUST requirement could be verified"), results["error"]
    assert "rate limited" in results["error"]


@pytest.mark.parametrize("retry_after", ["100000000000000000000", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_retry_after_in_the_far_future_is_bounded_by_the_runs_budget(
        retry_after: str, tmp_path: Path, reference: ReferenceServer, proxy: HostileProxy) -> None:
    """Each wait is capped (30 s), and all of them together by the run's budget (20 x active_timeout): past it the run
    stops with exit 3 and one sentence naming what the server said."""
    proxy.rules.append((after_the_preflight(), json_answer(b'{"message": "Rate limit exceeded."}',
                                                           "429 Too Many Requests", [("Retry-After", retry_after)])))
    started = time.monotonic()
    result = run_suite(_config(tmp_path, reference, proxy, read_only="true", active_timeout="1",
                               max_retries_429="5"), tmp_path / "reports", timeout=180)
    elapsed = time.monotonic() - started
    assert result.code == 3, result.output[-3000:]
    assert elapsed < 90, elapsed
    error = result.results()["error"]
    assert "rate limit asked for more waiting than the run allows (20 s in all" in error, error
    assert f"it last said Retry-After: {retry_after[:20]}" in error, error


def _rate_headers(reset: str) -> Callable[..., object]:
    """Every answer of the reference, with rate-limit headers announcing a spent budget and a reset of `reset`."""
    def make(request: Request, status: str, headers: list[tuple[str, str]], body: bytes
             ) -> tuple[str, list[tuple[str, str]], bytes]:
        kept = [(k, v) for k, v in headers if not k.lower().startswith("x-ratelimit")]
        return status, [*kept, ("X-Ratelimit-Limit", "600"), ("X-Ratelimit-Remaining", "2"),
                        ("X-Ratelimit-Reset", reset)], body
    return answer_with(make)


@pytest.mark.parametrize("reset", ["milliseconds", "inf", "a-day-ahead", "5000-digits"])
def test_rate_limit_resets_of_any_shape_never_crash_or_stall_the_run(
        reset: str, tmp_path: Path, reference: ReferenceServer, proxy: HostileProxy) -> None:
    """X-Ratelimit-Reset in milliseconds (some gateways), infinite, a day ahead (a daily quota), or 5,000 digits: the
    run ends in bounded time, and never as a pass it did not earn (a crash was exit 0 before)."""
    value = {"milliseconds": str(int(time.time() * 1000) + 60_000), "inf": "inf",
             "a-day-ahead": str(int(time.time()) + 86_400), "5000-digits": "9" * 5000}[reset]
    proxy.rules.append((lambda r: True, _rate_headers(value)))
    started = time.monotonic()
    result = run_suite(_config(tmp_path, reference, proxy, active_timeout="3"), tmp_path / "reports", "--", "-k",
                       "test_list_count or test_auth_before_not_found", timeout=240)
    assert time.monotonic() - started < 200
    assert "INTERNALERROR" not in result.output and "Traceback" not in result.output, result.output[-3000:]
    assert result.code in (0, 3), result.output[-3000:]
    assert result.results()["verdict"] in ("pass", "error")


def _version(version: str) -> Callable[..., object]:
    """Every answer of the reference naming `version`: in buildinfo, and in the header where it fits one (an HTTP
    client refuses headers of a megabyte)."""
    def make(request: Request, status: str, headers: list[tuple[str, str]], body: bytes
             ) -> tuple[str, list[tuple[str, str]], bytes]:
        if len(version) < 8000:
            headers = [(k, version if k.lower() == "x-coder-build-version" else v) for k, v in headers]
        if request.path.endswith("/buildinfo"):
            body = json.dumps({**json.loads(body), "version": version}).encode()
        return status, headers, body
    return answer_with(make)


@pytest.mark.parametrize("version", ["v2.34.0\x1b[2J\x1b]52;c;aGk=\x07", "v2.34.0+" + "x" * 1_000_000,
                                     "v" + "9" * 5000 + ".0.0"], ids=["escapes", "a-megabyte", "5000-digits"])
def test_the_servers_version_is_shown_safely_everywhere(version: str, tmp_path: Path, reference: ReferenceServer,
                                                         proxy: HostileProxy) -> None:
    """Terminal escapes never reach the terminal or the reports, junit.xml stays well-formed XML, a huge version
    is cut, a version of 5,000 digits is no crash (it was an INTERNALERROR and exit 0)."""
    proxy.rules.append((lambda r: True, _version(version)))
    result = run_suite(_config(tmp_path, reference, proxy), tmp_path / "reports", "--", "-k", "test_list_count",
                       timeout=180)
    assert "INTERNALERROR" not in result.output and "Traceback" not in result.output, result.output[-3000:]
    assert result.code in (0, 1), result.output[-3000:]
    for name, text in result.texts().items():
        assert "\x1b" not in text and "\x07" not in text, name
        assert len(max(text.splitlines() or [""], key=len)) < 200_000, name
    ET.parse(tmp_path / "reports" / "junit.xml")  # well-formed whatever the server said
    shown = result.results()["target"]["server_version"]
    assert shown is None or len(shown) <= 65, shown


INJECTOR = """
import os

import conformance.runner.run as run_module
import conformance.runner.tasks.factory as tasks_module


def boom(*args, **kwargs):
    raise RuntimeError("injected by the self-test")


stage = os.environ["INJECT_AT"]
if stage == "preflight":
    run_module.run_preflight = boom
elif stage == "up-front":
    run_module.start_up_front = boom
elif stage == "fixture":
    tasks_module.TaskFactory.create = boom
"""


@pytest.mark.parametrize(("stage", "code"), [("preflight", 3), ("up-front", 3), ("fixture", 1)])
def test_a_crash_of_the_suite_outside_a_check_is_never_a_pass(stage: str, code: int, tmp_path: Path) -> None:
    """An exception in the preflight, in the set-up after it, or in a fixture: the exit code is not 0 and
    results.json says why (a crash in the preflight was pytest's INTERNALERROR and exit 0 with "verdict": "pass")."""
    (tmp_path / "injector.py").write_text(INJECTOR)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    env.update(PYTHONPATH=str(tmp_path), INJECT_AT=stage)
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--fuzz-budget", "0", "--report-dir",
                           str(tmp_path / "reports"), "--", "-p", "injector", "-k", "test_list"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert proc.returncode == code, proc.stdout[-3000:] + proc.stderr[-2000:]
    results = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert results["verdict"] != "pass" and results["exit_code"] == code
    if code == 3:
        assert "internal error of the suite" in results["error"], results["error"]
        assert "(RuntimeError: injected by the self-test)" in results["error"], results["error"]


def test_an_answer_of_escaped_quotes_is_judged_in_bounded_time(tmp_path: Path, reference: ReferenceServer,
                                                              proxy: HostileProxy) -> None:
    """The logs answered with 2 MB of escaped quotes: the depth guard, run on every answer, was quadratic on them
    (400 KB took more than 150 s, 4 MB hours, deaf to Ctrl-C); now the check judges the body at once."""
    body = b'{"logs": [], "x": "' + b'\\"' * (1024 * 1024) + b'"}'
    proxy.rules.append((lambda r: r.method == "GET" and r.path.endswith("/logs"), json_answer(body)))
    started = time.monotonic()
    result = run_suite(_config(tmp_path, reference, proxy), tmp_path / "reports", "--", "-k",
                       "test_logs_body_schema", timeout=120)
    assert time.monotonic() - started < 100
    assert result.code in (0, 1) and "Traceback" not in result.output, result.output[-3000:]
