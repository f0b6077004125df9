"""Pacing by the server's X-Ratelimit-* headers (runner/http/pacing.py), against the reference's rate limiter."""

from __future__ import annotations

import time

import httpx

from conformance.reference import ReferenceServer
from conformance.runner.http.pacing import MAX_WAIT, RatePacer
from conformance.runner.http.transport import HttpTransport
from conformance.runner.settings.http import HttpSettings


def _answer(request: httpx.Request, limit: int, remaining: int, reset_in: float) -> httpx.Response:
    return httpx.Response(200, request=request, headers={
        "X-Ratelimit-Limit": str(limit), "X-Ratelimit-Remaining": str(remaining),
        "X-Ratelimit-Reset": str(int(time.time() + reset_in))})


def test_no_pause_while_the_budget_lasts_then_the_sustainable_spacing() -> None:
    pacer = RatePacer()
    request = httpx.Request("GET", "http://h/api/v2/tasks", headers={"Coder-Session-Token": "a"})
    assert pacer.delay(request) == 0.0  # nothing heard yet
    pacer.observe(request, _answer(request, 512, 400, 60))
    assert pacer.delay(request) == 0.0
    pacer.observe(request, _answer(request, 512, 10, 60))  # below the reserve (512 / 8): one spacing after the last
    assert 60 / 512 <= pacer.delay(request) <= 2 * 61 / 512
    assert pacer.stats.paced >= 1 and pacer.stats.limit == 512 and pacer.stats.lowest_remaining == 10


def test_another_token_on_another_path_is_not_held_back() -> None:
    pacer = RatePacer()
    spent = httpx.Request("GET", "http://h/api/v2/tasks", headers={"Coder-Session-Token": "a"})
    pacer.observe(spent, _answer(spent, 512, 0, 60))
    other = httpx.Request("GET", "http://h/api/v2/tasks/me/x", headers={"Coder-Session-Token": "b"})
    assert pacer.delay(other) == 0.0 and pacer.delay(other) == 0.0


def test_an_expired_window_no_longer_holds_back() -> None:
    pacer = RatePacer()
    request = httpx.Request("GET", "http://h/api/v2/tasks")
    pacer.observe(request, _answer(request, 512, 0, -5))
    assert pacer.delay(request) == 0.0 and pacer.delay(request) == 0.0


def test_the_window_is_learnt_from_the_steps_of_reset() -> None:
    minute, seconds = RatePacer(), RatePacer()
    request = httpx.Request("GET", "http://h/api/v2/tasks")
    for pacer in (minute, seconds):
        pacer.observe(request, _answer(request, 10, 1, 1))
    seconds.observe(request, _answer(request, 10, 1, 3))  # Reset moved by 2 s: windows of 2 s
    for pacer in (minute, seconds):
        assert pacer.delay(request) == 0.0  # the first request after the answer: nothing sent just before
    assert minute.delay(request) >= 60 / 10  # a minute (Coder's) until Reset moves on
    assert 2 / 10 <= seconds.delay(request) <= 2 * 2 / 10


def test_a_run_at_the_limit_meets_no_429() -> None:
    limit, window, sent = 12, 2.0, 30
    with ReferenceServer(lifecycle_delay=0, rate_limit=limit, rate_window=window) as server:
        token = server.target_config()["token"]
        transport = HttpTransport(HttpSettings(max_retries_429=0))
        client = transport.new_client()
        started = time.monotonic()
        for _ in range(sent):
            request = client.build_request("GET", f"{server.url}/api/v2/tasks",
                                           headers={"Coder-Session-Token": token})
            assert transport.send(client, request).status_code == 200  # max_retries_429=0: a 429 would raise
        elapsed = time.monotonic() - started
        transport.close()
        assert server.box_stats()["limited"] == 0
    # The sliding window sustains `limit` per `window`: the requests past the first budget take about that long.
    assert elapsed >= (sent - limit) / limit * window * 0.8
    assert elapsed <= (sent - limit) / limit * window * 2.5 + 60 / limit + 2  # + one spacing by a minute's window


def test_a_reset_of_any_shape_is_believed_only_so_far() -> None:
    """Milliseconds (some gateways), infinity, a day ahead (a daily quota), 5,000 digits: no crash, and no single
    wait longer than the cap, however few requests the server says are left."""
    for reset in (str(int(time.time() * 1000) + 60_000), "inf", "nan", str(int(time.time()) + 86_400), "9" * 5000):
        pacer = RatePacer()
        request = httpx.Request("GET", "http://t/api/v2/tasks", headers={"Coder-Session-Token": "x"})
        response = httpx.Response(200, headers={"X-Ratelimit-Limit": "600", "X-Ratelimit-Remaining": "1",
                                                "X-Ratelimit-Reset": reset}, request=request)
        pacer.observe(request, response)
        waits = [pacer.delay(request) for _ in range(3)]
        assert all(0 <= wait <= MAX_WAIT for wait in waits), (reset[:20], waits)
