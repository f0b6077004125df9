"""The pytest plugin: options, markers, the run's set-up (embedded server, preflight), verdict and reports.

It is registered through the `pytest11` entry point, so it is loaded by every pytest run; it only acts when the
run collects the checks shipped in this package (`pytest --pyargs conformance`, or `tasks-conformance run`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import conformance
from conformance.config import CONFIG_ENV, SETTINGS, Config, ConfigError, load_config
from conformance.evidence import EvidenceLog, set_current_log
from conformance.expect import CheckFailure
from conformance.preflight import PreflightError, run_preflight
from conformance.redact import Redactor
from conformance.report.outputs import finish_reports, register_reports
from conformance.requirements import catalogue
from conformance.session import RunContext, make_run_prefix
from conformance.tasks import sweep
from conformance.verdict import CheckOutcome, requirement_results, verdict

pytest_plugins = ["conformance.fixtures"]

PACKAGE_DIR = Path(conformance.__file__).resolve().parent
EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
# The embedded server activates a task in two lifecycle steps (0.1 s by default): a stuck task shows in seconds.
EMBEDDED_ACTIVE_TIMEOUT = 10.0
RUN_KEY = pytest.StashKey["ConformancePlugin"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tasks-conformance", "Coder Tasks API conformance")
    group.addoption("--config", dest="tc_config", default=None, metavar="PATH",
                    help=f"TOML config file with [target] and [run] tables (env {CONFIG_ENV})")
    for s in SETTINGS:
        help_text = f"{s.help} (env {s.env})"
        if s.kind is bool:
            group.addoption(s.pytest_flag, dest=f"tc_{s.name}", action="store_const", const=True, default=None,
                            help=help_text)
        else:
            group.addoption(s.pytest_flag, dest=f"tc_{s.name}", default=None, metavar=s.name.upper(),
                            help=help_text)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): the requirement ids a conformance check verifies")
    config.addinivalue_line("markers", "readonly: the check creates nothing on the target (runs in --read-only)")
    if not is_conformance_run(config):
        return
    try:
        settings = load_config({s.name: config.getoption(f"tc_{s.name}") for s in SETTINGS},
                               config_path=config.getoption("tc_config"))
    except ConfigError as exc:
        raise pytest.exit(f"configuration error: {exc}", returncode=EXIT_USAGE) from None
    _default_report_paths(config, Path(settings.run.report_dir))
    plugin = ConformancePlugin(config, settings)
    config.stash[RUN_KEY] = plugin
    config.pluginmanager.register(plugin, "tasks-conformance-run")
    register_reports(config, plugin)  # conformance/report: HTML hooks, results.json, JUnit properties, redaction


def _default_report_paths(config: pytest.Config, report_dir: Path) -> None:
    """JUnit XML and the HTML report go to the report directory unless pytest was told otherwise."""
    if getattr(config.option, "xmlpath", None) is None:
        config.option.xmlpath = str(report_dir / "junit.xml")
    if hasattr(config.option, "htmlpath") and config.option.htmlpath is None:
        config.option.htmlpath = str(report_dir / "conformance.html")
        config.option.self_contained_html = True


def is_conformance_run(config: pytest.Config) -> bool:
    """True when the run collects this package's checks (by --pyargs name or by path)."""
    for arg in config.args:
        base = arg.split("::", 1)[0]
        if config.option.pyargs and (base == "conformance" or base.startswith("conformance.")):
            return True
        try:
            path = Path(base).resolve()
        except OSError:
            continue
        if path == PACKAGE_DIR or PACKAGE_DIR in path.parents:
            return True
    return False


def run_context(config: pytest.Config) -> RunContext:
    """The run's context, for fixtures. Only exists in a conformance run."""
    plugin = config.stash.get(RUN_KEY, None)
    if plugin is None or plugin.run is None:
        pytest.fail("conformance checks need a conformance run: use `pytest --pyargs conformance` "
                    "or `tasks-conformance run`", pytrace=False)
    return plugin.run


class ConformancePlugin:
    """Hooks active only in a conformance run."""

    def __init__(self, pytest_config: pytest.Config, settings: Config) -> None:
        self.pytest_config = pytest_config
        self.settings = settings
        self.run: RunContext | None = None
        self.outcomes: list[CheckOutcome] = []
        self.preflight_log: EvidenceLog | None = None
        self.preflight_error: str | None = None

    # --- collection ------------------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        known = catalogue()
        problems = []
        for item in items:
            ids = requirement_ids(item)
            if not ids:
                problems.append(f"{item.nodeid} names no requirement")
            problems += [f"{item.nodeid} names unknown requirement {rid}" for rid in ids if rid not in known]
        if problems:
            raise pytest.exit("bad check definitions: " + "; ".join(problems[:5]), returncode=EXIT_USAGE)
        if self.settings.run.read_only:
            keep = [i for i in items if i.get_closest_marker("readonly")]
            dropped = [i for i in items if not i.get_closest_marker("readonly")]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
            items[:] = keep

    # --- set-up: embedded server and preflight -----------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.config.option.collectonly or not session.items:
            return
        self.run = self._start()
        try:
            self.preflight_log = run_preflight(self.run)
        except PreflightError as exc:
            self.preflight_error = str(exc)
            raise pytest.exit(f"preflight failed: {exc}", returncode=EXIT_UNREACHABLE) from None

    def _start(self) -> RunContext:
        settings = self.settings
        if settings.target.embedded:
            from conformance.reference import ReferenceServer

            try:
                server = ReferenceServer(lifecycle_delay=settings.run.lifecycle_delay,
                                         api_prefix=settings.target.api_prefix,
                                         faults=settings.run.reference_faults).start()
            except ValueError as exc:  # unknown fault name
                raise pytest.exit(f"configuration error: reference_faults: {exc}",
                                  returncode=EXIT_USAGE) from None
            values = server.target_config()
            if settings.sources.get("active_timeout") == "default":
                settings = settings.with_run(active_timeout=EMBEDDED_ACTIVE_TIMEOUT)
            settings = settings.with_target(**{k: values.get(k) for k in (
                "url", "token", "second_token", "admin_token", "template_version_id",
                "non_ai_template_version_id", "organization_name") if k in values})
            self.settings = settings
        else:
            server = None
        seed = settings.run.seed if settings.run.seed is not None else random.SystemRandom().randrange(2**31)
        return RunContext(config=settings, redactor=Redactor(settings.target.secrets()),
                          prefix=make_run_prefix(), seed=seed, rng=random.Random(seed), server=server)

    # --- each check ----------------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Any:
        log = EvidenceLog()
        item.stash[EVIDENCE_KEY] = log
        set_current_log(log)
        yield
        set_current_log(None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        report.requirements = requirement_ids(item)  # type: ignore[attr-defined]
        log = item.stash.get(EVIDENCE_KEY, None)
        report.evidence = [e.as_dict() for e in log.exchanges] if log else []  # type: ignore[attr-defined]
        if call.excinfo is not None and isinstance(call.excinfo.value, CheckFailure) and report.failed:
            failure = call.excinfo.value
            report.broken = failure.requirements  # type: ignore[attr-defined]
            report.longrepr = self._plain_failure(str(failure), log)

    def _plain_failure(self, message: str, log: EvidenceLog | None) -> str:
        lines = [message]
        if log and log.exchanges:
            lines.append("")
            lines.append("requests made by this check (secrets redacted):")
            lines += [f"  {e.summary()}" for e in log.exchanges[-8:]]
            last = log.exchanges[-1]
            lines.append(f"reproduce the last one: {last.curl()}")
        redactor = self.run.redactor if self.run else Redactor(self.settings.target.secrets())
        return redactor.text("\n".join(lines))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        ids = tuple(getattr(report, "requirements", ()))
        if report.when == "call" or (report.when == "setup" and not report.passed):
            message = self._message(report)
            if report.when == "setup" and report.failed:
                message = "could not set up the check: " + message
            self.outcomes.append(CheckOutcome(report.nodeid, ids, report.outcome, message,
                                              report.duration, tuple(getattr(report, "broken", ()))))
        elif report.when == "teardown" and report.failed and self.outcomes:
            last = self.outcomes[-1]
            if last.nodeid == report.nodeid and last.outcome == "passed":
                last.outcome, last.message = "failed", "teardown: " + self._message(report)

    def _message(self, report: pytest.TestReport) -> str:
        if report.skipped and isinstance(report.longrepr, tuple):
            return str(report.longrepr[2]).removeprefix("Skipped: ")
        if report.failed:
            text = report.longreprtext.strip()
            first = text.splitlines()[0] if isinstance(report.longrepr, str) else _last_error_line(text)
            redactor = self.run.redactor if self.run else Redactor(self.settings.target.secrets())
            return redactor.text(first)
        return ""

    # --- the end: sweep, verdict, reports ------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        if self.run is not None:
            self.run.leftovers = sweep(self.run)
        if self.run is not None and exitstatus in (EXIT_PASS, EXIT_FAIL):
            results = requirement_results(self.outcomes, strict=self.settings.run.strict)
            session.exitstatus = EXIT_FAIL if verdict(results) == "fail" else EXIT_PASS
        finish_reports(self.pytest_config, session)  # results.json, JUnit suite properties; never raises
        yield

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from conformance.report.terminal import write_summary

        if self.run is None:
            return
        write_summary(terminalreporter, requirement_results(self.outcomes, strict=self.settings.run.strict),
                      self.run)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.run is not None:
            self.run.close()
            if self.run.server is not None:
                self.run.server.stop()


EVIDENCE_KEY = pytest.StashKey[EvidenceLog]()


def requirement_ids(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids += [str(a) for a in marker.args]
    return tuple(dict.fromkeys(ids))


def _last_error_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.startswith("E "):
            return line[1:].strip()
    return text.splitlines()[-1] if text else ""

