"""The transport's pieces in-process (fast): decoding with a cap, Retry-After, pacing, the requests adapter, the
total timeout on a server trickling its headers, redirects, the new settings' three spellings (the ledger's creates
without an answer: tests/runner/test_ledger.py)."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import threading
import time
import zlib
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest
import requests
from hostile_support import (
    Canary,
    HostileProxy,
    always,
    gzip_bomb,
    hang,
    json_answer,
    rate_limited,
    raw,
    redirect,
    trickle,
)

from conformance.runner.http.client import ApiClient, RateLimited, TransportError
from conformance.runner.http.requests_session import RateLimitedRequest, TransportSession
from conformance.runner.http.transport import (
    MAX_RETRY_WAIT,
    HttpTransport,
    RateLimiter,
    StillRateLimited,
    retry_after,
)
from conformance.runner.records.bodies import BodyTooLarge, Decoder
from conformance.runner.records.evidence import EvidenceLog
from conformance.runner.records.redact import Redactor
from conformance.runner.settings.config import ConfigError, load_config
from conformance.runner.settings.http import HttpSettings

TOKEN = "abcdefghij-0123456789abcdefghijkl"
FAST = HttpSettings(connect_timeout=1, read_timeout=1, total_timeout=2, max_retries_429=1)


def _client(url: str, settings: HttpSettings = FAST) -> ApiClient:
    return ApiClient(url, "/api", TOKEN, Redactor([TOKEN]), transport=HttpTransport(settings))


# --- decoding ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "encode"), [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
    ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
    ("identity", lambda b: b),
])
def test_decoder(encoding: str, encode: object, ) -> None:
    body = b'{"tasks": [], "count": 0}' * 10
    data = encode(body)  # type: ignore[operator]
    decoder = Decoder(encoding)
    out = b"".join(decoder.feed(data[i:i + 7], 10_000) for i in range(0, len(data), 7)) if decoder.stages else data
    assert out == body


def test_decoder_caps_the_output_of_a_bomb() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)
    decoder = Decoder("gzip")
    with pytest.raises(BodyTooLarge):
        decoder.feed(bomb, 1_000_000)


def test_unknown_encoding_is_left_alone() -> None:
    assert Decoder("br").stages == []


# --- Retry-After and pacing ------------------------------------------------------------------------------------


def _429(retry: str | None) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": retry} if retry is not None else {})


def test_retry_after() -> None:
    assert retry_after(_429("3"), 0) == 3
    assert retry_after(_429("999999"), 0) == MAX_RETRY_WAIT
    assert retry_after(_429(formatdate(time.time() - 60, usegmt=True)), 0) == 0
    assert 1 < retry_after(_429(formatdate(time.time() + 5, usegmt=True)), 0) <= 5
    assert retry_after(_429(None), 0) == 0.5 and retry_after(_429(None), 2) == 2.0
    assert retry_after(_429("soon"), 1) == 1.0
    assert retry_after(_429("-5"), 0) == 0


def test_rate_limiter_paces() -> None:
    limiter = RateLimiter(50)
    started = time.monotonic()
    for _ in range(21):
        limiter.wait()
    assert time.monotonic() - started >= 0.38
    unlimited = RateLimiter(0)
    started = time.monotonic()
    for _ in range(1000):
        unlimited.wait()
    assert time.monotonic() - started < 0.1


# --- the client against hostile servers ------------------------------------------------------------------------


def test_total_timeout_cuts_off_a_trickle_of_headers() -> None:
    """Every byte comes within the read timeout, so only the total timeout can end it."""
    async def headers_trickle(request: object, writer: object, proxy: object) -> None:
        import asyncio
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
            writer.write(bytes([byte]))  # type: ignore[attr-defined]
            await writer.drain()  # type: ignore[attr-defined]
            await asyncio.sleep(0.2)

    with HostileProxy(rules=[(always, headers_trickle)]) as proxy:
        client = _client(proxy.url)
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"no complete response within 2 s \(total_timeout\)"):
            client.list_tasks()
        assert time.monotonic() - started < 3


def test_body_trickle_and_hang() -> None:
    with HostileProxy(rules=[(lambda r: "slow" in r.target, trickle(0.2)), (always, hang())]) as proxy:
        client = _client(proxy.url)
        with pytest.raises(TransportError, match=r"no complete response within 2 s"):
            client.request("GET", "/slow")
        with pytest.raises(TransportError, match=r"no response within 1 s \(request_timeout\)"):
            client.list_tasks()


def test_evidence_records_the_failure_without_the_token() -> None:
    with HostileProxy(rules=[(always, gzip_bomb())]) as proxy:
        log = EvidenceLog()
        with pytest.raises(TransportError) as caught:
            _client(proxy.url).list_tasks(via="query", log=log)
    assert TOKEN not in str(caught.value)
    exchange = log.exchanges[-1]
    assert exchange.status == 200 and "larger than 4194304 bytes after gzip decoding" in (exchange.error or "")
    assert exchange.response_body == ""  # the status and headers of the answer, none of its body
    assert TOKEN not in str(exchange.as_dict())


def test_redirect_is_returned_not_followed() -> None:
    with Canary() as canary, HostileProxy(rules=[(always, redirect(canary.url + "/x", "308 Permanent Redirect"))]) \
            as proxy:
        response = _client(proxy.url).list_tasks()
        assert response.status_code == 308
        session = TransportSession(HttpTransport(FAST))
        answer = session.get(proxy.url + "/api/tasks", headers={"Coder-Session-Token": TOKEN}, allow_redirects=True)
        assert answer.status_code == 308
    assert canary.requests == []


def test_429_retried_then_given_up() -> None:
    with HostileProxy(rules=[(always, rate_limited(None, retry_after="0"))]) as proxy:
        transport = HttpTransport(FAST)
        client = ApiClient(proxy.url, "/api", TOKEN, Redactor([TOKEN]), transport=transport)
        with pytest.raises(RateLimited, match="429 after 1 retry"):
            client.list_tasks()
        assert (transport.stats.retried_429, transport.stats.gave_up_429) == (1, 1)
        with pytest.raises(RateLimitedRequest):
            TransportSession(transport).get(proxy.url + "/api/tasks")
    assert len(proxy.requests) == 4


def test_requests_adapter_keeps_the_answer() -> None:
    """Schemathesis reads headers from `response.raw`; the body and status must survive too."""
    body = b'{"tasks": [], "count": 0}'
    with HostileProxy(rules=[(always, json_answer(gzip.compress(body), extra=[("Content-Encoding", "gzip"),
                                                                             ("X-Multi", "a"), ("X-Multi", "b")]))]) \
            as proxy:
        response = TransportSession(HttpTransport(FAST)).get(proxy.url + "/api/tasks")
    assert response.status_code == 200 and response.content == body and response.json()["count"] == 0
    assert response.raw.headers.getlist("X-Multi") == ["a", "b"]
    assert response.headers["content-type"] == "application/json"


def test_requests_adapter_errors_are_requests_exceptions() -> None:
    with HostileProxy(rules=[(always, hang())]) as proxy, \
            pytest.raises(requests.exceptions.Timeout, match=r"no response within 1 s"):
        TransportSession(HttpTransport(FAST)).get(proxy.url + "/api/tasks")
    with HostileProxy(rules=[(always, raw(b"junk\r\n\r\n"))]) as proxy, \
            pytest.raises(requests.ConnectionError, match="malformed HTTP response"):
        TransportSession(HttpTransport(FAST)).get(proxy.url + "/api/tasks")


# --- settings ----------------------------------------------------------------------------------------------------


def test_new_settings_have_three_spellings(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[run]\nconnect_timeout = 2.5\nmax_body_bytes = 1000\nmax_rps = 3\n")
    env = {"TASKS_CONFORMANCE_TOTAL_TIMEOUT": "7", "TASKS_CONFORMANCE_MAX_RPS": "4",
           "TASKS_CONFORMANCE_MAX_RETRIES_429": "0"}
    config = load_config({"max_body_bytes": "2000"}, environ=env, config_path=str(path))
    run = config.run
    assert (run.connect_timeout, run.total_timeout, run.max_body_bytes, run.max_rps, run.max_retries_429) == (
        2.5, 7.0, 2000, 4.0, 0)
    assert config.sources["max_body_bytes"] == "flag --max-body-bytes"
    settings = run.http
    assert (settings.read_timeout, settings.total_timeout, settings.verify) == (10.0, 7.0, True)


@pytest.mark.parametrize(("flags", "message"), [
    ({"total_timeout": "0"}, "invalid total_timeout 0.0 (flag --total-timeout): must be greater than 0"),
    ({"max_rps": "-1"}, "invalid max_rps -1.0 (flag --max-rps): must be 0 or greater"),
    ({"max_body_bytes": "lots"}, "invalid max_body_bytes (flag --max-body-bytes): expected an integer"),
    ({"ca_bundle": "/nope.pem"}, "invalid ca_bundle '/nope.pem' (flag --ca-bundle): no such file or directory"),
])
def test_new_settings_are_validated(flags: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(flags, environ={})
    assert str(caught.value) == message


class _AlwaysRateLimited(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(429)
        self.send_header("Retry-After", "30")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_background_wait_for_a_429_ends_when_the_cleanup_begins() -> None:
    """A thread (an up-front create, a watch) waiting out Retry-After: 30 does not hold up the end of a run: once the
    cleanup's cutoff begins and the rest of the wait does not fit in it, the wait ends (still rate limited)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysRateLimited)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    transport = HttpTransport(HttpSettings(max_retries_429=3))
    client = transport.new_client()
    ended: list[float] = []

    def wait_in_background() -> None:
        with contextlib.suppress(StillRateLimited):
            transport.send(client, client.build_request("GET", f"http://127.0.0.1:{server.server_address[1]}/x"))
        ended.append(time.monotonic())

    try:
        worker = threading.Thread(target=wait_in_background)
        worker.start()
        time.sleep(0.5)  # the worker is in its 30 s wait now
        started = time.monotonic()
        with transport.cutoff(2.0):
            worker.join(10)
        assert ended and ended[0] - started < 1.5, "the background wait outlasted the cleanup's cutoff"
    finally:
        transport.close()
        server.shutdown()
