"""The one HTTP client: authentication, evidence recording and redaction, on the run's transport.

Timeouts, the body size cap, TLS, pacing and 429 retries are the transport's (runner/http/transport.py): every
request of a run goes through it. A request without a usable response raises `TransportError` with the reason in
plain words; one still rate limited after every retry raises `RateLimited` (the runner skips the check: a 429 is
not a contract failure).
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

import httpx

from conformance.runner.http.transport import HttpTransport, NoResponse, StillRateLimited, UnusableAnswer
from conformance.runner.records.evidence import EvidenceLog, EvidenceSink, Exchange
from conformance.runner.records.redact import SECRET_QUERY_KEYS, Redactor
from conformance.runner.settings.http import HttpSettings

TokenSource = Literal["header", "cookie", "query", "bearer", "access_token"]
TOKEN_SOURCES: tuple[TokenSource, ...] = ("header", "cookie", "query", "bearer", "access_token")
SESSION_HEADER = "Coder-Session-Token"
SESSION_COOKIE = "coder_session_token"
_DEFAULT: Any = object()


class TransportError(AssertionError):
    """No usable response: connection refused, timeout, protocol error, body too large. The message is
    redacted."""


class RateLimited(TransportError):
    """Still answered 429 after every allowed retry: the check cannot conclude; not a contract failure."""


def attach_token(
    token: str | None, via: TokenSource, headers: dict[str, str], params: dict[str, str]
) -> None:
    """Put the token where `via` says; the one place that knows the token sources."""
    if token is None:
        return
    if via == "header":
        headers[SESSION_HEADER] = token
    elif via == "cookie":
        headers["Cookie"] = f"{SESSION_COOKIE}={token}"
    elif via == "query":
        params[SESSION_COOKIE] = token
    elif via == "bearer":
        headers["Authorization"] = f"Bearer {token}"
    elif via == "access_token":
        params["access_token"] = token
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(f"unknown token source {via!r}")


def credentials_in(request: httpx.Request) -> list[str]:
    """Every value in the places `attach_token` may put a token (header, bearer, cookie, query): what a server may
    take for the request's credential."""
    headers = request.headers
    found = [headers.get(SESSION_HEADER, ""), headers.get("authorization", "").partition(" ")[2]]
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == SESSION_COOKIE:
            found.append(value)
    found += [v for k, v in request.url.params.multi_items() if k in SECRET_QUERY_KEYS]
    return [value for value in found if value]


def roles_by_token(tokens: Mapping[str, str]) -> dict[str, str]:
    """token -> role, from the configured tokens by role (config.Target.tokens)."""
    return {token: role for role, token in tokens.items() if token}


def role_of(request: httpx.Request, roles: Mapping[str, str]) -> str:
    """Whose configured token (`roles`: token -> role) a request carried, "anonymous" if none."""
    return next((roles[c] for c in credentials_in(request) if c in roles), "anonymous")


def segment(value: str) -> str:
    """Quote one path segment."""
    return quote(value, safe="")


class ApiClient:
    """A client for one identity (token) against the target's API prefix."""

    def __init__(
        self,
        base_url: str,
        api_prefix: str,
        token: str | None,
        redactor: Redactor,
        *,
        timeout: float = 10.0,
        name: str = "client",
        http: httpx.Client | None = None,
        transport: HttpTransport | None = None,
        evidence: EvidenceSink | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_prefix = api_prefix
        self.token = token
        self.name = name
        self._redactor = redactor
        self._transport = transport or HttpTransport(HttpSettings(read_timeout=timeout))
        self._http = http or self._transport.new_client()
        self._evidence = evidence or EvidenceSink()
        redactor.add(token)

    def url(self, path: str) -> str:
        return f"{self.base_url}{self.api_prefix}{path}"

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _DEFAULT,
        content: bytes | str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = _DEFAULT,
        via: TokenSource = "header",
        log: EvidenceLog | None = None,
    ) -> httpx.Response:
        """Send a request to `prefix + path` and record it as evidence of the running check."""
        hdrs: dict[str, str] = dict(headers or {})
        query: dict[str, str] = dict(params or {})
        attach_token(self.token if token is _DEFAULT else token, via, hdrs, query)
        body: bytes | None = None
        if json is not _DEFAULT:
            body = jsonlib.dumps(json).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
        request = self._http.build_request(method, self.url(path), content=body, params=query or None, headers=hdrs)

        def observe(response: httpx.Response | None, elapsed: float, error: str | None) -> None:
            self._record(log, request, response, elapsed, error)

        try:
            return self._transport.send(self._http, request, observe)
        except UnusableAnswer as exc:
            raise TransportError(f"unusable answer to {method} {self._redactor.text(request.url.path)} "
                                 f"({exc.response.status_code}): {self._redactor.text(exc.reason)}") from None
        except NoResponse as exc:
            raise TransportError(f"no usable response to {method} {self._redactor.text(str(request.url))}: "
                                 f"{self._redactor.text(exc.reason)}") from None
        except StillRateLimited as exc:
            raise RateLimited(f"rate limited: {method} {self._redactor.text(request.url.path)} was still answered "
                              f"429 after {exc.retries} retr{'y' if exc.retries == 1 else 'ies'} "
                              "(max_retries_429); not a contract failure: lower --max-rps or retry later") from None

    def _record(
        self,
        log: EvidenceLog | None,
        request: httpx.Request,
        response: httpx.Response | None,
        elapsed: float,
        error: str | None,
    ) -> None:
        add = log.add if log is not None else self._evidence.record
        add(Exchange.record(
            self._redactor, method=request.method, url=str(request.url),
            request_headers=request.headers.multi_items(), request_body=request.content,
            status=response.status_code if response is not None else None,
            response_headers=response.headers.multi_items() if response is not None else (),
            response_body=response.content if response is not None and error is None else b"",
            elapsed=elapsed, error=error,
        ))

    # Endpoint helpers: paths relative to the API prefix.
    def list_tasks(self, q: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", "/tasks", params={"q": q} if q is not None else None, **kw)

    def create_task(self, body: Any, user: str = "me", **kw: Any) -> httpx.Response:
        return self.request("POST", f"/tasks/{segment(user)}", json=body, **kw)

    def get_task(self, task: str, user: str = "me", **kw: Any) -> httpx.Response:
        return self.request("GET", f"/tasks/{segment(user)}/{segment(task)}", **kw)

    def delete_task(self, task: str, user: str = "me", **kw: Any) -> httpx.Response:
        return self.request("DELETE", f"/tasks/{segment(user)}/{segment(task)}", **kw)

    def task_logs(self, task: str, user: str = "me", **kw: Any) -> httpx.Response:
        return self.request("GET", f"/tasks/{segment(user)}/{segment(task)}/logs", **kw)

    def send_input(self, task: str, text: str, user: str = "me", **kw: Any) -> httpx.Response:
        return self.request("POST", f"/tasks/{segment(user)}/{segment(task)}/send", json={"input": text}, **kw)

    def update_input(self, task: str, text: str, user: str = "me", **kw: Any) -> httpx.Response:
        return self.request("PATCH", f"/tasks/{segment(user)}/{segment(task)}/input", json={"input": text}, **kw)

    def pause_task(self, task: str, user: str = "me", **kw: Any) -> httpx.Response:
        return self.request("POST", f"/tasks/{segment(user)}/{segment(task)}/pause", **kw)

    def resume_task(self, task: str, user: str = "me", **kw: Any) -> httpx.Response:
        return self.request("POST", f"/tasks/{segment(user)}/{segment(task)}/resume", **kw)

