"""Fixtures and reporting of the fuzz tiers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance.fuzz.driver import FuzzRun
from conformance.runner.session import RunContext

FUZZ_KEY = pytest.StashKey[FuzzRun]()


@pytest.fixture(scope="session")
def fuzz(run: RunContext, request: pytest.FixtureRequest) -> Iterator[FuzzRun]:
    """The run's fuzzing state; the fuzz checks skip when fuzzing is off."""
    if run.config.run.fuzz_budget == 0:
        pytest.skip("fuzzing is off (fuzz_budget = 0)")
    state = FuzzRun(run)
    request.config.stash[FUZZ_KEY] = state
    yield state
    state.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(FUZZ_KEY, None)
    if state is None or not state.stats:
        return
    settings = state.settings
    terminalreporter.section("tasks-conformance: fuzzing", sep="-")
    terminalreporter.write_line(f"seed {settings.seed}, budget {settings.budget} examples per operation, "
                                f"time limit {settings.time_limit:g} s")
    for stats in state.stats:
        terminalreporter.write_line(stats.line(), yellow=stats.stopped, red=bool(stats.failures))
    total = sum(s.requests for s in state.stats)
    support = sum(s.support_requests for s in state.stats)
    terminalreporter.write_line(f"fuzzing sent {total} requests (+{support} support requests) in "
                                f"{sum(s.elapsed for s in state.stats):.1f} s")
    if any(s.stopped for s in state.stats):
        terminalreporter.write_line(f"the fuzz time limit ({settings.time_limit:g} s) was reached: fuzzing "
                                    "stopped early", yellow=True)
