"""What a conforming server of one Coder release does, where the generations differ (coderd/aitasks.go and its
predecessors, conformance/contracts/profiles.py for the release boundaries).

The reference app asks its `Generation` instead of knowing the releases itself: which prefixes it serves, which
routes exist, how a task looks on the wire, how a task that is not active answers send and logs, and the words of
the messages that changed between releases.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.contracts.profiles import (
    FLAG_GATED_FROM,
    LEGACY,
    REMOVED_IN,
    STABLE,
    Profile,
    Terms,
    Version,
    parse_version,
    shown,
)

from .auth import SOURCES
from .responses import APP_INITIALIZING_MESSAGE, ApiError

# The embedded server's release, per generation, unless told otherwise: the last of each line (stable: the last of
# the extended-support line, the releases most deployments still run).
DEFAULT_VERSIONS = {"legacy": "v2.27.1", "experimental": "v2.28.0", "stable": "v2.34.0"}
# Legacy tasks are workspaces: the status a task of the data model has, as the workspace status legacy shows.
LEGACY_STATUS = {"pending": "pending", "initializing": "starting", "active": "running", "paused": "stopped",
                 "error": "failed", "unknown": "canceled"}
# The fields a Task has in a legacy release (codersdk/aitasks.go before the data model: 18, none omitempty).
LEGACY_FIELDS = ("id", "organization_id", "owner_id", "owner_name", "name", "template_id", "template_name",
                 "template_display_name", "template_icon", "workspace_id", "workspace_agent_id",
                 "workspace_agent_lifecycle", "workspace_agent_health", "initial_prompt", "status", "current_state",
                 "created_at", "updated_at")


@dataclass(frozen=True)
class Generation:
    profile: Profile
    version: Version
    version_text: str
    ai_tasks_flag: bool = True  # CODER_ENABLE_AI_TASKS (from v2.36 the Tasks API is served only with it)

    @classmethod
    def of(cls, profile: Profile, version: str | None = None, *, ai_tasks_flag: bool = True) -> Generation:
        """A release of a generation; a stable-line release from v2.37 is one that removed the Tasks API."""
        text = version or DEFAULT_VERSIONS[profile.name]
        parsed = parse_version(text)
        if parsed is None:
            raise ValueError(f"not a Coder release: {text!r}")
        removed = profile is STABLE and parsed >= REMOVED_IN
        if not (profile.first <= parsed <= profile.last or removed):
            raise ValueError(f"{text} is not a release of the {profile.name} generation ({profile.releases})")
        if not ai_tasks_flag and parsed < FLAG_GATED_FROM:
            raise ValueError(f"{text} has no CODER_ENABLE_AI_TASKS to leave unset: it arrived in "
                             f"{shown(FLAG_GATED_FROM)} (coder/coder#28008)")
        return cls(profile, parsed, text if "+" in text else f"{text}+reference", ai_tasks_flag)

    @property
    def serves_tasks(self) -> bool:
        """False for a release that removed the Tasks API, or one that hides it behind an unset flag."""
        if self.version >= REMOVED_IN:
            return False
        return self.ai_tasks_flag or self.version < FLAG_GATED_FROM

    @property
    def terms(self) -> Terms:
        return Terms(self.profile, self.version)

    def has(self, feature: str) -> bool:
        return self.terms.has(feature)

    @property
    def legacy(self) -> bool:
        return self.profile is LEGACY

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.profile.prefix, *self.profile.aliases)

    def routes(self) -> tuple[str, ...]:
        """The task sub-routes this release serves (beyond list, create, get and delete)."""
        if not self.serves_tasks:
            return ()
        out = ["logs", "send"]
        if self.has("input-update"):
            out.append("input")
        if self.has("pause-resume"):
            out += ["pause", "resume"]
        return tuple(out)

    @property
    def token_sources(self) -> tuple[str, ...]:
        """Where a session token is read from, in Coder's order (Bearer and access_token from their release on)."""
        if self.has("bearer-token"):
            return SOURCES
        return tuple(source for source in SOURCES if source not in ("bearer", "access_token"))

    @property
    def queued_status(self) -> str:
        """The status of a task whose workspace build no provisioner has picked up yet: the workspace's `pending` in
        legacy; `initializing` in the tasks data model until coder/coder#21886 (v2.31) made it `pending` (the
        tasks_with_status view; coderd/aitasks_test.go TestTasks/UpdateInput/TaskStatusInitializing of the first
        stable copy: with no provisioner the task "stays in Initializing")."""
        return "pending" if self.legacy or self.has("queued-pending") else "initializing"

    # -- the wire --------------------------------------------------------------------------------------------------
    def status_on_wire(self, status: str) -> str:
        return LEGACY_STATUS[status] if self.legacy else status

    def status_from_query(self, value: str) -> str | None:
        """The task status a `status:` filter value means (legacy filters by workspace status)."""
        if self.legacy:
            return next((task for task, workspace in LEGACY_STATUS.items() if workspace == value), None)
        return value

    @property
    def invalid_query_message(self) -> str:
        # legacy lists workspaces and parses q with the workspace search grammar (coderd/searchquery Workspaces)
        return self.profile.invalid_query

    # -- create ----------------------------------------------------------------------------------------------------
    def unknown_template_version(self, detail: str | None = None) -> ApiError:
        if self.legacy:  # GetTemplateVersionHasAITask: sql.ErrNoRows -> httpapi.ResourceNotFound
            return ApiError(404, "Resource not found or you do not have access to this resource")
        return ApiError(400, "Template version not found or you do not have access to this resource", detail=detail)

    def not_an_ai_template(self) -> ApiError:
        if self.legacy:
            return ApiError(400, 'Template does not have required parameter "AI Prompt"')
        return ApiError(400, 'Template does not have a valid "coder_ai_task" resource.')

    # -- a task that is not active ---------------------------------------------------------------------------------
    def send_refused(self, status: str) -> ApiError:
        """send to a task that is not active."""
        if self.legacy:  # authAndDoWithTaskSidebarAppClient: a stopped or unprovisioned task has no sidebar app
            if status == "initializing":
                return ApiError(503, APP_INITIALIZING_MESSAGE)
            return ApiError(400, "Task is not configured with a sidebar app.")
        if self.has("send-409") and status in ("pending", "initializing", "paused"):
            detail = ("Resume the task to send messages." if status == "paused" else
                      "The task is resuming. Wait for the task to become active before sending messages.")
            return ApiError(409, f"Task is {status}.", detail=detail)
        message = "Task must be active." if self.has("send-409") else "Task status must be active."
        return ApiError(400, message, detail=f'Task status is "{status}", it must be "active" to interact with the '
                                             "task.")

    def logs_refused(self, status: str) -> ApiError | None:
        """logs of a task that is not active; None: the stored snapshot is the answer."""
        if self.legacy:
            return self.send_refused(status)
        if self.has("logs-snapshot"):
            if status in ("pending", "initializing", "paused"):
                return None
            return ApiError(409, "Cannot fetch logs for task in current state.", detail=f'Task status is "{status}".')
        return ApiError(400, "Task status must be active.", detail=f'Task status is "{status}".')

    def agent_busy(self) -> ApiError:
        status = 409 if self.has("busy-409") else 502
        return ApiError(status, "Task app is not ready to accept input.", detail="Status: running")

    def describe(self) -> str:
        return f"{self.profile.name} {shown(self.version)}"


def generation(profile: str, version: str | None = None, *, ai_tasks_flag: bool = True) -> Generation:
    from conformance.contracts.profiles import PROFILES

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; profiles are: {', '.join(PROFILES)}")
    return Generation.of(PROFILES[profile], version, ai_tasks_flag=ai_tasks_flag)

