"""Read-only mode, enforced in one place: no unsafe request with a valid credential leaves the suite.

`--read-only` promises a platform team that a run against production writes nothing. The checks a read-only run
selects (`@pytest.mark.readonly`) are meant to send nothing that could; this gate makes it so whatever a check or a
fuzz tier does. The run's transport asks it about every request before it goes: a request whose method is not safe
(anything but GET, HEAD, OPTIONS, TRACE and QUERY) and that carries one of the configured session tokens anywhere at
all (any header's name or value, the URL as sent or decoded, the body: the gate fails closed, it does not guess where
a server reads a token) is not sent; the transport raises `NotSent` and the
check that made it is skipped, saying so. Requests with no token or a bad one still go: they test authentication,
and a conforming server refuses them before it does anything.

The one exception: a DELETE of a task the run's ledger holds. Such a task exists only because the server accepted a
request it should have refused (a create without a valid token); the run deletes it, and names it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from urllib.parse import unquote

import httpx

from conformance.runner.http.client import roles_by_token
from conformance.runner.http.transport import SAFE_METHODS, NotSent
from conformance.runner.settings.config import ROLE_SETTINGS


def task_of_delete(request: httpx.Request) -> str | None:
    """The task a `DELETE .../tasks/{user}/{task}` addresses, else None."""
    if request.method.upper() != "DELETE":
        return None
    parts = request.url.path.rstrip("/").split("/")
    return unquote(parts[-1]) if len(parts) >= 3 and parts[-3] == "tasks" and parts[-1] else None


class ReadOnlyGate:
    """Refuses unsafe requests carrying a configured token; `holds(task_id)` says whether the run's ledger holds a
    task (its delete may go)."""

    def __init__(self, tokens: Mapping[str, str], holds: Callable[[str], bool],
                 cause: Callable[[], str] = lambda: "") -> None:
        self._roles = roles_by_token(tokens)
        self._holds = holds
        self._cause = cause  # what is sending requests now (the evidence sink's label)
        self._lock = threading.Lock()
        self.refused: list[tuple[str, str]] = []  # (what sent it, "POST /api/v2/tasks/me"), one per refused request

    def check(self, request: httpx.Request) -> None:
        """Raise NotSent for a request read-only mode does not send (the transport's `Gate`)."""
        method = request.method.upper()
        if method in SAFE_METHODS:
            return
        role = self._carried(request)
        if role is None:
            return
        task = task_of_delete(request)
        if task is not None and self._holds(task):
            return
        what = f"{method} {request.url.path}"
        with self._lock:
            self.refused.append((self._cause(), what))
        raise NotSent(f"read-only: {what} was not sent: an unsafe method with a valid session token "
                      f"({ROLE_SETTINGS.get(role, role)}), which --read-only never sends")

    def _carried(self, request: httpx.Request) -> str | None:
        """The role of a configured token the request carries anywhere, else None."""
        try:
            body = request.content.decode("latin-1")
        except httpx.RequestNotRead:
            body = ""
        url = str(request.url)
        texts = [url, unquote(url), body, *(f"{k}: {v}" for k, v in request.headers.multi_items())]
        return next((role for token, role in self._roles.items() if any(token in text for text in texts)), None)

    def refusals(self) -> list[str]:
        """What the gate kept back, by what sent it: "CHECK: N request(s) (POST /path, ...)"."""
        with self._lock:
            by_cause: dict[str, list[str]] = {}
            for cause, what in self.refused:
                by_cause.setdefault(cause or "the run", []).append(what)
        return [f"{cause}: {len(whats)} request(s) ({', '.join(dict.fromkeys(whats))})"
                for cause, whats in by_cause.items()]
