"""The preflight: which contract is the target judged by, is it there, is the prefix right, is every token
accepted and someone else's?"""

from __future__ import annotations

from typing import Any

import httpx

from conformance.contracts.profiles import PROFILES, Terms
from conformance.runner.http.client import ApiClient, RateLimited, TransportError
from conformance.runner.records.evidence import EvidenceLog, parse_json
from conformance.runner.settings.config import ROLE_SETTINGS
from conformance.runner.target.detect import BUILDINFO, choose_terms
from conformance.runner.target.release import removed_sentence
from conformance.runner.target.settings_check import SettingError, check_settings
from conformance.runner.tasks.session import RunContext


class PreflightError(Exception):
    """The target cannot be checked at all. One line, no secrets."""


def run_preflight(run: RunContext) -> EvidenceLog:
    """Raise PreflightError on the first problem; return the preflight's exchanges as evidence."""
    log = EvidenceLog()
    base = run.base_client("primary") or run.base_client("anonymous")
    assert base is not None
    target = run.config.target
    run.terms, run.server_version = choose_terms(target.profile, run.config.sources.get("profile", "default"), base,
                                                 target.api_prefix, log)
    for role, client in run.clients().items():
        response = _list(client, log)
        if run.server_version is None:
            not_coder = _not_coder(client, response, log)
            if not_coder:
                raise PreflightError(not_coder)
        _check_list_answer(client, role, response, run.terms)
        listed = response.json().get("tasks")
        if isinstance(listed, list):
            run.ledger.note_existing(str(t.get("id")) for t in listed if isinstance(t, dict))
    _check_distinct_users(run, list(run.clients()), log)
    try:
        check_settings(run, log)
    except SettingError as exc:
        raise PreflightError(str(exc)) from None
    return log


def _list(client: ApiClient, log: EvidenceLog) -> httpx.Response:
    try:
        return client.list_tasks(log=log)
    except RateLimited as exc:
        raise PreflightError(f"the target keeps answering 429 (rate limited): {exc}") from None
    except TransportError as exc:
        raise PreflightError(f"target unreachable: {exc}") from None


def _setting(role: str) -> str:
    return ROLE_SETTINGS[role]


def _answered(response: httpx.Response) -> str:
    """'404 text/html' (the status and the media type, or 'without a body')."""
    kind = response.headers.get("content-type", "").split(";", 1)[0].strip()
    return f"{response.status_code} {kind or ('without a content type' if response.content else 'without a body')}"


def _not_coder(client: ApiClient, response: httpx.Response, log: EvidenceLog) -> str | None:
    """The sentence for a target that is not a Coder server (nor a Tasks API gateway or mock) at all: it names no
    Coder version anywhere and its list answers something that is not JSON (an HTML page, a text file server)."""
    if _is_json(response):
        return None
    buildinfo = next((e for e in log.exchanges if e.url.split("?", 1)[0].endswith(BUILDINFO)), None)
    said = (f"GET {BUILDINFO} answered {buildinfo.status}" if buildinfo is not None and buildinfo.status is not None
            else f"GET {BUILDINFO} gave no answer")
    return (f"the target {client.base_url} does not look like a Coder server: it names no Coder version ({said}, and "
            f"no answer carries X-Coder-Build-Version) and GET {client.url('/tasks')} answered {_answered(response)}, "
            "not JSON; check --target-url")


def _is_json(response: httpx.Response) -> bool:
    try:
        parse_json(response.content)
    except ValueError:
        return False
    return True


def _check_list_answer(client: ApiClient, role: str, response: httpx.Response, terms: Terms) -> None:
    where = f"GET {client.api_prefix}/tasks"
    removed = removed_sentence(terms.version, response.status_code, response.content)
    if removed:
        raise PreflightError(removed)
    if response.status_code == 401:
        raise PreflightError(f"token rejected: {where} with {_setting(role)} answered 401; check the token "
                             "(it is never printed) and that it has not expired")
    if response.status_code == 404:
        prefix = _ends_with_prefix(client.base_url)
        if prefix:
            raise PreflightError(f"the target URL {client.base_url} already ends with the API prefix {prefix}: GET "
                                 f"{client.url('/tasks')} answered 404; give the server's address without it "
                                 f"(--target-url {client.base_url[:-len(prefix)]})")
        raise PreflightError(f"API prefix looks wrong: GET {client.url('/tasks')} answered 404; check the URL and "
                             f"api_prefix (now {client.api_prefix!r}, the {terms.describe} profile's)")
    if response.status_code in (301, 302, 303, 307, 308):
        raise PreflightError(f"{where} answered a redirect ({response.status_code}) to "
                             f"{response.headers.get('location', '?')!r}, which the suite does not follow (the token "
                             "must not travel elsewhere); point the target URL at the final address")
    if response.status_code != 200:
        raise PreflightError(f"{where} with {_setting(role)} answered {response.status_code}, not 200; the "
                             "target does not look like a Tasks API server")
    try:
        body: Any = response.json()
    except ValueError:
        raise PreflightError(f"{where} answered 200 but not with JSON; check the URL and api_prefix") from None
    if not isinstance(body, dict) or "tasks" not in body:
        raise PreflightError(f"{where} answered 200 but without a 'tasks' field; check the URL and api_prefix")


def _ends_with_prefix(url: str) -> str | None:
    """The API prefix a target URL wrongly ends with (the suite adds the prefix itself), or None."""
    prefixes = sorted({q for p in PROFILES.values() for q in (p.prefix, *p.aliases)}, key=len, reverse=True)
    return next((p for p in prefixes if url.rstrip("/").endswith(p)), None)


# Roles that see and act on every member's tasks (coderd/rbac/roles.go; roles_test.go "Task": owner and
# organization-admin only): a token holding one cannot stand for an ordinary member in the access-control checks.
ALL_TASKS_ROLES = ("owner", "organization-admin")


def _check_distinct_users(run: RunContext, roles: list[str], log: EvidenceLog) -> None:
    """Tokens must belong to different users, and the members' tokens to ordinary members. Asked of Coder's
    users/me (and users/me/roles for organization roles) where the target offers them."""
    seen: dict[str, str] = {}
    for role in roles:
        me = _users_me(run, role, "", log)
        if not isinstance(me, dict) or not isinstance(me.get("id"), str):
            return  # the target has no users/me: the create checks compare owners instead
        user_id = me["id"]
        if user_id in seen:
            raise PreflightError(f"{_setting(role)} and {_setting(seen[user_id])} belong to the same user; "
                                 "the access-control checks need tokens of different users")
        seen[user_id] = role
        run.ledger.note_user(role, user_id)
        if role != "admin":
            held, said = _all_tasks_role(me), "/api/v2/users/me"
            if held is None:
                held, said = _all_tasks_role(_users_me(run, role, "/roles", log)), "/api/v2/users/me/roles"
            if held:
                raise PreflightError(
                    f"{_setting(role)} belongs to {me.get('username') or user_id}, who holds the {held} role (GET "
                    f"{said} says so): that role sees and may act on every member's tasks, so the access-control "
                    "checks would judge your settings, not the server; give this token as admin_token and an "
                    f"ordinary member's token as {_setting(role)}")


def _users_me(run: RunContext, role: str, suffix: str, log: EvidenceLog) -> Any:
    """GET /api/v2/users/me{suffix} with the role's token: the JSON answer of a 200, else None."""
    client = run.base_client(role)
    assert client is not None
    try:
        response = client.request("GET", f"/api/v2/users/me{suffix}", log=log)
        return parse_json(response.content) if response.status_code == 200 else None
    except (TransportError, ValueError):
        return None


def _all_tasks_role(answer: Any) -> str | None:
    """The first role in ALL_TASKS_ROLES that a users/me (`roles`: [{name}]) or users/me/roles (`roles`: [name],
    `organization_roles`: {org: [name]}) answer names."""
    if not isinstance(answer, dict):
        return None
    names: list[Any] = []
    for item in answer.get("roles") or []:
        names.append(item.get("name") if isinstance(item, dict) else item)
    organization_roles = answer.get("organization_roles")
    if isinstance(organization_roles, dict):
        for values in organization_roles.values():
            names += values if isinstance(values, list) else []
    return next((r for r in ALL_TASKS_ROLES if r in names), None)
