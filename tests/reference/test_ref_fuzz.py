"""Hypothesis throws random bodies, queries, paths and headers at the server: never a 5xx, never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ref_support import Api

from conformance.reference import ReferenceServer

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_values = st.one_of(
    json_values, st.uuids().map(str), st.sampled_from(["", " ", "new", "a" * 40, "ok-name"])
)
create_like = st.fixed_dictionaries(
    {},
    optional={
        "input": field_values,
        "name": field_values,
        "template_version_id": field_values,
        "template_version_preset_id": field_values,
        "display_name": field_values,
    },
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    create_like.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=50).map(lambda s: s.encode("utf-8", "surrogatepass")),
)
query_text = st.text(
    alphabet=st.sampled_from(list('abcdeorstuwnpgmiz:" -_ACTIVE0123456789\\\t%é')), max_size=40
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
segments = st.lists(
    st.one_of(st.text(max_size=15), st.sampled_from(["tasks", "me", "alice", "logs", "send"])), max_size=5
)
methods = st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"])


@pytest.fixture(scope="module")
def fuzz_api() -> Iterator[Api]:
    with ReferenceServer(profile="experimental", lifecycle_delay=0, reply_delay=0) as server:
        client = Api(server)
        yield client
        client.close()
        assert server.unexpected_errors == [], server.unexpected_errors[:3]


@pytest.fixture(scope="module")
def fuzz_task(fuzz_api: Api) -> dict[str, Any]:
    return fuzz_api.create_active(input="")


def _assert_sane(api: Api, response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text[:300])
    assert api.server.unexpected_errors == [], api.server.unexpected_errors[:1]


@FUZZ
@given(
    body=bodies,
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
    user=st.sampled_from(["me", "bob", "ALICE"]),
)
def test_create_with_random_bodies(fuzz_api: Api, body: bytes, content_type: str, user: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = fuzz_api.post(f"/tasks/{user}", content=body, headers=headers)
    _assert_sane(fuzz_api, response)
    if response.status_code == 201:
        created = response.json()
        assert fuzz_api.delete(f"/tasks/me/{created['id']}", as_="admin").status_code == 202


@FUZZ
@given(body=bodies)
def test_send_with_random_bodies(fuzz_api: Api, fuzz_task: dict[str, Any], body: bytes) -> None:
    response = fuzz_api.post(f"/tasks/me/{fuzz_task['id']}/send", content=body)
    _assert_sane(fuzz_api, response)
    assert response.status_code in (204, 400)


@FUZZ
@given(q=query_text, as_=st.sampled_from(["alice", "admin"]))
def test_list_with_random_queries(fuzz_api: Api, q: str, as_: str) -> None:
    response = fuzz_api.list_tasks(q, as_=as_)
    _assert_sane(fuzz_api, response)
    assert response.status_code in (200, 400)
    body = response.json()
    if response.status_code == 200:
        assert body["count"] == len(body["tasks"])
    else:
        assert body["message"] == "Invalid task search query." and body["validations"]


@FUZZ
@given(method=methods, parts=segments, prefixed=st.booleans(), authed=st.booleans())
def test_random_paths(fuzz_api: Api, method: str, parts: list[str], prefixed: bool, authed: bool) -> None:
    path = (fuzz_api.prefix if prefixed else "") + "/" + "/".join(quote(part, safe="") for part in parts)
    headers = {"Coder-Session-Token": fuzz_api.tokens["admin"]} if authed else {}
    response = fuzz_api.client.request(method, fuzz_api.base + path, headers=headers)
    _assert_sane(fuzz_api, response)


@FUZZ
@given(
    cookie=header_text,
    session=header_text,
    authorization=header_text,
    query_token=header_text,
    target=st.sampled_from(["/tasks", "/tasks/me/{task}", "/tasks/me/{task}/logs", "/nope"]),
)
def test_random_auth_headers(
    fuzz_api: Api,
    fuzz_task: dict[str, Any],
    cookie: str,
    session: str,
    authorization: str,
    query_token: str,
    target: str,
) -> None:
    headers = {
        "Cookie": cookie.strip(),
        "Coder-Session-Token": session.strip(),
        "Authorization": authorization.strip(),
    }
    response = fuzz_api.request(
        "GET",
        target.format(task=fuzz_task["id"]),
        as_=None,
        headers=headers,
        params={"access_token": query_token},
    )
    _assert_sane(fuzz_api, response)
    assert response.status_code in (200, 401, 404)
