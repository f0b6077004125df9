"""A target that is broken as a whole: the preflight stops the run with exit 3 and one plain message; a target
that stops answering mid-run stops the run too (exit 3, results marked incomplete). Always in bounded time."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hostile_support import (
    Canary,
    HostileProxy,
    Request,
    always,
    answer_with,
    assert_no_token,
    hang,
    is_list,
    json_answer,
    raw,
    redirect,
    reset,
    run_suite,
    write_config,
)

from conformance.reference import ReferenceServer

EXIT_UNREACHABLE = 3


def _target(reference: ReferenceServer, url: str) -> dict[str, str]:
    target = dict(reference.target_config())
    target["url"] = url
    return target


def _preflight_fails(result_code: int, output: str, results: dict, message: str) -> None:
    assert result_code == EXIT_UNREACHABLE, output[-3000:]
    assert results["verdict"] == "error"
    assert results["error"].startswith("preflight failed: ")
    assert message in results["error"], results["error"]
    assert message in output
    assert "Traceback" not in output and "INTERNALERROR" not in output


def test_nothing_listening(tmp_path: Path, reference: ReferenceServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    config = write_config(tmp_path / "t.toml", _target(reference, f"http://127.0.0.1:{port}"))
    result = run_suite(config, tmp_path / "reports")
    _preflight_fails(result.code, result.output, result.results(), "connection failed")
    assert result.elapsed < 20
    assert_no_token(result, reference)


@pytest.fixture
def unaccepting_port() -> Iterator[int]:
    """A port whose listen queue is full: connecting hangs (the SYN is dropped)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            client.connect(("127.0.0.1", port))
        fillers.append(client)
    yield port
    for client in fillers:
        client.close()
    server.close()


def test_connect_timeout(tmp_path: Path, reference: ReferenceServer, unaccepting_port: int) -> None:
    config = write_config(tmp_path / "t.toml", _target(reference, f"http://127.0.0.1:{unaccepting_port}"))
    result = run_suite(config, tmp_path / "reports")
    _preflight_fails(result.code, result.output, result.results(), "could not connect within 1 s (connect_timeout)")
    assert result.elapsed < 20


@pytest.mark.parametrize(("action", "message"), [
    pytest.param(hang, "no response within 1 s (request_timeout)", id="hang"),
    pytest.param(reset, "the connection broke", id="reset"),
    pytest.param(lambda: raw(b"\x00\x01garbage\r\n\r\n"), "malformed HTTP response", id="garbage"),
])
def test_broken_everywhere(action: Callable, message: str, tmp_path: Path, reference: ReferenceServer) -> None:
    with HostileProxy(rules=[(always, action())]) as proxy:
        config = write_config(tmp_path / "t.toml", _target(reference, proxy.url))
        result = run_suite(config, tmp_path / "reports")
    _preflight_fails(result.code, result.output, result.results(), message)
    assert result.elapsed < 20
    assert "INCOMPLETE" not in result.html() and "preflight failed" in result.html()
    assert_no_token(result, reference)


def test_preflight_redirect_to_another_host(tmp_path: Path, reference: ReferenceServer,
                                            proxy: HostileProxy) -> None:
    with Canary() as canary:
        proxy.rules.append((is_list, redirect(canary.url + "/api/experimental/tasks", "307 Temporary Redirect")))
        config = write_config(tmp_path / "t.toml", _target(reference, proxy.url))
        result = run_suite(config, tmp_path / "reports")
    _preflight_fails(result.code, result.output, result.results(), "answered a redirect (307)")
    assert canary.requests == []  # the token never travelled to the other origin
    assert_no_token(result, reference)


def test_target_that_stops_answering_stops_the_run(tmp_path: Path, reference: ReferenceServer,
                                                   proxy: HostileProxy) -> None:
    """After the preflight every request is reset: after 10 in a row the run stops (exit 3), marked incomplete,
    instead of failing every remaining check one timeout at a time."""
    valid = {reference.target_config()[k] for k in ("token", "second_token", "admin_token")}
    tripped = {"yes": False}

    def after_preflight(request: Request) -> bool:
        # The preflight sends only valid tokens; the first bad-token check's request starts the outage.
        tripped["yes"] = tripped["yes"] or request.header("Coder-Session-Token") not in valid
        return tripped["yes"]

    proxy.rules.append((after_preflight, reset()))
    config = write_config(tmp_path / "t.toml", _target(reference, proxy.url))
    result = run_suite(config, tmp_path / "reports", "--read-only", "--", "-k", "test_bad_token_is_401")
    assert result.code == EXIT_UNREACHABLE, result.output[-3000:]
    results = result.results()
    assert results["incomplete"] is True and results["verdict"] == "error"
    assert "the target stopped answering" in results["error"]
    assert 10 <= results["counts"]["checks"]["total"] < 30
    assert "INCOMPLETE" in result.html()
    assert "verdict: INCOMPLETE" in result.output
    assert result.elapsed < 30
    assert_no_token(result, reference)


def _reports_version(version: str) -> Callable[..., object]:
    """Every answer of the reference server, but naming `version` (X-Coder-Build-Version and buildinfo)."""
    def make(request: Request, status: str, headers: list[tuple[str, str]], body: bytes
             ) -> tuple[str, list[tuple[str, str]], bytes]:
        headers = [(k, version if k.lower() == "x-coder-build-version" else v) for k, v in headers]
        if request.path.endswith("/buildinfo"):
            body = json.dumps({**json.loads(body), "version": version}).encode()
        return status, headers, body
    return answer_with(make)


@pytest.mark.parametrize("version", ["v2.37.0", "v999.0.0"])
def test_a_late_release_that_serves_the_tasks_api_is_judged_by_the_stable_contract(
        version: str, tmp_path: Path, reference: ReferenceServer) -> None:
    """Whether v2.37.0 still carried the flag-gated API is not settled (coder/coder#28789 was merged the day it was
    cut): a server naming a release from v2.37 whose list answers as the Tasks API is judged by the stable contract,
    with a note; never stopped by the version alone."""
    with HostileProxy(upstream=reference.url, rules=[(always, _reports_version(version))]) as proxy:
        config = write_config(tmp_path / "t.toml", _target(reference, proxy.url))
        result = run_suite(config, tmp_path / "reports", "--", "-k", "test_list_count or test_auth_before_not_found")
    assert result.code == 0, result.output[-3000:]
    results = result.results()
    assert results["target"]["profile"] == "stable" and results["target"]["server_version"] == version
    assert any(note.startswith(f"The server reports Coder {version}, a release from which Coder removed the Tasks "
                               "API") for note in results["notes"]), results["notes"]


def test_a_late_release_without_the_tasks_api_stops_with_the_sentence(tmp_path: Path) -> None:
    with ReferenceServer(profile="stable", version="v2.36.1", ai_tasks_flag=False) as hidden:
        config = write_config(tmp_path / "t.toml", dict(hidden.target_config()))
        result = run_suite(config, tmp_path / "reports")
    _preflight_fails(result.code, result.output, result.results(),
                     "this Coder v2.36.1 server does not serve the Tasks API: CODER_ENABLE_AI_TASKS is not set (from "
                     "v2.36 the Tasks API is off unless it is, coder/coder#28008)")


def test_a_huge_hostile_refusal_stops_the_preflight_in_one_bounded_line(tmp_path: Path, reference: ReferenceServer,
                                                                         proxy: HostileProxy) -> None:
    """Every create is refused with a 200,000-character message holding a terminal escape: the preflight's sentence
    quotes it cut short and neutralized, on the terminal and in results.json."""
    message = "\x1b]0;owned\x07" + "z" * 200_000

    def create(request: Request) -> bool:
        return request.method == "POST" and request.path.rstrip("/").rsplit("/", 2)[-2:-1] == ["tasks"]

    proxy.rules.append((create, json_answer(json.dumps({"message": message}).encode(), "400 Bad Request")))
    config = write_config(tmp_path / "t.toml", _target(reference, proxy.url))
    result = run_suite(config, tmp_path / "reports")
    _preflight_fails(result.code, result.output, result.results(), "cannot run AI tasks")
    error = result.results()["error"]
    assert len(error) < 2_000 and "\x1b" not in error and "\x07" not in error, (len(error), error[:200])
    assert "\x1b" not in result.output and max(len(line) for line in result.output.splitlines()) < 2_000
