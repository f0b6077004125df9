"""The run's traffic: every exchange the run's transport made, for evidence.har."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from conformance.runner.records.evidence import Exchange
from conformance.runner.records.redact import Redactor

MAX_TRAFFIC = 50_000  # exchanges evidence.har keeps; later ones are counted
TRAFFIC_BODY_BUDGET = 64 * 1024 * 1024  # characters of bodies evidence.har keeps in all; later bodies are left out


class TrafficLog:
    """Every exchange of a run, in order, with what sent it (`EvidenceSink.cause`): evidence.har's entries. The
    run's transport tells it of every attempt (a watcher), whoever sent it: checks, fuzz tiers, the preflight, the
    cleanup. Bounded: past MAX_TRAFFIC exchanges, or TRAFFIC_BODY_BUDGET characters of bodies, it counts what it
    leaves out."""

    def __init__(self, redactor: Redactor, cause: Callable[[], str]) -> None:
        self._redactor = redactor
        self._cause = cause
        self._lock = threading.Lock()
        self.entries: list[tuple[str, Exchange]] = []
        self.dropped = 0  # exchanges not kept at all
        self.bodiless = 0  # exchanges kept without their bodies
        self._body_chars = 0

    def sending(self, request: httpx.Request) -> None:
        return None

    def exchanged(self, request: httpx.Request, response: httpx.Response | None, elapsed: float,
                  error: str | None) -> None:
        with self._lock:
            if len(self.entries) >= MAX_TRAFFIC:
                self.dropped += 1
                return
            keep_bodies = self._body_chars < TRAFFIC_BODY_BUDGET
        try:
            request_body = request.content if keep_bodies else b""
        except httpx.RequestNotRead:
            request_body = b""
        exchange = Exchange.record(
            self._redactor, method=request.method, url=str(request.url),
            request_headers=request.headers.multi_items(), request_body=request_body,
            status=response.status_code if response is not None else None,
            response_headers=response.headers.multi_items() if response is not None else (),
            response_body=response.content if keep_bodies and response is not None and error is None else b"",
            elapsed=elapsed, error=error,
        )
        with self._lock:
            self.entries.append((self._cause(), exchange))
            self._body_chars += len(exchange.request_body) + len(exchange.response_body)
            if not keep_bodies:
                self.bodiless += 1

    def left_out(self) -> str:
        """What the log did not keep, in words ("" when it kept everything)."""
        parts = []
        if self.bodiless:
            parts.append(f"the bodies of the last {self.bodiless} exchange(s) (more than {TRAFFIC_BODY_BUDGET} "
                         "characters of bodies in all)")
        if self.dropped:
            parts.append(f"{self.dropped} exchange(s) after the first {MAX_TRAFFIC}")
        return "left out: " + " and ".join(parts) if parts else ""
