"""Fixtures for the reference server's self-tests: servers started here, on 127.0.0.1, only."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ref_support import Api  # noqa: E402

from conformance.reference import ReferenceServer  # noqa: E402


@pytest.fixture(scope="module")
def ref_server() -> Iterator[ReferenceServer]:
    """A fresh, instant-lifecycle server per test module (modules do not see each other's tasks)."""
    with ReferenceServer(lifecycle_delay=0, reply_delay=0) as server:
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
    with ReferenceServer(lifecycle_delay=0.3, reply_delay=0.5) as server:
        yield server
        assert server.unexpected_errors == [], server.unexpected_errors


@pytest.fixture(scope="module")
def slow_api(slow_server: ReferenceServer) -> Iterator[Api]:
    client = Api(slow_server)
    yield client
    client.close()
