"""The generations of the Tasks API that Coder shipped, and which one a server's release promised.

A `Profile` is a generation: its prefix, its OpenAPI document, its task statuses, and the features that arrived
within it (each pinned to the Coder release and pull request that brought it). `Terms` is what one server is
judged by: a profile at the server's release (when the server names it), and why that profile was chosen.

    legacy        v2.27 and before      /api/experimental   a task is a workspace: workspace statuses, 18 fields
    experimental  v2.28                 /api/experimental   the tasks data model (the project's original docs)
    stable        v2.29 to v2.36        /api/v2             (and the same handlers under /api/experimental)
    removed       v2.37 and later, v2.36 without CODER_ENABLE_AI_TASKS: no tasks routes (decided from what the
                  server answers, not from the version alone)

Release boundaries come from coder/coder: PR merge dates against release dates (notes of the research behind them
are in CONTRIBUTING.md); where the exact release is uncertain, the later one is taken, so that a server is never
held to a feature its release may not have had.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Version = tuple[int, int, int]
PROFILE_NAMES = ("legacy", "experimental", "stable")
AUTO = "auto"
TASK_STATUSES = ("pending", "initializing", "active", "paused", "unknown", "error")
WORKSPACE_STATUSES = ("pending", "starting", "running", "stopping", "stopped", "failed", "canceling", "canceled",
                      "deleting", "deleted")
_VERSION = re.compile(r"^v?(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?!\d)")  # no 5,000-digit "release" (int() refuses it)


def parse_version(text: str | None) -> Version | None:
    """'v2.31.4+abc1234' -> (2, 31, 4); None for no version or a development build (v0.0.0-devel)."""
    match = _VERSION.match((text or "").strip())
    if match is None:
        return None
    version = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    return None if version == (0, 0, 0) else version


def shown(version: Version) -> str:
    return "v" + ".".join(str(n) for n in version)


@dataclass(frozen=True)
class Feature:
    """Something that arrived within a generation: checked where the server's release has it."""

    name: str
    since: Version
    source: str  # the pull request (and file) that brought it
    title: str


@dataclass(frozen=True)
class Profile:
    name: str
    releases: str  # in words, e.g. "v2.29 to v2.36"
    prefix: str  # the API prefix its releases serve
    aliases: tuple[str, ...]  # other prefixes the same handlers answer under
    openapi: str  # its OpenAPI document, in conformance/contracts
    statuses: tuple[str, ...]  # the values of a task's `status`
    active: str  # the status of a task that takes input
    starting: tuple[str, ...]  # the statuses of a task on its way to `active`
    stopped: str  # the status of a task whose workspace is stopped (paused)
    bare_word: str  # what a bare word of the list's q filters by: "owner", or "name" (legacy's workspace search)
    invalid_query: str  # Coder's message for a q that does not parse (a SHOULD: wording differs between servers)
    features: tuple[Feature, ...] = ()
    first: Version = (0, 0, 0)  # the first release of the generation
    last: Version = (99, 0, 0)  # the last one
    # What logs and send answer, with an error body, while the task's app cannot take requests (transient): the agent
    # is unreachable or busy (502); in legacy also the sidebar app's health check has not passed yet, although the
    # workspace is already running (503 "Task sidebar app is initializing. Try again shortly.", or "... unhealthy.":
    # authAndDoWithTaskSidebarAppClient in coderd/aitasks.go before the task data model).
    app_unavailable: tuple[int, ...] = (502,)

    def feature(self, name: str) -> Feature | None:
        return next((f for f in self.features if f.name == name), None)


_COMMON_FEATURES = (
    Feature("www-authenticate", (2, 25, 0), "coder/coder#18644 (coderd/httpmw/apikey.go)",
            "401 answers carry WWW-Authenticate: Bearer"),
    Feature("bearer-token", (2, 25, 0), "coder/coder#18644 (coderd/httpmw/apikey.go APITokenFromRequest)",
            "the token as Authorization: Bearer or in the access_token query parameter"),
)
_EXPERIMENTAL_FEATURES = (
    Feature("name-lookup", (2, 28, 0), "coderd/httpmw/taskparam.go (a SHOULD in this generation)",
            "{task} may be the task's name"),
)
_STABLE_FEATURES = (
    Feature("name-lookup", (2, 29, 0), "coder/coder#20647 (coderd/httpmw/taskparam.go)",
            "{task} may be the task's name"),
    Feature("display-name", (2, 29, 0), "coder/coder#20856 (coderd/aitasks.go)", "display_name on create and Task"),
    Feature("input-update", (2, 29, 0), "coder/coder#20811 (coderd/aitasks.go taskUpdateInput)",
            "PATCH .../input"),
    Feature("current-state-initializing", (2, 29, 0), "coder/coder#20692 (coderd/aitasks.go deriveTaskCurrentState)",
            "current_state filled in while a task initializes"),
    # Both came with the feature itself: the first stable copy of coderd/aitasks_test.go (before pause and log
    # snapshots) already asserts 400 "Display name must be 64 characters or less." (TestTasksCreate/CustomNames) and
    # 400 "Task input is required." for an empty update (TestTasks/UpdateInput/EmptyPrompt).
    Feature("display-name-limit", (2, 29, 0), "coder/coder#20856 (coderd/aitasks.go tasksCreate)",
            "display_name over 64 bytes refused"),
    Feature("input-update-empty-400", (2, 29, 0), "coder/coder#20811 (coderd/aitasks.go taskUpdateInput)",
            "an empty input update refused"),
    # Whitespace-only input refused too (strings.TrimSpace): in the copy of Feb 2026; Coder's tests send only "".
    Feature("input-update-blank-400", (2, 31, 0), "coderd/aitasks.go taskUpdateInput (in the copy of Feb 2026)",
            "a blank (whitespace-only) input update refused"),
    Feature("queued-pending", (2, 31, 0), "coder/coder#21886 (the tasks_with_status view)",
            "a task whose build no provisioner has picked up yet is pending (initializing before)"),
    Feature("logs-snapshot", (2, 31, 0), "coder/coder#21771 (coderd/aitasks.go taskLogs)",
            "logs of a paused or starting task are a stored snapshot; error/unknown 409"),
    Feature("send-409", (2, 31, 0), "coder/coder#21887 (coderd/aitasks.go taskSend)",
            "send to a pending, initializing or paused task is 409"),
    Feature("pause-resume", (2, 32, 0), "coder/coder#21889, #21948, under /api/v2 from #22544",
            "POST .../pause and .../resume"),
    Feature("busy-409", (2, 32, 0), "coder/coder#23424 (coderd/aitasks.go taskSend)",
            "send to an agent that is not ready is 409 (502 before)"),
)

LEGACY = Profile("legacy", "v2.27 and before", "/api/experimental", (), "openapi-legacy.yaml", WORKSPACE_STATUSES,
                 "running", ("pending", "starting"), "stopped", "name",
                 "Invalid workspace search query.", _COMMON_FEATURES, last=(2, 27, 99), app_unavailable=(502, 503))
EXPERIMENTAL = Profile("experimental", "v2.28", "/api/experimental", (), "openapi-experimental.yaml",
                       TASK_STATUSES, "active", ("pending", "initializing"), "paused",
                       "owner", "Invalid task search query.", _COMMON_FEATURES + _EXPERIMENTAL_FEATURES,
                       first=(2, 28, 0),
                       last=(2, 28, 99))
STABLE = Profile("stable", "v2.29 to v2.36", "/api/v2", ("/api/experimental",), "openapi-stable.yaml", TASK_STATUSES,
                 "active", ("pending", "initializing"), "paused", "owner", "Invalid task search query.",
                 _COMMON_FEATURES + _STABLE_FEATURES, first=(2, 29, 0),
                 last=(2, 36, 99))
PROFILES = {p.name: p for p in (LEGACY, EXPERIMENTAL, STABLE)}
ALL_STATUSES = tuple(dict.fromkeys(s for p in PROFILES.values() for s in p.statuses))


# The operations a generation's release may lack: the feature that brought each.
OPERATION_FEATURES = {"updateTaskInput": "input-update", "pauseTask": "pause-resume", "resumeTask": "pause-resume"}


# What a feature changes on the wire, beside what it brings (its title): for `tasks-conformance changes`, which lists,
# for two releases, every feature one has and the other lacks, with these answers before and from its release on.
# The release and the pull request are the feature's own (the Feature above); a feature without an entry here is
# listed by its title and its requirements. Every effect is observed on the reference at both sides of its boundary
# (tests/contracts/test_changes_on_the_wire.py).
@dataclass(frozen=True)
class Effect:
    """One answer that changes with a feature: what `operation` answers in `situation` before and after it."""

    operation: str  # the operationId of the OpenAPI documents
    situation: str
    before: str  # the answer of a release without the feature
    after: str  # the answer of a release with it
    kind: str  # "route" (appears), "status" (another status code), "field", "limit", "behaviour"
    requirements: tuple[str, ...] = ()  # catalogue ids that check it, besides those that name the feature


EFFECT_KINDS = ("route", "status", "field", "limit", "behaviour")
FEATURE_EFFECTS: dict[str, tuple[Effect, ...]] = {
    "display-name": (
        Effect("createTask", "a display_name in the create body", "no display_name field on the task",
               "the task's display_name (generated from the input when none is given)", "field"),),
    "input-update": (
        Effect("updateTaskInput", "PATCH .../input", "404 Route not found.", "204 for a paused task, 409 otherwise",
               "route"),),
    "current-state-initializing": (
        Effect("getTask", "a task that is initializing", "current_state null",
               "current_state filled in by the server", "field"),),
    "display-name-limit": (
        Effect("createTask", "a display_name over 64 bytes", "201 (accepted)", "400 (refused, no task created)",
               "limit"),),
    "input-update-blank-400": (
        Effect("updateTaskInput", "a blank input for a paused task", "204 (accepted)", "400", "status",
               ("INPUT-UPDATE-BLANK-400",)),),
    "logs-snapshot": (
        Effect("getTaskLogs", "a paused, pending or initializing task", "400",
               "200 with the stored snapshot (snapshot: true)", "behaviour",
               ("LOGS-NOT-ACTIVE", "LOGS-SNAPSHOT-PAUSED")),),
    "send-409": (
        Effect("sendTaskInput", "a pending, initializing or paused task", "400", "409", "status",
               ("SEND-NOT-ACTIVE", "SEND-PAUSED-409")),),
    "pause-resume": (
        Effect("pauseTask", "POST .../pause", "404 Route not found.", "202 with the stop build", "route"),
        Effect("resumeTask", "POST .../resume", "404 Route not found.", "202 with the start build", "route")),
    "busy-409": (
        Effect("sendTaskInput", "an agent that is not ready to accept input", "502", "409", "status",
               ("SEND-STATUS-204",)),),
}
FLAG_GATED_SOURCE = "coder/coder#28008"  # the Tasks API behind CODER_ENABLE_AI_TASKS (FLAG_GATED_FROM)
REMOVED_SOURCE = "coder/coder#28789"  # the Tasks API removed (REMOVED_IN)


def with_status(status: str) -> tuple[str, ...]:
    """The profiles whose tasks may have this status."""
    return tuple(p.name for p in PROFILES.values() if status in p.statuses)
# The last releases. The API moved behind the hidden flag CODER_ENABLE_AI_TASKS (default off) in coder/coder#28008,
# reviewed on 2026-08-11, a week after v2.36.0 (2026-08-04): v2.35 (2026-07-07) serves it by default, a v2.36 server
# may or may not (coder/registry#1045: "on a v2.36 deployment with default settings ... the Tasks API [is]
# unavailable"). coder/coder#28789 removed it, opened the day v2.37.0 was cut (2026-09-01): whether v2.37.0 still
# carried the flag-gated API is not settled (the v2.37 docs say "no longer available by default", later ones
# "removed"). So for a release from FLAG_GATED_FROM the preflight decides from what the server does (does the list
# answer as the Tasks API?), never from the version alone (runner/target/detect.py).
FLAG_GATED_FROM: Version = (2, 36, 0)
REMOVED_IN: Version = (2, 37, 0)
ROUTE_NOT_FOUND = "Route not found."  # Coder's answer to a route it does not have (coderd/coderd.go)
# Every release: an unsafe request (not GET, HEAD, OPTIONS, TRACE) to /api that carries the session cookie without
# the same token in the header or query, or a valid X-CSRF-TOKEN, is refused with 400 and this text (text/plain)
# before any handler runs (coderd/httpmw/csrf.go, nosurf).
CSRF_REFUSAL = ("Something is wrong with your CSRF token. Please refresh the page. If this error persists, try "
                "clearing your cookies.")


def profile_for(version: Version) -> Profile:
    """The generation of a Coder release; the stable one from v2.29 on (a release that may have removed the Tasks API
    or hidden it is judged by what it serves: runner/target/detect.py)."""
    for profile in (LEGACY, EXPERIMENTAL):
        if version <= profile.last:
            return profile
    return STABLE


def without_tasks_api(version: Version | None) -> str | None:
    """The sentence for a server of this release whose list answers Coder's 404 `Route not found.`: the release
    removed the Tasks API, or hides it behind an unset flag; None for a release that always serves it."""
    if version is None or version < FLAG_GATED_FROM:
        return None
    if version >= REMOVED_IN:
        return (f"this Coder {shown(version)} server does not serve the Tasks API: it was removed from v2.37 "
                "(coder/coder#28789); check a server of an earlier release")
    return (f"this Coder {shown(version)} server does not serve the Tasks API: CODER_ENABLE_AI_TASKS is not set "
            "(from v2.36 the Tasks API is off unless it is, coder/coder#28008); set it on the server to check the API")


def served_after_removal(version: Version | None) -> str | None:
    """The note for a server of a release from which Coder removed the Tasks API, that serves it all the same."""
    if version is None or version < REMOVED_IN:
        return None
    return (f"The server reports Coder {shown(version)}, a release from which Coder removed the Tasks API "
            "(coder/coder#28789), yet it serves the API: it is judged by the stable contract, the last Coder shipped.")


@dataclass(frozen=True)
class Terms:
    """What a server is judged by: a profile, at the server's release when it names one, and why."""

    profile: Profile
    version: Version | None = None
    reason: str = ""
    notes: tuple[str, ...] = field(default=())

    def has(self, feature: str) -> bool:
        """Whether the release promised the feature (a release that names no version: the latest of its line)."""
        found = self.profile.feature(feature)
        if found is None:
            return False
        return self.version is None or self.version >= found.since

    def missing(self, feature: str) -> str:
        """Why a feature is not checked: the reason a skip shows ("not in v2.29.4: arrived in v2.31 (...)")."""
        found = self.profile.feature(feature)
        if found is None:
            return f"not in the {self.profile.name} generation ({self.profile.releases})"
        return (f"not in {shown(self.version) if self.version else 'this release'}: {found.title} arrived in "
                f"v{found.since[0]}.{found.since[1]} ({found.source})")

    def refuses_starting(self, operation: str) -> tuple[int, ...]:
        """The statuses the release answers `send` or `logs` with while a task is still starting; (200,) for logs
        of a release that answers with the stored snapshot instead."""
        if self.profile is LEGACY:  # no sidebar app yet (400), or it is initializing (503)
            return (400, 503)
        if self.has("send-409"):  # coder/coder#21887, #21771
            return (200,) if operation == "logs" else (409,)
        if self.profile is EXPERIMENTAL:  # 400 in v2.28; 409 is what later releases answer, tolerated
            return (400, 409)
        return (400,)

    @property
    def busy_codes(self) -> tuple[int, ...]:
        """What send and logs answer while the task's agent is busy or unreachable, or (legacy) its app is not
        healthy yet (transient: retried; Profile.app_unavailable and, from v2.32, 409)."""
        return (409, *self.profile.app_unavailable) if self.has("busy-409") else self.profile.app_unavailable

    @property
    def describe(self) -> str:
        release = f" at {shown(self.version)}" if self.version else ""
        return f"{self.profile.name}{release} ({self.reason})" if self.reason else f"{self.profile.name}{release}"
