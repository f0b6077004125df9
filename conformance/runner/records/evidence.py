"""Evidence: the HTTP exchanges a check made, recorded with secrets already redacted."""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.runner.records.redact import MASK, Redactor

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
            request_headers=_cut(redactor.headers(request_headers)),
            request_body=request_text,
            status=status,
            response_headers=_cut(redactor.headers(list(response_headers))),
            response_body=response_text,
            elapsed=round(elapsed, 4),
            error=redactor.text(error) if error else None,
            started=round(time.time() - elapsed, 4),
            request_body_complete=len(request_body) <= BODY_LIMIT,
            response_body_complete=len(response_body) <= BODY_LIMIT,
            credential=credential,
        )

    def curl(self) -> str:
        """A curl command reproducing the request, quoted for a POSIX shell. Where the request carried a configured
        token, the command reads it from that token's environment variable (`"$TASKS_CONFORMANCE_TOKEN"`), the one
        thing the shell expands; any other secret stays masked."""
        headers = [f"{name}: {value}" for name, value in self.request_headers
                   if name.lower() not in _NOT_REPEATED]
        variable = self.credential if self.credential and _SHELL_NAME.fullmatch(self.credential) else None
        place = _token_place(headers, self.url) if variable else None
        words = ["curl", "-i", "-X", shlex.quote(self.method)]
        for index, header in enumerate(headers):
            words += ["-H", _shell_word(header, place, index, variable)]
        if self.request_body:
            words += ["--data-raw", shlex.quote(self.request_body)]
        words.append(_shell_word(self.url, place, len(headers), variable))
        return " ".join(words)

    def summary(self) -> str:
        outcome = str(self.status) if self.status is not None else "no response"
        if self.error:
            outcome += f" ({self.error})"
        return f"{self.method} {self.url} -> {outcome}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["curl"] = self.curl()
        return data


_NOT_REPEATED = ("host", "content-length", "accept-encoding", "connection", "user-agent")  # curl sets its own
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MASKED = f"({re.escape(MASK)})"
# Where a request carries a session token, in the order the suite's client puts one: when the evidence shows the
# configured token and another masked secret (the precedence check), the first place found is taken for the token.
_HEADER_PLACES = (
    re.compile(rf"(?i)coder-session-token:\s*{_MASKED}\s*"),
    re.compile(rf"(?i)cookie:(?:[^;]*;)*?\s*coder_session_token={_MASKED}\s*(?:;.*)?"),
    re.compile(rf"(?i)authorization:\s*bearer\s+{_MASKED}\s*"),
)
_QUERY_PLACE = re.compile(rf"(?i)[?&](?:coder_session_token|access_token)={_MASKED}(?=[&#]|$)")


def _token_place(headers: list[str], url: str) -> tuple[int, int] | None:
    """Where the request carried its configured token: (the index of its header, or len(headers) for the URL; where
    the mask starts in it), or None when no masked session token is in the request."""
    for pattern in _HEADER_PLACES:
        for index, header in enumerate(headers):
            found = pattern.fullmatch(header)
            if found:
                return index, found.start(1)
    found = _QUERY_PLACE.search(url)
    return (len(headers), found.start(1)) if found else None


def _shell_word(text: str, place: tuple[int, int] | None, index: int, variable: str | None) -> str:
    """`text` as one shell word; when the token's place is in it (`place` is (index, where)), the mask there becomes
    "$variable", quoted so that the shell expands the variable and nothing else."""
    if place is None or variable is None or place[0] != index:
        return shlex.quote(text)
    before, after = text[: place[1]], text[place[1] + len(MASK):]
    return "".join([shlex.quote(before) if before else "", f'"${variable}"', shlex.quote(after) if after else ""])


HEADER_LIMIT = 4096  # characters of one header value kept as evidence (a server's megabyte header is cut)


def _cut(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Redacted headers, each value at most HEADER_LIMIT characters (and a note of its length)."""
    return [(name, value if len(value) <= HEADER_LIMIT else
             f"{value[:HEADER_LIMIT]}... [{len(value)} characters in all]") for name, value in headers]


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


class _Discard(EvidenceLog):
    """An evidence log that keeps nothing: for a run's own bookkeeping requests (cleanup, lifecycle polls), which
    are no check's evidence."""

    def add(self, exchange: Exchange) -> None:
        pass


DISCARD: EvidenceLog = _Discard()


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

