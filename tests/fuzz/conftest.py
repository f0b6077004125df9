"""Fixtures of the fuzz self-tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.reference import ReferenceServer


@pytest.fixture
def reference() -> Iterator[ReferenceServer]:
    with ReferenceServer() as server:
        yield server
