"""Fixtures for the reference server's self-tests: servers started here, on 127.0.0.1, only."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ref_support import Api  # noqa: E402

from conformance.reference import ReferenceServer  # noqa: E402


@pytest.fixture(scope="module")
def ref_server() -> Iterator[ReferenceServer]:
    """A fresh, instant-lifecycle server per test module (modules do not see each other's tasks); of the
    experimental generation, which the modules that do not name one describe (test_ref_generations.py: the
    others)."""
    with ReferenceServer(profile="experimental", lifecycle_delay=0, reply_delay=0) as server:
        yield server
        assert server.unexpected_errors == [], server.unexpected_errors


@pytest.fixture(scope="module")
def api(ref_server: ReferenceServer) -> Iterator[Api]:
    client = Api(ref_server)
    yield client
    client.close()


@pytest.fixture(scope="module")
def slow_server() -> Iterator[ReferenceServer]:
    """A server whose tasks take a while to become active and whose agent replies with a delay."""
    with ReferenceServer(profile="experimental", lifecycle_delay=0.3, reply_delay=0.5) as server:
        yield server
        assert server.unexpected_errors == [], server.unexpected_errors


@pytest.fixture(scope="module")
def slow_api(slow_server: ReferenceServer) -> Iterator[Api]:
    client = Api(slow_server)
    yield client
    client.close()


class Servers:
    """One server per generation, started when a test first asks for it."""

    def __init__(self, **options: float) -> None:
        self.options = options
        self.started: dict[str, ReferenceServer] = {}

    def __call__(self, profile: str) -> ReferenceServer:
        if profile not in self.started:
            self.started[profile] = ReferenceServer(profile=profile, **self.options).start()  # type: ignore[arg-type]
        return self.started[profile]

    def stop(self) -> None:
        for server in self.started.values():
            server.stop()
            assert server.unexpected_errors == [], server.unexpected_errors


@pytest.fixture(scope="module")
def switch_servers() -> Iterator[Servers]:
    """Servers for the switch probes: tasks stay pending for a moment (so null fields can be seen), the agent
    answers at once."""
    servers = Servers(lifecycle_delay=0.05, reply_delay=0)
    yield servers
    servers.stop()


@pytest.fixture(scope="module")
def release_api() -> Iterator[Any]:
    """Servers of a generation at a release (None: the generation's default), the agent answering at once, with a
    lifecycle step of ``step`` seconds; each started when first asked, one per (profile, version, step)."""
    started: dict[tuple[str, str | None, float], tuple[ReferenceServer, Api]] = {}

    def get(profile: str, version: str | None = None, step: float = 0.05) -> Api:
        if (profile, version, step) not in started:
            server = ReferenceServer(profile=profile, version=version, lifecycle_delay=step, reply_delay=0).start()
            started[(profile, version, step)] = (server, Api(server))
        return started[(profile, version, step)][1]

    yield get
    for server, client in started.values():
        client.close()
        server.stop()
        assert server.unexpected_errors == [], server.unexpected_errors
