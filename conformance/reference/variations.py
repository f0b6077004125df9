"""The named variation registry: legitimate behaviours a correct server may show, which the suite must accept.

Where faults (faults.py) prove that the suite is sensitive, variations prove that it is specific: with any one of
them on, a suite run against the reference server must still pass (exit 0). ``warns`` names the SHOULD/MAY
requirements a variation may legitimately break (reported as warnings; the verdict stays pass); ``profiles`` the
generations whose servers may legitimately behave so. Each entry says what it changes, as a function per hook
point of the reference (app.HOOK_POINTS, server.SERVER_HOOK_POINTS), like a fault.

Switched on by name: ``ReferenceServer(variations=[...])``, ``ReferenceServer.set_variations``, ``serve
--variations a,b``, or the ``TASKS_CONFORMANCE_REFERENCE_VARIATIONS`` environment variable, which
``ReferenceServer`` reads when it is given no explicit variations (so ``tasks-conformance run`` can turn them on for
the embedded server). The suite's own tests prove that each variation changes what the server answers
(tests/reference/test_ref_variations.py) and that the suite accepts it (tests/faults/test_probes.py).
"""

from __future__ import annotations

import dataclasses
import gzip
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from conformance.contracts.profiles import CSRF_REFUSAL, PROFILE_NAMES

from .conforming.auth import SESSION_COOKIE, SESSION_HEADER, SESSION_QUERY
from .conforming.identities import parse_uuid
from .conforming.responses import APP_INITIALIZING_MESSAGE, NOT_FOUND_MESSAGE, PQ_NUL_DETAIL, ApiError
from .switches import Change, Switch, Switches, check_points, parse_names, validate_names

ENV_VAR = "TASKS_CONFORMANCE_REFERENCE_VARIATIONS"
SLOW_STARTUP_STEP = 0.75  # seconds per lifecycle step with slow-startup
DELETE_DELAY = 0.5  # seconds a deleted task stays visible with delayed-delete
LOG_LAG = 0.3  # seconds before a log entry shows, with logs-lag
NOT_LEGACY = ("experimental", "stable")

# error-wording: other words for the same answers
_REWORDED = {
    "You are signed out or your session has expired. Please sign in again to continue.":
        "Authentication required: the session token is missing, invalid or expired.",
    NOT_FOUND_MESSAGE: "Task not found.",
    "Request body must be valid JSON.": "The request body could not be parsed as JSON.",
    "Task input is required.": "The input must not be empty.",
    "Unable to create a Task with the provided name.": "That task name is not allowed.",
    "Route not found.": "No such endpoint.",
    "Method not allowed.": "This endpoint does not support that method.",
    "Invalid task search query.": "The search query could not be understood.",
    "Invalid workspace search query.": "The search query could not be understood.",
}
_EXTRA_HEADERS = {
    "Cache-Control": "no-store, max-age=0",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Access-Control-Allow-Origin": "*",
    "Server": "coder-reference",
}


@dataclass(frozen=True)
class Variation(Switch):
    """One legitimate behaviour, why it is legitimate, and the SHOULD/MAY requirements it may break."""

    warns: tuple[str, ...] = ()
    source: str = ""
    profiles: tuple[str, ...] = PROFILE_NAMES


# -- what the variations change --------------------------------------------------------------------------------------


def _rules(**values: Any) -> Change:
    return lambda value, **_: dataclasses.replace(value, **values)


def _extra_task_fields(body: dict[str, Any], **_: Any) -> dict[str, Any]:
    out = {**body, "template_version_name": "v1.0.0",
           "reference_server": {"variation": "extra-response-fields", "fields": [1, 2, 3]}}
    if isinstance(out.get("current_state"), dict):
        out["current_state"] = {**out["current_state"], "reference_note": "ignored by clients"}
    return out


def _extra_error_fields(body: dict[str, Any], **_: Any) -> dict[str, Any]:
    out: dict[str, Any] = {**body, "reference_code": "E"}
    if isinstance(out.get("validations"), list):
        out["validations"] = [{**v, "reference_code": "invalid"} for v in out["validations"]]
    return out


def _extra_object_field(body: Any, **_: Any) -> Any:
    return {**body, "reference_extra": {"ignored": True}} if isinstance(body, dict) else body


def _reversed_keys(value: Any, **_: Any) -> Any:
    """The same JSON value with the keys of every object in reverse order."""
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


def _label(new: str) -> Change:
    return lambda value, **_: new if value is not None else None


def _omitempty_absent(body: dict[str, Any], **_: Any) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k not in ("workspace_status", "workspace_build_number")}
    if isinstance(out.get("workspace_agent_health"), dict):
        out["workspace_agent_health"] = {"healthy": out["workspace_agent_health"].get("healthy")}
    return out


def _nano_offset(timestamp: float) -> str:
    """RFC 3339 with nanoseconds and a +00:00 offset."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}000+00:00"


def _task_times(body: dict[str, Any], *, task: Any, **_: Any) -> dict[str, Any]:
    return {**body, "created_at": _nano_offset(task.created_at), "updated_at": _nano_offset(task.updated_at)}


def _later_logs_fields(body: Any, *, kind: str = "json", **_: Any) -> Any:
    if kind == "logs" and isinstance(body, dict) and "snapshot" not in body:
        return {**body, "snapshot": False, "snapshot_at": None}
    return body


def _extra_headers(response: Response, **_: Any) -> Response:
    response.headers.update(_EXTRA_HEADERS)
    return response


def _without_version(response: Response, **_: Any) -> Response:
    if "x-coder-build-version" in response.headers:
        del response.headers["x-coder-build-version"]
    return response


def _gzip(response: Response, *, request: Any, **_: Any) -> Response:
    body = getattr(response, "body", b"")
    if body and "gzip" in request.headers.get("accept-encoding", "").lower() and \
            "content-encoding" not in response.headers:
        compressed = gzip.compress(body)
        response.body = compressed
        response.headers["content-length"] = str(len(compressed))
        response.headers["content-encoding"] = "gzip"
        response.headers["vary"] = "Accept-Encoding"
    return response


def _reword(body: dict[str, Any], **_: Any) -> dict[str, Any]:
    message = body.get("message")
    if not isinstance(message, str):
        return body
    return {**body, "message": _REWORDED.get(message, f"Request failed: {message}")}


def _not_active_409(error: ApiError | None, **_: Any) -> ApiError | None:
    if error is None or error.status != 400:
        return error
    return ApiError(409, error.message, detail=error.detail)


def _snapshot_logs(error: ApiError | None, *, operation: str, **_: Any) -> ApiError | None:
    return None if operation == "logs" else error


def _user_scoped(refusal: ApiError | None, *, task: Any, owner: Any, **_: Any) -> ApiError | None:
    if refusal is None and task.owner.id != owner.id:
        return ApiError(404, NOT_FOUND_MESSAGE)
    return refusal


def _create_for_other_404(refusal: ApiError | None, **_: Any) -> ApiError | None:
    return None if refusal is None else ApiError(404, NOT_FOUND_MESSAGE)


def _username_with_rights(found: str | None, *, value: str, caller: Any, **_: Any) -> str | None:
    """searchquery resolves usernames with the caller's rights: a member cannot name another user."""
    if found is None or value == "me" or parse_uuid(value) is not None:
        return found
    return found if found == caller.id or caller.is_owner else None


def _workspace_null(answer: dict[str, Any], *, task: Any, **_: Any) -> dict[str, Any]:
    if task.status == "active":
        return answer
    out = {k: v for k, v in answer.items() if k not in ("workspace_status", "workspace_build_number")}
    out.update(workspace_id=None, workspace_agent_id=None, workspace_agent_lifecycle=None,
               workspace_agent_health=None, workspace_app_id=None, current_state=None)
    return out


def _busy_once(busy: bool, *, app: Any, task: Any, operation: str, **_: Any) -> bool:
    """The first send and the first logs of each active task: the agent is busy."""
    with app.lock:
        if (task.id, operation) in app.agent_woken:
            return busy
        app.agent_woken.add((task.id, operation))
    return True


_CSRF_SAFE = ("GET", "HEAD", "OPTIONS", "TRACE")  # nosurf never checks these


def _csrf(refused: Any, *, app: Any, request: Any, **_: Any) -> Any:
    """coderd/httpmw/csrf.go: an unsafe request to /api that carries the session cookie is refused unless the same
    token came in the Coder-Session-Token header or the coder_session_token query (or a valid X-CSRF-TOKEN)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if refused is not None or request.method in _CSRF_SAFE or not request.url.path.startswith("/api") \
            or cookie is None:
        return refused
    if cookie in (request.headers.get(SESSION_HEADER), request.query_params.get(SESSION_QUERY)):
        return refused
    return app.wire.text(400, CSRF_REFUSAL + "\n", {})


def _nul_500_task(answer: Any, *, ref: str, **_: Any) -> Any:
    if answer is None and "\x00" in ref:
        raise ApiError(500, "Internal error fetching task.", detail=PQ_NUL_DETAIL)
    return answer


def _nul_500_query(q: str, **_: Any) -> str:
    if "\x00" in q:
        raise ApiError(500, "Internal error fetching tasks.", detail=PQ_NUL_DETAIL)
    return q


def _build_id_only(body: dict[str, Any], *, operation: str, **_: Any) -> dict[str, Any]:
    build = body.get("workspace_build")
    return {"workspace_build_id": build["id"]} if operation == "pause" and isinstance(build, dict) else body


def _v(name: str, description: str, changes: Mapping[str, Change], *, warns: tuple[str, ...] = (),
       source: str = "", profiles: tuple[str, ...] = PROFILE_NAMES) -> Variation:
    return Variation(name, description, dict(changes), warns=warns, source=source, profiles=profiles)


_REGISTRY: tuple[Variation, ...] = (
    # --- the wire format -----------------------------------------------------------------------------------------
    _v("extra-response-fields", "unknown extra fields in tasks, lists, logs, log entries and errors",
       {"task_json": _extra_task_fields, "log_json": lambda body, **_: {**body, "source": "agentapi"},
        "json_body": _extra_object_field, "error_body": _extra_error_fields},
       source="docs: clients must ignore unknown fields"),
    _v("json-without-charset", "JSON responses are labelled application/json without a charset",
       {"content_type": _label("application/json")}, source="docs: JSON responses carry application/json"),
    _v("json-charset-uppercase", "JSON responses are labelled application/json;charset=UTF-8",
       {"content_type": _label("application/json;charset=UTF-8")},
       source="RFC 8259 / RFC 9110: media type parameters are case-insensitive"),
    _v("reordered-keys", "JSON object keys come in reverse order", {"json_body": _reversed_keys},
       source="JSON objects are unordered"),
    _v("omitempty-fields-absent",
       "workspace_status, workspace_build_number, the agent health reason and error details are absent",
       {"task_json": _omitempty_absent, "error_body": lambda body, **_: {k: v for k, v in body.items()
                                                                          if k != "detail"}},
       source="docs: omitted when empty; detail is optional"),
    _v("later-release-fields", "tasks carry display_name; logs carry snapshot and snapshot_at",
       {"task_json": lambda body, *, task, **_: {**body, "display_name": f"Task {task.name}"},
        "json_body": _later_logs_fields},
       source="docs: fields of later releases", profiles=("experimental",)),
    _v("current-state-null", "current_state is null even for active tasks (the agent reported nothing)",
       {"task_json": lambda body, **_: {**body, "current_state": None}},
       source="docs: current_state is null or an object"),
    _v("timestamp-formats", "task date-times with nanoseconds and a +00:00 offset",
       {"task_json": _task_times}, source="RFC 3339; Go marshals time.Time as RFC 3339 with nanoseconds"),
    _v("extra-response-headers", "extra response headers (caching, security, CORS, server)",
       {"finish": _extra_headers}, source="HTTP: clients ignore headers they do not know"),
    _v("gzip-responses", "JSON responses are gzip-compressed when the client accepts gzip", {"finish": _gzip},
       source="HTTP content coding (Coder compresses API responses)"),
    _v("no-build-version", "the server names no Coder release: no X-Coder-Build-Version header, no buildinfo",
       {"finish": _without_version, "buildinfo": lambda info, **_: None},
       source="forks, gateways and mocks: the profile then comes from the prefix that answers (README: profiles)"),
    # --- error answers ---------------------------------------------------------------------------------------------
    _v("error-wording", "every error message worded differently (a fork, a gateway, a later release)",
       {"error_body": _reword},
       warns=("AUTH-401-MESSAGE", "GEN-MALFORMED-JSON-MESSAGE", "FILTER-ERROR-MESSAGE"),
       source="issue 13: a MUST is the status, the envelope and its validations; wording is a SHOULD"),
    _v("not-active-409", "send and logs on a task that is not active answer 409 instead of 400",
       {"not_active": _not_active_409}, source="docs: later releases answer 409", profiles=("experimental",)),
    _v("unknown-user-404", "an unknown {user} path segment answers 404 instead of 400",
       {"unknown_user": lambda error, **_: ApiError(404, NOT_FOUND_MESSAGE, detail=error.detail)},
       source="docs/requirements: 400 (Coder) or 404"),
    _v("user-scoped-uuid-lookup", "a task addressed by uuid under a {user} that is not its owner is 404",
       {"task_access": _user_scoped},
       source="docs: a server that answers 404 when {user} is not the owner is also reasonable"),
    _v("create-for-other-404", "a member creating a task for another user gets 404 instead of 403",
       {"create_for_other": _create_for_other_404},
       source="docs: 403 or 404 depending on where the permission check trips"),
    _v("create-empty-input-400", "create refuses an empty input with 400",
       {"create_rules": _rules(refuse_empty_input=True)},
       source="docs: Coder accepts an empty input; requirement CREATE-EMPTY-INPUT tolerates a 400"),
    _v("coder-bad-status-500", "a q with a status value that is no task status answers 500, as Coder does",
       {"query_options": _rules(validate_status=False)}, warns=("FILTER-BAD-STATUS-400",),
       source="docs: Coder lets a bad status reach the database (500); the 400 is a SHOULD", profiles=NOT_LEGACY),
    _v("coder-nul-500",
       "a NUL character in a task name lookup, a q or a create's input answers 500, as Coder does",
       {"missing_task": _nul_500_task, "query": _nul_500_query, "create_rules": _rules(nul_500=True)},
       warns=("GEN-NUL-NO-5XX",),
       source="coder: the value reaches PostgreSQL, whose text type cannot hold NUL (coderd/httpmw/taskparam.go "
              "name lookup, the search query, the task insert); the 4xx is a SHOULD"),
    _v("member-username-lookup-refused",
       "a member filtering by another user's username gets 400 (the search query is invalid)",
       {"resolve_owner": _username_with_rights},
       source="coder: searchquery resolves usernames with the caller's rights ('or you are unauthorized')"),
    _v("coder-csrf",
       "an unsafe request carrying the session cookie, without the same token in the header or query, answers 400 "
       "(text) before anything else",
       {"csrf_refusal": _csrf},
       source="coder: coderd/httpmw/csrf.go (nosurf, on every /api route, before authentication)"),
    _v("unknown-route-before-auth", "an unknown route outside /tasks answers 404 without authentication",
       {"route_before_auth": lambda value, *, rest, **_: value or not rest or rest[0] != "tasks"},
       source="coder: the API router's NotFound handler runs without the API key middleware"),
    _v("preexisting-tasks", "every user already has older tasks, some paused, failed, stuck pending or unknown",
       {"seed_tasks": lambda value, **_: True},
       source="a real deployment is not empty; checks compare against what is there"),
    _v("workspace-null-at-create",
       "create answers before the workspace exists: workspace_id null, no workspace status or build",
       {"create_answer": _workspace_null},
       source="docs: workspace_id is nullable; workspace_status and the build number are omitted when empty",
       profiles=NOT_LEGACY),
    # --- timing and the agent ---------------------------------------------------------------------------------------
    _v("delayed-delete", f"a deleted task stays visible (get, list) for {DELETE_DELAY} s after the 202",
       {"delete_delay": lambda value, **_: DELETE_DELAY},
       source="docs: delete is asynchronous (a workspace delete build)"),
    _v("delete-while-building-409",
       "delete of a task that is still starting answers 409: its start build has to end first",
       {"delete_refusal": lambda refusal, *, task, **_: ApiError(409, "A workspace build is already active.")
        if task.status in ("pending", "initializing") else refusal},
       source="coder: taskDelete starts a delete build, and coderd/wsbuilder checkRunningBuild refuses any build "
              "while one is active"),
    _v("slow-startup", f"tasks take {SLOW_STARTUP_STEP} s per lifecycle step, within the deadline",
       {"lifecycle_step": lambda value, **_: SLOW_STARTUP_STEP}, source="docs: seconds to minutes on a real server"),
    _v("instant-startup", "tasks are active as soon as they are created",
       {"lifecycle_step": lambda value, **_: 0.0}, source="docs: a new task starts pending, initializing or active"),
    _v("agent-busy-first", "the first send and the first logs of each active task answer that the agent is busy",
       {"agent_busy": _busy_once}, source="docs: agent unreachable or busy (502; 409 from v2.32)"),
    _v("app-initializing-first",
       "the first send and the first logs of each running task answer 503: its app's health check has not passed",
       {"agent_busy": _busy_once, "busy_error": lambda error, **_: ApiError(503, APP_INITIALIZING_MESSAGE)},
       source="coder: authAndDoWithTaskSidebarAppClient (coderd/aitasks.go before the task data model) checks the "
              "sidebar app's health, not the workspace's status", profiles=("legacy",)),
    _v("logs-lag", f"log entries (input and output) appear {LOG_LAG} s after they happen",
       {"logs_rules": _rules(lag=LOG_LAG)},
       source="docs: the agent's reply appears some time later; the log is read from the agent"),
    _v("logs-snapshot-when-not-active",
       "logs of a task that is not active answer 200 with a stored snapshot (snapshot: true)",
       {"not_active": _snapshot_logs}, source="docs: later releases return a stored snapshot",
       profiles=("experimental",)),
    # --- optional features ---------------------------------------------------------------------------------------
    _v("no-bearer-or-access-token", "Authorization: Bearer and the access_token query are not supported",
       {"token_sources": lambda value, **_: dataclasses.replace(
           value, ignored=value.ignored | frozenset({"bearer", "access_token"}))},
       warns=("AUTH-BEARER", "AUTH-ACCESS-TOKEN"), source="docs: newer releases only (MAY)"),
    _v("no-name-lookup", "the {task} segment must be a uuid: task names are not looked up (400)",
       {"lookup": _rules(by_name=False)}, warns=("GET-BY-NAME",),
       source="docs: the docs say uuid; name lookup is a Coder extension", profiles=("experimental",)),
    # --- the stable generation ------------------------------------------------------------------------------------
    _v("pause-answers-build-id", "pause answers {\"workspace_build_id\"} instead of the whole build",
       {"build_answer": _build_id_only},
       source="shared docs: PauseTaskResponse is documented both ways across the stable line",
       profiles=("stable",)),
)

VARIATIONS: dict[str, Variation] = {variation.name: variation for variation in _REGISTRY}


def list_variations(profile: str | None = None) -> list[Variation]:
    """Every registered variation (of one profile), in registry order."""
    return [v for v in _REGISTRY if profile is None or profile in v.profiles]


def validate_variation_names(names: Iterable[str]) -> frozenset[str]:
    return validate_names(names, VARIATIONS, "variation")


def parse_variation_list(text: str) -> frozenset[str]:
    """Parse a comma-separated list of variation names (as given to --variations or the environment variable)."""
    return parse_names(text, VARIATIONS, "variation")


def variations_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """The variations named by TASKS_CONFORMANCE_REFERENCE_VARIATIONS, validated."""
    return parse_variation_list(environ.get(ENV_VAR, ""))


class ActiveVariations(Switches):
    """The set of variations switched on for one server; safe to change while requests are being served."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(VARIATIONS, "variation", names)


def check() -> None:
    """Every variation changes something, at hook points that exist."""
    from .conforming.app import HOOK_POINTS
    from .server import SERVER_HOOK_POINTS

    check_points(_REGISTRY, [*HOOK_POINTS, *SERVER_HOOK_POINTS], "variation")
