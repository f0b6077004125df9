"""Evidence: the HTTP exchanges a check made, recorded with secrets already redacted."""

from __future__ import annotations

import contextlib
import json
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

BODY_LIMIT = 4000


def _truncate(text: str, limit: int = BODY_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more characters]"


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
        outcome = str(self.status) if self.status is not None else f"no response ({self.error})"
        return f"{self.method} {self.url} -> {outcome}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["curl"] = self.curl()
        return data


def body_text(content: bytes, limit: int = BODY_LIMIT) -> str:
    """Decode a body for display: pretty JSON if it parses, text otherwise; truncated."""
    if not content:
        return ""
    text = content[: limit * 2].decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        text = json.dumps(json.loads(content), indent=2, ensure_ascii=False)
    return _truncate(text, limit)


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
