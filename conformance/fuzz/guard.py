"""The auth guard: the configured token must be accepted, or fuzzing proves nothing.

Every answer to a request with a wrong token is a documented 401, so a fuzz run with a wrong (or expired, or
misplaced) token would pass silently. The guard trips when a schema-valid (positive) case that carried exactly
the configured token, and no other credential that could take precedence, is answered 401.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.runner.http.client import SESSION_COOKIE, SESSION_HEADER
from conformance.runner.records.redact import SECRET_QUERY_KEYS


def _is_positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    if meta is None:
        return True
    return bool(meta.generation.mode.is_positive)


def only_the_configured_token(request: Any, token: str) -> bool:
    """The request carried the token in the documented header and no cookie, query or bearer credential."""
    headers = request.headers
    if headers.get(SESSION_HEADER) != token or headers.get("Authorization"):
        return False
    if SESSION_COOKIE in headers.get("Cookie", ""):
        return False
    query = dict(parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True))
    return not any(key in query for key in SECRET_QUERY_KEYS)


class AuthGuard:
    """Counts what the configured token got; says why a response trips the guard."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.accepted = 0  # answers other than 401 to requests with only the configured token
        self.refused = 0

    def inspect(self, case: Any, response: Any) -> str | None:
        """A plain message when this response trips the guard, else None."""
        if not only_the_configured_token(response.request, self.token):
            return None
        if response.status_code != 401:
            self.accepted += 1
            return None
        if not _is_positive(case):
            return None
        self.refused += 1
        return ("the configured session token was refused: a schema-valid request carrying it (and no other "
                "credential) was answered 401; check the token (it is never printed) and that it has not "
                "expired. With a wrong token every answer is a documented 401, so fuzzing would prove nothing")
