"""Creating, awaiting and cleaning up the tasks that checks need."""

from __future__ import annotations

import time
from typing import Any

import httpx

from conformance.contracts.contract import task_statuses
from conformance.runner import expect
from conformance.runner.client import ApiClient, TransportError
from conformance.runner.session import CreatedTask, RunContext

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
        """Create a task for a check and register it for cleanup.

        Lenient on purpose: any 2xx with a JSON task id will do, so that a wrong create status, content type or
        body schema fails only the create requirements that check those, not every check that needs a task.
        """
        response = client.create_task(body if body is not None else self.body(label, **body_args), user=user)
        task = self.adopt_response(client, response)
        if task is None:  # the create checks judge the answer; this check cannot run without a task
            raise expect.blocked(f"could not create a task for this check: expected 201 with a task, got "
                                 f"{response.status_code} for {expect.describe(response)}")
        return task

    def adopt_response(self, client: ApiClient, response: httpx.Response) -> dict[str, Any] | None:
        """If a create answered 2xx with a task id, register the task for cleanup and return its body.

        Only a create (a POST that is not a send) can make a task: other answers are left alone, so a get that
        wrongly succeeds never schedules someone else's task for deletion.
        """
        request = response.request
        if request.method != "POST" or request.url.path.endswith("/send"):
            return None
        if not 200 <= response.status_code < 300:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            self.adopt(client, body)
            return body
        return None

    def adopt(self, client: ApiClient, task: dict[str, Any]) -> None:
        """Register a task created some other way, so it is cleaned up."""
        self._mine.append((client, task["id"]))
        self.run.remember(CreatedTask(task["id"], str(task.get("name", "")), client.name))

    def get(self, client: ApiClient, task_id: str) -> dict[str, Any]:
        """The task as get returns it (200 and a JSON object with a status; the schema is GET-SCHEMA's job)."""
        response = client.get_task(task_id)
        expect.status(response, 200)
        try:
            task = response.json()
        except ValueError:
            task = None
        if not isinstance(task, dict) or "status" not in task:
            raise expect.fail(f"expected a task object with a status from {expect.describe(response)}, "
                              f"got {response.text[:160]!r}")
        return task

    def wait_active(self, client: ApiClient, task: dict[str, Any]) -> dict[str, Any]:
        """Poll get until the task is active. Blocked (expect.Blocked) when it leaves the starting states, the
        deadline passes or get does not answer with it: the check cannot run without an active task."""
        settings = self.run.config.run

        def done(t: dict[str, Any]) -> bool:
            if t["status"] not in (ACTIVE, *STARTING):
                message = f"task {t['id']} went from starting to {t['status']!r} instead of 'active'"
                if t["status"] in task_statuses():
                    raise expect.blocked(message, "LIFE-REACHES-ACTIVE")
                # A check that judges the get body (GET-SCHEMA) fails on this rather than being blocked by it.
                raise expect.blocked(f"{message}, and {t['status']!r} is not a documented task status "
                                     "(TaskStatus)", "LIFE-REACHES-ACTIVE", "GET-SCHEMA")
            return bool(t["status"] == ACTIVE)

        self._refuse_to_wait_again()
        started = time.monotonic()
        try:
            return expect.poll(
                lambda: self.get(client, task["id"]), done, timeout=settings.active_timeout,
                interval=settings.poll_interval, waiting_for=f"task {task['id']} to become active",
                last=lambda t: f"status {t['status']!r}",
            )
        except expect.Blocked:
            raise
        except expect.CheckFailure as exc:  # the deadline passed, or get did not answer with the task
            if time.monotonic() - started < settings.active_timeout:
                raise expect.blocked(str(exc), *exc.requirements) from exc
            self.run.start_timed_out = str(exc)
            raise expect.blocked(str(exc), "LIFE-REACHES-ACTIVE") from exc

    def create_active(self, client: ApiClient, label: str = "task", **kw: Any) -> dict[str, Any]:
        self._refuse_to_wait_again()
        return self.wait_active(client, self.create(client, label, **kw))

    def _refuse_to_wait_again(self) -> None:
        """Once a task took longer than active_timeout to start (the lifecycle check reports it), the checks that
        need an active task fail their set-up at once instead of each waiting the whole timeout again: on a real
        deployment that is minutes per check."""
        if self.run.start_timed_out is not None:
            raise expect.blocked(f"not waiting again for a task to become active: earlier, "
                                 f"{self.run.start_timed_out}", "LIFE-REACHES-ACTIVE")

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
