"""Creating, awaiting and cleaning up the tasks that checks need."""

from __future__ import annotations

from typing import Any

from conformance import expect
from conformance.client import ApiClient, TransportError
from conformance.session import CreatedTask, RunContext

ACTIVE = "active"
STARTING = ("pending", "initializing")


class TaskFactory:
    """Creates tasks for one check and deletes them afterwards, even when the check fails."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self._mine: list[tuple[ApiClient, str]] = []

    def body(self, label: str = "task", *, name: str | None = None, prompt: str | None = None,
             with_name: bool = True) -> dict[str, Any]:
        """A valid create body with the run prefix in the name and the prompt."""
        body: dict[str, Any] = {
            "input": prompt if prompt is not None else f"{self.run.prefix} conformance check: {label}",
            "template_version_id": self.run.config.target.template_version_id,
        }
        if with_name:
            body["name"] = name or self.run.unique_name(label)
        return body

    def create(self, client: ApiClient, label: str = "task", *, user: str = "me",
               body: dict[str, Any] | None = None, **body_args: Any) -> dict[str, Any]:
        """Create a task (201 and a Task body required) and register it for cleanup."""
        response = client.create_task(body if body is not None else self.body(label, **body_args), user=user)
        expect.status(response, 201)
        task = expect.schema(response, "Task")
        self.adopt(client, task)
        return task

    def adopt(self, client: ApiClient, task: dict[str, Any]) -> None:
        """Register a task created some other way, so it is cleaned up."""
        self._mine.append((client, task["id"]))
        self.run.remember(CreatedTask(task["id"], str(task.get("name", "")), client.name))

    def get(self, client: ApiClient, task_id: str) -> dict[str, Any]:
        response = client.get_task(task_id)
        expect.status(response, 200)
        return expect.schema(response, "Task")

    def wait_active(self, client: ApiClient, task: dict[str, Any]) -> dict[str, Any]:
        """Poll get until the task is active (fail if it leaves the starting states or the deadline passes)."""
        settings = self.run.config.run

        def done(t: dict[str, Any]) -> bool:
            if t["status"] not in (ACTIVE, *STARTING):
                raise expect.fail(f"task {t['id']} went from starting to {t['status']!r} instead of 'active'")
            return bool(t["status"] == ACTIVE)

        return expect.poll(
            lambda: self.get(client, task["id"]), done, timeout=settings.active_timeout,
            interval=settings.poll_interval, waiting_for=f"task {task['id']} to become active",
            last=lambda t: f"status {t['status']!r}",
        )

    def create_active(self, client: ApiClient, label: str = "task", **kw: Any) -> dict[str, Any]:
        return self.wait_active(client, self.create(client, label, **kw))

    def cleanup(self) -> None:
        for client, task_id in reversed(self._mine):
            delete_quietly(client, task_id)
            self.run.forget(task_id)
        self._mine.clear()


def delete_quietly(client: ApiClient, task_id: str) -> bool:
    """Delete a task as cleanup; True if it is gone (202 or already 404). Never raises."""
    try:
        response = client.delete_task(task_id, log=_DISCARD)
    except TransportError:
        return False
    return response.status_code in (202, 204, 200, 404)


def sweep(run: RunContext) -> list[str]:
    """Delete every task left by this run (registered or carrying the run prefix); return the leftovers found."""
    leftovers: list[str] = []
    for created in run.created():
        client = run.client(created.owner)
        if client is not None:
            delete_quietly(client, created.id)
        leftovers.append(f"{created.name or created.id} (registered, not deleted by its check)")
        run.forget(created.id)
    for role in ("admin", "primary", "second"):
        client = run.client(role)
        if client is None:
            continue
        try:
            response = client.list_tasks(log=_DISCARD)
            tasks = response.json().get("tasks", []) if response.status_code == 200 else []
        except (TransportError, ValueError, AttributeError):
            continue
        for task in tasks if isinstance(tasks, list) else []:
            name = str(task.get("name", "")) if isinstance(task, dict) else ""
            if name.startswith(run.prefix + "-") and delete_quietly(client, str(task.get("id"))):
                leftovers.append(f"{name} (found by prefix)")
    return leftovers


class _Discard:
    """An evidence sink for cleanup traffic, which is not part of any check's evidence."""

    def add(self, exchange: object) -> None:
        pass


_DISCARD: Any = _Discard()
