"""Helpers for the reference server's self-tests: a small typed client over real HTTP, polling, and the harness
that proves each named switch (fault or variation) changes what the server answers."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from conformance.reference import ReferenceServer

T = TypeVar("T")

SIGNED_OUT = "You are signed out or your session has expired. Please sign in again to continue."
NOT_FOUND = "Resource not found or you do not have access to this resource"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

_ANON = object()


def unique(prefix: str = "t") -> str:
    """A valid, unique task name."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def poll(
    fetch: Callable[[], T], done: Callable[[T], bool], *, timeout: float = 5.0, interval: float = 0.01
) -> T:
    """Call ``fetch`` until ``done(result)``; fail with the last result when the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if done(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last result: {result!r}")
        time.sleep(interval)


class Api:
    """Talks to one reference server as alice, bob, admin, anonymous, or with any raw token."""

    def __init__(self, server: ReferenceServer) -> None:
        self.server = server
        self.config = server.target_config()
        self.base = self.config["url"]
        self.prefix = self.config["api_prefix"]
        self.tokens = {
            "alice": self.config["token"],
            "bob": self.config["second_token"],
            "admin": self.config["admin_token"],
        }
        self.ids = server.identities
        self.ai_version = self.config["template_version_id"]
        self.plain_version = self.config["non_ai_template_version_id"]
        self.client = httpx.Client(base_url=self.base, timeout=10.0)

    def close(self) -> None:
        self.client.close()

    def user_id(self, who: str) -> str:
        return self.ids.users[who].id

    def request(
        self,
        method: str,
        path: str,
        *,
        as_: str | None = "alice",
        prefixed: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """``as_``: a user name or None (no token). ``path`` is under the API prefix if ``prefixed``."""
        all_headers = dict(headers or {})
        if as_ is not None:
            all_headers.setdefault("Coder-Session-Token", self.tokens[as_])
        url = (self.prefix + path) if prefixed else path
        return self.client.request(method, url, headers=all_headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def create_raw(self, *, as_: str = "alice", user: str = "me", **body: Any) -> httpx.Response:
        body.setdefault("template_version_id", self.ai_version)
        body.setdefault("input", "Write a haiku about conformance")
        return self.post(f"/tasks/{user}", as_=as_, json=body)

    def create(self, *, as_: str = "alice", user: str = "me", **body: Any) -> dict[str, Any]:
        body.setdefault("name", unique())
        response = self.create_raw(as_=as_, user=user, **body)
        assert response.status_code == 201, response.text
        task: dict[str, Any] = response.json()
        return task

    def task(self, task_id: str, *, as_: str = "alice", user: str = "me") -> dict[str, Any]:
        response = self.get(f"/tasks/{user}/{task_id}", as_=as_)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    @property
    def active(self) -> str:
        """The status of an active task in this server's generation ("running" in legacy)."""
        return self.server.generation.profile.active

    def wait_status(self, task_id: str, status: str, *, as_: str = "alice", timeout: float = 5.0) -> dict[str, Any]:
        return poll(lambda: self.task(task_id, as_=as_), lambda t: t["status"] == status, timeout=timeout)

    def wait_active(self, task_id: str, *, as_: str = "alice", timeout: float = 5.0) -> dict[str, Any]:
        return self.wait_status(task_id, self.active, as_=as_, timeout=timeout)

    def create_active(self, *, as_: str = "alice", **body: Any) -> dict[str, Any]:
        task = self.create(as_=as_, **body)
        return task if task["status"] == self.active else self.wait_active(task["id"], as_=as_)

    def pause(self, task_id: str, *, as_: str = "alice", user: str = "me") -> httpx.Response:
        return self.post(f"/tasks/{user}/{task_id}/pause", as_=as_)

    def resume(self, task_id: str, *, as_: str = "alice", user: str = "me") -> httpx.Response:
        return self.post(f"/tasks/{user}/{task_id}/resume", as_=as_)

    def update_input(self, task_id: str, text: str, *, as_: str = "alice", user: str = "me") -> httpx.Response:
        return self.request("PATCH", f"/tasks/{user}/{task_id}/input", as_=as_, json={"input": text})

    def create_paused(self, *, as_: str = "alice", **body: Any) -> dict[str, Any]:
        """A task of the stable generation, active and then paused."""
        task = self.create_active(as_=as_, **body)
        assert self.pause(task["id"], as_=as_).status_code == 202
        return self.wait_status(task["id"], "paused", as_=as_)

    def list_tasks(self, q: str | None = None, *, as_: str = "alice") -> httpx.Response:
        params = {"q": q} if q is not None else None
        return self.get("/tasks", as_=as_, params=params)

    def list_ids(self, q: str | None = None, *, as_: str = "alice") -> list[str]:
        response = self.list_tasks(q, as_=as_)
        assert response.status_code == 200, response.text
        return [task["id"] for task in response.json()["tasks"]]

    def logs(self, task_id: str, *, as_: str = "alice") -> list[dict[str, Any]]:
        response = self.get(f"/tasks/me/{task_id}/logs", as_=as_)
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()["logs"]
        return entries

    def send(self, task_id: str, text: str, *, as_: str = "alice", user: str = "me") -> httpx.Response:
        return self.post(f"/tasks/{user}/{task_id}/send", as_=as_, json={"input": text})


@contextmanager
def served_api(**options: Any) -> Iterator[Api]:
    """A reference server made with ``options``, and a client of it; afterwards, the server must not have met an
    error it did not expect."""
    with ReferenceServer(**options) as server:
        api = Api(server)
        try:
            yield api
        finally:
            api.close()
        assert server.unexpected_errors == [], server.unexpected_errors


def error_message(response: httpx.Response) -> str:
    """The ``message`` of a JSON error body (asserting it is one)."""
    assert response.headers["content-type"] == "application/json; charset=utf-8", response.headers
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("message"), str), body
    message: str = body["message"]
    return message


# The [target] keys `serve --write-config` writes and ReferenceServer.target_config() returns (at least these).
CONFIG_KEYS = {
    "url",
    "api_prefix",
    "token",
    "second_token",
    "admin_token",
    "template_version_id",
    "non_ai_template_version_id",
}


# --- named switches (faults, variations): each must change what a probe observes ---------------------------------
@dataclass(frozen=True)
class Probe:
    """A function of the API returning an observation, and what the reference answers with no switch on."""

    observe: Callable[[Api], Any]
    expected: Any
    reversible: bool = True  # switching it off again restores `expected`


def home_profile(profiles: tuple[str, ...]) -> str:
    """The generation a switch's probe runs on: experimental (the probes of the switches of every generation are
    written for it), else the switch's own."""
    return "experimental" if "experimental" in profiles else profiles[0]


def switched_api(server: ReferenceServer, switch: Callable[[list[str]], None]) -> Iterator[Api]:
    """A fixture body: a client of `server` with every switch off before and after the test."""
    switch([])
    client = Api(server)
    yield client
    client.close()
    switch([])


def assert_switch_changes_the_answer(kind: str, name: str, probe: Probe | None, api: Api,
                                     switch: Callable[[list[str]], None], switched_on: Callable[[], Any]) -> None:
    """The probe sees `expected` with nothing on, something else with only `name` on, and (if reversible)
    `expected` again once it is off."""
    if probe is None:
        raise AssertionError(f"{kind} {name!r} has no probe in PROBES")
    before = probe.observe(api)
    assert before == probe.expected, f"with no {kind} on, the probe for {name} saw {before!r}"
    switch([name])
    assert switched_on() == {name}
    during = probe.observe(api)
    assert during != probe.expected, f"with {name} on, the probe still saw {during!r}"
    switch([])
    if probe.reversible:
        assert probe.observe(api) == probe.expected, f"switching {name} off did not restore behaviour"
