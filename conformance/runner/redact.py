"""Redaction of secrets: applied before anything is recorded, printed or reported."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "[REDACTED]"
SECRET_HEADERS = frozenset({"coder-session-token", "cookie", "set-cookie", "authorization", "proxy-authorization"})
SECRET_QUERY_KEYS = ("coder_session_token", "access_token")
_QUERY_RE = re.compile(r"(?i)\b(" + "|".join(SECRET_QUERY_KEYS) + r")=([^&#\s'\"]*)")
# Anything shaped like a Coder session token (10-char id, dash, 22-char secret), known to us or not.
_TOKEN_SHAPE = re.compile(r"\b[A-Za-z0-9]{10}-[A-Za-z0-9]{22}\b")


class Redactor:
    """Replaces known secrets and secret-bearing headers/query values with a mask."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            self._secrets.add(secret)
            # A token's secret half can leak on its own (e.g. in a wrong-secret probe).
            if "-" in secret:
                for part in secret.split("-", 1):
                    if len(part) >= 8:
                        self._secrets.add(part)

    def text(self, value: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, MASK)
        value = _QUERY_RE.sub(lambda m: f"{m.group(1)}={MASK}", value)
        return _TOKEN_SHAPE.sub(MASK, value)

    def headers(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        items = headers.items() if isinstance(headers, Mapping) else headers
        out = []
        for name, value in items:
            if name.lower() in SECRET_HEADERS:
                out.append((name, _mask_header(name, value)))
            else:
                out.append((name, self.text(value)))
        return out


def _mask_header(name: str, value: str) -> str:
    lower = name.lower()
    if lower in ("authorization", "proxy-authorization") and " " in value:
        return value.split(" ", 1)[0] + " " + MASK
    if lower in ("cookie", "set-cookie"):
        parts = []
        for part in value.split(";"):
            key, sep, _ = part.partition("=")
            parts.append(f"{key}={MASK}" if sep else part)
        return ";".join(parts)
    return MASK
