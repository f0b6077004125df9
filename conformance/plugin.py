"""The pytest plugin: options, markers, the run's set-up (embedded server, preflight), verdict and reports.

It is registered through the `pytest11` entry point, so it is loaded by every pytest run; it only acts when the
run collects the checks shipped in this package (`pytest --pyargs conformance`, or `tasks-conformance run`).
"""

from __future__ import annotations

import random
import signal
import sys
import threading
from collections.abc import Generator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import conformance
from conformance.contracts.requirements import catalogue
from conformance.report.outputs import finish_reports, register_reports
from conformance.runner import ledger, redact
from conformance.runner.client import RateLimited, TransportError
from conformance.runner.config import CONFIG_ENV, SETTINGS, Config, ConfigError, load_config
from conformance.runner.evidence import EvidenceLog, Exchange, set_current_log
from conformance.runner.expect import Blocked, CheckFailure
from conformance.runner.preflight import PreflightError, run_preflight
from conformance.runner.redact import Redactor
from conformance.runner.session import RunContext
from conformance.runner.verdict import CheckOutcome, failed_outcome, requirement_results, verdict

pytest_plugins = ["conformance.runner.fixtures"]

PACKAGE_DIR = Path(conformance.__file__).resolve().parent
EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_SIGNAL_BASE = 128  # interrupted by a signal: 128 + its number (SIGINT 130, SIGTERM 143), as shells report it
# This many requests in a row without any response: the target stopped answering; the run stops (exit 3).
DEAD_AFTER = 10
# Exceptions a check meets when an answer is not what it could parse: reported as an unexpected answer.
_ANSWER_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError)
# The embedded server activates a task in two lifecycle steps (0.1 s by default): a stuck task shows in seconds,
# and polling it as slowly as a real server would only adds waiting.
EMBEDDED_DEFAULTS = {"active_timeout": 10.0, "poll_interval": 0.02}
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
    redact.install(Redactor(settings.target.secrets()))  # from here on, every log record is redacted
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
        self.session: pytest.Session | None = None
        self.interrupted: str | None = None  # "SIGINT" / "SIGTERM" once the run was interrupted
        self.stopped: str | None = None  # why the run stopped early on its own (the target stopped answering)
        self._cleanup_phase: str | None = None  # None (running), "sweep" or "reports"
        self._extra_signals = 0
        self._previous_handlers: dict[int, Any] = {}
        self._install_signal_handlers()

    # --- interrupts: Ctrl-C and SIGTERM stop the checks, never the cleanup or the reports ---------------------
    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous_handlers[sig] = signal.signal(sig, self._on_signal)
            except (ValueError, OSError):  # pragma: no cover - not allowed here
                continue

    def _restore_signal_handlers(self) -> None:
        for sig, handler in self._previous_handlers.items():
            try:
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, OSError, TypeError):  # pragma: no cover
                continue
        self._previous_handlers.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.interrupted is None:
            self.interrupted = name
        if self._cleanup_phase is None:
            raise KeyboardInterrupt
        self._extra_signals += 1
        if self._cleanup_phase == "sweep" and self._extra_signals > 1:
            raise KeyboardInterrupt  # abandon the cleanup: the user insists
        if self._extra_signals == 1:
            what = ("deleting the tasks this run created (interrupt again to abandon the cleanup)"
                    if self._cleanup_phase == "sweep" else "writing the reports")
            sys.stderr.write(f"\ntasks-conformance: {name} received while {what}\n")

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        if self.interrupted is None and type(excinfo.value) is KeyboardInterrupt:
            self.interrupted = "SIGINT"

    def interrupt_exit_code(self) -> int:
        number = getattr(signal, self.interrupted or "SIGINT", signal.SIGINT)
        return EXIT_SIGNAL_BASE + int(number)

    def stop_reason(self) -> str | None:
        """Why the run ended before all checks ran, in plain words (None: it ran to its end)."""
        if self.interrupted:
            return f"interrupted by {self.interrupted}"
        return self.stopped

    def notes(self) -> list[str]:
        """Things the reader of a report must know about how the run talked to the target."""
        out: list[str] = []
        run_settings = self.settings.run
        target_url = self.settings.target.url or ""
        if run_settings.insecure and target_url.startswith("https:"):
            out.append("TLS certificate verification was OFF (insecure): the server's identity was not checked. "
                       "Use this only against staging servers.")
        if self.run is not None and self.run._transport is not None:
            stats = self.run.transport.stats
            if stats.retried_429:
                out.append(f"The server rate limited the suite: {stats.retried_429} answer(s) 429 were retried "
                           f"after a pause (max_retries_429 {run_settings.max_retries_429}). Not a contract "
                           "failure.")
            if stats.gave_up_429:
                out.append(f"{stats.gave_up_429} request(s) were still rate limited after every retry; the checks "
                           "that made them were skipped. Lower --max-rps or rerun later.")
        if run_settings.max_rps:
            out.append(f"The suite's requests were paced to at most {run_settings.max_rps:g} per second (max_rps).")
        return out

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
        self.session = session
        if session.config.option.collectonly or not session.items:
            return
        self.run = self._start()
        try:
            self.preflight_log = run_preflight(self.run)
        except PreflightError as exc:
            self.preflight_error = self.run.redactor.text(str(exc))
            raise pytest.exit(f"preflight failed: {self.preflight_error}", returncode=EXIT_UNREACHABLE) from None

    def _start(self) -> RunContext:
        settings = self.settings
        if settings.target.embedded:
            from conformance.reference import ReferenceServer

            try:
                server = ReferenceServer(lifecycle_delay=settings.run.lifecycle_delay,
                                         api_prefix=settings.target.api_prefix,
                                         faults=settings.run.reference_faults,
                                         variations=settings.run.reference_variations).start()
            except ValueError as exc:  # an unknown fault or variation name; the message says which
                raise pytest.exit(f"configuration error: {exc}", returncode=EXIT_USAGE) from None
            values = server.target_config()
            for name, value in EMBEDDED_DEFAULTS.items():
                if settings.sources.get(name) == "default":
                    settings = settings.with_run(**{name: value})
            settings = settings.with_target(**{k: values.get(k) for k in (
                "url", "token", "second_token", "admin_token", "template_version_id",
                "non_ai_template_version_id", "organization_name") if k in values})
            self.settings = settings
        else:
            server = None
        seed = settings.run.seed if settings.run.seed is not None else random.SystemRandom().randrange(2**31)
        return RunContext.begin(settings, seed, server, redactor=redact.active())

    # --- each check ----------------------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Any:
        return (yield from _skip_if_rate_limited())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        return (yield from _skip_if_rate_limited())

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
        if call.excinfo is None or not report.failed:
            return
        error = call.excinfo.value
        if isinstance(error, CheckFailure):
            report.broken = error.requirements  # type: ignore[attr-defined]
            report.blocked = isinstance(error, Blocked)  # type: ignore[attr-defined]
            report.longrepr = self._plain_failure(str(error), log)
        elif isinstance(error, TransportError):
            report.longrepr = self._plain_failure(str(error), log)
        elif isinstance(error, _ANSWER_ERRORS) and log and log.exchanges:
            last = log.exchanges[-1]
            message = (f"unexpected answer to {_request_line(last)}: {type(error).__name__}: "
                       f"{str(error).splitlines()[0] if str(error) else ''}".rstrip(": "))
            report.longrepr = self._plain_failure(message, log) + "\n\n" + report.longreprtext
        if log and log.exchanges and _is_redirect(log.exchanges[-1]):
            note = _redirect_note(log.exchanges[-1])
            if isinstance(report.longrepr, str):
                first, _, rest = report.longrepr.partition("\n")
            else:
                first, rest = _last_error_line(report.longreprtext), "\n" + report.longreprtext
            report.longrepr = self._redact(f"{first} ({note})\n{rest}")

    def _plain_failure(self, message: str, log: EvidenceLog | None) -> str:
        lines = [message]
        if log and log.exchanges:
            lines.append("")
            lines.append("requests made by this check (secrets redacted):")
            lines += [f"  {e.summary()}" for e in log.exchanges[-8:]]
            last = log.exchanges[-1]
            lines.append(f"reproduce the last one: {last.curl()}")
        return self._redact("\n".join(lines))

    def _redact(self, text: str) -> str:
        redactor = self.run.redactor if self.run else Redactor(self.settings.target.secrets())
        return redactor.text(text)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        ids = tuple(getattr(report, "requirements", ()))
        if report.when == "call" or (report.when == "setup" and not report.passed):
            message = self._message(report)
            outcome: str = report.outcome
            broken = tuple(getattr(report, "broken", ()))
            if report.failed:
                outcome = failed_outcome(report.when, ids, broken, getattr(report, "blocked", False))
            if report.when == "setup" and report.failed:
                message = "could not set up the check: " + message
            self.outcomes.append(CheckOutcome(report.nodeid, ids, outcome, message, report.duration, broken))
        elif report.when == "teardown" and report.failed and self.outcomes:
            last = self.outcomes[-1]
            if last.nodeid == report.nodeid and last.outcome == "passed":
                last.outcome, last.message = "failed", "teardown: " + self._message(report)
        if report.when == "teardown":
            self._check_target_alive()

    def _check_target_alive(self) -> None:
        """Stop the run when the target stopped answering: after DEAD_AFTER requests in a row without a response,
        one list request (as in the preflight) decides; if it gets no response either, the run stops (exit 3)."""
        if self.run is None or self.run._transport is None or self.session is None or self.stopped:
            return
        if self.run.transport.stats.consecutive_no_response < DEAD_AFTER:
            return
        client = self.run.client("primary")
        if client is None:
            return
        try:
            client.list_tasks(log=EvidenceLog())  # any answer resets the count: only some endpoints fail
        except RateLimited:
            return
        except TransportError as exc:
            self.stopped = (f"the target stopped answering ({DEAD_AFTER} requests in a row and then a list of "
                            f"tasks got no response: {self._redact(str(exc)).split(': ', 1)[-1]}), so the run "
                            "stopped")
            self.session.shouldfail = self.stopped

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
        self._cleanup_phase = "sweep"
        if self.run is not None:
            self.run.stop_reason = self.stop_reason()
            if not self.preflight_error:  # a failed preflight created nothing (and the target may not answer)
                self._sweep(self.run)
        self._cleanup_phase = "reports"
        if self.interrupted:
            session.exitstatus = self.interrupt_exit_code()
        elif self.stopped:
            session.exitstatus = EXIT_UNREACHABLE
        elif self.run is not None and exitstatus in (EXIT_PASS, EXIT_FAIL):
            results = requirement_results(self.outcomes, strict=self.settings.run.strict)
            session.exitstatus = EXIT_FAIL if verdict(results, self.settings.run.strict) == "fail" else EXIT_PASS
        finish_reports(self.pytest_config, session)  # results.json, JUnit suite properties; never raises
        yield

    def _sweep(self, run: RunContext) -> None:
        """Delete what the run left, in at most SWEEP_SECONDS; after an interrupt look again after a pause, for a
        create that was still in flight. A second interrupt abandons it (and says so). An interrupted request's
        connection is closed by httpcore, so the clients can be used on."""
        try:
            with run.transport.cutoff(ledger.SWEEP_SECONDS):
                run.cleanup = ledger.sweep(run.ledger, run.clients(), confirm_seconds=run.config.run.active_timeout,
                                           rescan_after=ledger.RESCAN_PAUSE if self.interrupted else None)
        except KeyboardInterrupt:
            left = [f"{e.label} (not confirmed removed)" for e in run.ledger.pending()]
            run.cleanup = ledger.CleanupResult(left=left, abandoned="cleanup abandoned after a second interrupt: "
                                               f"tasks named {run.prefix}-... may remain on the target")

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        run = self.settings.run
        lines = [f"tasks-conformance: timeouts connect {run.connect_timeout:g} s, read {run.request_timeout:g} s, "
                 f"total {run.total_timeout:g} s per request; bodies up to {run.max_body_bytes} bytes"
                 + (f"; at most {run.max_rps:g} requests/s" if run.max_rps else "")]
        if run.insecure:
            lines.append("tasks-conformance: WARNING: TLS certificate verification is OFF (--insecure)")
        return lines

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from conformance.report.terminal import write_summary

        if self.run is None:
            return
        write_summary(terminalreporter, requirement_results(self.outcomes, strict=self.settings.run.strict),
                      self.run, notes=self.notes(),
                      error=f"preflight failed: {self.preflight_error}" if self.preflight_error else None)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._restore_signal_handlers()
        if self.run is not None:
            self.run.close()
            if self.run.server is not None:
                self.run.server.stop()


EVIDENCE_KEY = pytest.StashKey[EvidenceLog]()


def _skip_if_rate_limited() -> Generator[None, Any, Any]:
    """A hook wrapper's body: a check whose request was still rate limited (429) after every retry is skipped,
    not failed. A 429 is not a contract failure."""
    try:
        return (yield)
    except RateLimited as exc:
        raise pytest.skip.Exception(str(exc), _use_item_location=True) from None


def requirement_ids(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids += [str(a) for a in marker.args]
    return tuple(dict.fromkeys(ids))


def _request_line(exchange: Exchange) -> str:
    path = exchange.url.split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if "/" in path else "/"
    status = exchange.status if exchange.status is not None else "no response"
    ctype = next((v for k, v in exchange.response_headers if k.lower() == "content-type"), "no content type")
    return f"{exchange.method} {path.split('?', 1)[0]} ({status}, {ctype})"


def _is_redirect(exchange: Exchange) -> bool:
    return exchange.status is not None and 300 <= exchange.status < 400


def _redirect_note(exchange: Exchange) -> str:
    location = next((v for k, v in exchange.response_headers if k.lower() == "location"), None)
    where = f" to {location!r}" if location else ""
    return (f"the server answered a redirect ({exchange.status}){where}, which the contract does not expect; "
            "the suite never follows redirects")


def _last_error_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.startswith("E "):
            return line[1:].strip()
    return text.splitlines()[-1] if text else ""

