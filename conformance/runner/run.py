"""A conformance run inside pytest: from the validated configuration to the one run result.

`ConformanceRun` is the pytest plugin object of one run. It selects the checks (read-only mode, `--check`),
starts the embedded reference server when there is no target, runs the preflight, keeps the recorder (one
outcome per check), stops the run when the target stops answering, turns Ctrl-C and SIGTERM into an orderly end,
removes what the run created, and builds the `RunResult`. What becomes of the result (reports, the terminal
summary) is the caller's `publish` callback: this module does not know the report formats.

At the end of an interrupted run the (incomplete) reports are published first, then the cleanup runs (bounded),
then the reports are published again with what the cleanup did: a second interrupt or a kill during the cleanup
still leaves reports behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import pytest

import conformance
from conformance.contracts.profiles import Terms
from conformance.contracts.requirements import catalogue
from conformance.runner.http.client import RateLimited, TransportError
from conformance.runner.http.readonly import ReadOnlyGate
from conformance.runner.outcomes.recorder import Recorder, requirement_ids
from conformance.runner.outcomes.result import RunFacts, RunResult, build_result
from conformance.runner.outcomes.verdict import waived_words
from conformance.runner.process.interrupts import interrupts
from conformance.runner.records import redact
from conformance.runner.records.evidence import EvidenceLog
from conformance.runner.records.outcome import CleanupResult
from conformance.runner.scope import Scope, named, scope_for, split
from conformance.runner.settings.config import WAIT_BUDGET_PER_ACTIVE_TIMEOUT, Config, display_url
from conformance.runner.settings.exitcodes import EXIT_USAGE, say
from conformance.runner.target.preflight import PreflightError, run_preflight
from conformance.runner.tasks import cleanup, waits
from conformance.runner.tasks.factory import finish_up_front, start_up_front
from conformance.runner.tasks.session import RunContext
from conformance.runner.tasks.starts import run_order

# This many requests in a row without any response: the target stopped answering; the run stops (exit 3).
DEAD_AFTER = 10
# At most about this many characters of one line of the run's own words that carries what the server said (a task's
# name in the cleanup's report, an error message in the preflight's): a server's text may be of any length.
SERVER_TEXT_LINE = 1_000
Publish = Callable[[RunResult], None]


class EmbeddedServer(Protocol):
    """What the run needs of the server it checks when no target is given: the entry points hand it one, built from
    the settings before collection (plugin/suite.py embedded_server), so the run never imports the reference server."""

    def start(self) -> object: ...

    def stop(self) -> None: ...

    def target_config(self) -> Mapping[str, Any]: ...


class ConformanceRun:
    """The hooks of one conformance run."""

    def __init__(self, config: Config, *, checks: Iterable[str] = (), publish: Publish | None = None,
                 embedded: EmbeddedServer | None = None) -> None:
        self.config = config  # as validated; the embedded server's values are in self.run.config
        self.embedded = embedded  # not started yet; None when there is a target
        self.selected = tuple(checks)
        self.publish = publish or (lambda result: None)
        self.recorder = Recorder(redact.active, lambda: self.run.evidence if self.run is not None else None,
                                 self._waiver_words)
        self.run: RunContext | None = None
        self.result: RunResult | None = None
        self.preflight_error: str | None = None
        self.usage_error: str | None = None  # why the run stopped before its checks with EXIT_USAGE
        self.internal_error: str | None = None  # an exception of the suite outside any check (pytest's INTERNALERROR)
        self.scope: Scope | None = None  # what the run judges by, once the preflight knows the target
        self.interrupted: str | None = None  # "SIGINT" / "SIGTERM" once the run was interrupted
        self.stopped: str | None = None  # why the run stopped early on its own (the target stopped answering)
        self.started = time.time()
        self._session: pytest.Session | None = None
        self._cleanup_phase: str | None = None  # None (running), "sweep" or "reports"
        self._extra_signals = 0
        self._previous_handlers: dict[int, Any] = {}
        self._install_signal_handlers()  # as early as the run exists: a signal before it would be Python's

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.pluginmanager.register(self.recorder, "tasks-conformance-recorder")
        _keep_hypothesis_out_of_the_working_directory()

    # --- interrupts: Ctrl-C and SIGTERM stop the checks, never the cleanup or the reports ---------------------
    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue  # ignored on purpose by whoever started the run (nohup, a background job): keep it so
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
            if self._session is not None:
                self._session.shouldstop = f"interrupted by {name}"  # between checks, if nothing else stops it
            interrupts.interrupt()
            return
        self._extra_signals += 1
        if self._cleanup_phase == "sweep" and self._extra_signals > 1:
            interrupts.interrupt()  # abandon the cleanup: the user insists
            return
        if self._extra_signals == 1:
            what = ("deleting the tasks this run created (interrupt again to abandon the cleanup)"
                    if self._cleanup_phase == "sweep" else "writing the reports")
            with contextlib.suppress(OSError, ValueError):  # a closed or full terminal: the reports still come
                sys.stderr.write(f"\ntasks-conformance: {name} received while {what}\n")

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # pytest calls this for pytest.exit() too: only a real Ctrl-C is an interrupt.
        if self.interrupted is None and type(excinfo.value) is KeyboardInterrupt:
            self.interrupted = "SIGINT"

    def pytest_internalerror(self, excrepr: object, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """An exception of the suite outside every check (a hook, the set-up of the run): the run cannot conclude,
        and its result says so (never a pass)."""
        if self.internal_error is None:
            text = str(excinfo.value).splitlines()[0] if str(excinfo.value) else ""
            self.internal_error = (f"internal error of the suite ({type(excinfo.value).__name__}"
                                   f"{': ' + text[:300] if text else ''}); please report it")

    # --- stopping before the checks: one plain line, exit 2 (usage) or 3 (the target cannot be checked) ---------
    def _stop_for_usage(self, session: pytest.Session, message: str) -> None:
        """The user's settings or command line cannot run: say so in one line (as the CLI says a configuration
        error) and run no check; pytest's session ends with EXIT_USAGE (pytest_sessionfinish)."""
        self.usage_error = message
        say(message)
        if session.items:
            session.config.hook.pytest_deselected(items=list(session.items))
            session.items[:] = []

    # --- which checks run ------------------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        known = catalogue()
        problems = []
        for item in items:
            ids = requirement_ids(item)
            if not ids:
                problems.append(f"{item.nodeid} names no requirement")
            problems += [f"{item.nodeid} names unknown requirement {rid}" for rid in ids if rid not in known]
        if problems:
            self._stop_for_usage(session, "bad check definitions: " + "; ".join(problems[:5]))
            return
        keep = list(items)
        if self.config.run.read_only:
            keep = [i for i in keep if i.get_closest_marker("readonly")]
        if self.selected:
            chosen, unknown = named(items, self.selected, known)
            if unknown:
                self._stop_for_usage(session, f"configuration error: no check or requirement with the id "
                                              f"{unknown[0]!r} (--check takes the check ids every report and "
                                              "`tasks-conformance requirements --json` show, or a requirement id)")
                return
            keep = [i for i in keep if i in chosen]
        dropped = [i for i in items if i not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = _slow_starts_overlapped(keep)

    # --- set-up: embedded server and preflight -----------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        self._session = session
        interrupts.check()  # a signal during collection stops the run here
        if session.config.option.collectonly or not session.items or self.usage_error:
            return None
        self.run = self._begin(self.embedded)
        self.run.evidence.label = "the preflight"
        try:
            run_preflight(self.run)
        except PreflightError as exc:
            self.preflight_error = self.run.redactor.cut(str(exc), SERVER_TEXT_LINE)
        except Exception as exc:  # noqa: BLE001 - a crash in the preflight never passes for a verdict
            self.preflight_error = self.run.redactor.cut(
                f"internal error of the suite in the preflight ({type(exc).__name__}: {exc}); please report it",
                SERVER_TEXT_LINE)
        if self.preflight_error:
            return True  # no check runs; the result says why (exit 3)
        self._judge_by(session, self.run.terms)
        start_up_front(self.run, (_names(item) for item in session.items))
        return None

    def _judge_by(self, session: pytest.Session, terms: Terms) -> None:
        """The profile's contract and requirements from now on; the checks outside them leave the run."""
        self.scope = scope_for(terms)
        keep, drop = split(session.items, self.scope)
        if drop:
            session.config.hook.pytest_deselected(items=drop)
            session.items[:] = keep

    def _begin(self, server: EmbeddedServer | None) -> RunContext:
        config = self.config
        if server is not None:
            server.start()
            config = config.for_embedded(server.target_config())
        seed = config.run.seed if config.run.seed is not None else random.SystemRandom().randrange(2**31)
        return RunContext.begin(config, seed, server, redactor=redact.active())

    # --- during the run ------------------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self._check_target_alive()

    def _check_target_alive(self) -> None:
        """Stop the run when the target stopped answering: after DEAD_AFTER requests in a row without a response,
        one list request (as in the preflight) decides; if it gets no response either, the run stops (exit 3)."""
        run = self.run
        if run is None or self._session is None or self.stopped:
            return
        said = run.transport.stats.out_of_patience
        if said:
            self.stopped = (f"the target's rate limit asked for more waiting than the run allows ("
                            f"{run.config.run.http.wait_budget:g} s in all, {WAIT_BUDGET_PER_ACTIVE_TIMEOUT} times "
                            f"active_timeout; it last said {said}), so the run stopped")
            self._session.shouldfail = self.stopped
            return
        if run.transport.stats.consecutive_no_response < DEAD_AFTER:
            return
        client = run.client("primary")
        if client is None:
            return
        try:
            client.list_tasks(log=EvidenceLog())  # any answer resets the count: only some endpoints fail
        except RateLimited:
            return
        except TransportError as exc:
            self.stopped = (f"the target stopped answering ({DEAD_AFTER} requests in a row and then a list of "
                            f"tasks got no response: {str(exc).split(': ', 1)[-1]}), so the run stopped")
            self._session.shouldfail = self.stopped

    # --- the end: cleanup, result, reports -----------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        run = self.run
        if self.usage_error:
            session.exitstatus = EXIT_USAGE
        if run is None:
            return
        self._cleanup_phase = "sweep"
        interrupts.forget()
        swept = None
        if self.interrupted:  # the reports first: the cleanup may take a while, or be cut short
            self._finish(session, None)
        if not self.preflight_error or run.ledger.entries():  # a refused preflight may still have made a task
            swept = self._sweep(run)
        self._cleanup_phase = "reports"
        self._finish(session, swept)

    def _finish(self, session: pytest.Session, swept: CleanupResult | None) -> None:
        assert self.run is not None
        self.result = self._result(self.run, swept)
        session.exitstatus = self.result.exit_code
        self.publish(self.result)

    def _sweep(self, run: RunContext) -> CleanupResult:
        """Delete what the run caused and no check deleted, in at most cleanup_timeout. A second interrupt abandons
        it (and says so)."""
        run.evidence.label = "the final sweep"
        try:
            with run.transport.cutoff(run.config.run.cleanup_timeout):
                finish_up_front(run)  # creates still on the wire end first: the sweep then knows every task
                return cleanup.sweep(run.ledger, run.clients(), confirm_seconds=self._confirm_seconds(run),
                                     build_seconds=self._build_seconds(run))
        except KeyboardInterrupt:
            left = [f"{e.label} (not confirmed removed)" for e in run.ledger.pending()]
            return CleanupResult(left=left, abandoned="cleanup abandoned after a second interrupt: "
                                         f"tasks named {run.prefix}-... may remain on the target")

    @staticmethod
    def _confirm_seconds(run: RunContext) -> float:
        """How long the sweep waits for deleted tasks to go: active_timeout, or not at all once a check of the run
        already waited that long for a delete to take effect (one wait per broken behaviour: runner/tasks/waits.py)."""
        if run.waits.timed_out(waits.GONE) or run.waits.timed_out(waits.GONE_FROM_LIST):
            return 0.0
        return run.config.run.active_timeout

    @staticmethod
    def _build_seconds(run: RunContext) -> float:
        """How long the sweep sends again a delete refused while the task's build runs: active_timeout (a build ends
        before its task is active), or not at all once a task of the run never became active or a check already
        waited that long for a build to end (one wait per broken behaviour)."""
        if run.waits.timed_out(waits.ACTIVE) or run.waits.timed_out(waits.BUILT):
            return 0.0
        return run.config.run.active_timeout

    def _waiver_words(self, requirements: tuple[str, ...]) -> str | None:
        """What the waivers say of a check that breaks these requirements (verdict.waived_words), else None."""
        if self.run is None or not self.config.waivers:
            return None
        return waived_words(self.config.waivers, requirements, dt.date.today(), self.run.terms.profile.name,
                            self.run.server_version)

    def stop_reason(self) -> str | None:
        if self.interrupted:
            return f"interrupted by {self.interrupted}"
        return self.stopped

    def notes(self, run: RunContext) -> list[str]:
        """Things the reader of a report must know about how the run talked to the target."""
        out: list[str] = list(run.terms.notes)  # what the choice of the profile needs the reader to know
        settings = run.config.run
        if settings.insecure and (run.config.target.url or "").startswith("https:"):
            out.append("TLS certificate verification was OFF (insecure): the server's identity was not checked. "
                       "Use this only against staging servers.")
        stats = run.transport.stats
        if stats.retried_429:
            out.append(f"The server rate limited the suite: {stats.retried_429} answer(s) 429 were retried after a "
                       f"pause (max_retries_429 {settings.max_retries_429}). Not a contract failure.")
        if stats.gave_up_429:
            out.append(f"{stats.gave_up_429} request(s) were still rate limited after every retry; the checks that "
                       "made them were skipped. Lower --max-rps or rerun later.")
        pace = run.transport.pacer.stats
        if pace.paced:
            out.append(f"The server announced a rate limit ({pace.limit} requests, X-Ratelimit-Limit): {pace.paced} "
                       f"request(s) were held back, {pace.paced_seconds:.1f} s in all, to stay under it.")
        if settings.max_rps:
            out.append(f"The suite's requests were paced to at most {settings.max_rps:g} per second (max_rps).")
        gate = run.transport.gate
        if isinstance(gate, ReadOnlyGate) and gate.refused:
            refusals = gate.refusals()
            out.append(f"Read-only: {len(gate.refused)} unsafe request(s) with a valid session token were not sent, "
                       "and the checks that needed them were skipped: " + "; ".join(refusals[:10])
                       + (f"; and {len(refusals) - 10} more" if len(refusals) > 10 else ""))
        if self.interrupted and self._cleanup_phase == "sweep":
            out.append("These reports were written before the cleanup ran; the cleanup's result follows when it "
                       "ends.")
        return out

    def traffic(self, run: RunContext) -> str:
        """The rate the run used, per minute, its busiest path, and the limit the server announced."""
        stats, pace = run.transport.stats, run.transport.pacer.stats
        seconds = max(time.time() - self.started, 1.0)
        text = f"{stats.requests} requests in {seconds:.0f} s ({stats.requests * 60 / seconds:.0f} a minute)"
        if pace.busiest_path:
            text += f"; at most {pace.busiest_minute} within a minute with one token to one path ({pace.busiest_path})"
        if pace.limit:
            text += (f"; the server announced {pace.limit} (X-Ratelimit-Limit), the lowest remaining it reported was "
                     f"{pace.lowest_remaining}")
        return text

    def _result(self, run: RunContext, swept: CleanupResult | None) -> RunResult:
        config = run.config
        facts = RunFacts(
            suite_version=conformance.__version__,
            target_url=display_url(config.target.url),
            api_prefix=run.api_prefix,
            embedded=run.server is not None,
            server_version=run.server_version,
            profile=run.terms.profile.name,
            profile_reason=run.terms.reason,
            seed=run.seed,
            run_prefix=run.prefix,
            read_only=config.run.read_only,
            strict=config.run.strict,
            fuzz_budget=config.run.fuzz_budget,
            started=self.started,
            finished=time.time(),
            config=_redacted_config(config),
            sources=dict(config.sources),
            reference_faults=config.run.reference_faults if run.server is not None else (),
            reference_variations=config.run.reference_variations if run.server is not None else (),
            notes=tuple(run.redactor.text(n) for n in self.notes(run)),
            fuzzing=tuple(run.fuzz_summary),
            traffic=run.redactor.text(self.traffic(run)),
            cleanup=_redacted(swept, lambda text: run.redactor.cut(text, SERVER_TEXT_LINE)),
            error=(f"preflight failed: {self.preflight_error}" if self.preflight_error else
                   run.redactor.text(self.internal_error) if self.internal_error else None),
            stopped=self.stop_reason(),
            interrupted=self.interrupted,
            rerun=self.config.rerun_command(run.seed, config.run.fuzzing_seed,
                                            str(Path(config.run.report_dir) / "repeat")),
            rerun_check=self.config.rerun_command(run.seed, config.run.fuzzing_seed,
                                                  str(Path(config.run.report_dir) / "rerun")),
            baseline=config.run.baseline,
            deleted_tasks=tuple(entry.id for entry in run.ledger.entries() if entry.gone),
            exchanges=tuple(run.traffic.entries) if run.traffic is not None else (),
            exchanges_left_out=run.traffic.left_out() if run.traffic is not None else "",
        )
        scope = self.scope or scope_for(run.terms)
        return build_result(self.recorder.outcomes, facts, scope.catalogue, waivers=config.waivers,
                            baseline=config.baseline, unpromised=scope.unpromised)

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        run = self.config.run
        lines = [f"tasks-conformance: timeouts connect {run.connect_timeout:g} s, read {run.request_timeout:g} s, "
                 f"total {run.total_timeout:g} s per request; bodies up to {run.max_body_bytes} bytes"
                 + (f"; at most {run.max_rps:g} requests/s" if run.max_rps else "")]
        if run.insecure:
            lines.append("tasks-conformance: WARNING: TLS certificate verification is OFF (--insecure)")
        return lines

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._restore_signal_handlers()
        if self.run is not None:
            self.run.close()
            if self.run.server is not None:
                self.run.server.stop()


def _names(item: pytest.Item) -> list[str]:
    """The fixtures a check uses and its own name (what runner/tasks/starts.py declarations are keyed by)."""
    return [*getattr(item, "fixturenames", ()), getattr(item, "originalname", item.name)]


def _slow_starts_overlapped(items: list[pytest.Item]) -> list[pytest.Item]:
    """Whole modules (their module-scoped fixtures stay set up once) in the order that overlaps task start-ups with
    the checks that need none: the modules watching a task of their own start first, then those needing no started
    task, then those needing a task started up front (runner/tasks/starts.py); otherwise as collected."""
    modules: dict[Any, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.getparent(pytest.Module) or item.parent, []).append(item)
    ranked = sorted(modules.values(), key=lambda group: run_order(n for i in group for n in _names(i)))
    return [item for group in ranked for item in group]


def _keep_hypothesis_out_of_the_working_directory() -> None:
    """Hypothesis keeps caches (Unicode tables) in `./.hypothesis` unless told otherwise: a run leaves nothing in
    the directory it was started from; they go to the user's cache directory, where the next run finds them.
    Hypothesis reads its documented HYPOTHESIS_STORAGE_DIRECTORY when it first touches storage, so a run that does
    not fuzz never imports it."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tasks-conformance" / "hypothesis"
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(cache)


def _redacted(cleanup: CleanupResult | None, text: Callable[[str], str]) -> CleanupResult | None:
    """What the cleanup found, fit for the reports: server-supplied names and transport reasons redacted, each line
    bounded (`text`)."""
    if cleanup is None:
        return None
    return CleanupResult(swept=[text(t) for t in cleanup.swept], left=[text(t) for t in cleanup.left],
                         unknown=[text(t) for t in cleanup.unknown], foreign=[text(t) for t in cleanup.foreign],
                         caused=[text(t) for t in cleanup.caused],
                         abandoned=text(cleanup.abandoned) if cleanup.abandoned else None)


def _redacted_config(config: Config) -> dict[str, dict[str, Any]]:
    data = config.redacted()
    data["target"]["url"] = display_url(data["target"].get("url"))
    return data


RUN_KEY = pytest.StashKey[ConformanceRun]()  # the plugin keeps the run here; the checks' fixtures read it


def run_context(config: pytest.Config) -> RunContext:
    """The run's context, for fixtures. Only exists in a conformance run."""
    run = config.stash.get(RUN_KEY, None)
    if run is None or run.run is None:
        pytest.fail("conformance checks need a conformance run: use `pytest --pyargs conformance` "
                    "or `tasks-conformance run`", pytrace=False)
    return run.run
