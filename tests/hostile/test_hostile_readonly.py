"""Safe on production: behind a gateway that fills in a template version for creates the server should refuse (a
legitimate thing for a gateway or mock to do), read-only mode sends no unsafe request with a valid token and leaves
nothing; a full run leaves nothing it caused, or names it; tasks that carry the run's prefix but that it did not
create are reported, never touched."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import httpx
from hostile_support import (
    SESSION_HEADER,
    HostileProxy,
    Request,
    Writer,
    all_tasks,
    response_bytes,
    run_suite,
)

from conformance.reference import ReferenceServer

SAFE = ("GET", "HEAD", "OPTIONS", "TRACE", "QUERY")


def _is_create(request: Request) -> bool:
    return request.method == "POST" and request.path.rstrip("/").rsplit("/", 2)[-2:-1] == ["tasks"]


def gateway(template_version_id: str, made: list[str] | None = None) -> tuple[Callable[[Request], bool],
                                                                               Callable[..., object]]:
    """A rule: a create whose JSON object body lacks the AI template version gets it filled in, then goes on; the
    ids of the tasks it so made go to `made`."""

    def match(request: Request) -> bool:
        if not _is_create(request):
            return False
        try:
            body = json.loads(request.body)
        except ValueError:
            return False
        return isinstance(body, dict) and body.get("template_version_id") != template_version_id

    async def fill_in(request: Request, writer: Writer, proxy: HostileProxy) -> None:
        body = dict(json.loads(request.body), template_version_id=template_version_id)
        data = json.dumps(body).encode()
        headers = [(k, str(len(data)) if k.lower() == "content-length" else v) for k, v in request.headers]
        filled = Request(request.method, request.target, request.version, headers, data)
        status, answer_headers, answer = await proxy.fetch_upstream(filled)
        if made is not None and status.split(" ")[1].startswith("2"):
            made.append(json.loads(answer)["id"])
        kept = [(k, v) for k, v in answer_headers if k.lower() != "connection"] + [("Connection", "close")]
        writer.write(response_bytes(status.split(" ", 1)[1], kept, answer))
        await writer.drain()
        writer.close()

    return match, fill_in


def _with_valid_token(request: Request, tokens: list[str]) -> bool:
    """The token anywhere in the request as it reached the proxy: target (raw and decoded), header names and values,
    body. Judged apart from the gate's own code."""
    raw = "\n".join([request.target, unquote(request.target), *(f"{k}: {v}" for k, v in request.headers),
                      request.body.decode("latin-1")])
    return any(token in raw for token in tokens)


def test_read_only_behind_a_gateway_sends_nothing_unsafe_with_a_valid_token(
        reference: ReferenceServer, proxy: HostileProxy, proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    proxy.rules.append(gateway(reference.target_config()["template_version_id"]))
    result = run_suite(proxied_config(read_only="true", fuzz_budget="20"), tmp_path / "reports")
    assert result.code == 0, result.output[-3000:]
    config = reference.target_config()
    tokens = [config[k] for k in ("token", "second_token", "admin_token")]  # whole (a bad token may share a half)
    unsafe = [f"{r.method} {r.path}" for r in proxy.requests if r.method not in SAFE and _with_valid_token(r, tokens)]
    assert unsafe == [], unsafe[:10]
    assert any(r.method not in SAFE for r in proxy.requests), "no unsafe request at all: the test proves nothing"
    assert all_tasks(reference) == [], [t["name"] for t in all_tasks(reference)]
    assert result.results()["read_only"] is True and result.results()["leftovers"] == []


def test_a_full_run_behind_a_gateway_leaves_nothing_it_caused(reference: ReferenceServer, proxy: HostileProxy,
                                                              proxied_config: Callable[..., Path],
                                                              tmp_path: Path) -> None:
    """The creates the server should refuse (no template version, `{"input": "x"}`) make tasks through the
    gateway: each is known by its id, deleted, and the checks that sent them fail."""
    made: list[str] = []
    proxy.rules.append(gateway(reference.target_config()["template_version_id"], made))
    result = run_suite(proxied_config(fuzz_budget="5"), tmp_path / "reports", "--", "-k",
                       "test_general or test_create or test_gate")
    assert result.code == 1, result.output[-3000:]
    results = result.results()
    failed = {r["id"] for r in results["requirements"] if r["status"] == "failed"}
    assert {"CREATE-MISSING-FIELDS-400", "CREATE-TEMPLATE-UNKNOWN-400"} & failed, failed
    assert all_tasks(reference) == [], [t["name"] for t in all_tasks(reference)]
    assert results["leftovers"] == [] and results["unknown_tasks"] == []
    deleted = {r.path.rsplit("/", 1)[-1] for r in proxy.requests if r.method == "DELETE"}
    assert made and set(made) <= deleted, "a task the gateway made was not deleted by its id"


def test_tasks_carrying_the_prefix_that_the_run_did_not_create_are_named_not_touched(
        reference: ReferenceServer, proxy: HostileProxy, proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """Once the run's prefix is known (its first create), three tasks carrying it appear that the run never made:
    another user's (seen only through the admin token), the second member's, one whose prompt merely starts with
    it."""
    config = reference.target_config()
    made: list[str] = []

    def plant(request: Request) -> bool:
        if _is_create(request) and not made and request.body.startswith(b"{"):
            name = str(json.loads(request.body).get("name") or "")
            prefix = "-".join(name.split("-")[:2])
            if prefix.startswith("ct-"):
                for token, name, prompt in ((config["admin_token"], f"{prefix}-admins", "someone's"),
                                            (config["second_token"], f"{prefix}-seconds", "the second's"),
                                            (config["second_token"], "plain-name", f"{prefix} looks like ours")):
                    answer = httpx.post(f"{reference.url}{reference.api_prefix}/tasks/me", timeout=10,
                                        headers={SESSION_HEADER: token},
                                        json={"input": prompt, "name": name,
                                              "template_version_id": config["template_version_id"]})
                    made.append(answer.json()["id"])
        return False

    proxy.rules.append((plant, lambda *a: None))
    result = run_suite(proxied_config(), tmp_path / "reports", "--", "-k",
                       "test_list_includes_a_new_task or test_list_is_newest_first")
    assert result.code == 0, result.output[-3000:]
    assert len(made) == 3
    remaining = {t["id"] for t in all_tasks(reference)}
    assert remaining == set(made), "the run deleted a task it did not create (or left one of its own)"
    assert not [r for r in proxy.requests if r.method == "DELETE" and any(i in r.path for i in made)]
    foreign = result.results()["foreign_tasks"]
    assert len(foreign) == 3 and all(any(i in f for i in made) for f in foreign), foreign
    assert "did not create were left alone" in result.output
