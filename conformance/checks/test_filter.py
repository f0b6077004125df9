"""Filtering: the q grammar of GET /tasks (owner, organization, status; AND; quotes; case; bare words; errors).

A filtered list must hold exactly the tasks the same caller's unfiltered list holds that match the filter. A real
server has other tasks and they change (new ones, status moves), so every comparison is made against two
unfiltered lists taken just before and just after the filtered one: a task in both that matches in both must be
returned, and every returned task must match by its own fields.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.contracts.contract import Contract
from conformance.contracts.profiles import ALL_STATUSES, Profile, with_status
from conformance.runner.fixtures import Identity
from conformance.runner.http.client import ApiClient
from conformance.runner.tasks import expect
from conformance.runner.tasks.session import RunContext

_ATTEMPTS = 3
# One check per status of every generation; each runs where its status is one of the profile's.
STATUSES = [pytest.param(s, marks=pytest.mark.profiles(*with_status(s))) for s in ALL_STATUSES]

Task = dict[str, Any]
Matches = Callable[[Task], bool]


# --- helpers -----------------------------------------------------------------------------------------------

def _shown(q: str) -> str:
    return f"GET /tasks?q={q!r}"


def _tasks(response: httpx.Response, contract: Contract) -> list[Task]:
    expect.status(response, 200)
    return list(expect.schema(response, "TaskListResponse", contract)["tasks"])


def _by_id(tasks: list[Task]) -> dict[str, Task]:
    return {str(t["id"]): t for t in tasks}


def _describe_task(task: Task) -> str:
    return (f"{task.get('id')} (owner {task.get('owner_name')!r}, organization {task.get('organization_id')}, "
            f"status {task.get('status')!r})")


def expect_filtered(client: ApiClient, q: str, matches: Matches, what: str, *, contract: Contract,
                    include: tuple[str, ...] = (), refusal: str | None = None) -> list[Task]:
    """`q` returns exactly the tasks of the caller's unfiltered list that `matches` (`what` says which).

    `include`: task ids that must be returned (unless the unfiltered lists show them not matching).
    `refusal`: if set, a 400 with the error body (the search query refused, whatever its words) is an allowed
    answer and skips the check with it.
    """
    for _ in range(_ATTEMPTS):
        before = _by_id(_tasks(client.list_tasks(), contract))
        response = client.list_tasks(q=q)
        refused = response.status_code == 400 and expect.error_message(response) is not None
        if refusal is not None and refused:
            pytest.skip(refusal)
        got = _tasks(response, contract)
        after = _by_id(_tasks(client.list_tasks(), contract))
        wrong = [t for t in got if not matches(t)]
        if wrong:
            raise expect.fail(f"expected only tasks that {what} from {_shown(q)}, got {len(wrong)} other(s), e.g. "
                              f"task {_describe_task(wrong[0])}")
        got_ids = {str(t["id"]) for t in got}
        missing = [tid for tid, t in before.items()
                   if tid in after and matches(t) and matches(after[tid]) and tid not in got_ids]
        if missing:
            raise expect.fail(f"expected every visible task that {what} from {_shown(q)}, but {len(missing)} "
                              f"task(s) of the unfiltered list are missing, e.g. task "
                              f"{_describe_task(before[missing[0]])}")
        for tid in include:
            seen_otherwise = any(tid in snap and not matches(snap[tid]) for snap in (before, after))
            if tid not in got_ids and not seen_otherwise:
                raise expect.fail(f"expected this run's task {tid}, which {what}, in the result of {_shown(q)}; "
                                  f"it is not there ({len(got)} task(s) returned)")
        if all(tid in before or tid in after for tid in got_ids):
            return got
        # A task appeared in the filtered list but in neither unfiltered one: created and deleted in between,
        # or hidden from the unfiltered list. Look again before concluding.
    unseen = sorted(tid for tid in got_ids if tid not in before and tid not in after)
    raise expect.fail(f"{_shown(q)} returned task(s) the caller's unfiltered GET /tasks does not show, e.g. "
                      f"{unseen[0]} (seen in {_ATTEMPTS} attempts)")


def _client(request: pytest.FixtureRequest, viewer: str) -> ApiClient:
    fixture = {"primary": "api", "second": "second_api", "admin": "admin_api"}[viewer]
    client: ApiClient = request.getfixturevalue(fixture)
    return client


def _member(request: pytest.FixtureRequest, who: str) -> tuple[Task, Identity]:
    """The shared active task and the identity of the primary or the second member."""
    if who == "primary":
        return request.getfixturevalue("active_task"), request.getfixturevalue("me")
    return request.getfixturevalue("second_active_task"), request.getfixturevalue("second_me")


def _random_word(run: RunContext, stem: str) -> str:
    return stem + "".join(run.rng.choice(string.ascii_lowercase) for _ in range(10))


def _owner_filter(request: pytest.FixtureRequest, viewer: str, owner: str, q_of: Callable[[Identity], str],
                  *, by_name: bool) -> None:
    """`viewer` filters on `owner` with the query `q_of(owner identity)`."""
    client = _client(request, viewer)
    task, ident = _member(request, owner)
    sees_owner = viewer in ("admin", owner)
    refusal = _USERNAME_REFUSAL.format(viewer=viewer) if by_name and not sees_owner else None
    expect_filtered(client, q_of(ident), lambda t: t.get("owner_id") == ident.id,
                    f"are owned by {ident.username!r}", include=(task["id"],) if sees_owner else (),
                    refusal=refusal, contract=request.getfixturevalue("run").contract)


_USERNAME_REFUSAL = ("the server refuses to resolve another user's username for a member (400, as Coder does: "
                     "'either does not exist, or you are unauthorized'); cannot test this filter as {viewer}")

# viewer, owner: who filters, on whose tasks. A member filtering on another member must get nothing.
OWNER_VIEWS = [
    pytest.param("primary", "primary", id="member-own"),
    pytest.param("primary", "second", id="member-other"),
    pytest.param("admin", "primary", id="admin-primary"),
    pytest.param("admin", "second", id="admin-second"),
]


# --- owner -------------------------------------------------------------------------------------------------

@pytest.mark.requirement("FILTER-OWNER-ME")
@pytest.mark.parametrize("member", ["primary", "second"])
def test_owner_me(request: pytest.FixtureRequest, member: str) -> None:
    _owner_filter(request, member, member, lambda ident: "owner:me", by_name=False)


@pytest.mark.requirement("FILTER-OWNER-ME")
def test_owner_me_as_admin(run: RunContext, admin_api: ApiClient, active_task: Task, second_active_task: Task,
                           me: Identity, second_me: Identity) -> None:
    # The admin sees every member's tasks: owner:me must narrow that to the admin's own (none of the members').
    members = (me.id, second_me.id)
    expect_filtered(admin_api, "owner:me", lambda t: t.get("owner_id") not in members, "are the admin's own",
                    contract=run.contract)


@pytest.mark.requirement("FILTER-OWNER-USERNAME")
@pytest.mark.parametrize(("viewer", "owner"), OWNER_VIEWS)
def test_owner_username(request: pytest.FixtureRequest, viewer: str, owner: str) -> None:
    _owner_filter(request, viewer, owner, lambda ident: f"owner:{ident.username}", by_name=True)


@pytest.mark.requirement("FILTER-OWNER-UUID")
@pytest.mark.parametrize(("viewer", "owner"), OWNER_VIEWS)
def test_owner_uuid(request: pytest.FixtureRequest, viewer: str, owner: str) -> None:
    _owner_filter(request, viewer, owner, lambda ident: f"owner:{ident.id}", by_name=False)


# --- organization ------------------------------------------------------------------------------------------

def _in_organization(org_id: str) -> Matches:
    return lambda t: str(t.get("organization_id", "")).lower() == org_id.lower()


@pytest.mark.requirement("FILTER-ORGANIZATION-ID")
@pytest.mark.parametrize("viewer", ["primary", "admin"])
def test_organization_id(run: RunContext, request: pytest.FixtureRequest, viewer: str, active_task: Task,
                         me: Identity) -> None:
    client = _client(request, viewer)
    expect_filtered(client, f"organization:{me.organization_id}", _in_organization(me.organization_id),
                    f"are in organization {me.organization_id}", include=(active_task["id"],), contract=run.contract)


@pytest.mark.requirement("FILTER-ORGANIZATION-ID")
def test_organization_id_matching_nothing(run: RunContext, api: ApiClient, active_task: Task) -> None:
    org_id = str(uuid.uuid4())
    expect_filtered(api, f"organization:{org_id}", _in_organization(org_id), f"are in organization {org_id}",
                    refusal="the server refuses an organization uuid that names no organization (400); the "
                            "filter cannot be tested against an organization without tasks", contract=run.contract)


@pytest.mark.requirement("FILTER-ORGANIZATION-NAME")
def test_organization_name(run: RunContext, api: ApiClient, active_task: Task, me: Identity) -> None:
    name = run.config.target.organization_name
    if name is None:
        pytest.skip("organization_name is not configured")
    expect_filtered(api, f"organization:{name}", _in_organization(me.organization_id),
                    f"are in organization {name!r} ({me.organization_id})", include=(active_task["id"],),
                    contract=run.contract)


# --- status ------------------------------------------------------------------------------------------------

def _has_status(status: str) -> Matches:
    return lambda t: t.get("status") == status


@pytest.mark.requirement("FILTER-STATUS")
@pytest.mark.parametrize("status", STATUSES)
def test_status(run: RunContext, api: ApiClient, active_task: Task, status: str) -> None:
    # The shared task is active: status:<active> must return it, every other status must leave it out.
    include = (active_task["id"],) if status == run.terms.profile.active else ()
    expect_filtered(api, f"status:{status}", _has_status(status), f"have status {status!r}", include=include,
                    contract=run.contract)


@pytest.mark.readonly
@pytest.mark.requirement("FILTER-STATUS")
@pytest.mark.parametrize("status", STATUSES)
def test_status_readonly(run: RunContext, api: ApiClient, status: str) -> None:
    expect_filtered(api, f"status:{status}", _has_status(status), f"have status {status!r}", contract=run.contract)


# --- AND, quotes, case, bare words, empty ------------------------------------------------------------------

def _both(a: Matches, b: Matches) -> Matches:
    return lambda t: a(t) and b(t)


def _owned_by(ident: Identity) -> Matches:
    return lambda t: t.get("owner_id") == ident.id


@pytest.mark.requirement("FILTER-AND")
@pytest.mark.parametrize("case", ["owner-and-status", "owner-and-other-status", "organization-and-status",
                                  "other-owner-and-status"])
def test_filters_combine_with_and(run: RunContext, api: ApiClient, active_task: Task, me: Identity,
                                  second_me: Identity, case: str) -> None:
    # Each combination where one filter alone would return the shared task and the other would not catches a
    # server that ignores one of them or combines them with OR.
    active, stopped = run.terms.profile.active, run.terms.profile.stopped
    include: tuple[str, ...] = (active_task["id"],)
    if case == "owner-and-status":
        q, matches, what = f"owner:me status:{active}", _both(_owned_by(me), _has_status(active)), \
            f"are the caller's and {active}"
    elif case == "owner-and-other-status":
        q, matches, what = f"owner:me status:{stopped}", _both(_owned_by(me), _has_status(stopped)), \
            f"are the caller's and {stopped}"
        include = ()
    elif case == "organization-and-status":
        q = f"organization:{me.organization_id} status:{active}"
        matches, what = _both(_in_organization(me.organization_id), _has_status(active)), \
            f"are in organization {me.organization_id} and {active}"
    else:
        q, matches, what = f"owner:{second_me.username} status:{active}", \
            _both(_owned_by(second_me), _has_status(active)), f"are {second_me.username!r}'s and {active}"
        include = ()
    expect_filtered(api, q, matches, what, include=include,
                    refusal=_USERNAME_REFUSAL.format(viewer="primary") if case == "other-owner-and-status" else None,
                    contract=run.contract)


@pytest.mark.requirement("FILTER-AND")
def test_filters_combine_with_and_admin(run: RunContext, admin_api: ApiClient, second_active_task: Task,
                                        second_me: Identity, active_task: Task) -> None:
    # The admin sees both members' active tasks: owner narrows status:<active> to the second member's.
    active = run.terms.profile.active
    expect_filtered(admin_api, f"owner:{second_me.username} status:{active}",
                    _both(_owned_by(second_me), _has_status(active)), f"are {second_me.username!r}'s and {active}",
                    include=(second_active_task["id"],), contract=run.contract)


@pytest.mark.requirement("FILTER-QUOTED")
def test_quoted_username_as_admin(run: RunContext, admin_api: ApiClient, second_active_task: Task,
                                  second_me: Identity) -> None:
    expect_filtered(admin_api, f'owner:"{second_me.username}"', _owned_by(second_me),
                    f"are owned by {second_me.username!r}", include=(second_active_task["id"],), contract=run.contract)


@pytest.mark.requirement("FILTER-QUOTED")
@pytest.mark.parametrize("case", ["owner-username", "owner-me", "status", "organization-id"])
def test_quoted_values(run: RunContext, api: ApiClient, active_task: Task, me: Identity, case: str) -> None:
    if case == "owner-username":
        q, matches, what = f'owner:"{me.username}"', _owned_by(me), f"are owned by {me.username!r}"
    elif case == "owner-me":
        q, matches, what = 'owner:"me"', _owned_by(me), "are the caller's"
    elif case == "status":
        active = run.terms.profile.active
        q, matches, what = f'status:"{active}"', _has_status(active), f"are {active}"
    else:
        q = f'organization:"{me.organization_id}"'
        matches, what = _in_organization(me.organization_id), f"are in organization {me.organization_id}"
    expect_filtered(api, q, matches, what, include=(active_task["id"],), contract=run.contract)


@pytest.mark.requirement("FILTER-CASE")
@pytest.mark.parametrize("case", ["OWNER:ME", "Owner:Me", "Status:Active", "STATUS:ACTIVE", "owner:USERNAME",
                                  "ORGANIZATION:UUID", "Organization:NAME"])
def test_query_is_case_insensitive(run: RunContext, api: ApiClient, active_task: Task, me: Identity,
                                   case: str) -> None:
    key = case.split(":")[0].lower()
    if key == "owner":
        q = case.replace("USERNAME", me.username.upper())
        matches, what = _owned_by(me), "are the caller's"
    elif key == "status":
        active = run.terms.profile.active
        value = active.upper() if case.split(":")[1].isupper() else active.capitalize()
        q, matches, what = f"{case.split(':')[0]}:{value}", _has_status(active), f"are {active}"
    else:
        name = run.config.target.organization_name
        if case.endswith("NAME") and name is None:
            pytest.skip("organization_name is not configured")
        q = case.replace("UUID", me.organization_id.upper()).replace("NAME", (name or "").upper())
        matches, what = _in_organization(me.organization_id), f"are in organization {me.organization_id}"
    expect_filtered(api, q, matches, what, include=(active_task["id"],), contract=run.contract)


@pytest.mark.requirement("FILTER-BARE-WORD")
@pytest.mark.parametrize(("viewer", "owner"), [OWNER_VIEWS[0], OWNER_VIEWS[1], OWNER_VIEWS[3]])
def test_bare_word(run: RunContext, request: pytest.FixtureRequest, viewer: str, owner: str) -> None:
    if run.terms.profile.bare_word == "owner":
        _owner_filter(request, viewer, owner, lambda ident: ident.username, by_name=True)
        return
    # The workspace search of legacy releases: a bare word matches task (workspace) names containing it.
    client = _client(request, viewer)
    task, ident = _member(request, owner)
    word = str(task["name"])
    sees = viewer in ("admin", owner)
    expect_filtered(client, word, lambda t: word.lower() in str(t.get("name", "")).lower(),
                    f"have a name containing {word!r}", include=(task["id"],) if sees else (), contract=run.contract)


@pytest.mark.requirement("FILTER-EMPTY-QUERY")
def test_empty_query_is_unfiltered(run: RunContext, api: ApiClient, active_task: Task) -> None:
    expect_filtered(api, "", lambda t: True, "are visible to the caller", include=(active_task["id"],),
                    contract=run.contract)


@pytest.mark.readonly
@pytest.mark.requirement("FILTER-EMPTY-QUERY")
def test_empty_query_is_unfiltered_readonly(run: RunContext, api: ApiClient) -> None:
    expect_filtered(api, "", lambda t: True, "are visible to the caller", contract=run.contract)


# --- malformed queries -------------------------------------------------------------------------------------

# id, requirement, query ("{word}" becomes a random lowercase word that names nothing), text naming the case
MALFORMED = [
    ("unknown-key", "FILTER-UNKNOWN-KEY-400", "{word}:bar", "an unknown key"),
    ("unknown-key-with-filter", "FILTER-UNKNOWN-KEY-400", "owner:me {word}:bar", "an unknown key"),
    ("leading-colon", "FILTER-COLON-EDGE-400", ":foo", "a token starting with ':'"),
    ("trailing-colon", "FILTER-COLON-EDGE-400", "owner:", "a token ending with ':'"),
    ("two-colons", "FILTER-MULTI-COLON-400", "owner:a:b", "a token with two ':'"),
    ("unknown-owner", "FILTER-UNKNOWN-OWNER-400", "owner:{word}", "an owner username that does not exist"),
    ("unknown-organization", "FILTER-UNKNOWN-ORG-400", "organization:{word}",
     "an organization name that does not exist"),
]


@pytest.mark.readonly
@pytest.mark.requirement("FILTER-ERROR-BODY")
@pytest.mark.parametrize(
    ("requirement", "template", "what"),
    [pytest.param(req, template, what, id=case, marks=pytest.mark.requirement(req))
     for case, req, template, what in MALFORMED],
)
def test_malformed_query_is_400(run: RunContext, api: ApiClient, requirement: str, template: str,
                                what: str) -> None:
    word = _random_word(run, "nx")
    q = template.format(word=word)
    response = api.list_tasks(q=q)
    if response.status_code != 400:
        raise expect.fail(f"expected 400 for {what} ({_shown(q)}), got {response.status_code}", requirement)
    try:
        body = expect.schema(response, "Error", run.contract)
    except expect.CheckFailure as exc:
        raise expect.fail(str(exc), "FILTER-ERROR-BODY") from None
    validations = body.get("validations")
    if not isinstance(validations, list) or not validations:
        raise expect.fail(f"expected a non-empty validations list in the 400 for {what} ({_shown(q)}), got "
                          f"{validations!r}", "FILTER-ERROR-BODY")
    if requirement == "FILTER-UNKNOWN-KEY-400":
        texts = " ".join(f"{v.get('field', '')} {v.get('detail', '')}" for v in validations if isinstance(v, dict))
        if word not in texts.lower():
            raise expect.fail(f"expected a validation naming the unknown key {word!r} for {_shown(q)}, got "
                              f"{validations!r}", requirement)


@pytest.mark.readonly
@pytest.mark.requirement("FILTER-ERROR-MESSAGE")
def test_malformed_query_message(run: RunContext, api: ApiClient) -> None:
    q = f"{_random_word(run, 'nx')}:bar"
    response = api.list_tasks(q=q)
    expect.status(response, 400)
    wanted = run.terms.profile.invalid_query
    if expect.error_message(response) != wanted:
        raise expect.fail(f"expected the message {wanted!r} for an unknown key ({_shown(q)}), got "
                          f"{expect.error_message(response)!r}")


def _not_a_status(profile: Profile) -> str:
    """A status of another generation that is none of this one's."""
    return next(s for s in ALL_STATUSES if s not in profile.statuses)


@pytest.mark.readonly
@pytest.mark.requirement("FILTER-BAD-STATUS-400")
@pytest.mark.parametrize("value", ["bogus", "other-generation"])
def test_bad_status_is_400(run: RunContext, api: ApiClient, value: str) -> None:
    # Coder itself lets a bad status reach the database (500); a conforming server answers 400.
    status = _not_a_status(run.terms.profile) if value == "other-generation" else value
    q = f"status:{status}"
    response = api.list_tasks(q=q)
    if response.status_code != 400:
        raise expect.fail(f"expected 400 for the status value {status!r}, which is no task status of the "
                          f"{run.terms.profile.name} generation ({_shown(q)}), got {response.status_code}")
    expect.error(response, 400, contract=run.contract)
