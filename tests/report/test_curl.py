"""A curl line of the evidence runs as printed: the configured token the request carried is read from its environment
variable, which a POSIX shell expands; nothing else in the line is expanded (quotes, `$`, backticks, newlines)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from report_support import SuiteRun

from conformance.runner.records.evidence import Exchange
from conformance.runner.records.redact import MASK, Redactor

TOKEN = "Ab3dE6gH9j-kLmN0pQrStUvWxYz12345"
OTHER = "Zz9Yy8Xx7W-abcdefghijklmnopqrstuv"  # token-shaped, not configured: masked, but no variable names it
VARIABLE = "TASKS_CONFORMANCE_SECOND_TOKEN"
URL = "http://127.0.0.1:1/api/experimental/tasks/me"
BODY = json.dumps({"input": "it's \"$HOME\" `id` $(id) ${PATH} \\ 'x'\nsecond line; echo done &", "x": "$1"})
# What the shell sees in the variable: a value with spaces and shell syntax must arrive as one argument, unexpanded.
VALUE = "v a l u e $HOME `id` \"q\""


def _record(headers: list[tuple[str, str]], url: str = URL, body: str = BODY) -> Exchange:
    redactor = Redactor([(TOKEN, VARIABLE)])
    return Exchange.record(redactor, method="POST", url=url, request_headers=headers,
                           request_body=body.encode("utf-8"), status=200)


def _shell_args(line: str) -> list[str]:
    """The arguments curl gets from the line, in bash with `curl` a function that prints them."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent-home", VARIABLE: VALUE}
    script = "curl() { printf '%s\\0' \"$@\"; }\n" + line
    out = subprocess.run([bash, "-c", script], capture_output=True, text=True, env=env, timeout=30, check=True)
    return out.stdout.split("\0")[:-1]


def _expected(headers: list[str], url: str = URL, body: str = BODY) -> list[str]:
    return ["-i", "-X", "POST", *(x for h in headers for x in ("-H", h)), "--data-raw", body, url]


@pytest.mark.parametrize(("sent", "shown"), [
    (("Coder-Session-Token", TOKEN), f"Coder-Session-Token: {VALUE}"),
    (("Authorization", f"Bearer {TOKEN}"), f"Authorization: Bearer {VALUE}"),
    (("Cookie", f"theme=dark; coder_session_token={TOKEN}"), f"Cookie: theme={MASK}; coder_session_token={VALUE}"),
])
def test_a_token_in_a_header_is_read_from_its_variable(sent: tuple[str, str], shown: str) -> None:
    exchange = _record([sent, ("Content-Type", "application/json")])
    assert exchange.credential == VARIABLE
    line = exchange.curl()
    assert TOKEN not in line
    assert f'"${VARIABLE}"' in line
    assert _shell_args(line) == _expected([shown, "Content-Type: application/json"])


@pytest.mark.parametrize("key", ["coder_session_token", "access_token"])
def test_a_token_in_the_query_is_read_from_its_variable(key: str) -> None:
    exchange = _record([], url=f"{URL}?q=owner:me&{key}={TOKEN}&x='$y'")
    line = exchange.curl()
    assert TOKEN not in line
    assert _shell_args(line) == _expected([], url=f"{URL}?q=owner:me&{key}={VALUE}&x='$y'")


def test_an_unconfigured_secret_stays_masked() -> None:
    """The precedence check: the configured token in the header, an unknown one in the cookie."""
    exchange = _record([("Coder-Session-Token", TOKEN), ("Cookie", f"coder_session_token={OTHER}")])
    line = exchange.curl()
    assert OTHER not in line
    assert _shell_args(line) == _expected([f"Coder-Session-Token: {VALUE}", f"Cookie: coder_session_token={MASK}"])


def test_without_a_configured_token_nothing_is_expanded() -> None:
    exchange = _record([("Coder-Session-Token", OTHER)])
    assert exchange.credential is None
    line = exchange.curl()
    assert "$TASKS" not in line
    assert _shell_args(line) == _expected([f"Coder-Session-Token: {MASK}"])


def test_a_credential_that_is_not_a_variable_name_is_not_put_in_the_line() -> None:
    exchange = Exchange(method="GET", url=URL, request_headers=[("Coder-Session-Token", MASK)], request_body="",
                        status=200, response_headers=[], response_body="", elapsed=0.0, credential="X $(id)")
    assert _shell_args(exchange.curl()) == ["-i", "-X", "GET", "-H", f"Coder-Session-Token: {MASK}", URL]


def test_the_failing_runs_curl_lines_read_the_token_from_its_variable(failing_run: SuiteRun) -> None:
    page = failing_run.html.read_text(encoding="utf-8")
    assert "-H &#x27;coder-session-token: &#x27;&quot;$TASKS_CONFORMANCE_TOKEN&quot; " in page
