"""Fixtures and reporting of the fuzz tiers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.fuzz.driver import FuzzRun
from conformance.runner.tasks.session import RunContext


@pytest.fixture(scope="session")
def fuzz(run: RunContext, request: pytest.FixtureRequest) -> Iterator[FuzzRun]:
    """The run's fuzzing state; the fuzz checks skip when fuzzing is off."""
    if run.config.run.fuzz_budget == 0:
        pytest.skip("fuzzing is off (fuzz_budget = 0)")
    state = FuzzRun(run)
    yield state
    state.close()
    run.fuzz_summary[:] = state.summary_lines()
