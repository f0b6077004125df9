"""The pytest plugin's entry point (`pytest11`): every pytest run of an environment that has the package loads it.

So it stays tiny and imports nothing else of the package at load time. In anyone's own pytest run it registers the
`coder_tasks_server` marker and fixture, and nothing more: no option, no collection, no output. The rest is
imported when it is needed:

- a conformance run (`pytest --pyargs conformance ...`, or `tasks-conformance run`, which hands pytest its
  `ConformanceRun`): `conformance.plugin.suite` registers the suite's options (before the command line is parsed),
  validates the settings, and registers the run's markers, fixtures and reporter;
- a test that asks for `coder_tasks_server`: `conformance.reference.mock.fixture` starts the fake Coder.
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent
FIXTURE = "coder_tasks_server"
_RUN_MODULE = "conformance.runner.run"  # where ConformanceRun lives: imported already if a run was handed to pytest
_SUITE_KEY = pytest.StashKey[bool]()
_SERVED_KEY = pytest.StashKey[Any]()


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Once pytest knows its arguments, before it parses them for good: the suite's options exist only in a run that
    collects the suite (or when its help is asked for together with the suite)."""
    known = early_config.known_args_namespace
    paths = list(getattr(known, "file_or_dir", None) or early_config.getini("testpaths") or [])
    if handed_a_run(early_config) or selects_the_suite(paths, pyargs=bool(getattr(known, "pyargs", False))):
        from conformance.plugin import suite

        suite.add_options(parser)
        early_config.stash[_SUITE_KEY] = True


def handed_a_run(config: pytest.Config) -> bool:
    """True when `tasks-conformance run` handed pytest its ConformanceRun (a plugin object of that class)."""
    module = sys.modules.get(_RUN_MODULE)
    run_class = getattr(module, "ConformanceRun", None)
    return run_class is not None and any(isinstance(p, run_class) for p in config.pluginmanager.get_plugins())


def selects_the_suite(paths: Sequence[str], *, pyargs: bool) -> bool:
    """True when pytest's arguments collect this package's checks (by --pyargs name or by path)."""
    for arg in paths:
        base = str(arg).split("::", 1)[0]
        if pyargs and (base == "conformance" or base.startswith("conformance.")):
            return True
        try:
            path = Path(base).resolve()
        except OSError:
            continue
        if path == PACKAGE_DIR or PACKAGE_DIR in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if not config.stash.get(_SUITE_KEY, False):
        return None
    from conformance.plugin import suite

    return suite.cmdline_main(config)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{FIXTURE}(profile='stable', version=None, seed=None, startup=0.05, reply_delay=0.05, variations=(), "
        f"faults=(), latency=0.0, rate_limit=0, strict=False): how the {FIXTURE} fixture makes its fake Coder "
        "(tasks-conformance's reference server)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A mistake in a coder_tasks_server marker is a usage error before any test runs, naming the keyword."""
    marked = [item for item in items if item.get_closest_marker(FIXTURE) is not None or _param(item) is not None]
    if marked:
        from conformance.reference.mock import fixture

        for item in marked:
            fixture.options_for(item, _param(item))


def _param(item: pytest.Item) -> object:
    """The fixture's indirect parameter of a test, if it has one."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(FIXTURE) if callspec is not None else None


@pytest.fixture
def coder_tasks_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A started fake Coder (conformance.reference.ReferenceServer, control enabled) made as the test's
    `@pytest.mark.coder_tasks_server(...)` says; stopped after the test. With `strict=True` the test fails when
    the server found something a real Coder would refuse of the client (its findings)."""
    from conformance.reference.mock import fixture

    with fixture.serve(request.node, getattr(request, "param", None)) as served:
        request.node.stash[_SERVED_KEY] = served
        yield served.server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After the test's body: a strict coder_tasks_server fails the test on the client's findings."""
    result = yield
    served = item.stash.get(_SERVED_KEY, None)
    if served is not None:
        served.judge()
    return result
