"""Fixtures of the fuzz self-tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.reference import ReferenceServer

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def reference() -> Iterator[ReferenceServer]:
    with ReferenceServer() as server:
        yield server
