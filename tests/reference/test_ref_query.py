"""The list endpoint and its q grammar: filters, visibility, order, and every malformed form."""

from __future__ import annotations

from typing import Any

import pytest
from ref_support import Api, error_message

from conformance.reference.conforming.query import QueryError, QueryOptions, TaskFilter, parse_task_query

ALICE, BOB, ORG = "a" * 8 + "-0000-4000-8000-" + "0" * 12, "b" * 8 + "-0000-4000-8000-" + "0" * 12, "org-id"


def _parse(q: str, options: QueryOptions = QueryOptions()) -> TaskFilter:  # noqa: B008
    users = {"alice": ALICE, "bob": BOB, "alice smith": "c" * 8 + "-0000-4000-8000-" + "0" * 12}
    return parse_task_query(
        q,
        resolve_owner=lambda v: ALICE if v == "me" else (v if len(v) == 36 else users.get(v)),
        resolve_organization=lambda v: ORG if v == "coder" else (v if len(v) == 36 else None),
        options=options,
    )


# -- the parser on its own ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", TaskFilter()),
        ("   ", TaskFilter()),
        ("owner:alice", TaskFilter(owner_id=ALICE)),
        ("OWNER:ALICE", TaskFilter(owner_id=ALICE)),
        ('owner:"alice"', TaskFilter(owner_id=ALICE)),
        ("owner:me", TaskFilter(owner_id=ALICE)),
        (f"owner:{BOB}", TaskFilter(owner_id=BOB)),
        ("bob", TaskFilter(owner_id=BOB)),
        ("Bob", TaskFilter(owner_id=BOB)),
        ("alice smith", TaskFilter(owner_id="c" * 8 + "-0000-4000-8000-" + "0" * 12)),
        ('owner:"Alice Smith"', TaskFilter(owner_id="c" * 8 + "-0000-4000-8000-" + "0" * 12)),
        ("organization:coder", TaskFilter(organization_id=ORG)),
        ("status:Active", TaskFilter(status="active")),
        (
            "owner:bob  status:pending organization:coder",
            TaskFilter(owner_id=BOB, organization_id=ORG, status="pending"),
        ),
        ("status:error bob", TaskFilter(owner_id=BOB, status="error")),
        ('owner:""', TaskFilter()),
    ],
)
def test_parser_accepts(q: str, expected: TaskFilter) -> None:
    assert _parse(q) == expected


@pytest.mark.parametrize(
    ("q", "field", "fragment"),
    [
        ("foo:bar", "foo", '"foo" is not a valid query param'),
        (":alice", "q", "cannot start or end with ':'"),
        ("owner:", "q", "cannot start or end with ':'"),
        ("a:b:c", "q", "can only contain 1 ':'"),
        ("owner::alice", "q", "can only contain 1 ':'"),
        ("owner:nobody", "owner", "nobody"),
        ("ghost", "owner", "ghost"),
        ("organization:acme", "organization", "acme"),
        ("status:running", "status", "running"),
        ("owner:alice owner:bob", "owner", "more than once"),
        ("alice owner:bob", "owner", "more than once"),
        ("alice bob", "owner", "alice bob"),  # bare terms are joined into one owner (searchquery processTokens)
    ],
)
def test_parser_rejects(q: str, field: str, fragment: str) -> None:
    with pytest.raises(QueryError) as info:
        _parse(q)
    fields = {v.field: v.detail for v in info.value.validations}
    assert field in fields, fields
    assert fragment in fields[field]


def test_parser_options_simulating_faults() -> None:
    with pytest.raises(QueryError):
        _parse("status:ACTIVE", QueryOptions(lowercase=False))
    assert _parse("bob", QueryOptions(bare_words=None)) == TaskFilter()
    legacy = _parse("bob", QueryOptions(bare_words="name", workspace_keys=True))
    assert (legacy.name, legacy.owner_id) == ("bob", None)


def test_colon_inside_quotes_is_part_of_the_value() -> None:
    with pytest.raises(QueryError) as info:
        _parse('owner:"a:b"')
    assert info.value.validations[0].field == "owner"
    assert "a:b" in info.value.validations[0].detail


# -- over HTTP ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(api: Api) -> dict[str, dict[str, Any]]:
    """Tasks of alice and bob; the alice 'old' task is created first."""
    tasks = {
        "alice-old": api.create(as_="alice"),
        "alice-new": api.create(as_="alice"),
        "bob": api.create(as_="bob"),
    }
    return tasks


def _ids(api: Api, q: str | None, as_: str = "alice") -> set[str]:
    return set(api.list_ids(q, as_=as_))


def test_list_shape_and_count(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    response = api.list_tasks()
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"tasks", "count"}
    assert body["count"] == len(body["tasks"]) >= 2


def test_empty_list_is_an_empty_array(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    response = api.list_tasks("status:error")
    assert response.json() == {"tasks": [], "count": 0}


def test_members_see_only_their_own_tasks(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    for who in ("alice", "bob"):
        tasks = api.list_tasks(as_=who).json()["tasks"]
        assert tasks and {t["owner_name"] for t in tasks} == {who}


def test_admin_sees_everyones_tasks(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    assert {t["id"] for t in seeded.values()} <= _ids(api, None, as_="admin")


def test_newest_first(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    ids = api.list_ids()
    assert ids.index(seeded["alice-new"]["id"]) < ids.index(seeded["alice-old"]["id"])
    created = [t["created_at"] for t in api.list_tasks(as_="admin").json()["tasks"]]
    assert created == sorted(created, reverse=True)


def test_owner_forms(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    bob_task = seeded["bob"]["id"]
    for q in ("owner:bob", "owner:BOB", 'owner:"bob"', f"owner:{api.user_id('bob')}", "bob", "BoB"):
        assert _ids(api, q, as_="admin") == _ids(api, "owner:bob", as_="admin"), q
        assert bob_task in _ids(api, q, as_="admin"), q
        assert seeded["alice-new"]["id"] not in _ids(api, q, as_="admin"), q
    assert _ids(api, "owner:me", as_="bob") == _ids(api, None, as_="bob")
    assert _ids(api, "owner:me", as_="admin").isdisjoint({t["id"] for t in seeded.values()})


def test_owner_filter_for_someone_a_member_cannot_see_is_empty(
    api: Api, seeded: dict[str, dict[str, Any]]
) -> None:
    assert api.list_tasks("owner:bob", as_="alice").json() == {"tasks": [], "count": 0}
    assert api.list_tasks(f"owner:{api.user_id('bob')}", as_="alice").json()["count"] == 0


def test_unknown_owner_uuid_is_an_empty_result(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    assert api.list_tasks("owner:00000000-0000-4000-8000-00000000abcd", as_="admin").json()["count"] == 0


def test_organization_forms(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    everything = _ids(api, None, as_="admin")
    assert _ids(api, "organization:coder", as_="admin") == everything
    assert _ids(api, "organization:CODER", as_="admin") == everything
    assert _ids(api, f"organization:{api.ids.org.id}", as_="admin") == everything
    assert _ids(api, "organization:00000000-0000-4000-8000-000000000000", as_="admin") == set()


def test_status_filter_and_and(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    assert seeded["alice-new"]["id"] in _ids(api, "status:active")
    assert _ids(api, "status:pending") == set()
    both = _ids(api, "owner:bob status:active organization:coder", as_="admin")
    assert seeded["bob"]["id"] in both and seeded["alice-new"]["id"] not in both
    assert _ids(api, "owner:bob status:paused", as_="admin") == set()


@pytest.mark.parametrize(
    ("q", "field"),
    [
        ("foo:bar", "foo"),
        (":alice", "q"),
        ("owner:", "q"),
        ("a:b:c", "q"),
        ("owner:nobody", "owner"),
        ("nobody", "owner"),
        ("organization:acme", "organization"),
        ("status:bogus", "status"),
        ("owner:alice owner:bob", "owner"),
    ],
)
def test_malformed_queries_are_400(api: Api, seeded: dict[str, dict[str, Any]], q: str, field: str) -> None:
    response = api.list_tasks(q)
    assert response.status_code == 400
    assert error_message(response) == "Invalid task search query."
    validations = response.json()["validations"]
    assert field in [v["field"] for v in validations]
    assert all(isinstance(v["detail"], str) and v["detail"] for v in validations)


def test_unknown_key_detail_text(api: Api) -> None:
    body = api.list_tasks("Color:blue").json()
    assert body["validations"] == [
        {"field": "color", "detail": '"color" is not a valid query param'}  # coderd/httpapi/queryparams.go
    ]


def test_first_q_parameter_wins(api: Api, seeded: dict[str, dict[str, Any]]) -> None:
    response = api.get("/tasks", params=[("q", "status:active"), ("q", "foo:bar")])
    assert response.status_code == 200
