"""The deployment in a box (box.py): added latency, Coder's rate limiter, the box's counters and the serve flags."""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
import tomllib
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from ref_support import Api, error_message, poll, served_api
from test_ref_serve import _serve, _wait_for_config

from conformance import serve
from conformance.reference import ReferenceServer

# Windows of 2 s start at even unix seconds, as at Go's multiples of 2 s since year 1 (62135596800 s is even).
WINDOW = 2.0
LIMIT = 5
MESSAGE = "You've been rate limited for sending more than 5 requests in 2s."


def box_api(**options: Any) -> AbstractContextManager[Api]:
    return served_api(profile="experimental", lifecycle_delay=0, reply_delay=0, **options)


def into_window(low: float, high: float) -> float:
    """Sleep until the current window is ``low`` to ``high`` seconds old; its start, in unix seconds."""
    elapsed = time.time() % WINDOW
    if not low <= elapsed <= high:
        time.sleep((low - elapsed) % WINDOW + 0.01)
    now = time.time()
    return now - now % WINDOW


def rate(response: httpx.Response) -> tuple[int, int, int]:
    """(limit, remaining, reset) of an answer, each header once."""
    values = [response.headers.get_list(f"x-ratelimit-{name}") for name in ("limit", "remaining", "reset")]
    assert all(len(value) == 1 for value in values), response.headers
    limit, remaining, reset = (int(value[0]) for value in values)
    return limit, remaining, reset


def task_path() -> str:
    return f"/tasks/me/{uuid.uuid4()}"  # a path of its own: 404 (401 without a token)


def test_rate_limit_per_user_and_path_with_coders_429_and_headers() -> None:
    with box_api(rate_limit=LIMIT, rate_window=WINDOW) as api:
        start = into_window(0.05, 0.8)
        reset = int(start + WINDOW)
        answers = [api.get("/tasks") for _ in range(LIMIT)]
        assert [a.status_code for a in answers] == [200] * LIMIT
        assert [rate(a) for a in answers] == [(LIMIT, left, reset) for left in (4, 3, 2, 1, 0)]
        refused = api.get("/tasks")
        assert refused.status_code == 429 and error_message(refused) == MESSAGE
        assert refused.json() == {"message": MESSAGE}
        assert rate(refused) == (LIMIT, 0, reset) and refused.headers["retry-after"] == "2"
        assert "x-coder-build-version" in refused.headers  # what every answer carries

        other_path, other_user = api.get(task_path()), api.get("/tasks", as_="bob")
        assert (other_path.status_code, rate(other_path)[1]) == (404, 4)
        assert (other_user.status_code, rate(other_user)[1]) == (200, 4)

        # Without a valid token the key is the client IP, and the limiter answers before authentication does.
        path = task_path()
        anonymous = [api.get(path, as_=None) for _ in range(LIMIT)]
        assert [(a.status_code, rate(a)[1]) for a in anonymous] == [(401, left) for left in (4, 3, 2, 1, 0)]
        bad_token = api.get(path, as_=None, headers={"Coder-Session-Token": "not-a-token"})
        assert bad_token.status_code == 429 and api.get(path, as_=None).status_code == 429
        assert api.get(path).status_code == 404  # alice on that path: her own budget
        assert time.time() < start + WINDOW, "the test was too slow to stay in one window"

        stats = api.server.box_stats()
        keys = {(k["kind"], k["who"], k["path"]): k for k in stats["keys"]}
        assert keys[("user", "alice", "/api/experimental/tasks")] | {"path": ""} == {
            "kind": "user", "who": "alice", "path": "", "requests": 6, "limited": 1, "peak_rate": 5.0}
        assert keys[("ip", "127.0.0.1", "/api/experimental" + path)]["limited"] == 2
        assert keys[("user", "bob", "/api/experimental/tasks")]["peak_rate"] == 1.0
        assert (stats["installed"], stats["requests"], stats["limited"], stats["rate_limit"]) == (True, 16, 3, 5)


def test_rate_limit_per_ip_and_path_whoever_sends() -> None:
    """rate_key="ip", as Coder before #22049: alice, bob and a request without a token share one budget a path."""
    with box_api(rate_limit=LIMIT, rate_window=WINDOW, rate_key="ip") as api:
        start = into_window(0.05, 0.8)
        senders = ["alice", "bob", None, "alice", "admin"]
        answers = [api.get("/tasks", as_=who) for who in senders]
        assert [(a.status_code, rate(a)[1]) for a in answers] == [(200, 4), (200, 3), (401, 2), (200, 1), (200, 0)]
        assert api.get("/tasks", as_="bob").status_code == 429
        bypass = api.get("/tasks", as_="admin", headers={"X-Coder-Bypass-Ratelimit": "true"})
        assert bypass.status_code == 429  # no user is found to bypass
        assert rate(api.get(task_path(), as_="bob"))[1] == 4  # another path: its own budget
        assert time.time() < start + WINDOW, "the test was too slow to stay in one window"
        stats = api.server.box_stats()
        assert stats["rate_key"] == "ip"
        assert {(k["kind"], k["who"]) for k in stats["keys"]} == {("ip", "127.0.0.1")}


def test_sliding_window_weighs_the_previous_window() -> None:
    with box_api(rate_limit=LIMIT, rate_window=WINDOW) as api:
        start = into_window(0.05, 1.2)
        assert [api.get("/tasks").status_code for _ in range(LIMIT)] == [200] * LIMIT
        assert api.get("/tasks").status_code == 429
        # 0.35 s into the next window: rate = 5 * (2 - 0.35) / 2 = 4.125, rounded 4: one more, then 429.
        time.sleep(start + WINDOW + 0.35 - time.time())
        allowed, refused = api.get("/tasks"), api.get("/tasks")
        assert allowed.status_code == 200 and rate(allowed) == (LIMIT, 0, int(start + 2 * WINDOW))
        assert refused.status_code == 429 and rate(refused)[1] == 0
        # 1.6 s in: rate = 5 * 0.4 / 2 + 1 = 2: two left after this one.
        time.sleep(start + WINDOW + 1.6 - time.time())
        later = api.get("/tasks")
        assert later.status_code == 200 and rate(later)[1] == 2


def test_owner_bypass_header() -> None:
    with box_api(rate_limit=2, rate_window=60) as api:
        bypass = {"X-Coder-Bypass-Ratelimit": "true"}
        answers = [api.get("/tasks", as_="admin", headers=bypass) for _ in range(4)]
        assert [(a.status_code, rate(a)[1]) for a in answers] == [(200, 1)] * 4  # a fresh random key each time
        counted = [api.get("/tasks", as_="admin", headers={"X-Coder-Bypass-Ratelimit": "false"}) for _ in range(3)]
        assert [a.status_code for a in counted] == [200, 200, 429]
        member = api.get("/tasks", headers=bypass)
        assert member.status_code == 428 and member.headers["content-type"] == "text/plain; charset=utf-8"
        assert member.text == '"X-Coder-Bypass-Ratelimit" provided but user is not owner\n'
        assert "x-ratelimit-limit" not in member.headers
        assert [k["who"] for k in api.server.box_stats()["keys"]] == ["admin"]


def test_latency_is_added_and_concurrent_requests_overlap() -> None:
    latency = 0.25
    with box_api(latency=latency) as api:
        started = time.monotonic()
        answer = api.get("/tasks")
        assert answer.status_code == 200 and time.monotonic() - started >= latency
        assert answer.headers["x-ratelimit-limit"] == "512"  # no rate limit: the app's headers as they are

        def fetch() -> None:
            with httpx.Client(base_url=api.base, timeout=10) as client:
                client.get("/api/v2/buildinfo").raise_for_status()

        threads = [threading.Thread(target=fetch) for _ in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - started
        # Four answers one after another would take 4 latencies; overlapping, about one (room for a loaded machine).
        assert latency <= took < 3 * latency, took
        stats = api.server.box_stats()
        assert (stats["installed"], stats["latency"], stats["requests"], stats["keys"]) == (True, latency, 5, [])


def test_without_box_options_the_app_is_served_as_it_is() -> None:
    with box_api() as api:
        started = time.monotonic()
        assert api.get("/tasks").status_code == 200 and time.monotonic() - started < 0.2
        assert api.server.box_stats() == {"installed": False, "requests": 0, "limited": 0, "keys": []}
    for options in ({"latency": -0.1}, {"rate_limit": -1}, {"rate_limit": 5, "rate_window": 0},
                    {"rate_limit": 5, "rate_key": "token"}):
        with pytest.raises(ValueError, match="must be"):
            ReferenceServer(**options)


def test_serve_task_startup_latency_and_rate_limit(tmp_path: Path) -> None:
    config_path = tmp_path / "box.toml"
    proc = _serve("--port", "0", "--task-startup", "0.6", "--latency-ms", "20", "--rate-limit", "512",
                  "--write-config", str(config_path))
    try:
        seen, sent, received, out = _startup_run(proc, config_path)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert any(s != "active" for t, s in seen if received < t < sent + 0.5), seen  # not active before
    assert all(t >= sent + 0.55 for t, s in seen if s == "active"), seen
    assert seen[-1][0] <= received + 0.6 + 0.3, seen  # active about 0.6 s after create
    assert "Deployment in a box: 20 ms added to every answer; at most 512 requests per 1m0s" in out


def _startup_run(proc: subprocess.Popen[str], config_path: Path) -> tuple[list[tuple[float, str]], float, float, str]:
    """Create a task on the box that ``proc`` serves and poll it until it is active; what the polls saw, when the
    create was sent and answered, and what the server printed."""
    target = _wait_for_config(proc, config_path)
    assert tomllib.loads(config_path.read_text())["run"] == {"active_timeout": 120.0}  # the remote default fits
    headers = {"Coder-Session-Token": target["token"]}
    with httpx.Client(base_url=target["url"] + target["api_prefix"], headers=headers, timeout=10) as client:
        sent = time.time()
        created = client.post("/tasks/me", json={"input": "hi", "template_version_id": target["template_version_id"]})
        received = time.time()
        assert created.status_code == 201 and received - sent >= 0.02
        assert (created.headers["x-ratelimit-limit"], created.headers["x-ratelimit-remaining"]) == ("512", "511")
        seen: list[tuple[float, str]] = []

        def status() -> str:
            asked = time.time()
            seen.append((asked, client.get(f"/tasks/me/{created.json()['id']}").json()["status"]))
            return seen[-1][1]

        poll(status, lambda s: s == "active", timeout=5, interval=0.05)
    proc.terminate()
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, out
    return seen, sent, received, out


def parse(*args: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    return parser.parse_args(args)


@pytest.mark.parametrize(("args", "says"), [
    (("--latency-ms", "-5"), "argument --latency-ms: must be >= 0, got -5"),
    (("--rate-limit", "-1"), "argument --rate-limit: must be >= 0"),
    (("--rate-limit", "1.5"), "argument --rate-limit: not a whole number: '1.5'"),
    (("--rate-limit-key", "token"), "argument --rate-limit-key: invalid choice: 'token'"),
    (("--task-startup", "nan"), "argument --task-startup: must be >= 0"),
    (("--task-startup", "1", "--lifecycle-delay", "0.1"), "argument --lifecycle-delay: not allowed with argument "
                                                          "--task-startup"),
], ids=["negative-latency", "negative-rate", "fractional-rate", "rate-key", "nan-startup", "both-startups"])
def test_bad_serve_flags_are_exit_2(args: tuple[str, ...], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        serve.main(list(args))
    assert exited.value.code == 2 and says in capsys.readouterr().err


def test_serve_flags_parse() -> None:
    box = parse("--latency-ms", "12.5", "--rate-limit", "512", "--task-startup", "0.6")
    assert (box.latency_ms, box.rate_limit) == (12.5, 512) and serve._lifecycle_delay(box) == pytest.approx(0.3)
    assert serve._describe_box(box) == ("Deployment in a box: 12.5 ms added to every answer; at most 512 requests "
                                        "per 1m0s per user and path (429 beyond); tasks active 0.6 s after create")
    by_ip = parse("--rate-limit", "512", "--rate-limit-key", "ip")
    assert serve._describe_box(by_ip) == ("Deployment in a box: at most 512 requests per 1m0s per client IP and "
                                          "path (429 beyond)")
    plain = parse()
    assert serve._lifecycle_delay(plain) == 0.05 and serve._describe_box(plain) is None
    assert serve._lifecycle_delay(parse("--lifecycle-delay", "0.2")) == 0.2
