"""Servers that try to make the suite show a token: in header names, at the edge of a cut, encoded, split; through
the target URL, pytest's logs, malformed token values; and servers that try to take over the terminal.

Every test here ends with the leak scan of conftest.py (the tokens, their encodings and their fragments, in the
output and in every file the run wrote); each also checks what it provoked did happen.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import leaks
import pytest
from hostile_support import (
    LOGS_CHECK,
    SELECT_LOGS,
    HostileProxy,
    Request,
    answer_with,
    is_list,
    is_logs,
    json_answer,
    run_suite,
    write_config,
)

from conformance.reference import ReferenceServer

Headers = list[tuple[str, str]]


def _token(request: Request) -> str:
    return request.header("Coder-Session-Token") or ""


def test_a_header_named_after_the_token_is_masked(reference: ReferenceServer, proxy: HostileProxy,
                                                  proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    def make(request: Request, status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        return status, [*headers, (_token(request).lower(), "echo"), (f"x-{_token(request)}", "1")], body

    proxy.rules.append((is_list, answer_with(make)))
    proxy.rules.append((is_logs, json_answer(b"not json")))  # a failure, so the evidence is in the HTML too
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 1, result.output[-3000:]
    har = json.loads((tmp_path / "reports" / "evidence.har").read_text())
    names = [h["name"] for e in har["log"]["entries"] for h in e["response"]["headers"]]
    assert "[REDACTED]" in names and "x-[REDACTED]" in names


@pytest.mark.parametrize("where", ["snippet", "evidence"])
def test_a_token_across_a_cut_is_masked_whole(where: str, reference: ReferenceServer, proxy: HostileProxy,
                                              proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """The snippet of an unparseable body is 160 characters, the evidence keeps 64 KiB: a token placed across
    either edge must be masked before the text is cut, not cut first."""
    before = {"snippet": 150, "evidence": 64 * 1024 - 12}[where]

    def make(request: Request, status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        return status, headers, b"x" * before + _token(request).encode() + b"y" * 400

    proxy.rules.append((is_logs, answer_with(make)))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 1, result.output[-3000:]
    assert "expected a JSON body, got unparseable content" in result.check(LOGS_CHECK)["message"]


def test_echoes_of_the_token_encoded_or_split_are_masked(reference: ReferenceServer, proxy: HostileProxy,
                                                         proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    def make(request: Request, status: str, headers: Headers, body: bytes) -> tuple[str, Headers, bytes]:
        token = _token(request)
        echo = {"b64": base64.b64encode(token.encode()).decode(),
                "basic": base64.b64encode(f"member:{token}".encode()).decode(),
                "url": base64.urlsafe_b64encode(b"t=" + token.encode()).decode(),
                "pct": "".join(f"%{b:02X}" for b in token.encode()), "quoted": urllib.parse.quote(token),
                "hex": token.encode().hex(), "upper": token.upper(),
                "first": token[:16], "second": token[16:]}
        data = json.loads(body)
        data["echo"] = echo
        return status, headers, json.dumps(data).encode()

    proxy.rules.append((is_list, answer_with(make)))
    proxy.rules.append((is_logs, json_answer(b"[")))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 1, result.output[-3000:]
    har = (tmp_path / "reports" / "evidence.har").read_text()
    assert '\\"first\\": \\"[REDACTED]\\"' in har and '\\"hex\\": \\"[REDACTED]\\"' in har  # the echo was recorded


@pytest.mark.parametrize("how", ["config file", "flag"])
def test_a_target_url_with_credentials_is_refused(how: str, reference: ReferenceServer, tmp_path: Path) -> None:
    password = "hunter2-pass-word"  # noqa: S105 - the secret the test makes sure is not printed
    leaks.watch(password)
    url = reference.url.replace("http://", f"http://operator:{password}@")
    target = dict(reference.target_config())
    if how == "config file":
        target["url"] = url
        result = run_suite(write_config(tmp_path / "t.toml", target), tmp_path / "reports")
    else:
        result = run_suite(write_config(tmp_path / "t.toml", target), tmp_path / "reports", "--target-url", url)
    assert result.code == 2, result.output
    assert "must not carry a user name or password" in result.output
    assert password not in result.output and "operator" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_log_records_are_redacted_in_the_terminal_and_the_log_file(reference: ReferenceServer,
                                                                   proxied_config: Callable[..., Path],
                                                                   tmp_path: Path) -> None:
    """The query and access_token token sources put the token in the URL, which httpx logs at INFO."""
    log_file = tmp_path / "run.log"
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", "test_token_source_accepted",
                       "--log-cli-level=DEBUG", f"--log-file={log_file}", "--log-file-level=DEBUG")
    assert result.code == 0, result.output[-3000:]
    logged = log_file.read_text()
    assert "HTTP Request: GET" in logged and "coder_session_token=[REDACTED]" in logged  # httpx did log them
    assert "access_token=[REDACTED]" in result.output


@pytest.mark.parametrize("token, problem", [
    ("Ab3dE6gH9j-kLmN0pQ\nrStUvWxYz12345", "printable ASCII"),  # an inner newline
    ("Ab3dE6gH9j-kLmN0pQrStUvWxYzé12345", "printable ASCII"),  # a letter that is not ASCII
    ("Ab3", "at least 8 characters"),
])
def test_unusable_token_values_are_refused_without_showing_them(token: str, problem: str,
                                                                reference: ReferenceServer, tmp_path: Path) -> None:
    leaks.watch(token if len(token) >= leaks.FRAGMENT else None)
    config = write_config(tmp_path / "t.toml", {**reference.target_config(), "token": token})
    result = run_suite(config, tmp_path / "reports")
    assert result.code == 2, result.output
    assert "invalid token (the value is not shown)" in result.output and problem in result.output
    assert "INTERNALERROR" not in result.output and "Traceback" not in result.output
    assert token not in result.output and "Ab3" not in result.output


def test_terminal_escapes_from_the_server_are_shown_not_obeyed(reference: ReferenceServer, proxy: HostileProxy,
                                                               proxied_config: Callable[..., Path],
                                                               tmp_path: Path) -> None:
    evil = b"\x1b[2K\r\x1b[1;32mverdict: PASS\x1b[0m\n\x1b]52;c;ZXZpbA==\x07\x1b[5A\x9b31m\xe2\x80\xae"
    proxy.rules.append((is_logs, json_answer(b"<<" + evil + b">>")))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", SELECT_LOGS)
    assert result.code == 1, result.output[-3000:]
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", result.output.replace("\n", "")), "raw control text"
    assert "\\u001b[1;32mverdict: PASS" in result.output  # shown, as text
    assert result.output.count("verdict: FAIL") == 1
