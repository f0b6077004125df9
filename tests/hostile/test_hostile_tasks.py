"""Tasks that are not the run's, and tasks the run cannot remove: the suite deletes only what it created, every
task it creates carries its prefix, and what is left is reported as left (bounded, even when the server floods it).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import leaks
from hostile_support import (
    SESSION_HEADER,
    HostileProxy,
    Request,
    all_tasks,
    clean_env,
    json_answer,
    rate_limited,
    run_suite,
    suite_command,
    wait_until,
    watch_config,
)

from conformance.reference import ReferenceServer

CREATES = "test_list_includes_a_new_task or test_list_is_newest_first"


def _is_create(request: Request) -> bool:
    return request.method == "POST" and request.path.rstrip("/").rsplit("/", 2)[-2:-1] == ["tasks"]


def _admin_task(server: ReferenceServer, name: str) -> dict:
    config = server.target_config()
    response = httpx.post(f"{server.url}{server.api_prefix}/tasks/me",
                          headers={SESSION_HEADER: config["admin_token"]}, timeout=10,
                          json={"input": "someone else's work", "name": name,
                                "template_version_id": config["template_version_id"]})
    response.raise_for_status()
    return dict(response.json())


def test_a_create_answered_with_someone_elses_task_never_deletes_it(reference: ReferenceServer, proxy: HostileProxy,
                                                                     proxied_config: Callable[..., Path],
                                                                     tmp_path: Path) -> None:
    foreign = _admin_task(reference, "not-the-suites")
    proxy.rules.append((_is_create, json_answer(json.dumps(foreign).encode(), "201 Created")))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", CREATES)
    assert result.code == 1, result.output[-3000:]
    blocked = [c for c in result.results()["checks"] if c["outcome"] == "blocked"]
    assert blocked and all("which is not the task this run asked for" in c["message"] for c in blocked), blocked
    config = reference.target_config()
    still = httpx.get(f"{reference.url}{reference.api_prefix}/tasks/me/{foreign['id']}",
                      headers={SESSION_HEADER: config["admin_token"]}, timeout=10)
    assert still.status_code == 200, "the suite deleted a task it did not create"
    assert not any(r.method == "DELETE" and foreign["id"] in r.path for r in proxy.requests)


def test_every_task_an_interrupted_fuzz_run_created_carries_the_prefix_and_is_removed(
        reference: ReferenceServer, proxy: HostileProxy, proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    config = proxied_config(fuzz_budget="100")  # more than it gets to spend: the signal comes mid-fuzz
    watch_config(config)
    report_dir = tmp_path / "reports"
    proc = subprocess.Popen(suite_command(config, report_dir, "--", "-k", "test_gate or test_stateful"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env(),
                            stdin=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: sum(1 for r in proxy.requests if _is_create(r)) >= 25, timeout=60)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    leaks.record_output("interrupted fuzz run", output)
    assert proc.returncode == 130, output[-3000:]
    prefix = json.loads((report_dir / "results.json").read_text())["run_prefix"]
    bodies = [json.loads(r.body) for r in proxy.requests if _is_create(r) and r.body.startswith(b"{")]
    created = [b for b in bodies if isinstance(b, dict) and isinstance(b.get("input"), str)]
    assert created and all(b["input"].startswith(prefix) for b in created), [b.get("input") for b in created][:5]
    assert wait_until(lambda: all_tasks(reference) == [], timeout=10), [t["name"] for t in all_tasks(reference)]


def test_deletes_that_fail_are_reported_as_left_not_removed(reference: ReferenceServer, proxy: HostileProxy,
                                                            proxied_config: Callable[..., Path],
                                                            tmp_path: Path) -> None:
    boom = json_answer(b'{"message": "boom"}', "500 Internal Server Error")
    proxy.rules.append((lambda r: r.method == "DELETE", boom))
    result = run_suite(proxied_config(cleanup_timeout="5"), tmp_path / "reports", "--", "-k", CREATES)
    left = result.results()["leftovers"]
    remaining = [t for t in all_tasks(reference)]
    assert remaining, "the server kept the tasks"
    assert len(left) == len(remaining), (left, [t["name"] for t in remaining])
    assert all("its delete was answered 500" in item for item in left), left
    assert result.results()["swept"] == []
    assert "task(s) of this run are still on the target" in result.output


def test_a_rate_limited_cleanup_reports_what_it_could_not_remove(reference: ReferenceServer, proxy: HostileProxy,
                                                                 proxied_config: Callable[..., Path],
                                                                 tmp_path: Path) -> None:
    proxy.rules.append((lambda r: r.method == "DELETE", rate_limited(None, retry_after="30")))
    started = time.monotonic()
    result = run_suite(proxied_config(cleanup_timeout="3", max_retries_429="5"), tmp_path / "reports",
                       "--", "-k", CREATES)
    assert time.monotonic() - started < 45, "a 429 with Retry-After: 30 was waited for beyond the cleanup's time"
    left = result.results()["leftovers"]
    assert left and len(left) == len(all_tasks(reference))
    assert all("429" in item for item in left), left


def _lists_once_the_prefix_is_known(listing: Callable[[str], bytes]) -> list[tuple[Callable, Callable]]:
    """Proxy rules: once the run's first create shows its prefix, every list is answered `listing(prefix)`."""
    state: dict[str, str] = {}

    def remember_prefix(request: Request) -> bool:
        if _is_create(request) and request.body.startswith(b"{"):
            name = json.loads(request.body).get("name") or ""
            state.setdefault("prefix", "-".join(str(name).split("-")[:2]))
        return False

    def is_list_with_prefix(request: Request) -> bool:
        return request.method == "GET" and request.path.endswith("/tasks") and "prefix" in state

    async def answer(request: Request, writer: object, p: HostileProxy) -> None:
        await json_answer(listing(state["prefix"]))(request, writer, p)  # type: ignore[arg-type]

    return [(remember_prefix, json_answer(b"")), (is_list_with_prefix, answer)]


def test_a_list_flooded_with_prefixed_tasks_keeps_the_sweep_bounded(reference: ReferenceServer, proxy: HostileProxy,
                                                                    proxied_config: Callable[..., Path],
                                                                    tmp_path: Path) -> None:
    """Once the run's prefix is known (from its first create), every list answers 15,000 tasks carrying it that
    the run never made: the sweep deletes none of them (only what the ledger holds), and the report names a few and
    counts the rest."""
    fake = [{"id": f"00000000-0000-4000-8000-{i:012d}", "name": f"{{prefix}}-fake-{i}"} for i in range(15_000)]
    template = json.dumps({"tasks": fake, "count": len(fake)})
    proxy.rules += _lists_once_the_prefix_is_known(lambda prefix: template.replace("{prefix}", prefix).encode())
    started = time.monotonic()
    result = run_suite(proxied_config(cleanup_timeout="20"), tmp_path / "reports", "--", "-k", CREATES)
    elapsed = time.monotonic() - started
    creates = sum(1 for r in proxy.requests if _is_create(r))
    fake_deletes = sum(1 for r in proxy.requests if r.method == "DELETE" and "00000000-0000-4000-8000-" in r.path)
    assert creates and fake_deletes == 0, (fake_deletes, creates)
    assert elapsed < 60, elapsed
    results = result.results()
    assert results["cleanup_abandoned"] is None
    foreign = results["foreign_tasks"]
    assert len(foreign) == 11 and foreign[-1] == "and 14990 more", foreign[-3:]
    assert results["leftovers"] == [] and all_tasks(reference) == []  # the run's own tasks went as usual


def test_a_foreign_task_with_a_huge_hostile_name_is_reported_bounded_and_plain(
        reference: ReferenceServer, proxy: HostileProxy, proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """A list shows a task carrying the run's prefix whose name (server-supplied) is 200,000 characters with a
    terminal escape in it: the cleanup's report names it in a bounded line, the escape neutralized, in results.json
    and on the terminal alike."""
    def listing(prefix: str) -> bytes:
        task = {"id": "00000000-0000-4000-8000-000000000001", "name": f"{prefix}-\x1b[2J" + "y" * 200_000}
        return json.dumps({"tasks": [task], "count": 1}).encode()

    proxy.rules += _lists_once_the_prefix_is_known(listing)
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k", CREATES)
    foreign = result.results()["foreign_tasks"]
    assert len(foreign) == 1 and "\x1b" not in foreign[0] and len(foreign[0]) < 2_000, (len(foreign[0]),
                                                                                           foreign[0][:80])
    assert "\x1b[2J" not in result.output and max(len(line) for line in result.output.splitlines()) < 2_000
