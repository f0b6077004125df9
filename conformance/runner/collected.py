"""The checks of the package as pytest itself collects them: the one source of check ids outside a run.

`tasks-conformance requirements` (and the mapping self-test) ask here which checks verify each requirement. The ids
are the ones every report gives a check (records/outcome.check_id over pytest's node ids), parameters included, so
the list and a run's results.json never disagree on what a check is called."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from conformance.runner.outcomes.recorder import requirement_ids
from conformance.runner.records.outcome import check_id


class _Collected:
    """A pytest plugin that keeps what the session collected."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "requirement(*ids): the requirement ids a conformance check verifies")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


class CollectionError(RuntimeError):
    """pytest could not collect the package's checks; the message has its exit code."""


def checks_by_requirement(pytest_args: Sequence[str]) -> dict[str, list[str]]:
    """Requirement id -> the ids of the checks that verify it, in collection order. `pytest_args` is the command
    line a run gives pytest (cli.pytest_arguments); the suite's own plugin is left out, since nothing is run."""
    collected = _Collected()
    code = pytest.main([*pytest_args, "--collect-only", "-p", "no:tasks_conformance", "-p", "no:terminal"],
                       plugins=[collected])
    if code != pytest.ExitCode.OK or not collected.items:
        raise CollectionError(f"pytest could not collect the checks (exit {int(code)})")
    out: dict[str, list[str]] = {}
    for item in collected.items:
        for rid in requirement_ids(item):
            out.setdefault(rid, []).append(check_id(item.path, item.nodeid))
    return out
