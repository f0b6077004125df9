"""Every decision a conforming server of one release makes, in one place: a method per decision, asked by the app.

Who may see a task, how a user or a task is found, the name rules, the template refusals, the token rules, how
``q`` is read, when send, logs, an input update, a pause, a resume or a delete is refused, how long the lifecycle
and a delete take, and what every answer carries on the wire. What differs between releases each method asks the
``Generation`` (generation.py); the words are Coder's (responses.py, generation.py).

The app asks ``app.decide``, which is this object unless the server put another in its place that answers some of
these methods otherwise (conformance/reference/seams.py): so a method takes what it decides from, and returns the
decision; it never asks another method of its own object.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from conformance.contracts.gotext import DISPLAY_NAME_LIMIT, byte_length, display_name_too_long

from .answers import Answer
from .auth import SIGNED_OUT_MESSAGE, AuthFailure
from .generation import Generation
from .identities import Identities, Template, User, parse_uuid
from .names import name_problem
from .query import QueryOptions, QueryRule, TaskFilter, Validation, WorkspaceFilter, unquoted
from .responses import NOT_FOUND_MESSAGE, ApiError
from .routes import Routed
from .store import TaskStore, TaskView
from .wire import Wire

AI_PROMPT_PARAMETER = "AI Prompt"  # the parameter a legacy task's prompt is (codersdk.AITaskPromptParameterName)


def workspace_checks(task: TaskView, found: WorkspaceFilter) -> list[bool]:
    """Whether a legacy task (a workspace) passes each of the workspace search's own filters: every task is on its
    template's active version, is an AI task (tasksList forces has-ai-task), has no external agent, is not dormant;
    its one parameter is the prompt ("AI Prompt"); last used: its latest change."""
    checks: list[bool] = []
    if found.ids:
        checks.append(task.workspace_id in found.ids)
    if found.has_agent is not None:
        checks.append(found.has_agent == "connected" and task.workspace_agent_id is not None)
    if found.dormant:
        checks.append(False)
    if found.outdated is not None:
        checks.append(not found.outdated)
    if found.has_external_agent is not None:
        checks.append(not found.has_external_agent)
    last_used = datetime.fromtimestamp(task.updated_at, UTC)
    if found.last_used_after is not None:
        checks.append(last_used > found.last_used_after)
    if found.last_used_before is not None:
        checks.append(last_used < found.last_used_before)
    for name, value in found.params:
        checks.append(name == AI_PROMPT_PARAMETER.lower() and value in (None, task.initial_prompt.lower()))
    return checks


class Core(Protocol):
    """What the decisions read of the app they decide for (app.py ``ReferenceApp``)."""

    generation: Generation
    identities: Identities
    served_prefixes: tuple[str, ...]
    wire: Wire
    store: TaskStore  # the store itself
    tasks: TaskStore  # the store as the app uses it


class Decisions:
    """The decisions of the app's release (``app.generation``), as a conforming server makes them."""

    def __init__(self, app: Core) -> None:
        self.app = app
        self.generation = app.generation
        self.identities = app.identities

    # -- routing and authentication ------------------------------------------------------------------------------

    def before_routing(self, request: Request) -> Response | None:
        """An answer to a request refused before it is routed; None: it is routed."""
        return None

    def prefixes(self) -> tuple[str, ...]:
        """The API prefixes the server answers under."""
        return self.app.served_prefixes

    def buildinfo(self) -> dict[str, Any] | None:
        """The answer of GET /api/v2/buildinfo (None: no such route)."""
        return self.app.wire.buildinfo()

    def route_before_auth(self, rest: list[str]) -> bool:
        """Whether an unknown route (path segments after the prefix) is answered 404 before authentication."""
        return False

    def route_not_found(self) -> ApiError | Response:
        return ApiError(404, "Route not found.")

    def method_not_allowed(self, route: Routed) -> ApiError:
        return ApiError(405, "Method not allowed.", headers={"Allow": ", ".join(route.methods)})

    def token_sources(self, request: Request) -> Sequence[str]:
        """Where the session token of this request is read from, in order (auth.SOURCES)."""
        return self.generation.token_sources

    def secret_checked(self, source: str) -> bool:
        """Whether a token from this source must carry its user's secret (and not only a known id)."""
        return True

    def unauthenticated(self, failure: AuthFailure, route: Routed | None, request: Request) -> ApiError | User:
        """The answer to a request without a valid token (or the user it is served as)."""
        return ApiError(401, SIGNED_OUT_MESSAGE, detail=failure.detail)

    def finish(self, response: Response, request: Request) -> Response:
        """The answer as it leaves: with the headers every answer of a Coder server carries."""
        self.app.wire.headers(response, request)
        return response

    # -- addressing users and tasks ------------------------------------------------------------------------------

    def user(self, ref: str, caller: User) -> User | None:
        """The user a {user} segment names: "me", a username or a uuid."""
        return self.identities.resolve_user(ref, caller)

    def unknown_user(self, ref: str) -> ApiError:
        return ApiError(400, '"user" must be an existing uuid or username.',
                        detail=f"queried user={ref!r}".replace("'", '"'))

    def name_lookup(self) -> bool:
        """Whether a {task} segment may be a task's name (else it must be a uuid)."""
        return self.generation.has("name-lookup") or self.generation.profile.name == "experimental"

    def find(self, ref: str, owner: User, operation: str, by_name: bool) -> TaskView | None:
        """The task a {task} segment names for this operation (a deleted task is not found)."""
        return self.app.tasks.lookup(ref, owner.id, by_name=by_name)

    def task_missing(self, operation: str, ref: str, owner: User) -> ApiError | Answer:
        """The answer to a task that is not there."""
        return ApiError(404, NOT_FOUND_MESSAGE)

    def refusal(self, operation: str, task: TaskView, caller: User, owner: User) -> ApiError | None:
        """Refuse the caller this task (None: allowed): a member sees only their own tasks, an owner every task."""
        return None if caller.is_owner or task.owner.id == caller.id else ApiError(404, NOT_FOUND_MESSAGE)

    # -- list ------------------------------------------------------------------------------------------------------

    def query(self, params: list[tuple[str, str]]) -> str:
        """The q of a list request."""
        return next((value for key, value in params if key == "q"), "")

    def query_options(self) -> QueryOptions:
        """The dialect of the q grammar of this release."""
        profile = self.generation.profile
        return QueryOptions(bare_words=profile.bare_word, workspace_keys=self.generation.legacy,
                            statuses=profile.statuses)

    def query_refuses(self, rule: QueryRule) -> bool:
        """Whether the q grammar refuses what this rule of it names (query.py QueryRule): Coder's refuses all."""
        return True

    def query_term(self, text: str) -> str:
        """A term of q as read: without its double quotes."""
        return unquoted(text)

    def owner_id(self, value: str, caller: User, options: QueryOptions) -> str | None:
        """The user id an owner filter names (None: no such user). The workspace search (legacy) matches a username
        only: a uuid names no user there."""
        if value == "me":
            return caller.id
        if parse_uuid(value) is not None:
            return None if options.workspace_keys else parse_uuid(value)
        user = (self.identities.user_by_name(value) if options.lowercase else
                next((u for u in self.identities.users.values() if u.username == value), None))
        return user.id if user is not None else None

    def organization_id(self, value: str) -> str | None:
        """The organization id an organization filter names (None: no such organization)."""
        org = self.identities.organization_by_name(value)
        return parse_uuid(value) or (org.id if org is not None else None)

    def listed(self) -> list[TaskView]:
        """The tasks a list chooses from, newest first."""
        return self.app.tasks.all()

    def sees(self, task: TaskView, caller: User, task_filter: TaskFilter) -> bool:
        """Whether the caller sees this task in a list."""
        return task.owner.id == caller.id or caller.is_owner

    def filter_checks(self, task: TaskView, task_filter: TaskFilter) -> list[bool]:
        """Whether the task passes each filter the query gives."""
        checks: list[bool] = []
        if task_filter.owner_id is not None:
            checks.append(task.owner.id == task_filter.owner_id)
        if task_filter.organization_id is not None:
            checks.append(task.organization_id == task_filter.organization_id)
        if task_filter.status is not None:
            checks.append(task.status == task_filter.status)
        if task_filter.name is not None:
            checks.append(task_filter.name in task.name.lower())
        if task_filter.template is not None:
            checks.append(task.template.name.lower() == task_filter.template)
        if task_filter.workspace is not None:
            checks += workspace_checks(task, task_filter.workspace)
        return checks

    def matches(self, checks: list[bool]) -> bool:
        """Whether a task that passes these filter checks is listed: all of them."""
        return all(checks)

    def order(self, tasks: list[TaskView]) -> list[TaskView]:
        """The order of a list's tasks: newest first, as the store keeps them."""
        return tasks

    def unreadable_body(self, error: ApiError, is_json: bool, field: str | None) -> ApiError:
        """The answer to a body that is not a JSON object (``is_json``: it is JSON, of another type), or whose
        ``field`` is not of its type."""
        return error

    # -- create ----------------------------------------------------------------------------------------------------

    def template(self, version_id: str | None) -> Template:
        """The template a create names by its version id (ApiError when it names none, or none of ours)."""
        if version_id is None:
            raise self.generation.unknown_template_version(detail='"template_version_id" is required.')
        found = self.identities.template_version(version_id)
        if found is None:
            raise self.generation.unknown_template_version()
        return found

    def template_refusal(self, template: Template) -> ApiError | None:
        """Refuse a template without an AI task."""
        return None if template.version.has_ai_task else self.generation.not_an_ai_template()

    def name_refusal(self, name: str) -> ApiError | None:
        """Refuse a task name that breaks the naming rules (an empty one is generated)."""
        problem = name_problem(name) if name else None
        if problem is None:
            return None
        return ApiError(400, "Unable to create a Task with the provided name.", detail=f"name {problem}",
                        validations=[Validation("name", f"Task name {problem}.")])

    def display_name_refusal(self, display_name: str) -> ApiError | None:
        if self.generation.has("display-name-limit") and display_name_too_long(display_name):
            return ApiError(400, "Display name must be 64 characters or less.",
                            detail=f"the display name has {byte_length(display_name)} bytes (UTF-8)")
        return None

    def input_refusal(self, prompt: str) -> ApiError | None:
        """Refuse the input of a create (Coder takes an empty one)."""
        return None

    def create_for_other(self, caller: User, owner: User) -> ApiError | None:
        """Refuse a caller creating a task for another user: only owners may."""
        if owner.id == caller.id or caller.is_owner:
            return None
        return ApiError(403, "Insufficient permissions to create a task for this user.",
                        detail="only owners may create tasks for other users")

    def name_taken(self, owner: User, name: str) -> bool:
        """Whether the owner already has a task of this name (case-insensitive)."""
        return self.app.tasks.name_in_use(owner.id, name)

    def display_name(self, given: str, prompt: str, name: str) -> str:
        """The display name of a new task: the one given, else (from the release that has one) the prompt's first
        line."""
        if given or not self.generation.has("display-name"):
            return given
        return (prompt.strip().splitlines() or ["Task"])[0][:DISPLAY_NAME_LIMIT] or name

    def stored_prompt(self, prompt: str) -> str:
        """The initial prompt as stored: the input as given."""
        return prompt

    def insert_refusal(self, prompt: str, display_name: str) -> ApiError | None:
        """An error of storing the new task (None: stored)."""
        return None

    def lifecycle_step(self) -> float:
        """The seconds a new task spends in each lifecycle step."""
        return self.app.store.lifecycle_delay

    # -- delete ----------------------------------------------------------------------------------------------------

    def delete_refusal(self, task: TaskView) -> ApiError | None:
        """Refuse a delete (None: accepted)."""
        return None

    def delete_takes(self) -> float:
        """The seconds before an accepted delete takes effect."""
        return 0.0

    # -- send and logs -------------------------------------------------------------------------------------------

    def send_refusal(self, text: str) -> ApiError | None:
        """Refuse the input of a send."""
        return ApiError(400, "Task input is required.") if text == "" else None

    def busy(self, task: TaskView, operation: str) -> bool:
        """Whether the agent of an active task is busy for this send or logs."""
        return False

    def busy_error(self, task: TaskView, operation: str) -> ApiError:
        return self.generation.agent_busy()

    def not_active(self, operation: str, status: str) -> ApiError | Answer | None:
        """The answer to send or logs of a task that is not active (None for logs: its stored snapshot)."""
        if operation == "sendTaskInput":
            return self.generation.send_refused(status)
        return self.generation.logs_refused(status)

    # -- the stable generation's input, pause and resume ---------------------------------------------------------

    def input_text_refusal(self, text: str) -> ApiError | None:
        """Refuse the input of an input update: an empty one (every release of the route), a whitespace-only one from
        the release that trims it (coderd/aitasks.go taskUpdateInput)."""
        gen = self.generation
        empty = text == "" and gen.has("input-update-empty-400")
        if empty or (not text.strip() and gen.has("input-update-blank-400")):
            return ApiError(400, "Task input is required.")
        return None

    def input_update_refusal(self, task: TaskView) -> ApiError | None:
        """Refuse an input update of a task that is not paused."""
        if task.status != "paused":
            return ApiError(409, "Unable to update task input, task must be paused.",
                            detail="Please stop the task's workspace before updating the input.")
        return None

    def pause_refusal(self, task: TaskView) -> ApiError | None:
        """Refuse a pause while the task's workspace builds (it starts, or it stops)."""
        if task.status in ("pending", "initializing") or task.stopping:
            return ApiError(409, "A workspace build is already active.")
        return None

    def resume_refusal(self, task: TaskView) -> ApiError | None:
        """Refuse a resume of a task that is not paused."""
        if task.status != "paused":
            return ApiError(409, "Task is not paused.",
                            detail=f'Task status is "{task.status}"; only a paused task can be resumed.')
        return None
