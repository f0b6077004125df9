"""A seed makes a reference server the same on every start: two servers of one seed answer one sequence of requests
with the same bytes (ids, tokens, generated names, shown times); another seed, or none, answers otherwise."""

from __future__ import annotations

import httpx
import pytest

from conformance.reference import ReferenceServer
from conformance.reference.conforming.clock import SHOWN_BASE, Instant, SteppedClock, shown


def _session(profile: str, seed: int | None) -> tuple[dict[str, str], list[tuple[int, bytes]]]:
    """The config of a new server and its answers to one sequence of requests a client might send."""
    with ReferenceServer(profile=profile, lifecycle_delay=0, reply_delay=0, seed=seed) as server:
        config = server.target_config()
        answers = []
        with httpx.Client(base_url=server.url + server.api_prefix, timeout=10,
                          headers={"Coder-Session-Token": config["token"]}) as client:
            prompt = {"input": "Fix the login bug", "prompt": "Fix the login bug",
                      "template_version_id": config["template_version_id"]}
            created = client.post("/tasks/me", json=prompt)
            answers.append((created.status_code, created.content))
            task = created.json()["id"]
            preloaded = server.control.add_task(owner="bob", status="paused", logs=[("input", "a"), ("output", "b")])
            steps = [("GET", f"/tasks/me/{task}", None), ("POST", f"/tasks/me/{task}/send", {"input": "more"}),
                     ("GET", f"/tasks/me/{task}/logs", None), ("GET", "/tasks", None),
                     ("GET", f"/tasks/bob/{preloaded}", None), ("DELETE", f"/tasks/me/{task}", None),
                     ("GET", "/tasks", None)]
            if profile == "legacy":  # a legacy task is its workspace: no send or delete in this dialect's paths
                steps = [step for step in steps if step[0] == "GET"]
            for method, path, body in steps:
                answer = client.request(method, path, json=body,
                                        headers={"Coder-Session-Token": config["admin_token"]}
                                        if "/bob/" in path else None)
                answers.append((answer.status_code, answer.content))
        return config, answers


@pytest.mark.parametrize("profile", ["stable", "experimental", "legacy"])
def test_the_same_seed_answers_the_same_bytes(profile: str) -> None:
    config, answers = _session(profile, 42)
    again_config, again = _session(profile, 42)
    assert again_config["token"] == config["token"] and again_config == {**config, "url": again_config["url"]}
    assert again == answers
    assert answers[0][0] == 201 and b"2025-01-01T" in answers[0][1], "the shown time is not the stepped clock's"


def test_another_seed_or_none_answers_otherwise() -> None:
    config, answers = _session("stable", 1)
    other_config, other = _session("stable", 2)
    unseeded_config, unseeded = _session("stable", None)
    assert len({config["token"], other_config["token"], unseeded_config["token"]}) == 3
    assert other[0] != answers[0] and unseeded[0] != answers[0]
    assert b"2025-01-01T" not in unseeded[0][1], "an unseeded server shows the real time"


def test_a_stepped_clock_runs_on_real_time_and_shows_steps() -> None:
    clock = SteppedClock(tick=1.0)
    first, second = clock(), clock()
    assert (shown(first), shown(second)) == (SHOWN_BASE, SHOWN_BASE + 1)
    assert 0 <= second - first < 1, "the lifecycle compares real times"
    later = first + 0.25
    assert isinstance(later, Instant) and shown(later) == SHOWN_BASE + 0.25 and float(later) == float(first) + 0.25
    assert shown(0.5 + first) == SHOWN_BASE + 0.5 and shown(first - 2) == SHOWN_BASE - 2
    clock.restart()
    assert shown(clock()) == SHOWN_BASE
    assert shown(12.5) == 12.5
