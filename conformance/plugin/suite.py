"""The pytest side of a conformance run: its options, markers and fixtures, and the wiring of the run to its reports.

The entry point (conformance/plugin/__init__.py) imports this module only for a run that collects the checks
shipped in this package (`pytest --pyargs conformance`), or when `tasks-conformance run` hands pytest a run it
configured itself; anyone else's pytest run never loads it. The run (conformance.runner.run) makes the result; the
reporter here writes it (conformance.report) and prints its summary.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.report import terminal
from conformance.report.files import ReportPaths, unwritable, write_reports
from conformance.report.results import RESULTS_FILE
from conformance.runner.outcomes.result import RunResult
from conformance.runner.records import redact
from conformance.runner.records.redact import Redactor
from conformance.runner.run import RUN_KEY, ConformanceRun, EmbeddedServer
from conformance.runner.settings.config import CONFIG_ENV, SETTINGS, Config, ConfigError, load_config
from conformance.runner.settings.exitcodes import EXIT_USAGE, say

FIXTURES = "conformance.runner.fixtures"
HTML_FILE, JUNIT_FILE, HAR_FILE = "conformance.html", "junit.xml", "evidence.har"


def add_options(parser: pytest.Parser) -> None:
    """The suite's options (every setting's flag), added before pytest parses its command line for good."""
    group = parser.getgroup("tasks-conformance", "Coder Tasks API conformance")
    group.addoption("--config", dest="tc_config", default=None, metavar="PATH",
                    help=f"TOML config file with [target] and [run] tables (env {CONFIG_ENV}); write --config=PATH, "
                         "so that pytest does not take the file for its rootdir")
    group.addoption("--check", dest="tc_checks", action="append", default=[], metavar="ID",
                    help="run only this check (its id as results.json and JUnit name it); repeatable")
    for s in SETTINGS:
        help_text = f"{s.help} (env {s.env})"
        if s.kind is bool:
            group.addoption(s.pytest_flag, dest=f"tc_{s.name}", action="store_const", const=True, default=None,
                            help=help_text)
        else:
            group.addoption(s.pytest_flag, dest=f"tc_{s.name}", default=None, metavar=s.name.upper(),
                            help=help_text)


def cmdline_main(config: pytest.Config) -> int | None:
    """Before pytest's session (the entry point's pytest_cmdline_main, in a conformance run only): the run's
    markers, fixtures and hooks; then its settings, validated once (a mistake is one plain line and exit 2, as
    `tasks-conformance run` says it), pytest flags that would silently change the run's meaning, and the report
    paths, checked writable before the first request."""
    config.pluginmanager.register(sys.modules[__name__], "tasks-conformance-suite")
    config.pluginmanager.import_plugin(FIXTURES)
    run = _registered_run(config)
    if _only_shows_help(config):
        return None
    problem = _overriding_pytest_flag(config)
    settings = run.config if run is not None else None
    if problem is None and settings is None:
        try:
            settings = _settings_from_options(config)
        except ConfigError as exc:
            problem = f"configuration error: {exc}"
    if problem is None and settings is not None:
        problem = unwritable(report_paths(settings))
    if problem is not None:
        say(problem)
        return EXIT_USAGE
    if run is None:
        assert settings is not None
        try:
            embedded = embedded_server(settings)
        except ValueError as exc:  # an unknown fault or variation name; the message says which
            say(f"configuration error: {exc}")
            return EXIT_USAGE
        config.pluginmanager.register(ConformanceRun(settings, checks=config.getoption("tc_checks") or (),
                                                     embedded=embedded), "tasks-conformance-run")
    return None


def embedded_server(settings: Config) -> EmbeddedServer | None:
    """The embedded reference server the settings ask for, not started; None when there is a target. ValueError
    for a fault or variation name it does not know: said before collection, with the other settings' mistakes."""
    if not settings.target.embedded:
        return None
    from conformance.reference import ReferenceServer  # Starlette and friends: only for a run without a target

    run = settings.run
    return ReferenceServer(profile=settings.embedded_profile(), version=run.reference_version,
                           lifecycle_delay=run.lifecycle_delay, api_prefix=settings.target.api_prefix,
                           faults=run.reference_faults, variations=run.reference_variations,
                           report_findings=False)  # the suite provokes refusals: no client findings to print


def _overriding_pytest_flag(config: pytest.Config) -> str | None:
    """pytest's own --strict (strict markers and configuration in pytest 9) does not make the conformance verdict
    strict: a run given it would be silently less strict than asked."""
    if getattr(config.option, "strict", False):
        return ("configuration error: --strict is pytest's own flag here (strict markers and configuration), not "
                "the suite's strict mode: use --conformance-strict (or TASKS_CONFORMANCE_STRICT=1) through pytest, "
                "--strict through `tasks-conformance run`")
    return None


def _only_shows_help(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "help", False) or getattr(config.option, "version", False)
                or getattr(config.option, "markers", False) or getattr(config.option, "showfixtures", False))


def _registered_run(config: pytest.Config) -> ConformanceRun | None:
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, ConformanceRun)), None)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """The checks' markers; and for a run, its reporter."""
    config.addinivalue_line("markers", "requirement(*ids): the requirement ids a conformance check verifies")
    config.addinivalue_line("markers", "readonly: the check creates nothing on the target (runs in --read-only)")
    config.addinivalue_line("markers", "feature(*names): features of its generation the check needs "
                                       "(contracts/profiles.py); it runs only where the server's release has them")
    config.addinivalue_line("markers", "profiles(*names): the generations the check (or parameter) belongs to")
    run = _registered_run(config)  # `tasks-conformance run` hands pytest its run; pytest's own command line makes
    if run is None:  # one in pytest_cmdline_main
        return
    if config.option.tbstyle == "auto":
        # pytest's long tracebacks parse the source of every frame: about 80 ms per failed or blocked check (a run
        # with a hundred blocked checks spent 11 s of CPU on them), and the reports never show them.
        config.option.tbstyle = "native"
    reporter = Reporter(run.config)
    run.publish = reporter.publish
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(reporter, "tasks-conformance-reporter")
    _take_over_report_options(config)


def _settings_from_options(config: pytest.Config) -> Config:
    """The run's settings from pytest's command line, the environment and the config file, validated once
    (ConfigError)."""
    flags = {s.name: config.getoption(f"tc_{s.name}") for s in SETTINGS}
    # pytest's own --junitxml and pytest-html's --html (when installed) name where this run's reports go.
    for name, option in (("junitxml", "xmlpath"), ("html", "htmlpath")):
        if flags[name] is None and getattr(config.option, option, None):
            flags[name] = getattr(config.option, option)
    settings = load_config(flags, config_path=config.getoption("tc_config"))
    redact.install(Redactor(settings.target.labelled_secrets()))
    return settings


def _take_over_report_options(config: pytest.Config) -> None:
    """The suite writes its own JUnit XML and HTML report, from the run result: pytest's junitxml and pytest-html
    (if installed) would write a second, different one to the same path."""
    for option in ("xmlpath", "htmlpath"):
        if getattr(config.option, option, None):
            setattr(config.option, option, None)


def report_paths(settings: Config) -> ReportPaths:
    """Where a run's reports go: the report directory, unless a report was given a path of its own."""
    folder = Path(settings.run.report_dir)
    return ReportPaths(
        results=folder / RESULTS_FILE,
        junit=Path(settings.run.junitxml) if settings.run.junitxml else folder / JUNIT_FILE,
        html=Path(settings.run.html) if settings.run.html else folder / HTML_FILE,
        har=folder / HAR_FILE,
        bundle=Path(settings.run.bundle) if settings.run.bundle else None,
    )


class Reporter:
    """Writes the run result's reports and prints its summary; the verdict and exit code are the result's."""

    def __init__(self, settings: Config) -> None:
        self.paths = report_paths(settings)
        self.result: RunResult | None = None
        self.written: list[Path] = []
        self.problems: list[str] = []

    def publish(self, result: RunResult) -> None:
        self.result = result
        self.written, self.problems = write_reports(result, self.paths, config_toml=dict(result.facts.config))

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        result = self.result
        if result is None:
            return
        width = _width(terminalreporter)
        if result.facts.fuzzing:
            terminalreporter.section("tasks-conformance: fuzzing", sep="-")
            _write(terminalreporter, terminal.fuzzing(result))
        terminalreporter.section("tasks-conformance: requirements", sep="=")
        _write(terminalreporter, terminal.summary(result, width))
        for path in self.written:
            terminalreporter.write_line(f"report: {path}")
        for text in self.problems:
            terminalreporter.write_line(f"report problem (the verdict is unchanged): {text}", yellow=True)


def _write(terminalreporter: Any, lines: list[terminal.Line]) -> None:
    for line in lines:
        terminalreporter.write_line(line.text, **dict.fromkeys(line.markup, True))


def _width(terminalreporter: Any) -> int:
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        return max(int(terminalreporter.config.get_terminal_writer().fullwidth), 100)
    return 120
