"""Evidence: the HTTP exchanges a check made, recorded with secrets already redacted."""

from __future__ import annotations

import contextlib
import json
import shlex
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.runner.redact import Redactor

BODY_LIMIT = 64 * 1024  # characters of a body kept as evidence (cut after redaction; the HTML shows less)
# evidence.har marks a cut body with this comment, so that an audit does not take the cut for the server's
CUT_COMMENT = "body cut by tasks-conformance (longer than its evidence keeps)"


@dataclass(frozen=True)
class Exchange:
    """One request and its response (or the error in place of a response). All fields are redacted."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str
    status: int | None
    response_headers: list[tuple[str, str]]
    response_body: str
    elapsed: float
    error: str | None = None
    started: float = 0.0  # when the request was sent (epoch seconds)
    request_body_complete: bool = True  # False: the body was longer than BODY_LIMIT and is cut
    response_body_complete: bool = True
    credential: str | None = None  # the environment variable of the configured token the request carried, if any

    @classmethod
    def record(
        cls,
        redactor: Redactor,
        *,
        method: str,
        url: str,
        request_headers: Iterable[tuple[str, str]],
        request_body: bytes,
        status: int | None,
        response_headers: Iterable[tuple[str, str]] = (),
        response_body: bytes = b"",
        elapsed: float = 0.0,
        error: str | None = None,
    ) -> Exchange:
        """The one way evidence is made: everything through the redactor, bodies cut only after it."""
        request_headers = list(request_headers)
        request_text, response_text = body_text(request_body, redactor), body_text(response_body, redactor)
        credential = redactor.credential_in(url, *(value for _, value in request_headers))
        return cls(
            method=redactor.text(method),
            url=redactor.text(url),
            request_headers=redactor.headers(request_headers),
            request_body=request_text,
            status=status,
            response_headers=redactor.headers(list(response_headers)),
            response_body=response_text,
            elapsed=round(elapsed, 4),
            error=redactor.text(error) if error else None,
            started=round(time.time() - elapsed, 4),
            request_body_complete=len(request_body) <= BODY_LIMIT,
            response_body_complete=len(response_body) <= BODY_LIMIT,
            credential=credential,
        )

    def curl(self) -> str:
        """A curl command reproducing the request (secrets stay masked: put your own token in)."""
        parts = ["curl", "-i", "-X", self.method]
        for name, value in self.request_headers:
            if name.lower() in ("host", "content-length", "accept-encoding", "connection", "user-agent"):
                continue
            parts += ["-H", f"{name}: {value}"]
        if self.request_body:
            parts += ["--data-raw", self.request_body]
        parts.append(self.url)
        return " ".join(shlex.quote(p) for p in parts)

    def summary(self) -> str:
        outcome = str(self.status) if self.status is not None else "no response"
        if self.error:
            outcome += f" ({self.error})"
        return f"{self.method} {self.url} -> {outcome}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["curl"] = self.curl()
        return data


def parse_json(content: bytes | str) -> Any:
    """json.loads that raises ValueError for anything it cannot take, nesting too deep for the parser included."""
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None


def body_text(content: bytes, redactor: Redactor, limit: int = BODY_LIMIT) -> str:
    """A body as text, as the server sent it (UTF-8, bad bytes replaced): redacted, then cut."""
    if not content:
        return ""
    return redactor.cut(content[: limit * 2].decode("utf-8", errors="replace"), limit)


def pretty(text: str, limit: int) -> str:
    """Evidence text for a reader: indented JSON where it parses, at most about `limit` characters. (Evidence is
    already redacted, so cutting it leaves no part of a secret.)"""
    with contextlib.suppress(ValueError):
        text = json.dumps(parse_json(text), indent=2, ensure_ascii=False)
    return text if len(text) <= limit else f"{text[:limit]}... [{len(text)} characters in all]"


@dataclass
class EvidenceLog:
    """The exchanges of one check, in order."""

    exchanges: list[Exchange] = field(default_factory=list)

    def add(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None


class Shared:
    """A fixture's result that several checks judge (a task watched until active, a delete, a send): the requests
    that made it, which the recorder adds to the evidence of every check that uses it."""

    evidence: list[Exchange]


class EvidenceSink:
    """Where a run's clients record exchanges: the log of the check that is running now (a run's checks run one
    at a time), or nowhere between checks. The recorder begins and ends each check's log.

    It also knows what is sending requests now (`cause`): the check running (its id), or the stage of the run the
    runner named ("the preflight", "the final sweep"); a background thread may name its own (`labelled`)."""

    def __init__(self) -> None:
        self.current: EvidenceLog | None = None
        self._taps: list[list[Exchange]] = []
        self.label = "the run"  # the main thread's stage, or the check running
        self._local = threading.local()

    def begin(self, label: str | None = None) -> EvidenceLog:
        self.current = EvidenceLog()
        if label:
            self.label = label
        return self.current

    def end(self) -> None:
        self.current = None
        self.label = "between checks"

    def cause(self) -> str:
        """What is sending requests now, in this thread."""
        return getattr(self._local, "label", None) or self.label

    @contextlib.contextmanager
    def labelled(self, label: str) -> Iterator[None]:
        """Requests this thread sends in this block are `label`'s."""
        previous = getattr(self._local, "label", None)
        self._local.label = label
        try:
            yield
        finally:
            self._local.label = previous

    def record(self, exchange: Exchange) -> None:
        if self.current is not None:
            self.current.add(exchange)
        for tap in self._taps:
            tap.append(exchange)

    @contextlib.contextmanager
    def shared(self, into: list[Exchange]) -> Iterator[None]:
        """Also record the requests made in this block into `into` (a fixture's `Shared` evidence)."""
        self._taps.append(into)
        try:
            yield
        finally:
            self._taps.remove(into)

