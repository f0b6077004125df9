"""Authentication: every token source, their precedence, and 401 before anything else."""

from __future__ import annotations

import uuid

import httpx
import pytest
from ref_support import SIGNED_OUT, Api, error_message

from conformance.reference.conforming.auth import extract_token
from conformance.reference.conforming.identities import SessionToken


def _wrong_secret(token: str) -> str:
    key_id, _, secret = token.partition("-")
    replacement = "A" if secret[0] != "A" else "B"
    return f"{key_id}-{replacement}{secret[1:]}"


def _list_with(
    api: Api, *, headers: dict[str, str] | None = None, params: dict[str, str] | None = None
) -> httpx.Response:
    return api.request("GET", "/tasks", as_=None, headers=headers, params=params)


def test_header_token_is_accepted(api: Api) -> None:
    response = _list_with(api, headers={"Coder-Session-Token": api.tokens["alice"]})
    assert response.status_code == 200


@pytest.mark.parametrize("source", ["cookie", "query", "header", "bearer", "access_token"])
def test_every_token_source_is_accepted(api: Api, source: str) -> None:
    token = api.tokens["bob"]
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if source == "cookie":
        headers["Cookie"] = f"coder_session_token={token}"
    elif source == "query":
        params["coder_session_token"] = token
    elif source == "header":
        headers["Coder-Session-Token"] = token
    elif source == "bearer":
        headers["Authorization"] = f"Bearer {token}"
    else:
        params["access_token"] = token
    task = api.create(as_="bob")
    response = _list_with(api, headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert task["id"] in [t["id"] for t in response.json()["tasks"]]


def test_missing_token_is_401_with_the_signed_out_message(api: Api) -> None:
    response = _list_with(api)
    assert response.status_code == 401
    assert error_message(response) == SIGNED_OUT


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda good: "not-a-token", id="malformed"),
        pytest.param(lambda good: good.replace("-", "_"), id="no-dash"),
        pytest.param(lambda good: good + "x", id="secret-too-long"),
        pytest.param(lambda good: SessionToken.generate().value, id="unknown-id"),
        pytest.param(_wrong_secret, id="wrong-secret"),
    ],
)
def test_bad_tokens_are_401_and_never_echoed(api: Api, make_token: object) -> None:
    assert callable(make_token)
    token = make_token(api.tokens["alice"])
    response = _list_with(api, headers={"Coder-Session-Token": token})
    assert response.status_code == 401
    assert error_message(response) == SIGNED_OUT
    assert token not in response.text
    secret = token.partition("-")[2]
    if secret:
        assert secret not in response.text
    assert response.json().get("detail")


def test_cookie_wins_over_header(api: Api) -> None:
    response = _list_with(
        api, headers={"Cookie": "coder_session_token=garbage", "Coder-Session-Token": api.tokens["alice"]}
    )
    assert response.status_code == 401


def test_query_wins_over_header(api: Api) -> None:
    response = _list_with(
        api,
        headers={"Coder-Session-Token": api.tokens["alice"]},
        params={"coder_session_token": _wrong_secret(api.tokens["alice"])},
    )
    assert response.status_code == 401


def test_header_wins_over_bearer_and_access_token(api: Api) -> None:
    bob_task = api.create(as_="bob")
    response = _list_with(
        api,
        headers={"Coder-Session-Token": api.tokens["bob"], "Authorization": f"Bearer {api.tokens['alice']}"},
        params={"access_token": api.tokens["alice"]},
    )
    assert response.status_code == 200
    assert bob_task["id"] in [t["id"] for t in response.json()["tasks"]]


def test_bearer_wins_over_access_token(api: Api) -> None:
    response = _list_with(
        api, headers={"Authorization": "Bearer nonsense"}, params={"access_token": api.tokens["alice"]}
    )
    assert response.status_code == 401


def test_empty_sources_fall_through(api: Api) -> None:
    response = _list_with(
        api,
        headers={"Cookie": "coder_session_token=", "Coder-Session-Token": ""},
        params={"access_token": api.tokens["alice"]},
    )
    assert response.status_code == 200


def test_non_bearer_authorization_is_ignored(api: Api) -> None:
    response = _list_with(api, headers={"Authorization": f"Basic {api.tokens['alice']}"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/tasks"),
        ("POST", "/tasks/me"),
        ("GET", "/tasks/me/{task}"),
        ("DELETE", "/tasks/me/{task}"),
        ("GET", "/tasks/me/{task}/logs"),
        ("POST", "/tasks/me/{task}/send"),
        ("GET", "/tasks/me/" + str(uuid.UUID(int=0))),
        ("GET", "/no/such/route"),
        ("PUT", "/tasks"),
        ("GET", ""),
    ],
)
def test_authentication_runs_before_routing_and_lookup(api: Api, method: str, path: str) -> None:
    task = api.create()
    response = api.request(method, path.format(task=task["id"]), as_=None, json={"input": "x"})
    assert response.status_code == 401, response.text
    assert error_message(response) == SIGNED_OUT
    assert api.task(task["id"])["status"] == "active"  # nothing happened to the task


def test_paths_outside_the_prefix_are_404_without_auth(api: Api) -> None:
    response = api.request("GET", "/api/v2/nothing-here", as_=None, prefixed=False)
    assert response.status_code == 404
    error_message(response)


def test_users_me_names_the_tokens_user(api: Api) -> None:
    """Coder's GET /api/v2/users/{user} (coderd/httpmw/userparam.go: me, a username or an id), which the preflight
    reads to tell tokens of one user from tokens of several; authenticated like every route."""
    me = api.request("GET", "/api/v2/users/me", prefixed=False)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "alice"
    by_name = api.request("GET", "/api/v2/users/alice", prefixed=False)
    by_id = api.request("GET", f"/api/v2/users/{me.json()['id']}", prefixed=False)
    assert by_name.json()["id"] == by_id.json()["id"] == me.json()["id"]
    assert api.request("GET", "/api/v2/users/nobody-here", prefixed=False).status_code == 404
    assert api.request("GET", "/api/v2/users/me", as_=None, prefixed=False).status_code == 401


def test_extract_token_precedence_unit() -> None:
    from starlette.datastructures import Headers

    headers = Headers(
        {"cookie": "other=1; coder_session_token=c", "coder-session-token": "h", "authorization": "Bearer b"}
    )
    query = [("access_token", "a"), ("coder_session_token", "q")]
    assert extract_token(headers, query) == "c"
    assert extract_token(Headers({"coder-session-token": "h", "authorization": "Bearer b"}), query) == "q"
    assert extract_token(Headers({"coder-session-token": "h", "authorization": "Bearer b"}), []) == "h"
    assert extract_token(Headers({"authorization": "bearer b"}), [("access_token", "a")]) == "b"
    assert extract_token(Headers({}), [("access_token", "a")]) == "a"
    assert extract_token(Headers({}), []) == ""
    assert extract_token(headers, query, header_first=True) == "h"


def test_tokens_have_coder_format(api: Api) -> None:
    import re

    values = set(api.tokens.values())
    assert len(values) == 3
    for token in values:
        assert re.fullmatch(r"[A-Za-z0-9]{10}-[A-Za-z0-9]{22}", token)
