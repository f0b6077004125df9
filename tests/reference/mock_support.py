"""Helpers for the mock's self-tests: a client of one server's Tasks API as one user, and of its control API."""

from __future__ import annotations

from typing import Any

import httpx

from conformance.reference import ReferenceServer
from conformance.reference.mock.control_api import CONTROL_PREFIX


class Client:
    """The Tasks API of one server, as the user whose token it holds."""

    def __init__(self, server: ReferenceServer, token: str) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url + server.api_prefix, timeout=10,
                                 headers={"Coder-Session-Token": token})

    def get(self, task_id: str) -> httpx.Response:
        return self.http.get(f"/tasks/me/{task_id}")

    def task(self, task_id: str) -> dict[str, Any]:
        answer = self.get(task_id)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def logs(self, task_id: str) -> httpx.Response:
        return self.http.get(f"/tasks/me/{task_id}/logs")

    def send(self, task_id: str, text: str) -> httpx.Response:
        return self.http.post(f"/tasks/me/{task_id}/send", json={"input": text})

    def create(self, prompt: str, version: str | None = None, **fields: str) -> httpx.Response:
        body = {"input": prompt, "template_version_id": version or self.server.template_versions.ai, **fields}
        return self.http.post("/tasks/me", json=body)

    def list(self) -> httpx.Response:
        return self.http.get("/tasks")


def control(server: ReferenceServer, method: str, path: str, body: Any = None) -> httpx.Response:
    """One request to the server's control API."""
    return httpx.request(method, f"{server.url}{CONTROL_PREFIX}{path}", json=body, timeout=10)


def outputs(client: Client, task_id: str) -> list[str]:
    """The contents of the output entries of an active task's log."""
    answer = client.logs(task_id)
    assert answer.status_code == 200, answer.text
    return [entry["content"] for entry in answer.json()["logs"] if entry["type"] == "output"]
