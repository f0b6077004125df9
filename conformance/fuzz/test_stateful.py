"""The stateful tier: scenarios along the contract's links (create -> get / logs / send / delete)."""

from __future__ import annotations

import pytest

from conformance.fuzz.driver import FuzzRun, run_stateful
from conformance.fuzz.schema import STATEFUL_REQUIREMENTS

pytestmark = pytest.mark.requirement(*STATEFUL_REQUIREMENTS)


def test_stateful_links(fuzz: FuzzRun, request: pytest.FixtureRequest) -> None:
    """Created tasks are retrievable by the id create returned; deleted tasks are gone (polled: delete is
    asynchronous); logs/send wait for the task to become active; every response passes Schemathesis's checks."""
    run_stateful(fuzz, request.node)
