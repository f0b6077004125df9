"""The checks of the package as pytest itself collects them: the one source of check ids outside a run.

`tasks-conformance requirements` (and the mapping self-test) ask here which checks verify each requirement. The ids
are the ones every report gives a check (records/outcome.check_id over pytest's node ids), parameters included, so
the list and a run's results.json never disagree on what a check is called."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

import pytest

from conformance.runner.outcomes.recorder import requirement_ids
from conformance.runner.records.outcome import check_id


class _Collected:
    """A pytest plugin that keeps what the session collected."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)


@contextlib.contextmanager
def _without_addopts() -> Iterator[None]:
    """The user's PYTEST_ADDOPTS (-v, --check, ...) name options of the plugins this collection leaves out; it is
    only for runs: put aside while the checks are listed, and back after."""
    saved = os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["PYTEST_ADDOPTS"] = saved


class CollectionError(RuntimeError):
    """pytest could not collect the package's checks; the message has its exit code."""


def checks_by_requirement(pytest_args: Sequence[str]) -> dict[str, list[str]]:
    """Requirement id -> the ids of the checks that verify it, in collection order. `pytest_args` is the command
    line a run gives pytest (cli.pytest_arguments); the suite's own plugin is left out, since nothing is run."""
    collected = _Collected()
    with _without_addopts():
        code = pytest.main([*pytest_args, "--collect-only", "-p", "no:tasks_conformance", "-p", "no:terminal"],
                           plugins=[collected])
    if code != pytest.ExitCode.OK or not collected.items:
        raise CollectionError(f"pytest could not collect the checks (exit {int(code)})")
    out: dict[str, list[str]] = {}
    for item in collected.items:
        for rid in requirement_ids(item):
            out.setdefault(rid, []).append(check_id(item.path, item.nodeid))
    return out
