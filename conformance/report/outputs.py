"""The report outputs of a conformance run, as one pytest plugin object.

- redacts every test report (failure text, exception messages, skip reasons, captured output) before any
  reporter sees it, and gives failures a one-line message (the JUnit `message`, the same as the HTML's);
- adds requirement ids, levels and status to each JUnit test case (user_properties -> <properties>) and the
  verdict and provenance to the JUnit test suite;
- writes results.json (`finish`, called by the conformance plugin once the verdict is known);
- feeds the HTML report (conformance.report.html.HtmlHooks);
- makes sure a report that cannot be written is reported, and never changes the verdict or the exit code.

Wiring (conformance/plugin.py): `register_reports(config, plugin)` in pytest_configure, and
`finish_reports(config, session)` in pytest_sessionfinish after the verdict is set.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.contracts.requirements import catalogue, strongest
from conformance.report.html import FailedCheck, HtmlHooks
from conformance.report.results import RESULTS_FILE, RunFacts, build_results, check_status, write_results
from conformance.runner.redact import Redactor
from conformance.runner.verdict import CheckOutcome, failed_outcome

if TYPE_CHECKING:
    from conformance.plugin import ConformancePlugin

REPORTS_KEY = pytest.StashKey["ReportOutputs"]()
_PASSING_EXITS = (0, 1)


class PlainFailure(str):
    """A failure's text as a plain string that also carries its one-line message.

    pytest prints the string; JUnit XML and pytest's short summary take `reprcrash.message`.
    """

    reprcrash: _Crash

    def __new__(cls, text: str, message: str) -> PlainFailure:
        obj = super().__new__(cls, text)
        obj.reprcrash = _Crash(message)
        return obj


class _Crash:
    def __init__(self, message: str) -> None:
        self.message = message
        self.path = ""
        self.lineno = 0


def register_reports(config: pytest.Config, host: ConformancePlugin) -> ReportOutputs:
    """Create and register the report plugin (and the HTML hooks when pytest-html writes a report)."""
    outputs = ReportOutputs(config, host)
    config.stash[REPORTS_KEY] = outputs
    config.pluginmanager.register(outputs, "tasks-conformance-reports")
    if config.getoption("htmlpath", None):
        config.pluginmanager.register(HtmlHooks(outputs), "tasks-conformance-html")
    return outputs


def finish_reports(config: pytest.Config, session: pytest.Session) -> None:
    """Write results.json and finish the JUnit properties. Never raises."""
    outputs = config.stash.get(REPORTS_KEY, None)
    if outputs is not None:
        outputs.finish(session)


class ReportOutputs:
    def __init__(self, config: pytest.Config, host: ConformancePlugin) -> None:
        self.config = config
        self.host = host
        self.started = time.time()
        self.results: dict[str, Any] | None = None
        self.results_path: Path | None = None
        self.problems: list[str] = []
        self._phases: dict[str, dict[str, pytest.TestReport]] = {}
        self._failed: dict[str, FailedCheck] = {}
        self._failed_writers: set[str] = set()
        self._check_report_paths()

    # --- helpers -------------------------------------------------------------------------------------------
    def redactor(self) -> Redactor:
        run = self.host.run
        return run.redactor if run is not None else Redactor(self.host.settings.target.secrets())

    def problem(self, text: str) -> None:
        """A report could not be written (fully): say so at the end of the run; the verdict is unchanged."""
        text = self.redactor().text(text)
        if text not in self.problems:
            self.problems.append(text)

    def levels(self) -> dict[str, str]:
        return {rid: r.level for rid, r in catalogue().items()}

    def report_dir(self) -> Path:
        return Path(self.host.settings.run.report_dir)

    def _check_report_paths(self) -> None:
        """Runs before pytest-html and junitxml open their files: an unusable directory disables that output."""
        for option, label in (("htmlpath", "HTML report"), ("xmlpath", "JUnit XML")):
            path = getattr(self.config.option, option, None)
            if not path:
                continue
            try:
                Path(path).expanduser().absolute().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.problem(f"{label} not written: cannot create the directory for {path}: {exc.strerror or exc}")
                setattr(self.config.option, option, None)

    # --- guard the other writers: a failure to write is a warning, not a crash -------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.started = time.time()
        try:
            self._guard_writers()
        except Exception as exc:  # pragma: no cover - defensive
            self.problem(f"could not guard the report writers: {exc}")

    def _guard_writers(self) -> None:
        from _pytest.junitxml import xml_key

        pm = self.config.pluginmanager
        targets: list[tuple[object, str]] = []
        xml = self.config.stash.get(xml_key, None)
        if xml is not None:
            targets.append((xml, f"JUnit XML ({xml.logfile})"))
        try:
            from pytest_html.basereport import BaseReport
        except ImportError:  # pragma: no cover - pytest-html is a dependency
            BaseReport = None  # noqa: N806
        if BaseReport is not None:
            targets += [(p, f"HTML report ({p._report_path})") for p in pm.get_plugins() if isinstance(p, BaseReport)]
        for plugin, label in targets:
            for impl in pm.hook.pytest_sessionfinish.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function = self._guarded(impl.function, label)  # type: ignore[misc]
            for impl in pm.hook.pytest_terminal_summary.get_hookimpls():
                if impl.plugin is plugin:
                    impl.function = self._unless_failed(impl.function, label)  # type: ignore[misc]

    def _guarded(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                self._failed_writers.add(label)
                self.problem(f"{label} not written: {type(exc).__name__}: {exc}")
                return None
        return guarded

    def _unless_failed(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        def maybe(*args: Any, **kwargs: Any) -> Any:
            if label in self._failed_writers:
                return None
            return fn(*args, **kwargs)
        return maybe

    # --- each check: redaction, one-line messages, JUnit properties -------------------------------------------
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        try:
            redact_report(report, self.redactor())
            self._add_properties(item, report)
        except Exception as exc:  # pragma: no cover - defensive: never break a check's report
            self.problem(f"could not prepare the report of {report.nodeid}: {type(exc).__name__}: {exc}")

    def _add_properties(self, item: pytest.Item, report: pytest.TestReport) -> None:
        ids = list(getattr(report, "requirements", ()) or ())
        if not ids:
            return
        cat = catalogue()
        props: list[tuple[str, object]] = [("requirement", rid) for rid in ids]
        props.append(("level", strongest([cat[r].level for r in ids if r in cat])))
        if report.when in ("call", "teardown") or not report.passed:
            phases = dict(self._phases.get(report.nodeid, {}))
            phases[report.when] = report
            props.append(("status", self._status(ids, phases)))
        report.user_properties = [p for p in report.user_properties if p[0] not in {n for n, _ in props}]
        report.user_properties.extend(props)

    def _status(self, ids: list[str], phases: dict[str, pytest.TestReport]) -> str:
        failed = next((r for r in phases.values() if r.failed), None)
        if failed is not None:
            broken = tuple(getattr(failed, "broken", ()) or ())
            status = failed_outcome(failed.when, tuple(ids), broken, getattr(failed, "blocked", False))
            outcome = CheckOutcome(failed.nodeid, tuple(ids), status, broken=broken)
        elif any(r.skipped for r in phases.values()):
            outcome = CheckOutcome("", tuple(ids), "skipped")
        else:
            outcome = CheckOutcome("", tuple(ids), "passed")
        return check_status(outcome, self.host.settings.run.strict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        try:
            self._phases.setdefault(report.nodeid, {})[report.when] = report
            if report.failed:
                self._record_failure(report)
        except Exception as exc:  # pragma: no cover - defensive
            self.problem(f"could not record the evidence of {report.nodeid}: {type(exc).__name__}: {exc}")

    def _record_failure(self, report: pytest.TestReport) -> None:
        ids = list(getattr(report, "requirements", ()) or ())
        text = report.longreprtext
        crash = getattr(report.longrepr, "reprcrash", None)
        message = getattr(crash, "message", None) or (text.splitlines()[0] if text else "")
        if report.when == "teardown":
            message = "teardown: " + message
        previous = self._failed.get(report.nodeid)
        if previous is not None and report.when == "teardown":
            previous.evidence = list(getattr(report, "evidence", []) or previous.evidence)
            return  # the check itself already failed: keep its message
        self._failed[report.nodeid] = FailedCheck(
            id=report.nodeid,
            status="failed",
            message=message.splitlines()[0] if message else "",
            requirements=ids,
            broken=list(getattr(report, "broken", ()) or ()),
            evidence=list(getattr(report, "evidence", []) or []),
            details=text,
        )

    def check_status_of(self, nodeid: str) -> str | None:
        phases = self._phases.get(nodeid)
        if not phases:
            return None
        ids = list(getattr(next(iter(phases.values())), "requirements", ()) or ())
        return self._status(ids, phases) if ids else None

    def failed_checks(self) -> list[FailedCheck]:
        """Failed, warned and blocked checks, with the message the verdict uses (same as results.json and JUnit)."""
        messages = {o.nodeid: o.message for o in self.host.outcomes}
        out = []
        for nodeid, failure in self._failed.items():
            status = self.check_status_of(nodeid) or "failed"
            if status not in ("failed", "warning", "blocked"):
                continue
            failure.status = status
            if messages.get(nodeid):
                failure.message = messages[nodeid]
            out.append(failure)
        return out

    # --- the end of the run ----------------------------------------------------------------------------------
    def unavailable_reason(self) -> str:
        if self.host.preflight_error:
            return f"preflight failed: {self.redactor().text(self.host.preflight_error)}"
        if self.host.run is None:
            return "no check ran (nothing selected, collection only, or the run stopped before the checks)"
        return "the results could not be computed: " + "; ".join(self.problems)

    def finish(self, session: pytest.Session) -> None:
        """Build the results, write results.json, add the JUnit suite properties. Never raises."""
        run = self.host.run
        if run is None:
            return
        try:
            exit_code = int(session.exitstatus)
            error = None
            stopped = self.host.stop_reason()
            if self.host.preflight_error:
                error = f"preflight failed: {self.host.preflight_error}"
            elif stopped:
                error = f"{stopped} before all checks ran (exit code {exit_code}): the results are incomplete"
            elif exit_code not in _PASSING_EXITS:
                error = f"the run stopped early (exit code {exit_code})"
            facts = RunFacts(
                settings=self.host.settings, redactor=run.redactor, started=self.started, finished=time.time(),
                exit_code=exit_code, seed=run.seed, run_prefix=run.prefix, server_version=run.server_version,
                embedded=run.server is not None, cleanup=run.cleanup, error=error,
                incomplete=bool(error) and not self.host.preflight_error, notes=self.host.notes(),
            )
            self.results = build_results(self.host.outcomes, facts)
        except Exception as exc:
            self.problem(f"results could not be computed: {type(exc).__name__}: {exc}")
            return
        try:
            self.results_path = write_results(self.results, self.report_dir() / RESULTS_FILE)
        except Exception as exc:
            self.problem(f"results.json not written: {type(exc).__name__}: {exc}")
        try:
            self._junit_suite_properties(self.results)
        except Exception as exc:  # pragma: no cover - defensive
            self.problem(f"JUnit suite properties not added: {type(exc).__name__}: {exc}")

    def _junit_suite_properties(self, results: dict[str, Any]) -> None:
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        if xml is None:
            return
        xml.suite_name = "tasks-conformance"
        target = results["target"]
        for name, value in (
            ("verdict", results["verdict"]),
            ("suite_version", results["suite"]["version"]),
            ("target", f"{target['url']}{target['api_prefix']}"),
            ("server_version", target["server_version"] or ""),
            ("seed", results["seed"]),
            ("strict", results["strict"]),
            ("read_only", results["read_only"]),
        ):
            text = str(value).lower() if isinstance(value, bool) else "" if value is None else str(value)
            xml.add_global_property(name, text)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        try:
            if self.results_path is not None:
                terminalreporter.write_sep("-", f"results: {self.results_path}")
            for text in self.problems:
                terminalreporter.write_line(f"report problem (the verdict is unchanged): {text}", yellow=True)
        except Exception:  # pragma: no cover - the terminal itself failed
            for text in self.problems:
                print(f"report problem (the verdict is unchanged): {text}", file=sys.stderr)


def redact_report(report: pytest.TestReport, redactor: Redactor) -> None:
    """Mask secrets in everything a reporter prints of a test report; give failures a one-line message."""
    if report.sections:
        report.sections = [(title, redactor.text(content)) for title, content in report.sections]
    longrepr = report.longrepr
    if longrepr is None:
        return
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        path, line, reason = longrepr
        report.longrepr = (path, line, redactor.text(str(reason)))
        return
    if isinstance(longrepr, PlainFailure):
        return
    text = redactor.text(report.longreprtext)
    if isinstance(longrepr, str):  # the conformance plugin's plain failure: message first
        first = text.splitlines()[0] if text else ""
        report.longrepr = PlainFailure(text, first)
        return
    crash = getattr(longrepr, "reprcrash", None)
    message = redactor.text(str(getattr(crash, "message", "") or "")).strip()
    first = message.splitlines()[0] if message else _last_error_line(text)
    report.longrepr = PlainFailure(f"{first}\n\n{text}" if first else text, first)


def _last_error_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.startswith("E "):
            return line[1:].strip()
    return text.splitlines()[-1] if text else ""
