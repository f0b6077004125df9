"""The preflight: which contract is the target judged by, is it there, is the prefix right, is every token
accepted and someone else's?"""

from __future__ import annotations

from typing import Any

import httpx

from conformance.contracts.profiles import PROFILES, Terms
from conformance.runner.client import ApiClient, RateLimited, TransportError
from conformance.runner.detect import DetectionError, choose_terms, removed_sentence
from conformance.runner.evidence import EvidenceLog
from conformance.runner.session import RunContext
from conformance.runner.settings_check import SettingError, check_settings


class PreflightError(Exception):
    """The target cannot be checked at all. One line, no secrets."""


def run_preflight(run: RunContext) -> EvidenceLog:
    """Raise PreflightError on the first problem; return the preflight's exchanges as evidence."""
    log = EvidenceLog()
    base = run.base_client("primary") or run.base_client("anonymous")
    assert base is not None
    target = run.config.target
    try:
        run.terms, run.server_version = choose_terms(target.profile, run.config.sources.get("profile", "default"),
                                                     base, target.api_prefix, log)
    except DetectionError as exc:
        raise PreflightError(str(exc)) from None
    roles = [r for r in ("primary", "second", "admin") if run.client(r) is not None]
    for role in roles:
        client = run.client(role)
        assert client is not None
        response = _list(client, log)
        _check_list_answer(client, role, response, run.terms)
        listed = response.json().get("tasks")
        if isinstance(listed, list):
            run.ledger.note_existing(str(t.get("id")) for t in listed if isinstance(t, dict))
    _check_distinct_users(run, roles, log)
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
    return {"primary": "token", "second": "second_token", "admin": "admin_token"}[role]


def _check_list_answer(client: ApiClient, role: str, response: httpx.Response, terms: Terms) -> None:
    where = f"GET {client.api_prefix}/tasks"
    removed = removed_sentence(terms, response)
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


def _check_distinct_users(run: RunContext, roles: list[str], log: EvidenceLog) -> None:
    """Tokens must belong to different users. Asked of Coder's users/me where the target offers it."""
    seen: dict[str, str] = {}
    for role in roles:
        client = run.base_client(role)
        assert client is not None
        try:
            response = client.request("GET", "/api/v2/users/me", log=log)
        except TransportError:
            return
        if response.status_code != 200:
            return  # the target has no users/me: the create checks compare owners instead
        try:
            user_id = str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            return
        if user_id in seen:
            raise PreflightError(f"{_setting(role)} and {_setting(seen[user_id])} belong to the same user; "
                                 "the access-control checks need tokens of different users")
        seen[user_id] = role
