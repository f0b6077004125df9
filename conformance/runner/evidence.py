"""Evidence: the HTTP exchanges a check made, recorded with secrets already redacted."""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.runner.redact import Redactor

BODY_LIMIT = 4000  # characters of a body kept as evidence (cut after redaction)


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
        return cls(
            method=redactor.text(method),
            url=redactor.text(url),
            request_headers=redactor.headers(list(request_headers)),
            request_body=body_text(request_body, redactor),
            status=status,
            response_headers=redactor.headers(list(response_headers)),
            response_body=body_text(response_body, redactor),
            elapsed=round(elapsed, 4),
            error=redactor.text(error) if error else None,
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
    """A body for display: pretty JSON if it parses, text otherwise; redacted, then cut."""
    if not content:
        return ""
    text = content[: limit * 4].decode("utf-8", errors="replace")
    if len(content) <= limit * 4:
        with contextlib.suppress(ValueError, UnicodeDecodeError, RecursionError):
            text = json.dumps(parse_json(content), indent=2, ensure_ascii=False)
    return redactor.cut(text, limit)


@dataclass
class EvidenceLog:
    """The exchanges of one check, in order."""

    exchanges: list[Exchange] = field(default_factory=list)

    def add(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None


class _Current:
    """The evidence log of the check that is running now (checks run one at a time in a process)."""

    log: EvidenceLog | None = None


def current_log() -> EvidenceLog | None:
    return _Current.log


def set_current_log(log: EvidenceLog | None) -> None:
    _Current.log = log
