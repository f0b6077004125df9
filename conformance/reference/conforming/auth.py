"""Session-token extraction (Coder's source precedence) and authentication against the instance's users.

Precedence, first non-empty wins: cookie ``coder_session_token``, query ``coder_session_token``, header
``Coder-Session-Token``, ``Authorization: Bearer <token>``, query ``access_token``.
Nothing here ever puts a token into a message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers

from .identities import TOKEN_ID_LENGTH, TOKEN_SECRET_LENGTH, Identities, User

SESSION_COOKIE = "coder_session_token"
SESSION_QUERY = "coder_session_token"
SESSION_HEADER = "Coder-Session-Token"
ACCESS_TOKEN_QUERY = "access_token"
SIGNED_OUT_MESSAGE = "You are signed out or your session has expired. Please sign in again to continue."


def _first_cookie(headers: Headers, name: str) -> str:
    """The value of the first cookie called ``name`` (Go's ``r.Cookie``), or ''."""
    for header in headers.getlist("cookie"):
        for part in header.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key.strip() == name:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                return value
    return ""


def _first_query(query: Sequence[tuple[str, str]], name: str) -> str:
    return next((value for key, value in query if key == name), "")


def _bearer(headers: Headers) -> str:
    scheme, _, rest = headers.get("authorization", "").strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else ""


SOURCES = ("cookie", "query", "header", "bearer", "access_token")


def extract_token_source(
    headers: Headers,
    query: Sequence[tuple[str, str]],
    sources: Sequence[str] = SOURCES,
) -> tuple[str, str]:
    """(the session token of a request, the source it came from), or ('', '') when none is given.

    ``sources`` names the sources read (of ``SOURCES``), in the order they are tried.
    """
    readers: dict[str, Callable[[], str]] = {
        "cookie": lambda: _first_cookie(headers, SESSION_COOKIE),
        "query": lambda: _first_query(query, SESSION_QUERY),
        "header": lambda: headers.get(SESSION_HEADER, ""),
        "bearer": lambda: _bearer(headers),
        "access_token": lambda: _first_query(query, ACCESS_TOKEN_QUERY),
    }
    for name in sources:
        token = readers[name]()
        if token:
            return token, name
    return "", ""


def header_before_cookie(sources: Sequence[str]) -> tuple[str, ...]:
    """The same sources with the header tried where the cookie is, and the cookie where the header is."""
    swap = {"cookie": "header", "header": "cookie"}
    if not {"cookie", "header"} <= set(sources):
        return tuple(sources)
    return tuple(swap.get(name, name) for name in sources)


def extract_token(headers: Headers, query: Sequence[tuple[str, str]], *, header_first: bool = False) -> str:
    """The session token of a request, or '' when none is given (see ``extract_token_source``)."""
    return extract_token_source(headers, query, header_before_cookie(SOURCES) if header_first else SOURCES)[0]


@dataclass(frozen=True)
class AuthFailure:
    """Why a request is not authenticated; ``detail`` never contains the token.

    ``kind``: missing, malformed, unknown or wrong-secret."""

    detail: str
    kind: str = "missing"


def authenticate(token: str, identities: Identities, *, check_secret: bool = True) -> User | AuthFailure:
    """The user a token belongs to, or why it is refused."""
    if not token:
        return AuthFailure(f'Cookie "{SESSION_COOKIE}" or header "{SESSION_HEADER}" must be provided.')
    key_id, sep, secret = token.partition("-")
    if not sep or len(key_id) != TOKEN_ID_LENGTH or len(secret) != TOKEN_SECRET_LENGTH:
        return AuthFailure("Invalid API key format: expected <10-character id>-<22-character secret>.", "malformed")
    user = identities.user_by_token_id(key_id)
    if user is None:
        return AuthFailure("API key is invalid.", "unknown")
    if check_secret and not user.token.secret_matches(secret):
        return AuthFailure("API key secret is invalid.", "wrong-secret")
    return user
