"""Creating, awaiting and cleaning up the tasks that checks need."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import httpx

from conformance.contracts.profiles import LEGACY
from conformance.runner.http.client import ApiClient
from conformance.runner.records.evidence import EvidenceLog, parse_json
from conformance.runner.tasks import cleanup, expect, starts, waits
from conformance.runner.tasks.ledger import CreatedTask
from conformance.runner.tasks.session import RunContext


class TaskFactory:
    """Creates tasks for one check and deletes them afterwards, even when the check fails."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self._mine: list[CreatedTask] = []
        self._sent_at: dict[str, float] = {}  # task id -> when its create was sent, for tasks created up front
        self._watched: dict[str, Any] = {}  # task id -> what its up-front watch found

    def body(self, label: str = "task", *, name: str | None = None, prompt: str | None = None,
             with_name: bool = True) -> dict[str, Any]:
        """A valid create body with the run prefix in the name and the prompt."""
        text = prompt if prompt is not None else f"{self.run.prefix} conformance check: {label}"
        body: dict[str, Any] = {"input": text, "template_version_id": self.run.config.target.template_version_id}
        if self.run.terms.profile is LEGACY:  # legacy releases read the prompt as `prompt` (later ones: `input`)
            body["prompt"] = text
        if with_name:
            body["name"] = name or self.run.unique_name(label)
        return body

    def create(self, client: ApiClient, label: str = "task", *, user: str = "me",
               body: dict[str, Any] | None = None, **body_args: Any) -> dict[str, Any]:
        """Create a task for a check and register it for cleanup.

        Lenient on purpose: any 2xx with a JSON task id will do, so that a wrong create status, content type or
        body schema fails only the create requirements that check those, not every check that needs a task.
        """
        started = self.run.starts.take(client.name, label) if body is None and not body_args and user == "me" \
            else None
        if started is not None:  # created up front (runner/tasks/starts.py): its exchanges are this check's evidence
            for exchange in started.log.exchanges:
                self.run.evidence.record(exchange)
            if started.error is not None:
                raise started.error
            assert started.response is not None
            response = started.response
        else:
            response = client.create_task(body if body is not None else self.body(label, **body_args), user=user)
        task = self.adopt_response(client, response)
        if task is None:  # the create checks judge the answer; this check cannot run without a task
            raise expect.blocked(f"could not create a task for this check: expected 201 with a task, got "
                                 f"{response.status_code} for {expect.describe(response)}")
        if self.run.ledger.get(task["id"]) is None:
            raise expect.blocked(f"could not create a task for this check: {expect.describe(response)} answered "
                                 f"{response.status_code} with task {task['id']}, which is not the task this run "
                                 "asked for (it existed before the run, or carries neither the name nor the prompt "
                                 "sent); the suite does not touch it")
        if started is not None:
            self._sent_at[task["id"]] = started.sent_at
            self._watched[task["id"]] = started.watched
        return task

    def watched(self, task_id: str) -> Any:
        """What the watch of an up-front create found (None: the task was not created up front, or not watched)."""
        return self._watched.get(task_id)

    def adopt_response(self, client: ApiClient, response: httpx.Response) -> dict[str, Any] | None:
        """The task a create answered 2xx with (None for any other answer); deleted after the check when it is this
        run's (the ledger claimed it from the answer).

        Only a create can make a task, and only a task the ledger claimed is ever deleted: a get that wrongly
        succeeds, or a create answered with someone else's task, never schedules that task for deletion."""
        body = _task_in(response)
        if body is None:
            return None
        entry = self.run.ledger.get(body["id"])
        if entry is not None and entry not in self._mine:
            self._mine.append(entry)
        return body

    def adopt(self, client: ApiClient, task: dict[str, Any]) -> None:
        """Delete after the check a task of this run found some other way (e.g. made by a create that was refused);
        a task the ledger does not take for this run's is left alone."""
        entry = self.run.ledger.claim(client.name, task)
        if entry is not None and entry not in self._mine:
            self._mine.append(entry)

    def get(self, client: ApiClient, task_id: str, log: EvidenceLog | None = None) -> dict[str, Any]:
        """The task as get returns it (200 and a JSON object with a status; the schema is GET-SCHEMA's job)."""
        response = client.get_task(task_id, log=log)
        expect.status(response, 200)
        try:
            task = parse_json(response.content)
        except ValueError:
            task = None
        if not isinstance(task, dict) or "status" not in task:
            raise expect.fail(f"expected a task object with a status from {expect.describe(response)}"
                              f"{expect.snippet(response) or ' (empty body)'}")
        return task

    def wait_active(self, client: ApiClient, task: dict[str, Any], since: float | None = None) -> dict[str, Any]:
        """Poll get until the task is active (its deadline counted from `since`, or from its create when it was
        created up front).
        Blocked (expect.Blocked) when it leaves the starting states, the deadline passes, an earlier task already
        missed it (waits.ACTIVE: not waiting again), or get does not answer with it: the check cannot run without an
        active task."""
        profile = self.run.terms.profile
        since = since if since is not None else self._sent_at.get(task["id"])

        def done(t: dict[str, Any]) -> bool:
            if t["status"] not in (profile.active, *profile.starting):
                message = f"task {t['id']} went from starting to {t['status']!r} instead of {profile.active!r}"
                if t["status"] in profile.statuses:
                    raise expect.blocked(message, "LIFE-REACHES-ACTIVE")
                # A check that judges the get body (GET-SCHEMA) fails on this rather than being blocked by it.
                raise expect.blocked(f"{message}, and {t['status']!r} is not a task status of the {profile.name} "
                                     "generation", "LIFE-REACHES-ACTIVE", "GET-SCHEMA")
            return bool(t["status"] == profile.active)

        try:
            return self.run.waits.poll(
                waits.ACTIVE, lambda: self.get(client, task["id"]), done,
                waiting_for=f"task {task['id']} to become active", last=lambda t: f"status {t['status']!r}",
                since=since,
            )
        except expect.Blocked:
            raise
        except expect.TimedOut as exc:
            raise expect.blocked(str(exc), waits.ACTIVE.cause) from exc
        except expect.CheckFailure as exc:  # get did not answer with the task
            raise expect.blocked(str(exc), *exc.requirements) from exc

    def create_active(self, client: ApiClient, label: str = "task", **kw: Any) -> dict[str, Any]:
        """A new active task; once a task missed active_timeout, blocked at once ("not waiting again"): on a real
        deployment each wait would cost minutes."""
        self.run.waits.refuse_if_timed_out(waits.ACTIVE)
        return self.wait_active(client, self.create(client, label, **kw))

    def cleanup(self) -> None:
        """Delete this factory's tasks, without waiting for a rate limit: the final sweep (bounded) confirms they
        are gone and retries what was refused."""
        cleanup.delete_all(self._mine, self.run.ledger, self.run.clients(), self.run.transport,
                           self.run.config.run.total_timeout)
        self._mine.clear()


def _task_in(response: httpx.Response) -> dict[str, Any] | None:
    """The task of a 2xx answer: a JSON object with a string id (None otherwise)."""
    if not 200 <= response.status_code < 300:
        return None
    try:
        body = parse_json(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("id"), str) else None


def start_up_front(run: RunContext, names_per_check: Iterable[Iterable[str]]) -> None:
    """Create the tasks the selected checks (each given as the names it uses) will need active: the creates in
    parallel, and back once they are answered (their start-ups, and the lifecycle's watch, go on in the
    background)."""

    def create(order: starts.Order, log: EvidenceLog) -> httpx.Response:
        client = run.client(order.role)
        assert client is not None, f"no client for {order.role}"
        with run.evidence.labelled(f"the up-front create {order.label!r}"):
            return client.create_task(TaskFactory(run).body(order.label), log=log)

    def follow(order: starts.Order, response: httpx.Response, log: EvidenceLog, stopping: threading.Event) -> Any:
        client, task = run.client(order.role), _task_in(response)
        assert client is not None and order.watch is not None
        with run.evidence.labelled(f"the watch of the up-front create {order.label!r}"):
            return order.watch(run, client, task, log, stopping) if task is not None else None

    run.starts.begin(starts.orders_for(names_per_check), create, follow)
    run.starts.wait_answered(run.config.run.total_timeout)


def finish_up_front(run: RunContext) -> None:
    """Delete the tasks created up front that no check took (every check that needed them was blocked or left the
    run): they are the run's own, not leftovers of a check."""
    factory = TaskFactory(run)
    for started in run.starts.close():
        client = run.client(started.order.role)
        if client is not None and started.response is not None:
            factory.adopt_response(client, started.response)
    factory.cleanup()
