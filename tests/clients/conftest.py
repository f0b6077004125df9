"""Fixtures of the client replays: one `tasks-conformance serve` per module, of the release its client targets
(the module's GENERATION; its LIFECYCLE_DELAY when a flow must see a task starting), and the users' sessions.
Servers started here listen on 127.0.0.1 only."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from replay import LIFECYCLE_DELAY, Served, Session, serve  # noqa: E402


@pytest.fixture(scope="module")
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    profile, version = request.module.GENERATION
    with serve(profile, version, getattr(request.module, "LIFECYCLE_DELAY", LIFECYCLE_DELAY)) as server:
        yield server


@pytest.fixture(scope="module")
def member(served: Served) -> Iterator[Session]:
    session = served.session("member")
    yield session
    session.close()
