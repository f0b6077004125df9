"""A pytest plugin that times the phases of a conformance run (`-p bench_timing`, with benchmarks/ on PYTHONPATH).

It writes a JSON file (path in $BENCH_TIMING_OUT) with wall-clock timestamps (time.time(), comparable with the
parent's launch time) of: plugin import (Python + pytest + plugin start-up), pytest_configure, end of collection,
the embedded server's start, the preflight, every check (grouped into hand-written checks and the fuzz tiers), the
final sweep, the reports, and the end of pytest. Against the embedded server it also counts the requests the server
answered in each phase. It only wraps functions of the conformance plugin; it changes no behaviour.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

OUT_ENV = "BENCH_TIMING_OUT"
IMPORTED_AT = time.time()

_marks: dict[str, float] = {"plugin_imported": IMPORTED_AT}
_spans: dict[str, list[float]] = {}  # name -> [start, end]
_span_requests: dict[str, int] = {}
_groups: dict[str, dict[str, float]] = {}  # group -> {"seconds", "items", "requests"}
_modules: dict[str, dict[str, float]] = {}
_counter: Any = None  # bench_counting.CountingApp of the embedded server, when there is one


def _requests() -> int:
    return int(_counter.requests) if _counter is not None else 0


def _timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        before, start = _requests(), time.time()
        try:
            return func(*args, **kwargs)
        finally:
            _spans[name] = [start, time.time()]
            _span_requests[name] = _requests() - before

    return wrapper


def _counting_start(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ConformancePlugin._start so that the embedded server it starts gets a request counter."""

    @functools.wraps(func)
    def wrapper(self: Any) -> Any:
        global _counter
        from bench_counting import install_counter

        from conformance.reference import server as server_module

        original = server_module.ReferenceServer.start

        def start(server: Any) -> Any:
            global _counter
            _counter = install_counter(server)
            return original(server)

        setattr(server_module.ReferenceServer, "start", start)  # noqa: B010 - a patch mypy would reject
        try:
            return func(self)
        finally:
            setattr(server_module.ReferenceServer, "start", original)  # noqa: B010

    return wrapper


def _patch(module: Any, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    original = getattr(module, name, None)
    if original is not None:
        setattr(module, name, wrap(original))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    _marks["configured"] = time.time()
    from conformance import plugin

    _patch(plugin.ConformancePlugin, "_start", lambda f: _timed("server_start", _counting_start(f)))
    _patch(plugin, "run_preflight", lambda f: _timed("preflight", f))
    _patch(plugin, "sweep", lambda f: _timed("sweep", f))
    _patch(plugin, "finish_reports", lambda f: _timed("results_json", f))


def pytest_collection_finish(session: pytest.Session) -> None:
    _marks["collected"] = time.time()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, None, None]:
    _marks["runtestloop_start"] = time.time()
    yield
    _marks["runtestloop_end"] = time.time()


def group_of(nodeid: str) -> str:
    if "fuzz/test_gate" in nodeid:
        return "fuzz_gate"
    if "fuzz/test_stateful" in nodeid:
        return "fuzz_stateful"
    if "fuzz/" in nodeid:
        return "fuzz_other"
    return "checks"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    before, start = _requests(), time.time()
    _marks.setdefault("first_item", start)
    yield
    end = time.time()
    _marks["last_item_end"] = end
    for table, key in ((_groups, group_of(item.nodeid)), (_modules, item.nodeid.split("::", 1)[0])):
        row = table.setdefault(key, {"seconds": 0.0, "items": 0, "requests": 0})
        row["seconds"] += end - start
        row["items"] += 1
        row["requests"] += _requests() - before
        _marks.setdefault(f"first_{key}", start)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> Generator[None, None, None]:
    _marks["sessionfinish_start"] = time.time()
    yield
    _marks["sessionfinish_end"] = time.time()


@pytest.hookimpl(hookwrapper=True)
def pytest_terminal_summary(terminalreporter: Any) -> Generator[None, None, None]:
    _marks["terminal_summary_start"] = time.time()
    yield
    _marks["terminal_summary_end"] = time.time()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    _marks["unconfigured"] = time.time()
    out = os.environ.get(OUT_ENV)
    if not out:
        return
    data = {"marks": _marks, "spans": _spans, "span_requests": _span_requests, "groups": _groups,
            "modules": _modules, "requests_total": _requests() if _counter is not None else None}
    Path(out).write_text(json.dumps(data, indent=1))
