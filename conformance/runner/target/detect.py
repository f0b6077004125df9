"""Which contract a server is judged by: its Coder release (from `X-Coder-Build-Version`, or `GET /api/v2/buildinfo`)
picks the generation; a server that names no release gets the generation whose prefix answers. An explicit
profile always wins. A release without the Tasks API stops the run with one sentence saying so."""

from __future__ import annotations

from typing import Any

from conformance.contracts.profiles import (
    AUTO,
    EXPERIMENTAL,
    LEGACY,
    PROFILES,
    STABLE,
    Profile,
    Terms,
    parse_version,
    profile_for,
    served_after_removal,
)
from conformance.runner.http.client import ApiClient, TransportError
from conformance.runner.records.evidence import EvidenceLog, parse_json
from conformance.runner.records.redact import neutralize
from conformance.runner.target.release import VERSION_HEADER

BUILDINFO = "/api/v2/buildinfo"


def server_version(client: ApiClient, log: EvidenceLog) -> tuple[str | None, str]:
    """The release the server names, and where it said so: its buildinfo's `version`, or the version header of
    any answer."""
    try:
        response = client.request("GET", BUILDINFO, log=log)
    except TransportError:  # unreachable, or rate limited: the preflight's list says so in its own words
        return None, ""
    body: Any = None
    if response.status_code == 200:
        try:
            body = parse_json(response.content)
        except ValueError:
            body = None
    if isinstance(body, dict) and isinstance(body.get("version"), str) and parse_version(body["version"]):
        return fit_to_show(body["version"]), f"GET {BUILDINFO}"
    if parse_version(response.headers.get(VERSION_HEADER)):
        return fit_to_show(response.headers[VERSION_HEADER]), "X-Coder-Build-Version"
    return None, ""


SHOWN_VERSION = 64  # characters of a server's version text that reports show (Coder's are about 30)


def fit_to_show(text: str) -> str:
    """A server's version text as every report may show it: control characters neutralized (a terminal escape in
    it never reaches a terminal, XML or HTML), at most SHOWN_VERSION characters."""
    text = neutralize(text.strip())
    return text if len(text) <= SHOWN_VERSION else text[:SHOWN_VERSION] + "…"


def choose_terms(profile_setting: str, source: str, base: ApiClient, api_prefix: str | None,
                 log: EvidenceLog) -> tuple[Terms, str | None]:
    """The terms of the run, and the version text the server reported (None: it named none)."""
    text, where = server_version(base, log)
    version = parse_version(text)
    if profile_setting != AUTO:
        profile = PROFILES[profile_setting]
        notes: tuple[str, ...] = ()
        if version is not None and not profile.first <= version <= profile.last:
            notes = (f"The server reports Coder {text}, not a release of the {profile.name} generation "
                     f"({profile.releases}); it is judged by the {profile.name} profile, as {source} asks.",)
        return Terms(profile, version, f"profile {profile.name} set by {source}", notes), text
    if version is not None:
        late = served_after_removal(version)  # the preflight's list says whether it serves the API after all
        return Terms(profile_for(version), version, f"the server reports Coder {text} ({where})",
                     (late,) if late else ()), text
    return _by_probing(base, api_prefix, log), text


def _listed(base: ApiClient, prefix: str, log: EvidenceLog) -> tuple[int, Any]:
    try:
        response = base.request("GET", f"{prefix}/tasks", log=log)
    except TransportError:
        return 0, None
    try:
        return response.status_code, parse_json(response.content) if response.content else None
    except ValueError:
        return response.status_code, None


def _by_probing(base: ApiClient, api_prefix: str | None, log: EvidenceLog) -> Terms:
    """No release named: the generation whose prefix answers the list (the configured prefix, if one is set)."""
    candidates = [api_prefix] if api_prefix is not None else [STABLE.prefix, EXPERIMENTAL.prefix]
    for prefix in candidates:
        status, body = _listed(base, prefix, log)
        tasks = body.get("tasks") if isinstance(body, dict) else None
        if status != 200 or not isinstance(tasks, list):
            continue
        profile, why = _by_tasks(prefix, [t for t in tasks if isinstance(t, dict)])
        if profile is None:
            profile, why = _by_search_grammar(base, prefix, log)
        return Terms(profile, None, f"the server names no Coder version; {prefix}/tasks answered, and {why}")
    # Nothing answered as a Tasks API: the preflight's own list says how (401, 404, unreachable).
    profile = STABLE if (api_prefix or STABLE.prefix) == STABLE.prefix else EXPERIMENTAL
    return Terms(profile, None, f"the server names no Coder version and no prefix answered the list; "
                                f"{profile.name} is assumed")


def _by_tasks(prefix: str, tasks: list[dict[str, Any]]) -> tuple[Profile | None, str]:
    """The generation the listed tasks show; None when there is no task to tell legacy from experimental by."""
    if prefix == STABLE.prefix or any("display_name" in t for t in tasks):
        return STABLE, "that is the stable generation's prefix" if prefix == STABLE.prefix else \
            "its tasks carry display_name (stable)"
    if any(t.get("status") in ("starting", "running", "stopped") or "template_version_id" not in t for t in tasks):
        return LEGACY, "its tasks are workspaces (workspace statuses, no template_version_id): legacy"
    if tasks:
        return EXPERIMENTAL, "its tasks have the experimental generation's fields"
    return None, ""


# A key of Coder's workspace search that the task search does not have (an unknown key there is 400).
_WORKSPACE_ONLY_KEY = "template"


def _by_search_grammar(base: ApiClient, prefix: str, log: EvidenceLog) -> tuple[Profile, str]:
    """No task to look at: legacy lists with the workspace search (which knows `template:`), later releases with
    the task search (which refuses it)."""
    try:
        response = base.request("GET", f"{prefix}/tasks", params={"q": f"{_WORKSPACE_ONLY_KEY}:ct-no-such"}, log=log)
    except TransportError:
        return EXPERIMENTAL, "nothing tells legacy from experimental: experimental is assumed"
    if response.status_code == 200:
        return LEGACY, (f"it lists no task, and its search knows {_WORKSPACE_ONLY_KEY}: (the workspace search): "
                        "legacy")
    return EXPERIMENTAL, (f"it lists no task, and its search refuses {_WORKSPACE_ONLY_KEY}: (the task search): "
                          "experimental")
