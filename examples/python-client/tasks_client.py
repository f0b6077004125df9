"""A small client of Coder's AI Tasks API, of the kind a bot or a CI action carries: create a task, wait for it,
send it input, read its log, pause it, delete it.

It speaks every generation of the API: the stable one (`/api/v2`, Coder v2.29 on), the experimental one
(`/api/experimental`, v2.28) and the legacy one (v2.27 and before: a task is a workspace, its status a workspace
status, and its create body names the prompt `prompt`). Its tests (tests/) run it against a fake Coder of each
generation with tasks-conformance's `coder_tasks_server` fixture.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

# A legacy task shows its workspace's status; the client speaks of task statuses.
LEGACY_STATUS = {"pending": "pending", "starting": "initializing", "running": "active", "stopping": "paused",
                 "stopped": "paused", "failed": "error", "canceling": "error", "canceled": "unknown",
                 "deleting": "unknown", "deleted": "unknown"}


class TasksError(Exception):
    """The server refused a request: its status code and Coder's message."""

    def __init__(self, status: int, message: str, detail: str = "") -> None:
        super().__init__(f"{status} {message}" + (f" ({detail})" if detail else ""))
        self.status, self.message, self.detail = status, message, detail


class AgentNotReady(TasksError):
    """The task's agent cannot take input now (Coder answers 409 from v2.32, 502 before): try again later."""


@dataclass(frozen=True)
class Task:
    id: str
    name: str
    status: str  # a task status: pending, initializing, active, paused, error, unknown


class TasksClient:
    def __init__(self, url: str, token: str, *, api_prefix: str = "/api/v2", legacy: bool = False,
                 poll_interval: float = 0.02) -> None:
        self.http = httpx.Client(base_url=url.rstrip("/") + api_prefix + "/tasks",
                                 headers={"Coder-Session-Token": token}, timeout=10.0)
        self.legacy = legacy
        self.poll_interval = poll_interval

    def close(self) -> None:
        self.http.close()

    def create(self, prompt: str, template_version_id: str, *, name: str | None = None) -> Task:
        body: dict[str, Any] = {"template_version_id": template_version_id,
                                ("prompt" if self.legacy else "input"): prompt}
        if name:
            body["name"] = name
        return self._task(self._call("POST", "/me", json=body).json())

    def get(self, task_id: str) -> Task:
        return self._task(self._call("GET", f"/me/{task_id}").json())

    def send(self, task_id: str, text: str) -> None:
        self._call("POST", f"/me/{task_id}/send", json={"input": text})

    def logs(self, task_id: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/me/{task_id}/logs").json()["logs"])

    def pause(self, task_id: str) -> None:
        """Stop the task's workspace (Coder v2.32 on; earlier releases answer 404)."""
        self._call("POST", f"/me/{task_id}/pause")

    def delete(self, task_id: str) -> None:
        self._call("DELETE", f"/me/{task_id}")

    def wait_for(self, task_id: str, status: str, timeout: float = 10.0) -> Task:
        """Poll the task until it has `status`; TimeoutError when it does not in time."""
        deadline = time.monotonic() + timeout
        while (task := self.get(task_id)).status != status:
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} is {task.status}, not {status}, after {timeout} s")
            time.sleep(self.poll_interval)
        return task

    def wait_for_reply(self, task_id: str, timeout: float = 10.0) -> str:
        """The agent's answer to the last input: the first output entry logged after it."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.logs(task_id)
            last_input = max((i for i, e in enumerate(entries) if e["type"] == "input"), default=-1)
            replies = [e["content"] for e in entries[last_input + 1:] if e["type"] == "output"]
            if replies:
                return str(replies[0])
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply from task {task_id} after {timeout} s")
            time.sleep(self.poll_interval)

    def _task(self, body: dict[str, Any]) -> Task:
        status = str(body["status"])
        return Task(str(body["id"]), str(body["name"]), LEGACY_STATUS.get(status, status) if self.legacy else status)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.is_success:
            return response
        try:
            error = response.json()
        except ValueError:
            error = {"message": response.text}
        message, detail = str(error.get("message", "")), str(error.get("detail", ""))
        busy = response.status_code == 502 or (response.status_code == 409 and "not ready" in message)
        raise (AgentNotReady if busy else TasksError)(response.status_code, message, detail)
