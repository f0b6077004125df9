"""Fixtures the checks use: the run, one client per identity, task factories and shared tasks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.runner.http.client import ApiClient
from conformance.runner.run import run_context
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext
from conformance.runner.tasks.starts import up_front


@pytest.fixture(scope="session")
def run(request: pytest.FixtureRequest) -> RunContext:
    return run_context(request.config)


def _client(run: RunContext, role: str) -> ApiClient:
    client = run.client(role)
    assert client is not None
    return client


@pytest.fixture(scope="session")
def api(run: RunContext) -> ApiClient:
    """The primary member."""
    return _client(run, "primary")


@pytest.fixture(scope="session")
def second_api(run: RunContext) -> ApiClient:
    """A second member, who must not see the primary member's tasks."""
    return _client(run, "second")


@pytest.fixture(scope="session")
def admin_api(run: RunContext) -> ApiClient:
    """An owner/admin; checks using it are skipped when no admin token is configured."""
    client = run.client("admin")
    if client is None:
        pytest.skip("no admin token configured (admin_token)")
    return client


@pytest.fixture(scope="session")
def anon_api(run: RunContext) -> ApiClient:
    """No token at all."""
    return _client(run, "anonymous")


@pytest.fixture
def tasks(run: RunContext) -> Iterator[TaskFactory]:
    """Creates tasks for one check; deletes them after it, pass or fail."""
    factory = TaskFactory(run)
    yield factory
    factory.cleanup()


@pytest.fixture(scope="session")
def _session_tasks(run: RunContext) -> Iterator[TaskFactory]:
    factory = TaskFactory(run)
    yield factory
    factory.cleanup()


@pytest.fixture(scope="session")
@up_front("primary", "shared")
def active_task(api: ApiClient, _session_tasks: TaskFactory) -> dict[str, Any]:
    """One active task of the primary member, shared by the checks that only read it (or send to it)."""
    return _session_tasks.create_active(api, "shared")


@pytest.fixture(scope="session")
@up_front("second", "shared2")
def second_active_task(second_api: ApiClient, _session_tasks: TaskFactory) -> dict[str, Any]:
    """One active task of the second member."""
    return _session_tasks.create_active(second_api, "shared2")


@dataclass(frozen=True)
class Identity:
    """Who the primary and second members are, as the server reports them on their tasks."""

    id: str
    username: str
    organization_id: str


@pytest.fixture(scope="session")
def me(active_task: dict[str, Any]) -> Identity:
    return _identity(active_task)


@pytest.fixture(scope="session")
def second_me(second_active_task: dict[str, Any]) -> Identity:
    return _identity(second_active_task)


def _identity(task: dict[str, Any]) -> Identity:
    """Read leniently: a task missing these fields fails CREATE-SCHEMA, not every check that needs an identity."""
    return Identity(str(task.get("owner_id", "")), str(task.get("owner_name", "")),
                    str(task.get("organization_id", "")))
