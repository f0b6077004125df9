"""Runs the fuzz tiers inside a conformance check.

A `FuzzRun` (one per session) holds the configured Schemathesis schema, the HTTP session, the shared wall-clock
budget and the statistics. A `Tier` (one per check) sends the cases Schemathesis generates and:

- gives every valid task name the run prefix, registers created tasks and deletes them again;
- validates each response with Schemathesis's checks (ignored_auth probes each kind of request once a run,
  auth_probes.py), drops what the documentation allows (tolerance.py), applies the auth guard (guard.py), and keeps
  one example per distinct failure with its evidence;
- at the end raises one `CheckFailure` naming the failure codes, the requirement ids they break and a curl
  command (token redacted) for each; or skips when the time limit was reached before it began.

The gate tier's request sequence is a function of the seed, the budget and the contract alone: nothing the server
answers flows back into generation. Its fingerprint (sha256 of the requests, with what differs between two runs of
equal arguments named instead of given: Tier.normalized) is
recorded, so two runs can be compared.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import re
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from conformance.fuzz import tolerance
from conformance.fuzz.auth_probes import AuthConfirmations
from conformance.fuzz.guard import AuthGuard
from conformance.fuzz.patches import hypothesis_constants, schemathesis_sessions
from conformance.fuzz.schema import (
    GUARD_CODE,
    NO_RESPONSE_CODE,
    STATEFUL_MAX_STEPS,
    UNUSABLE_CODE,
    FuzzSettings,
    load_schema,
    requirements_for,
)
from conformance.runner.http.client import ApiClient, TransportError
from conformance.runner.http.requests_session import (
    NotSentRequest,
    RateLimitedRequest,
    TransportSession,
    UnusableResponse,
)
from conformance.runner.process.polling import poll_until
from conformance.runner.records.evidence import DISCARD, EvidenceLog, Exchange
from conformance.runner.tasks import cleanup, expect
from conformance.runner.tasks.session import RunContext

NAME_RE = re.compile(r"[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*")
MAX_NAME_LENGTH = 32
LIFECYCLE_WAIT = 3.0  # at most this long a stateful logs/send step waits for its new task to become active
DELETE_WAIT = 30.0  # at most this long a task may stay visible after a 202 delete
DETAIL_LIMIT = 900
_VOLATILE_HEADERS = frozenset({"x-schemathesis-testcaseid"})
CREATE = "createTask"


@dataclass
class FuzzFailure:
    """One distinct failure: its first example and how often it occurred."""

    code: str
    title: str
    detail: str
    operation: str  # "POST /tasks/{user}"
    phase: str
    mode: str
    exchange: Exchange
    count: int = 1

    @property
    def requirements(self) -> tuple[str, ...]:
        return requirements_for(self.code)

    def answer(self) -> str:
        """The status and the start of the body that came back."""
        if self.exchange.status is None:
            return f"no response ({self.exchange.error})"
        body = " ".join(self.exchange.response_body.split())
        return f"{self.exchange.status} {body[:200] + ('...' if len(body) > 200 else '')}".strip()

    def headline(self) -> str:
        status = self.exchange.status if self.exchange.status is not None else "no response"
        path = urlsplit(self.exchange.url).path
        return f"{self.code} {self.title} ({status} for {self.exchange.method} {path})"


@dataclass
class TierStats:
    """What one fuzz check did; shown in the terminal summary and recorded as JUnit properties."""

    tier: str  # "gate" or "stateful"
    subject: str  # the operationId, or "links"
    cases: int = 0
    requests: int = 0  # generated cases and Schemathesis's follow-up probes
    support_requests: int = 0  # lifecycle polls, tolerance probes, cleanup deletes
    created: int = 0
    failures: int = 0
    tolerated: Counter[str] = field(default_factory=Counter)
    stopped: bool = False  # the time limit cut it short
    rate_limited: int = 0  # cases (or follow-up probes) still rate limited (429) after every retry: not checked
    not_sent: int = 0  # cases (or follow-up probes) read-only mode did not send (unsafe, with a valid token)
    elapsed: float = 0.0
    fingerprint: str = ""
    sent: list[str] = field(default_factory=list, repr=False)  # the normalized requests (fingerprint input)

    def line(self) -> str:
        text = (f"{self.tier:8} {self.subject:14} {self.cases:5} cases {self.requests:5} requests "
                f"(+{self.support_requests} support) {self.failures} failure(s) {self.elapsed:5.1f} s")
        if self.tolerated:
            text += f", {sum(self.tolerated.values())} tolerated"
        if self.rate_limited:
            text += f", {self.rate_limited} not checked (still rate limited)"
        if self.not_sent:
            text += f", {self.not_sent} not sent (read-only)"
        if self.stopped:
            text += ", STOPPED at the fuzz time limit"
        return text


def exchange_of(response: Any, redactor: Any) -> Exchange:
    """Evidence of a Schemathesis response (its `request` is what was sent), secrets redacted."""
    request = response.request
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    request_headers = [(k, str(v)) for k, v in request.headers.items() if k.lower() not in _VOLATILE_HEADERS]
    response_headers = [(k, ", ".join(v) if isinstance(v, list) else str(v)) for k, v in response.headers.items()]
    return Exchange.record(redactor, method=str(request.method), url=str(request.url),
                           request_headers=request_headers, request_body=body, status=response.status_code,
                           response_headers=response_headers, response_body=response.content,
                           elapsed=float(response.elapsed))


class FuzzRun:
    """The fuzzing state shared by all fuzz checks of one conformance run."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.settings = FuzzSettings.from_run(run)
        # Sends through the run's transport: the same timeouts, body cap, TLS, pacing and 429 retries as the checks.
        self.http = TransportSession(run.transport)
        self.guard = AuthGuard(self.settings.token)
        self.auth_confirmed = AuthConfirmations()
        self.stats: list[TierStats] = []
        self._schemas: dict[str, Any] = {}
        self._operation_ids: dict[str, str] = {}
        self._started: float | None = None

    def schema(self, tier: str) -> Any:
        """The configured Schemathesis schema of a tier ("gate" or "stateful"), loaded once."""
        if tier not in self._schemas:
            self._schemas[tier] = load_schema(self.settings, self.run.contract.document, stateful=tier == "stateful")
            for op in self.run.contract.operations.values():
                self._operation_ids[f"{op.method} {op.path}"] = op.operation_id
        return self._schemas[tier]

    def operation_id(self, label: str) -> str:
        return self._operation_ids.get(label, label)

    @property
    def primary(self) -> ApiClient:
        client = self.run.client("primary")
        assert client is not None
        return client

    # --- the shared wall-clock budget -----------------------------------------------------------------------
    def start_clock(self) -> None:
        if self._started is None:
            self._started = time.monotonic()

    def time_left(self) -> float:
        self.start_clock()
        assert self._started is not None
        return self._started + self.settings.time_limit - time.monotonic()

    def time_up(self) -> bool:
        return self.time_left() <= 0

    def close(self) -> None:
        self.http.close()

    def summary_lines(self) -> list[str]:
        """What the fuzz tiers did, for the run's reports."""
        if not self.stats:
            return []
        s = self.settings
        lines = [f"seed {s.seed}, budget {s.budget} examples per operation, time limit {s.time_limit:g} s"]
        lines += [stats.line() for stats in self.stats]
        lines.append(f"fuzzing sent {sum(t.requests for t in self.stats)} requests "
                     f"(+{sum(t.support_requests for t in self.stats)} support requests) in "
                     f"{sum(t.elapsed for t in self.stats):.1f} s")
        if any(t.stopped for t in self.stats):
            lines.append(f"the fuzz time limit ({s.time_limit:g} s) was reached: fuzzing stopped early")
        return lines

    # --- the checks -------------------------------------------------------------------------------------------
    def tier(self, tier: str, subject: str) -> Tier:
        if self.time_up():
            pytest.skip(f"fuzzing stopped: the fuzz time limit of {self.settings.time_limit:g} s was reached "
                        f"before the {tier} tier reached {subject}")
        stats = TierStats(tier, subject)
        self.stats.append(stats)
        return Tier(self, stats)


class Tier:
    """One fuzz check: sends cases, validates, tolerates, guards, collects failures; cleans up what it created."""

    def __init__(self, fuzz: FuzzRun, stats: TierStats) -> None:
        self.fuzz = fuzz
        self.run = fuzz.run
        self.stats = stats
        self.token = fuzz.settings.token  # for tolerance.StateProbe
        self.profile = fuzz.settings.profile
        self.contract = fuzz.run.contract
        self.failures: dict[tuple[str, str, str], FuzzFailure] = {}
        self._first_entry = len(self.run.ledger.entries())  # the ledger's entries from here on are this tier's
        self.sent: list[str] = []  # the requests, normalized as in the fingerprint
        self.slow_lifecycle = False  # tasks take longer than LIFECYCLE_WAIT to become active: stop waiting
        self._digest = hashlib.sha256()
        self._started = time.monotonic()

    # --- case preparation ---------------------------------------------------------------------------------
    def prefixed(self, name: str) -> str:
        """A valid name becomes `<run prefix>-<its tail>`: the same shape and, up to 32, the same length."""
        prefix = self.run.prefix
        if name.startswith(prefix + "-"):
            return name
        room = MAX_NAME_LENGTH - len(prefix) - 1
        tail = name[-room:].lstrip("-") or "t"
        return f"{prefix}-{tail}"

    def prepare(self, case: Any) -> None:
        """Give a valid generated task name, and every string input, the run prefix (invalid names stay: they must
        be refused); a body without a string input gets a prefixed name if it has none. Every task a create makes
        then carries the prefix: the ledger claims it from the answer, and the final sweep finds it even when the
        answer was never read (an interrupt mid-request)."""
        if self.fuzz.operation_id(case.operation.label) != CREATE or not isinstance(case.body, dict):
            return
        body = dict(case.body)
        name = body.get("name")
        named = isinstance(name, str) and bool(name) and len(name) <= MAX_NAME_LENGTH and bool(NAME_RE.fullmatch(name))
        if named:
            body["name"] = self.prefixed(str(name))
        if isinstance(body.get("input"), str) and not body["input"].startswith(self.run.prefix):
            body["input"] = f"{self.run.prefix} {body['input']}"
        elif "name" not in body:
            body["name"] = self.run.unique_name("fuzz")  # no input to carry it (a negative case): the name does
        if body != case.body:
            case.body = body

    @property
    def created(self) -> list[str]:
        """The ids of the tasks this tier's requests created (claimed by the run's ledger)."""
        return [entry.id for entry in self.run.ledger.entries()[self._first_entry:]]

    # --- sending ----------------------------------------------------------------------------------------------
    def send(self, case: Any, **kwargs: Any) -> Any:
        """Send the case; None (failure recorded) when no response came back."""
        kwargs.setdefault("session", self.fuzz.http)
        try:
            response = case.call(**kwargs)
        except RateLimitedRequest:
            self.stats.rate_limited += 1  # a 429 is not a contract failure: the case is not checked
            return None
        except NotSentRequest:
            self.stats.not_sent += 1  # read-only mode kept it back: not a finding
            return None
        except requests.RequestException as exc:
            self._no_response(case, exc)
            return None
        self.stats.cases += 1
        self._sent(response.request)
        message = self.fuzz.guard.inspect(case, response)
        if message is not None:
            self.add_failure(GUARD_CODE, "Valid session token refused", message, case, response)
        return response

    def _sent(self, request: Any) -> None:
        """Count a request and add it to the fingerprint (method, path and query, body; run prefix normalized)."""
        self.stats.requests += 1
        parts = urlsplit(str(request.url))
        body = request.body or b""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        line = self.normalized(json.dumps([str(request.method), parts.path, parts.query, body]))
        self.sent.append(line)
        self._digest.update(line.encode() + b"\n")

    def normalized(self, line: str) -> str:
        """A request as the fingerprint holds it: secrets masked, and what differs between two runs with equal
        arguments named instead of given: the run prefix, the configured template version (the embedded server makes
        a new one per start), the ids the server gave this tier's tasks (in the order they were created)."""
        line = self.run.redactor.text(line).replace(self.run.prefix, "<prefix>")
        template_version = self.run.config.target.template_version_id
        if template_version:
            line = line.replace(template_version, "<template-version>")
        for number, task_id in enumerate(self.created, 1):
            line = line.replace(task_id, f"<task-{number}>")
        return line

    def _no_response(self, case: Any, exc: requests.RequestException) -> None:
        reason = self.run.redactor.cut(str(exc) or type(exc).__name__, 300)
        request = getattr(exc, "request", None)
        status = exc.status if isinstance(exc, UnusableResponse) else None
        exchange = Exchange.record(
            self.run.redactor, method=str(case.method).upper(),
            url=str(getattr(request, "url", None) or case.formatted_path), request_headers=[], request_body=b"",
            status=status, error=reason,
        )
        if isinstance(exc, UnusableResponse):
            self._add(UNUSABLE_CODE, "Unusable response body", f"the answer ({status}) was not taken in: {reason}",
                      case, exchange)
            return
        self._add(NO_RESPONSE_CODE, "No response", f"the request got no response: {reason}", case, exchange)

    # --- validation -------------------------------------------------------------------------------------------
    def send_and_validate(self, case: Any) -> Any:
        """A case of its own (the gate tier's): send it and validate the answer; the response, or None."""
        from schemathesis.engine.recorder import ScenarioRecorder

        recorder = ScenarioRecorder(label=case.operation.label)
        # every argument given: Schemathesis 4.32.3 has no defaults for the last three
        recorder.record_case(case=case, parent_id=None, transition=None, is_transition_applied=False)
        response = self.send(case)
        if response is None:
            return None
        recorder.record_response(case_id=case.id, response=response)
        self.validate(case, response, recorder, {"session": self.fuzz.http})
        return response

    def validate(self, case: Any, response: Any, recorder: Any, transport_kwargs: dict[str, Any]) -> None:
        """Schemathesis's checks; tolerated failures dropped, the others kept with their evidence."""
        from schemathesis.core.failures import FailureGroup

        known = set(recorder.interactions)
        failures: list[Any] = []
        additional, excluded = self.fuzz.auth_confirmed.checks()
        try:
            case.validate_response(response, transport_kwargs=transport_kwargs, recorder=recorder,
                                   additional_checks=additional, excluded_checks=excluded)
        except FailureGroup as group:
            failures = list(group.exceptions)
        except RateLimitedRequest:
            self.stats.rate_limited += 1
        except NotSentRequest:
            self.stats.not_sent += 1
        except requests.RequestException as exc:  # a follow-up probe got no response
            self._no_response(case, exc)
        for case_id, interaction in recorder.interactions.items():
            if case_id in known or interaction.response is None:
                continue  # the case itself, or a probe seen before
            self._sent(interaction.response.request)
        operation_id = self.fuzz.operation_id(case.operation.label)
        for failure in failures:
            reason = tolerance.tolerated(failure.code, operation_id, case, response, self)
            if reason is not None:
                self.stats.tolerated[f"{failure.code} {reason}"] += 1
                continue
            shown = recorder.find_response(case_id=failure.case_id) if failure.case_id else None
            self.add_failure(failure.code, failure.title, str(failure.message or ""), case, shown or response)

    def add_failure(self, code: str, title: str, detail: str, case: Any, response: Any) -> None:
        self._add(code, title, detail, case, exchange_of(response, self.run.redactor))

    def _add(self, code: str, title: str, detail: str, case: Any, exchange: Exchange) -> None:
        key = (code, title, case.operation.label)
        if key in self.failures:
            self.failures[key].count += 1
            return
        meta = getattr(case, "meta", None)
        phase = meta.phase.name.value if meta is not None else "?"
        mode = meta.generation.mode.value if meta is not None else "?"
        self.failures[key] = FuzzFailure(code, title, self.run.redactor.text(detail), case.operation.label, phase,
                                         mode, exchange)
        log = self.run.evidence.current
        if log is not None:
            log.add(exchange)

    def check_retrievable(self, case: Any, response: Any) -> None:
        """Gate tier, after a create answered 2xx: the task must be found by the id create returned."""
        try:
            task = json.loads(response.content)
        except ValueError:
            return
        task_id = task.get("id") if isinstance(task, dict) else None
        if not isinstance(task_id, str):
            return
        seen = EvidenceLog()
        status_code, _ = self.task_status(task_id, log=seen)
        exchange = seen.last()
        if status_code == 404 and exchange is not None:
            self._add("ST302", "Created resource not found",
                      f"GET {urlsplit(exchange.url).path} answered 404 right after "
                      f"{case.operation.label} created the task ({response.status_code}) and returned this id",
                      case, exchange)

    # --- what the tolerance rules may ask (tolerance.StateProbe) ------------------------------------------
    def task_status(self, task_id: str, log: EvidenceLog = DISCARD) -> tuple[int, str | None]:
        self.stats.support_requests += 1
        try:
            response = self.fuzz.primary.get_task(task_id, log=log)
        except TransportError:
            return 0, None
        if response.status_code != 200:
            return response.status_code, None
        try:
            body = response.json()
        except ValueError:
            return response.status_code, None
        return 200, body.get("status") if isinstance(body, dict) else None

    def wait_gone(self, task_id: str) -> float | None:
        """Seconds until the task answered 404, or None when it did not within the tier's wait for a delete."""
        polled = poll_until(lambda: self.task_status(task_id)[0], lambda status_code: status_code == 404,
                            timeout=min(self.run.config.run.active_timeout, DELETE_WAIT),
                            interval=self.run.config.run.poll_interval)
        return polled.waited if polled.met else None

    def await_active(self, case: Any) -> None:
        """Before logs/send on a task this tier created: wait briefly for it to become active.

        A server whose tasks take longer than LIFECYCLE_WAIT (a real deployment: minutes) is not waited for
        again; its logs/send steps then meet tasks that are not active, which the documented 400/409 covers.
        """
        if self.slow_lifecycle or self.fuzz.operation_id(case.operation.label) not in (
                "getTaskLogs", "sendTaskInput", "pauseTask", "updateTaskInput", "resumeTask"):
            return
        task_id = str(case.path_parameters.get("task", ""))
        if task_id not in self.created:
            return
        settings = self.run.config.run
        polled = poll_until(lambda: self.task_status(task_id),
                            lambda answer: answer[0] != 200 or answer[1] not in self.profile.starting,
                            timeout=max(0.0, min(settings.active_timeout, LIFECYCLE_WAIT, self.fuzz.time_left())),
                            interval=min(settings.poll_interval, 0.05))
        if not polled.met:
            self.slow_lifecycle = True

    # --- the end ----------------------------------------------------------------------------------------------
    def cleanup(self, *, refused_again: bool = False) -> None:
        """Delete the tasks this tier created that are not deleted yet (the final sweep confirms they went). A task
        whose delete was refused (409 while its build runs, most often) is tried again only with `refused_again`, at
        the tier's end, not after every case: on a real deployment that would resend every refused delete per case."""
        mine = [e for e in self.run.ledger.entries()[self._first_entry:]
                if not e.deleted and (refused_again or not e.delete_answer)]
        self.stats.support_requests += len(mine)
        cleanup.delete_all(mine, self.run.ledger, self.run.clients(), self.run.transport,
                           self.run.config.run.total_timeout)

    def finish(self, node: pytest.Item | None = None) -> None:
        """Clean up, record the statistics, and fail with every distinct failure (or pass)."""
        self.cleanup(refused_again=True)
        stats = self.stats
        stats.created = len(self.created)
        stats.elapsed = time.monotonic() - self._started
        stats.failures = len(self.failures)
        stats.fingerprint = self._digest.hexdigest()
        stats.sent = self.sent
        if node is not None:
            node.user_properties += [("fuzz_cases", stats.cases), ("fuzz_requests", stats.requests),
                                     ("fuzz_fingerprint", stats.fingerprint),
                                     ("fuzz_stopped_at_time_limit", stats.stopped)]
            node.add_report_section("call", "fuzzing", self.summary())
        if self.failures:
            marked = [str(a) for m in node.iter_markers("requirement") for a in m.args] if node is not None else None
            raise self.failure(marked)
        if stats.rate_limited and not stats.cases:
            pytest.skip(f"rate limited: every one of the {stats.rate_limited} fuzz request(s) was still answered 429 "
                        "after every retry (max_retries_429); not a contract failure: lower --max-rps")

    def summary(self) -> str:
        s = self.stats
        lines = [s.line(), f"seed {self.fuzz.settings.seed}, budget {self.fuzz.settings.budget}, "
                           f"request fingerprint {s.fingerprint}"]
        lines += [f"tolerated {n}x: {reason}" for reason, n in sorted(s.tolerated.items())]
        if s.stopped:
            lines.append(f"the fuzz time limit ({self.fuzz.settings.time_limit:g} s for all fuzz tiers) was "
                         "reached: fuzzing stopped early")
        return "\n".join(lines)

    def failure(self, marked: list[str] | None = None) -> expect.CheckFailure:
        """One failure for all: the requirement ids of its codes (all of the check's if one is not marked)."""
        failures = sorted(self.failures.values(), key=lambda f: f.code)
        ids: list[str] = []
        for f in failures:
            ids += [r for r in f.requirements if r not in ids]
        if any(not f.requirements for f in failures) or (marked is not None and not set(ids) <= set(marked)):
            ids = []  # never narrow a failure to requirements the check does not carry: it would vanish
        subject = self.stats.subject if self.stats.tier == "gate" else "the linked operations"
        lines = [f"fuzzing ({self.stats.tier} tier) of {subject} found {len(failures)} kind(s) of failure: "
                 + "; ".join(f.headline() for f in failures)]
        for f in failures:
            detail = f.detail.strip() or f.title
            if len(detail) > DETAIL_LIMIT:
                detail = detail[:DETAIL_LIMIT] + " [...]"
            lines += ["", f"[{f.code}] {f.title} on {f.operation} ({f.count} case(s); first in the {f.phase} "
                          f"phase, {f.mode} data) -> {', '.join(f.requirements) or 'all of this check'}"]
            lines += ["    " + line for line in detail.splitlines() if line.strip()]
            lines.append("    answer: " + f.answer())
            lines.append("    reproduce: " + f.exchange.curl())
        if self.stats.stopped:
            lines.append("(the fuzz time limit was reached: fuzzing stopped early)")
        # The tier sent every case and judged every answer: the requirements no failure names held.
        return expect.CheckFailure(self.run.redactor.text("\n".join(lines)), tuple(ids), complete=True)


# --- the gate tier ----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def through_run_transport(fuzz: FuzzRun) -> Iterator[None]:
    """Schemathesis's follow-up probes (sent on sessions of its own) use the run's transport too, so every fuzz request
    has the configured timeouts, body cap, TLS settings, pace, 429 handling and read-only gate, and passes the ledger
    (the patch and why: patches/schemathesis_sessions.py)."""
    with schemathesis_sessions.follow_ups_through(lambda: TransportSession(fuzz.run.transport)):
        yield


def without_local_constants() -> contextlib.AbstractContextManager[None]:
    """The fuzz tiers' data depends on the seed, the budget and the contract alone, not on the suite's own source
    (the patch and why: patches/hypothesis_constants.py)."""
    return hypothesis_constants.without_local_constants()


def _hypothesis_setting_names() -> set[str]:
    """Every Hypothesis setting: the keyword parameters of `hypothesis.settings` (but its parent)."""
    import hypothesis

    return {name for name in inspect.signature(hypothesis.settings).parameters if name != "parent"}


def run_gate(fuzz: FuzzRun, operation_id: str, node: pytest.Item | None = None) -> TierStats:
    """Examples, coverage and a fixed-budget fuzzing phase for one operation, positive and negative data."""
    import hypothesis
    from schemathesis.generation import derive_operation_seed
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
    from schemathesis.generation.hypothesis.reporting import ignore_hypothesis_output

    schema = fuzz.schema("gate")
    tier = fuzz.tier("gate", operation_id)
    operation = schema.find_operation_by_id(operation_id)

    def test(case: Any) -> None:
        if fuzz.time_up():
            tier.stats.stopped = True
            return
        tier.prepare(case)
        response = tier.send_and_validate(case)
        if response is None:
            return
        if operation_id == CREATE and 200 <= response.status_code < 300:
            tier.check_retrievable(case, response)
        if tier.created:
            tier.cleanup()  # do not keep workspaces around on a real server

    settings = _hypothesis_settings(max_examples=fuzz.settings.budget,
                                    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
    hypothesis_test = create_test(
        operation=operation,
        test_func=test,
        config=HypothesisTestConfig(
            project=schema.config,
            modes=[HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING],
            settings=settings,
            explicit_setting_names=_hypothesis_setting_names(),  # no Hypothesis profile (e.g. `ci`) changes the run
            apply_ci_profile=False,
            seed=derive_operation_seed(fuzz.settings.seed, operation.label),
            feedback=FeedbackSources(),
        ),
    )
    try:
        with ignore_hypothesis_output(), warnings.catch_warnings(), without_local_constants(), \
                through_run_transport(fuzz):
            warnings.simplefilter("ignore")
            hypothesis_test()
    except BaseException:
        tier.cleanup()
        raise
    tier.finish(node)
    return tier.stats


# --- the stateful tier ------------------------------------------------------------------------------------------
def run_stateful(fuzz: FuzzRun, node: pytest.Item | None = None) -> TierStats:
    """Scenarios along the contract's links from a create: get, logs, send, delete (and delete after get)."""
    import hypothesis
    from schemathesis.generation import derive_operation_seed
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.generation.hypothesis.reporting import ignore_hypothesis_output
    from schemathesis.generation.stateful import run_state_machine_as_test
    from schemathesis.generation.stateful.state_machine import StepInput, StepOutput, release_state_machines

    schema = fuzz.schema("stateful")
    tier = fuzz.tier("stateful", "links")
    base: Any = schema.build_state_machine(feedback=FeedbackSources(), link_calibration=None)

    class Machine(base):
        def step(self, input: StepInput) -> StepOutput | None:
            # Past the time limit, or when a request got no response (failure recorded), a step sends nothing
            # and Hypothesis finishes its (cheap) generation undisturbed; raising would make its replay differ.
            if fuzz.time_up():
                tier.stats.stopped = True
                return None
            case = input.case
            tier.prepare(case)
            tier.await_active(case)
            response = tier.send(case)
            if response is None:
                return None
            self.after_call(response, case)  # records the response for the stateful checks
            tier.validate(case, response, self.recorder, {"session": fuzz.http})
            return StepOutput(response, case)

        def teardown(self) -> None:
            tier.cleanup()
            super().teardown()

    seed = derive_operation_seed(fuzz.settings.seed, "stateful links")
    machine: Any = hypothesis.seed(seed)(Machine)
    machine.rule_order_seed = seed
    settings = _hypothesis_settings(max_examples=stateful_scenarios(fuzz.settings.budget),
                                    stateful_step_count=STATEFUL_MAX_STEPS, phases=[hypothesis.Phase.generate])
    try:
        with ignore_hypothesis_output(), warnings.catch_warnings(), without_local_constants(), \
                through_run_transport(fuzz):
            warnings.simplefilter("ignore")
            run_state_machine_as_test(machine, settings=settings)
    except BaseException:
        tier.cleanup()
        raise
    finally:
        release_state_machines(machine, Machine)
    tier.finish(node)
    return tier.stats


def stateful_scenarios(budget: int) -> int:
    """Scenarios of the stateful tier: half the per-operation budget (each is up to STATEFUL_MAX_STEPS steps)."""
    return max(1, budget // 2)


def _hypothesis_settings(**overrides: Any) -> Any:
    """Both tiers' Hypothesis settings: seeded by the caller, no example database, quiet, no deadlines."""
    import hypothesis

    return hypothesis.settings(
        hypothesis.settings.get_profile("default"),
        derandomize=False,
        database=None,
        deadline=None,
        print_blob=False,
        report_multiple_bugs=False,
        verbosity=hypothesis.Verbosity.quiet,
        suppress_health_check=list(hypothesis.HealthCheck),
        **overrides,
    )
