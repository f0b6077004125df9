"""Fixtures of the fuzz self-tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.contracts.contract import use
from conformance.reference import ReferenceServer

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def reference() -> Iterator[ReferenceServer]:
    with ReferenceServer() as server:
        yield server


@pytest.fixture
def experimental_contract() -> Iterator[None]:
    """The experimental document as the one bodies are judged by (a run's preflight picks it; here the test)."""
    use("experimental")
    yield
    use("stable")
