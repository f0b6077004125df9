"""The recorder: turns each check's pytest phases (setup, call, teardown) into one `CheckOutcome`, exactly once.

It is a pytest plugin object. For every phase it reads the exception the phase ended with (a `CheckFailure`, a
`Blocked`, a transport error, a rate limit, anything else), gives pytest a plain, redacted failure text to print,
and when the teardown is done it records the check's outcome: status, one-line message, the requirements a
failure breaks, the evidence the check's requests left. Nothing is added to pytest's objects; reporters never
look at pytest's reports, only at the outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.runner.http.client import RateLimited, TransportError
from conformance.runner.http.transport import NotSent
from conformance.runner.outcomes.verdict import waiver_subject
from conformance.runner.records.evidence import EvidenceLog, EvidenceSink, Exchange, Shared
from conformance.runner.records.outcome import BLOCKED, PASSED, SKIPPED, CheckOutcome, check_id, failure_status
from conformance.runner.records.redact import Redactor
from conformance.runner.tasks.expect import Blocked, CheckFailure

# Exceptions a check meets when an answer is not what it could parse: reported as an unexpected answer.
_ANSWER_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError)
_SHOWN_REQUESTS = 8  # requests listed in a failure's text (the reports have them all)


def requirement_ids(item: pytest.Item) -> tuple[str, ...]:
    """The requirement ids a check's `requirement` marks name, in order."""
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids += [str(a) for a in marker.args]
    return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class _Phase:
    """How one phase of a check ended."""

    when: str
    status: str  # PASSED, FAILED, BLOCKED or SKIPPED
    message: str = ""
    broken: tuple[str, ...] = ()
    details: str = ""
    duration: float = 0.0
    complete: bool = False


class Recorder:
    """One outcome per check, in run order (`outcomes`)."""

    def __init__(self, redactor: Callable[[], Redactor], evidence: Callable[[], EvidenceSink | None],
                 waived: Callable[[tuple[str, ...]], str | None] = lambda ids: None) -> None:
        self._redactor = redactor
        self._evidence = evidence
        self._waived = waived  # the waivers' words when every requirement given is waived (else None)
        self.outcomes: list[CheckOutcome] = []
        self._phases: dict[str, list[_Phase]] = {}
        self._logs: dict[str, EvidenceLog] = {}
        self._shown: dict[tuple[str, str], tuple[str, str, str]] = {}  # (node id, phase) shown as blocked or waived

    # --- a check's requests are its evidence -------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, None]:
        sink = self._evidence()
        if sink is not None:
            self._logs[item.nodeid] = sink.begin(check_id(item.path, item.nodeid))
        try:
            yield
        finally:
            if sink is not None:
                sink.end()
            self._logs.pop(item.nodeid, None)

    # --- a request still rate limited after every retry skips the check: a 429 is not a contract failure; so does
    # --- a request read-only mode did not send ----------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from _skip_if_rate_limited())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from _skip_if_rate_limited())

    # --- each phase --------------------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        if call.when == "call":
            self._include_shared(item)
        result = yield
        report: pytest.TestReport = result.get_result()
        redactor = self._redactor()
        log = self._logs.get(item.nodeid)
        phase = self._phase(item, call, report, log, redactor)
        redact_report(report, redactor, phase.details or phase.message)
        own = requirement_ids(item)
        subject = waiver_subject(phase.status, phase.broken, own)  # the run result's rule (verdict.check_status)
        waived = self._waived(subject) if subject else None
        if waived is not None:
            # A known failure an unexpired waiver covers: for pytest neither a failure nor an error, and it says why.
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"waived: {waived}: {phase.message}")
            self._shown[(report.nodeid, report.when)] = ("waived", "w", "WAIVED")
        elif phase.status == BLOCKED and isinstance(call.excinfo.value if call.excinfo else None,
                                                    CheckFailure | TransportError):
            # For pytest, a check that could not run is not an error of its own: one line per cause in the summary.
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"blocked: {phase.message}")
            self._shown[(report.nodeid, report.when)] = ("blocked", "b", "BLOCKED")
        self._phases.setdefault(item.nodeid, []).append(phase)
        if call.when == "teardown":
            self.outcomes.append(self._outcome(item, log))

    def _include_shared(self, item: pytest.Item) -> None:
        """The requests behind the shared fixture results a check judges go first in its evidence."""
        log = self._logs.get(item.nodeid)
        if log is None:
            return
        shared = [e for value in getattr(item, "funcargs", {}).values() if isinstance(value, Shared)
                  for e in value.evidence if e not in log.exchanges]
        log.exchanges[:0] = shared

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        return self._shown.get((report.nodeid, report.when))

    def _phase(self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport,
               log: EvidenceLog | None, redactor: Redactor) -> _Phase:
        if report.passed:
            return _Phase(call.when, PASSED, duration=report.duration)
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            return _Phase(call.when, SKIPPED, redactor.text(str(reason).removeprefix("Skipped: ")),
                          duration=report.duration)
        error = call.excinfo.value if call.excinfo is not None else None
        broken: tuple[str, ...] = ()
        blocked = complete = False
        if isinstance(error, CheckFailure):
            message, broken, blocked = str(error), error.requirements, isinstance(error, Blocked)
            complete = error.complete
        elif isinstance(error, TransportError):
            message = str(error)
        elif isinstance(error, _ANSWER_ERRORS) and log and log.exchanges:
            text = str(error).splitlines()[0] if str(error) else ""
            message = f"unexpected answer to {_request_line(log.exchanges[-1])}: {type(error).__name__}: {text}"
            message = message.rstrip(": ")
        else:
            message = _last_error_line(report.longreprtext) or type(error).__name__
        plain = isinstance(error, CheckFailure | TransportError)
        if log and log.exchanges and _is_redirect(log.exchanges[-1]):
            first, _, rest = message.partition("\n")
            message = f"{first} ({_redirect_note(log.exchanges[-1])})" + (f"\n{rest}" if rest else "")
        details = _failure_text(message, log) if plain else f"{message}\n\n{report.longreprtext}"
        status = failure_status(call.when, requirement_ids(item), broken, blocked)
        one_line = redactor.text(message.strip().splitlines()[0] if message.strip() else "")
        if call.when == "setup" and status == BLOCKED and not blocked:
            one_line = "could not set up the check: " + one_line
        elif call.when == "teardown":
            one_line = "teardown: " + one_line
        return _Phase(call.when, status, one_line, broken, redactor.text(details), report.duration, complete)

    def _outcome(self, item: pytest.Item, log: EvidenceLog | None) -> CheckOutcome:
        phases = self._phases.pop(item.nodeid, [])
        ended = next((p for p in phases if p.status != PASSED), None)  # the first phase that did not pass
        return CheckOutcome(
            id=check_id(item.path, item.nodeid),
            requirements=requirement_ids(item),
            status=ended.status if ended is not None else PASSED,
            message=ended.message if ended is not None else "",
            broken=ended.broken if ended is not None else (),
            duration=round(sum(p.duration for p in phases), 4),
            evidence=tuple(log.exchanges) if log is not None else (),
            details=ended.details if ended is not None else "",
            properties=tuple((str(k), str(v)) for k, v in item.user_properties),
            complete=ended.complete if ended is not None else False,
        )


def _skip_if_rate_limited() -> Generator[None, Any, Any]:
    try:
        return (yield)
    except (RateLimited, NotSent) as exc:
        raise pytest.skip.Exception(str(exc), _use_item_location=True) from None


def redact_report(report: pytest.TestReport, redactor: Redactor, failure_text: str) -> None:
    """What pytest prints of a phase (its failure text, skip reason, captured output), secrets masked: the plain,
    redacted `failure_text` for a failure."""
    if report.sections:
        report.sections = [(title, redactor.text(content)) for title, content in report.sections]
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        path, line, reason = report.longrepr
        report.longrepr = (path, line, redactor.text(str(reason)))
    elif report.failed:
        report.longrepr = failure_text


def _failure_text(message: str, log: EvidenceLog | None) -> str:
    lines = [message]
    if log and log.exchanges:
        lines += ["", "requests made by this check (secrets redacted):"]
        lines += [f"  {e.summary()}" for e in log.exchanges[-_SHOWN_REQUESTS:]]
        lines.append(f"reproduce the last one: {log.exchanges[-1].curl()}")
    return "\n".join(lines)


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
