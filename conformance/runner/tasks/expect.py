"""Expectations used by checks. Each failure says, in plain words, what was expected and what came back."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from conformance.contracts.contract import Contract
from conformance.runner.process.interrupts import interrupts
from conformance.runner.process.polling import poll_until
from conformance.runner.records import redact
from conformance.runner.records.evidence import parse_json

T = TypeVar("T")
SNIPPET = 160  # characters of a body quoted in a failure message
SCHEMA_ERROR = 300  # characters of one schema violation quoted in a failure message
UNAUTHORIZED_MESSAGE = "You are signed out or your session has expired. Please sign in again to continue."
NOT_FOUND_MESSAGE = "Resource not found or you do not have access to this resource"
# Coder's refusal of a create from a template version without an AI task (coderd/aitasks.go tasksCreate: from
# coder/coder#20651; before it, #19280's AI Prompt parameter check).
NO_AI_TASK_MESSAGES = ('Template does not have a valid "coder_ai_task" resource.',
                       'Template does not have required parameter "AI Prompt"')


class CheckFailure(AssertionError):
    """A check's verdict on the server: expected X, got Y. Never carries a secret.

    `requirements` narrows the failure to some of the check's requirements (empty: all of them). `complete`: the
    check ran to its end and judged every one of its requirements, so those the failure does not name held (a fuzz
    tier); otherwise a check stops at its first failure and leaves the rest not verified.
    """

    def __init__(self, message: str, requirements: tuple[str, ...] = (), complete: bool = False) -> None:
        super().__init__(message)
        self.requirements = requirements
        self.complete = complete


class Blocked(CheckFailure):
    """What a check needs from the target could not be had (no task would become active, none could be created),
    so the check cannot judge its own requirements. `requirements` names what the cause breaks; unless that is one of
    the check's own, the check is reported blocked, not failed (the cause fails in its own check)."""


class TimedOut(CheckFailure):
    """A poll's deadline passed before what it waited for happened (runner/tasks/waits.py remembers it per kind)."""


def blocked(message: str, *causes: str) -> Blocked:
    """The failure to raise when a check's precondition cannot be had: `raise expect.blocked("...", "REQ-ID")`."""
    return Blocked(message, causes)


def describe(response: httpx.Response) -> str:
    """'POST /api/experimental/tasks/me -> 200' without query values (which may hold tokens)."""
    path = urlsplit(str(response.request.url)).path
    return f"{response.request.method} {path}"


def fail(message: str, *requirements: str) -> CheckFailure:
    """The failure to raise: `raise expect.fail("expected ..., got ...", "REQ-ID")`."""
    return CheckFailure(message, requirements)


def status(response: httpx.Response, *expected: int) -> None:
    if response.status_code not in expected:
        wanted = " or ".join(str(e) for e in expected)
        raise fail(f"expected {wanted}, got {response.status_code} for {describe(response)}{snippet(response)}")


def snippet(response: httpx.Response) -> str:
    """' (body: <the start of the body, on one line>)', redacted before it is cut; '' for an empty body."""
    text = " ".join(response.content[: SNIPPET * 8].decode("utf-8", "replace").split())
    return f" (body: {redact.active().cut(text, SNIPPET)})" if text else ""


def json_body(response: httpx.Response) -> Any:
    """Require a JSON content type and a body that parses; return it."""
    content_type = response.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise fail(f"expected Content-Type application/json, got {content_type or 'none'!r} for "
                   f"{describe(response)} ({response.status_code})")
    try:
        return parse_json(response.content)
    except ValueError:
        raise fail(f"expected a JSON body, got unparseable content for {describe(response)} "
                   f"({response.status_code}){snippet(response)}") from None


def schema(response: httpx.Response, schema_name: str, contract: Contract) -> Any:
    """Require a JSON body that conforms to the named schema of the contract (a check gives the run's: run.contract)."""
    body = json_body(response)
    errors = contract.errors(schema_name, body)
    if errors:
        raise fail(f"the {response.status_code} body of {describe(response)} does not match the {schema_name} "
                   f"schema: " + "; ".join(redact.active().cut(error, SCHEMA_ERROR) for error in errors))
    return body


def ok(response: httpx.Response, code: int, schema_name: str, contract: Contract) -> Any:
    """Status and schema in one: the usual success expectation."""
    status(response, code)
    return schema(response, schema_name, contract)


def error(response: httpx.Response, *codes: int, contract: Contract, message: str | None = None) -> dict[str, Any]:
    """Require one of `codes` with a JSON error body (and the given message, if any)."""
    status(response, *codes)
    body = schema(response, "Error", contract)
    if message is not None and body.get("message") != message:
        raise fail(f"expected the error message {message!r} for {describe(response)} "
                   f"({response.status_code}), got {body.get('message')!r}")
    return body


def error_message(response: httpx.Response) -> str | None:
    """The `message` of a JSON error body, or None when there is none (lenient: any content type)."""
    try:
        body = parse_json(response.content)
    except ValueError:
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) else None


def empty_body(response: httpx.Response) -> None:
    if response.content.strip():
        raise fail(f"expected an empty body for {describe(response)} ({response.status_code}), "
                   f"got {len(response.content)} bytes{snippet(response)}")


def equal(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        raise fail(f"expected {what} to be {expected!r}, got {actual!r}")


def poll(
    probe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    interval: float,
    waiting_for: str,
    last: Callable[[T], str] = repr,
    sleep: Callable[[float], Any] = interrupts.sleep,
    deadline_words: str | None = None,
) -> T:
    """Call `probe` until `done(result)` or the deadline; fail naming what was awaited and the last result.
    `sleep` pauses between probes (a background watch passes one that a stop ends early); `deadline_words` says
    how long was waited when it was not `timeout` from now (a deadline counted from a create)."""
    polled = poll_until(probe, done, timeout=timeout, interval=interval, sleep=sleep)
    if not polled.met:
        waited = deadline_words or f"{timeout:g} s"
        raise TimedOut(f"waited {waited} for {waiting_for}; last seen: {last(polled.result)}")
    return polled.result


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))")


def parse_time(text: Any) -> datetime | None:
    """An RFC 3339 date-time (any number of fraction digits, truncated to microseconds), or None."""
    if not isinstance(text, str):
        return None
    m = _RFC3339.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    offset = timedelta(0)
    if m.group(9):
        offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
        if m.group(9) == "-":
            offset = -offset
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone(offset))
    except ValueError:
        return None
