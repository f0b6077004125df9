"""Every request the server received and what it answered, in order: the record a client's test reads back.

`Recorder` is an ASGI middleware put outermost around the server's app (outside the box, so that a 429 of the rate
limiter is recorded too). It keeps, per request, what a client author asks about afterwards: method, path, query,
headers (with the values of secret headers masked), the body (up to `MAX_BODY` bytes), who sent it (the username its
session token names, or None), the Tasks API operation the server routed it to, and the answer's status and headers.
Nothing is kept of a session token but the username it belongs to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conforming.auth import ACCESS_TOKEN_QUERY, SESSION_COOKIE, SESSION_HEADER, SESSION_QUERY

MAX_BODY = 64 * 1024  # bytes of a request body kept
MAX_RECORDS = 10_000  # requests kept; the oldest go first
SECRET_HEADERS = frozenset({SESSION_HEADER.lower(), "authorization", "cookie", "proxy-authorization"})
SECRET_QUERY = frozenset({SESSION_QUERY, ACCESS_TOKEN_QUERY, SESSION_COOKIE})
MASK = "***"

Identify = Callable[[Scope], "str | None"]  # the username a request's credentials name, or None


@dataclass(frozen=True)
class RecordedRequest:
    seq: int  # 1, 2, ... in the order the requests arrived
    at: float  # seconds since the server started, when the request arrived
    method: str
    path: str  # as sent, percent-encoding kept
    query: str  # the raw query string, without '?'; the values of secret parameters masked
    headers: tuple[tuple[str, str], ...]  # lower-case names; secret values masked
    body: bytes
    user: str | None  # the username its credentials name
    operation: str  # the Tasks API operationId it was routed to ('' for any other route)
    status: int  # of the answer (0 when the server sent none)
    response_headers: tuple[tuple[str, str], ...]
    duration: float  # seconds until the answer's headers were sent
    body_truncated: bool = False

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": round(self.at, 6), "method": self.method, "path": self.path,
                "query": self.query, "headers": dict(self.headers),
                "body": self.body.decode("utf-8", "replace"), "body_truncated": self.body_truncated,
                "user": self.user, "operation": self.operation, "status": self.status,
                "response_headers": dict(self.response_headers), "duration": round(self.duration, 6)}


@dataclass
class _Pending:
    body: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    status: int = 0
    response_headers: tuple[tuple[str, str], ...] = ()
    answered_at: float | None = None


class Recorder:
    """ASGI middleware recording each HTTP request and its answer (see the module docstring)."""

    def __init__(self, app: ASGIApp, identify: Identify | None = None) -> None:
        self.app = app
        self._identify = identify
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []
        self._seq = 0
        self._started = time.monotonic()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        pending = _Pending()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                room = MAX_BODY - len(pending.body)
                pending.body += chunk[:max(room, 0)]
                pending.truncated = pending.truncated or len(chunk) > room
            return message

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                pending.status = int(message["status"])
                pending.response_headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1"))
                                                 for k, v in message.get("headers", []))
                pending.answered_at = time.monotonic()
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_note)
        finally:
            self._keep(scope, arrived, pending)

    def _keep(self, scope: Scope, arrived: float, pending: _Pending) -> None:
        headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers", []))
        masked = tuple((k, MASK if k in SECRET_HEADERS else v) for k, v in headers)
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else str(scope.get("path", ""))
        state = scope.get("state") or {}
        user = self._identify(scope) if self._identify is not None else None
        done = pending.answered_at if pending.answered_at is not None else time.monotonic()
        with self._lock:
            self._seq += 1
            self._records.append(RecordedRequest(
                seq=self._seq, at=arrived - self._started, method=str(scope.get("method", "")), path=path,
                query=_masked_query(bytes(scope.get("query_string", b"")).decode("latin-1")), headers=masked,
                body=bytes(pending.body), user=user, operation=str(state.get("operation", "") or ""),
                status=pending.status, response_headers=pending.response_headers, duration=done - arrived,
                body_truncated=pending.truncated))
            if len(self._records) > MAX_RECORDS:
                del self._records[: len(self._records) - MAX_RECORDS]

    def requests(self) -> list[RecordedRequest]:
        """The requests recorded so far, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def _masked_query(query: str) -> str:
    """The raw query with the value of every session-token parameter masked (the rest left as sent)."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name = unquote_plus(part.split("=", 1)[0])
        parts.append(f"{part.split('=', 1)[0]}={MASK}" if name in SECRET_QUERY else part)
    return "&".join(parts)
