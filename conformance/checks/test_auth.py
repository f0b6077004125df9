"""Authentication: every endpoint refuses requests without a valid session token, and accepts the token sources.

All checks here are read-only: they use random task uuids, and the create probe names a random template version,
so even a server that skipped authentication would refuse to create anything.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.checks._general_helpers import error_body, error_message
from conformance.runner.http.client import ApiClient, TokenSource
from conformance.runner.tasks import expect
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext

# Every check here is read-only but the valid-token probes of the unsafe endpoints: those only run outside
# read-only mode (runner/http/readonly.py would not send them).

_ALNUM = string.ascii_letters + string.digits
Call = Callable[..., httpx.Response]


def _random_alnum(run: RunContext, length: int) -> str:
    return "".join(run.rng.choice(_ALNUM) for _ in range(length))


def _random_uuid(run: RunContext) -> str:
    return str(uuid.UUID(int=run.rng.getrandbits(128), version=4))


def _create_probe_body(run: RunContext) -> dict[str, Any]:
    """A create body that cannot create anything: its template version does not exist."""
    return {"input": f"{run.prefix} auth probe", "name": run.unique_name("auth"),
            "template_version_id": _random_uuid(run)}


def _call(client: ApiClient, endpoint: str, run: RunContext, **kw: Any) -> httpx.Response:
    """One request to `endpoint`, addressing a random (missing) task where a task is needed."""
    if endpoint == "list":
        return client.list_tasks(**kw)
    if endpoint == "create":
        return client.create_task(_create_probe_body(run), **kw)
    task = _random_uuid(run)
    if endpoint == "get":
        return client.get_task(task, **kw)
    if endpoint == "delete":
        return client.delete_task(task, **kw)
    if endpoint == "logs":
        return client.task_logs(task, **kw)
    if endpoint == "send":
        return client.send_input(task, f"{run.prefix} auth probe", **kw)
    if endpoint == "input":
        return client.update_input(task, f"{run.prefix} auth probe", **kw)
    if endpoint == "pause":
        return client.pause_task(task, **kw)
    if endpoint == "resume":
        return client.resume_task(task, **kw)
    raise ValueError(endpoint)


# Every endpoint; those that arrived within a generation run where the server's release has them.
FEATURE_OF = {"input": "input-update", "pause": "pause-resume", "resume": "pause-resume"}
ENDPOINTS = ("list", "create", "get", "delete", "logs", "send", *FEATURE_OF)


READ_ENDPOINTS = ("list", "get", "logs")  # the endpoints whose requests are safe (GET)


def _marks(endpoint: str, *marks: Any, readonly: bool = True) -> list[Any]:
    return [*marks, *([pytest.mark.feature(FEATURE_OF[endpoint])] if endpoint in FEATURE_OF else []),
            *([pytest.mark.readonly] if readonly else [])]


def _endpoints(valid_token: bool = False) -> list[Any]:
    """Every endpoint as a parameter; with a valid token, only the read endpoints are read-only."""
    return [pytest.param(e, id=e, marks=_marks(e, readonly=not valid_token or e in READ_ENDPOINTS))
            for e in ENDPOINTS]

# Bad-token kinds: (id, requirement, how to build the token from the primary token).
BAD_TOKENS: tuple[tuple[str, str, Callable[[RunContext, str], str | None]], ...] = (
    ("missing", "AUTH-MISSING-401", lambda run, real: None),
    ("malformed-words", "AUTH-MALFORMED-401", lambda run, real: "not-a-token"),
    ("malformed-short", "AUTH-MALFORMED-401", lambda run, real: "abc"),
    ("unknown-id", "AUTH-UNKNOWN-401",
     lambda run, real: f"{_random_alnum(run, 10)}-{_random_alnum(run, 22)}"),
    ("wrong-secret", "AUTH-WRONG-SECRET-401",
     lambda run, real: f"{real.split('-', 1)[0]}-{_random_alnum(run, 22)}"),
)


_KIND_WORDS = {
    "missing": "a request without a session token",
    "malformed-words": "the malformed session token 'not-a-token'",
    "malformed-short": "the malformed session token 'abc'",
    "unknown-id": "a well-formed session token with an unknown id",
    "wrong-secret": "the primary member's token id with a wrong secret",
}


def _bad_token(kind: str, run: RunContext, api: ApiClient) -> str | None:
    assert api.token is not None
    for name, _, build in BAD_TOKENS:
        if name == kind:
            token = build(run, api.token)
            assert token != api.token
            return token
    raise ValueError(kind)


@pytest.mark.parametrize(
    ("kind", "endpoint"),
    [pytest.param(kind, endpoint, marks=_marks(endpoint, pytest.mark.requirement(req)), id=f"{kind}-{endpoint}")
     for kind, req, _ in BAD_TOKENS for endpoint in ENDPOINTS],
)
def test_bad_token_is_401(kind: str, endpoint: str, run: RunContext, api: ApiClient, anon_api: ApiClient,
                          tasks: TaskFactory) -> None:
    response = _call(anon_api, endpoint, run, token=_bad_token(kind, run, api))
    tasks.adopt_response(api, response)
    if response.status_code != 401:
        raise expect.fail(f"expected 401 for {_KIND_WORDS[kind]}, got "
                          f"{response.status_code} for {expect.describe(response)}")


_OTHER_SOURCES: tuple[TokenSource, ...] = ("cookie", "query", "bearer", "access_token")
_SOURCE_WORDS = {"cookie": "the coder_session_token cookie", "query": "the coder_session_token query parameter",
                 "bearer": "an Authorization: Bearer header", "access_token": "the access_token query parameter"}


@pytest.mark.parametrize(
    ("kind", "via"),
    [pytest.param(kind, via, marks=[pytest.mark.requirement(req), pytest.mark.readonly], id=f"{kind}-{via}")
     for kind, req, _ in BAD_TOKENS if kind != "missing" for via in _OTHER_SOURCES],
)
def test_bad_token_in_other_sources_is_401(kind: str, via: TokenSource, run: RunContext, api: ApiClient,
                                           anon_api: ApiClient) -> None:
    # A server reads a token source or ignores it; either way a bad token there must not authenticate.
    response = anon_api.list_tasks(token=_bad_token(kind, run, api), via=via)
    if response.status_code != 401:
        raise expect.fail(f"expected 401 for {_KIND_WORDS[kind]} in {_SOURCE_WORDS[via]}, got "
                          f"{response.status_code} for {expect.describe(response)}")


@pytest.mark.requirement("AUTH-401-BODY")
@pytest.mark.parametrize("endpoint", _endpoints())
def test_401_has_error_body(endpoint: str, run: RunContext, api: ApiClient, anon_api: ApiClient,
                            tasks: TaskFactory) -> None:
    response = _call(anon_api, endpoint, run, token=None)
    tasks.adopt_response(api, response)
    if response.status_code != 401:
        pytest.skip(f"{expect.describe(response)} without a token answered {response.status_code}, not 401 "
                    "(see AUTH-MISSING-401); no 401 body to check")
    error_body(response, run.contract)


@pytest.mark.requirement("AUTH-401-MESSAGE")
@pytest.mark.parametrize("endpoint", _endpoints())
def test_401_message(endpoint: str, run: RunContext, api: ApiClient, anon_api: ApiClient,
                     tasks: TaskFactory) -> None:
    response = _call(anon_api, endpoint, run, token=f"{_random_alnum(run, 10)}-{_random_alnum(run, 22)}")
    tasks.adopt_response(api, response)
    if response.status_code != 401:
        pytest.skip(f"{expect.describe(response)} with an unknown token answered {response.status_code}, "
                    "not 401 (see AUTH-UNKNOWN-401); no 401 message to check")
    error_message(response, expect.UNAUTHORIZED_MESSAGE, run.contract)


@pytest.mark.readonly
@pytest.mark.requirement("AUTH-WWW-AUTHENTICATE")
def test_401_names_the_bearer_scheme(anon_api: ApiClient) -> None:
    response = anon_api.list_tasks(token=None)
    if response.status_code != 401:
        pytest.skip(f"{expect.describe(response)} without a token answered {response.status_code}, not 401 "
                    "(see AUTH-MISSING-401)")
    challenge = response.headers.get("WWW-Authenticate", "")
    if not challenge.lower().startswith("bearer"):
        raise expect.fail(f"expected a WWW-Authenticate header naming the Bearer scheme on the 401 of "
                          f"{expect.describe(response)}, got {challenge!r}" if challenge else
                          f"expected a WWW-Authenticate header on the 401 of {expect.describe(response)}, got none")


# How to reach each task path: method, path suffix after /tasks/{user}/{task}, body.
_TASK_PATHS: dict[str, tuple[str, str, Any]] = {
    "get": ("GET", "", None),
    "delete": ("DELETE", "", None),
    "logs": ("GET", "/logs", None),
    "send": ("POST", "/send", {"input": "probe"}),
    "input": ("PATCH", "/input", {"input": "probe"}),
    "pause": ("POST", "/pause", None),
    "resume": ("POST", "/resume", None),
    "unknown-subpath": ("GET", "/no-such-action", None),
}


@pytest.mark.requirement("AUTH-BEFORE-404")
@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e, marks=_marks(e)) for e in _TASK_PATHS])
def test_auth_before_not_found(endpoint: str, run: RunContext, anon_api: ApiClient) -> None:
    # A task that cannot exist, under a user that cannot exist: still 401, not 404 (or 400).
    method, suffix, body = _TASK_PATHS[endpoint]
    path = f"/tasks/{run.prefix}-nouser/{_random_uuid(run)}{suffix}"
    kw: dict[str, Any] = {"json": body} if body is not None else {}
    response = anon_api.request(method, path, token=None, **kw)
    if response.status_code != 401:
        raise expect.fail(f"expected 401 for an unauthenticated request to a missing task, got "
                          f"{response.status_code} for {expect.describe(response)}: authentication must run "
                          "before the task lookup")


@pytest.mark.requirement("AUTH-HEADER")
@pytest.mark.parametrize("endpoint", _endpoints(valid_token=True))
def test_header_token_accepted(endpoint: str, run: RunContext, api: ApiClient, tasks: TaskFactory) -> None:
    response = _call(api, endpoint, run, via="header")
    tasks.adopt_response(api, response)
    if endpoint == "list":
        expect.status(response, 200)
    elif response.status_code in (401, 403):
        raise expect.fail(f"expected the Coder-Session-Token header to authenticate, got {response.status_code} "
                          f"for {expect.describe(response)}")


SOURCES: tuple[tuple[TokenSource, str], ...] = (
    ("cookie", "AUTH-COOKIE"),
    ("query", "AUTH-QUERY"),
    ("bearer", "AUTH-BEARER"),
    ("access_token", "AUTH-ACCESS-TOKEN"),
)


@pytest.mark.parametrize(
    "via", [pytest.param(via, marks=[pytest.mark.requirement(req), pytest.mark.readonly], id=via)
            for via, req in SOURCES]
)
def test_token_source_accepted(via: TokenSource, api: ApiClient) -> None:
    response = api.list_tasks(via=via)
    if response.status_code != 200:
        where = {"cookie": "the coder_session_token cookie", "query": "the coder_session_token query parameter",
                 "bearer": "an Authorization: Bearer header", "access_token": "the access_token query parameter"}
        raise expect.fail(f"expected 200 with the session token in {where[via]}, got {response.status_code} "
                          f"for {expect.describe(response)}")


@pytest.mark.readonly
@pytest.mark.requirement("AUTH-PRECEDENCE")
def test_cookie_wins_over_header(run: RunContext, api: ApiClient) -> None:
    bad = f"{_random_alnum(run, 10)}-{_random_alnum(run, 22)}"
    response = api.list_tasks(via="header", headers={"Cookie": f"coder_session_token={bad}"})
    if response.status_code != 401:
        raise expect.fail(f"expected 401 for an unknown token in the session cookie next to a valid "
                          f"Coder-Session-Token header (the cookie is read first), got {response.status_code} "
                          f"for {expect.describe(response)}")
