"""Every named variation really changes what the server answers (and the registry's plumbing works).

``PROBES`` maps each variation to a probe (a function of the API returning an observation) and the observation the
reference gives without variations. Each variation's test runs its probe with no variations (the baseline), with
only that variation on (must differ) and off again (must be the baseline again, unless the probe says the change
stays). Whether the suite accepts each variation is tests/faults/test_probes.py's job.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from ref_support import (
    NOT_FOUND,
    Api,
    Probe,
    assert_switch_changes_the_answer,
    error_message,
    home_profile,
    poll,
    switched_api,
    unique,
)

from conformance.reference import VARIATIONS, VARIATIONS_ENV_VAR, ReferenceServer, list_variations
from conformance.reference.variations import ActiveVariations, parse_variation_list, variations_from_env

REPO_ROOT = Path(__file__).resolve().parents[2]
def _active(api: Api, as_: str = "alice") -> dict[str, Any]:
    return api.create_active(as_=as_, input="")


def _becomes_active_quickly(api: Api) -> bool:
    task = api.create()
    try:
        api.wait_active(task["id"], timeout=0.5)
    except AssertionError:
        return False
    return True


def _deleted_task_get_status(api: Api) -> int:
    task = api.create()
    assert api.delete(f"/tasks/me/{task['id']}").status_code == 202
    return api.get(f"/tasks/me/{task['id']}").status_code


def _sent_input_visible_at_once(api: Api) -> bool:
    task = _active(api)
    text = f"probe {uuid.uuid4()}"
    assert api.send(task["id"], text).status_code == 204
    return any(entry["content"] == text for entry in api.logs(task["id"]))


def _own_task_under_bob(api: Api) -> int:
    return api.get(f"/tasks/bob/{api.create()['id']}").status_code


def _admin_sees_a_paused_task(api: Api) -> bool:
    return any(task["status"] == "paused" for task in api.list_tasks(as_="admin").json()["tasks"])


def _first_send_status(api: Api) -> int:
    return api.send(_active(api)["id"], "hello").status_code


def _cookie_only_create(api: Api) -> tuple[int, str]:
    """A create authenticated by the session cookie alone (and, for contrast, a list: GET is never checked)."""
    cookie = {"Cookie": f"coder_session_token={api.tokens['alice']}"}
    created = api.post("/tasks/me", as_=None, headers=cookie,
                       json={"input": "cookie", "name": unique(), "template_version_id": api.ai_version})
    assert api.get("/tasks", as_=None, headers=cookie).status_code == 200
    return created.status_code, created.headers["content-type"].split(";")[0]


def _bearer_list_status(api: Api) -> int:
    return api.get("/tasks", as_=None, headers={"Authorization": f"Bearer {api.tokens['alice']}"}).status_code


def _first_key(body: dict[str, Any]) -> str:
    return next(iter(body))


PROBES: dict[str, Probe] = {
    "extra-response-fields": Probe(lambda api: "reference_server" in api.create(), False),
    "json-without-charset": Probe(lambda api: api.list_tasks().headers["content-type"],
                                  "application/json; charset=utf-8"),
    "json-charset-uppercase": Probe(lambda api: api.list_tasks().headers["content-type"],
                                    "application/json; charset=utf-8"),
    "reordered-keys": Probe(lambda api: _first_key(api.create()), "id"),
    "omitempty-fields-absent": Probe(lambda api: "workspace_status" in api.create(), True),
    "later-release-fields": Probe(lambda api: "display_name" in api.create(), False),
    "current-state-null": Probe(lambda api: _active(api)["current_state"] is None, False),
    "timestamp-formats": Probe(lambda api: api.create()["created_at"].endswith("+00:00"), False),
    "extra-response-headers": Probe(lambda api: "x-frame-options" in api.list_tasks().headers, False),
    "gzip-responses": Probe(lambda api: api.list_tasks().headers.get("content-encoding"), None),
    "no-build-version": Probe(lambda api: ("x-coder-build-version" in api.list_tasks().headers,
                                           api.get("/api/v2/buildinfo", prefixed=False).status_code), (True, 200)),
    "error-wording": Probe(lambda api: error_message(api.get(f"/tasks/me/{uuid.uuid4()}")), NOT_FOUND),
    "not-active-409": Probe(lambda api: api.send(api.create()["id"], "early").status_code, 400),
    "unknown-user-404": Probe(lambda api: api.get(f"/tasks/nobody-at-all/{uuid.uuid4()}").status_code, 400),
    "user-scoped-uuid-lookup": Probe(_own_task_under_bob, 200),
    "create-for-other-404": Probe(lambda api: api.create_raw(user="bob", name=unique()).status_code, 403),
    "create-empty-input-400": Probe(lambda api: api.create_raw(input="", name=unique()).status_code, 201),
    "coder-bad-status-500": Probe(lambda api: api.list_tasks("status:bogus").status_code, 400),
    "coder-nul-500": Probe(lambda api: (api.get("/tasks/me/%00").status_code, api.list_tasks("owner:\x00").status_code,
                                        api.create_raw(name=unique(), input="a\x00b").status_code), (404, 400, 201)),
    "member-username-lookup-refused": Probe(lambda api: api.list_tasks("owner:bob").status_code, 200),
    "coder-csrf": Probe(_cookie_only_create, (201, "application/json")),
    "unknown-route-before-auth": Probe(lambda api: api.get("/no-such-route", as_=None).status_code, 401),
    "preexisting-tasks": Probe(_admin_sees_a_paused_task, False, reversible=False),
    "workspace-null-at-create": Probe(lambda api: api.create()["workspace_id"] is None, False),
    "delayed-delete": Probe(_deleted_task_get_status, 404),
    "delete-while-building-409": Probe(lambda api: api.delete(f"/tasks/me/{api.create()['id']}").status_code, 202),
    "slow-startup": Probe(_becomes_active_quickly, True),
    "instant-startup": Probe(lambda api: api.create()["status"], "initializing"),  # v2.28: queued is initializing
    "agent-busy-first": Probe(_first_send_status, 204),
    "app-initializing-first": Probe(_first_send_status, 204),
    "logs-lag": Probe(_sent_input_visible_at_once, True),
    "logs-snapshot-when-not-active": Probe(
        lambda api: api.get(f"/tasks/me/{api.create()['id']}/logs").status_code, 400),
    "no-bearer-or-access-token": Probe(_bearer_list_status, 200),
    "no-name-lookup": Probe(lambda api: api.get(f"/tasks/me/{api.create()['name']}").status_code, 200),
    "pause-answers-build-id": Probe(lambda api: "workspace_build" in api.pause(_active(api)["id"]).json(), True),
}


def test_every_variation_has_a_probe() -> None:
    assert sorted(PROBES) == sorted(VARIATIONS), "variations without probes (or probes without variations)"


@pytest.mark.parametrize("name", list(VARIATIONS))
def test_variation_changes_the_answer(switch_servers: Any, name: str) -> None:
    server = switch_servers(home_profile(VARIATIONS[name].profiles))
    for api in switched_api(server, server.set_variations):
        assert_switch_changes_the_answer("variation", name, PROBES.get(name), api, server.set_variations,
                                         lambda: server.variations)


def test_the_delayed_delete_takes_effect() -> None:
    with ReferenceServer(lifecycle_delay=0, variations=["delayed-delete"]) as server:
        api = Api(server)
        try:
            task = api.create()
            assert api.delete(f"/tasks/me/{task['id']}").status_code == 202
            assert task["id"] in api.list_ids()
            assert api.delete(f"/tasks/me/{task['id']}").status_code == 202  # accepted again while pending
            poll(lambda: api.get(f"/tasks/me/{task['id']}").status_code, lambda code: code == 404, timeout=3)
            assert task["id"] not in api.list_ids()
            assert api.delete(f"/tasks/me/{task['id']}").status_code == 404
        finally:
            api.close()


@pytest.mark.parametrize(("profile", "variation", "busy"), [
    ("experimental", "agent-busy-first", (502, "Task app is not ready to accept input.")),
    ("legacy", "app-initializing-first", (503, "Task sidebar app is initializing. Try again shortly.")),
])
def test_the_agent_is_busy_only_once_per_task_and_operation(profile: str, variation: str,
                                                             busy: tuple[int, str]) -> None:
    with ReferenceServer(profile=profile, lifecycle_delay=0, reply_delay=0, variations=[variation]) as server:
        api = Api(server)
        try:
            task = api.create_active(input="")
            assert api.send(task["id"], "").status_code == 400  # input is checked before the agent is asked
            first = api.send(task["id"], "one")
            assert (first.status_code, first.json()["message"]) == busy
            assert api.send(task["id"], "two").status_code == 204
            assert api.get(f"/tasks/me/{task['id']}/logs").status_code == busy[0]
            assert [e["content"] for e in api.logs(task["id"]) if e["type"] == "input"] == ["two"]
        finally:
            api.close()


def test_the_environment_variable_switches_variations_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIATIONS_ENV_VAR, "instant-startup, reordered-keys")
    with ReferenceServer() as server:
        assert server.variations == {"instant-startup", "reordered-keys"}
    with ReferenceServer(variations=["gzip-responses"]) as server:  # explicit names win over the environment
        assert server.variations == {"gzip-responses"}
    monkeypatch.setenv(VARIATIONS_ENV_VAR, "no-such-variation")
    with pytest.raises(ValueError, match="no-such-variation"):
        ReferenceServer()


def test_variation_names_are_validated() -> None:
    assert parse_variation_list(" gzip-responses ,, reordered-keys") == {"gzip-responses", "reordered-keys"}
    assert variations_from_env({}) == frozenset()
    with pytest.raises(ValueError, match="valid variations are"):
        parse_variation_list("bogus")
    with pytest.raises(KeyError):
        ActiveVariations().enabled("bogus")
    with ReferenceServer(variations=[]) as server, pytest.raises(ValueError):
        server.set_variations(["gzip-responses", "bogus"])


def test_the_registry_shape() -> None:
    variations = list_variations()
    assert [v.name for v in variations] == list(VARIATIONS)
    for variation in variations:
        assert variation.description and "\n" not in variation.description
        assert isinstance(variation.warns, tuple)


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    clean.update(env or {})
    return subprocess.run([sys.executable, "-m", "conformance.serve", *args], cwd=REPO_ROOT, env=clean,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)


def test_serve_lists_the_variations() -> None:
    result = _serve("--list-variations")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(list_variations("stable"))  # the default profile's
    for line, variation in zip(lines, list_variations("stable"), strict=True):
        assert line.startswith(variation.name) and variation.description in line


@pytest.mark.parametrize(("args", "env"), [(("--variations", "gzip-responses,nope"), None),
                                           ((), {VARIATIONS_ENV_VAR: "bogus-variation"})], ids=["flag", "env"])
def test_serve_refuses_unknown_variations(args: tuple[str, ...], env: dict[str, str] | None) -> None:
    result = _serve("--port", "0", *args, env=env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "unknown variation" in result.stderr
