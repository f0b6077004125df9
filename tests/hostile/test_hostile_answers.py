"""Broken answers to one endpoint: the affected check fails with a plain reason, the others pass, the run ends.

The proxy breaks GET .../logs only; the run selects a logs check and the list checks (fuzzing off). Every run must
end within its bound with exit 1, name the problem in results.json, and leak no token anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_support import (
    LIST_CHECK,
    LOGS_CHECK,
    SELECT_LOGS,
    Action,
    Canary,
    HostileProxy,
    assert_no_token,
    big_body,
    gzip_bomb,
    hang,
    http10,
    is_logs,
    json_answer,
    non_utf8,
    raw,
    reset,
    run_suite,
    short_content_length,
    trickle,
    truncated,
)

from conformance.reference import ReferenceServer

# One request may take at most total_timeout (3 s); a logs check polls a few times at most: generous, but bounded.
BOUND = 30.0

CASES: list[tuple[str, Callable[[], Action], str]] = [
    ("hang", hang, "no response within 1 s (request_timeout)"),
    ("trickle", trickle, "no complete response within 3 s (total_timeout)"),
    ("reset", reset, "the connection broke while reading the response"),
    ("close-without-answer", lambda: raw(b""), "the server closed the connection without answering"),
    ("truncated-body", truncated, "the response body was cut short"),
    ("content-length-too-short", short_content_length, "expected a JSON body, got unparseable content"),
    ("invalid-json", lambda: json_answer(b'{"logs": [ {"id": 1,, }'), "expected a JSON body, got unparseable content"),
    ("non-utf8", non_utf8, "expected a JSON body, got unparseable content"),
    ("5-mb-body", big_body, "response body larger than 4194304 bytes (max_body_bytes)"),
    ("gzip-bomb", gzip_bomb, "response body larger than 4194304 bytes after gzip decoding (max_body_bytes)"),
    ("not-http", lambda: raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"), "malformed HTTP response"),
]


@pytest.mark.parametrize(("action", "message"), [pytest.param(a, m, id=name) for name, a, m in CASES])
def test_broken_answer_fails_the_check(action: Callable[[], Action], message: str, reference: ReferenceServer,
                                       proxy: HostileProxy, proxied_config: Callable[..., Path],
                                       tmp_path: Path) -> None:
    proxy.rules.append((is_logs, action()))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 1, result.output[-3000:]
    assert result.elapsed < BOUND
    logs = result.check(LOGS_CHECK)
    assert logs["outcome"] == "failed"
    assert message in logs["message"], logs["message"]
    assert result.check(LIST_CHECK)["outcome"] == "passed"
    assert "INTERNALERROR" not in result.output and "Traceback" not in result.output
    results = result.results()
    assert results["verdict"] == "fail" and results["incomplete"] is False
    assert message.split(" (")[0] in result.html()
    assert_no_token(result, reference)


def test_http10_answers_are_read(reference: ReferenceServer, proxy: HostileProxy,
                                 proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """HTTP/1.0 without Content-Length (the body ends when the connection closes) is a valid answer."""
    proxy.rules.append((lambda r: True, http10()))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 0, result.output[-3000:]
    assert result.check(LOGS_CHECK)["outcome"] == "passed"
    assert_no_token(result, reference)


def test_redirect_is_reported_and_never_followed(reference: ReferenceServer, proxy: HostileProxy,
                                                 proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """A redirect to another origin: the check fails naming the redirect; nothing (no token) reaches the other
    origin."""
    with Canary() as canary:
        proxy.rules.append((is_logs, _redirect_to(canary.url + "/api/experimental/stolen")))
        result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 1, result.output[-3000:]
    message = result.check(LOGS_CHECK)["message"]
    assert "redirect (302)" in message and "never follows redirects" in message, message
    assert canary.url in message
    assert canary.requests == []
    assert_no_token(result, reference)


def _redirect_to(location: str) -> Action:
    from hostile_support import redirect

    return redirect(location)
