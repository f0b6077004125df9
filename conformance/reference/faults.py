"""The named fault registry: small, realistic deviations the reference server can be told to make.

Each fault is switched on by name (constructor ``faults=[...]``, ``ReferenceServer.set_faults`` or the
``TASKS_CONFORMANCE_REFERENCE_FAULTS`` environment variable read by ``serve``). Handlers ask
``ActiveFaults.enabled(name)``. ``breaks`` names the requirements a suite run must report as failed when the fault
is on by itself (a fault breaking only SHOULD requirements is caught with ``--strict``). The suite's own tests prove
that every fault changes what the server answers (tests/reference/test_ref_faults.py) and that the suite catches it
(tests/faults/test_fault_catalogue.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .switches import Switches, parse_names, validate_names

ENV_VAR = "TASKS_CONFORMANCE_REFERENCE_FAULTS"


@dataclass(frozen=True)
class Fault:
    """One named deviation from the contract, and the requirements it breaks."""

    name: str
    description: str
    breaks: tuple[str, ...] = ()
    area: str = ""


def _area(area: str, *faults: tuple[str, str, tuple[str, ...]]) -> tuple[Fault, ...]:
    return tuple(Fault(name, description, breaks, area) for name, description, breaks in faults)


_REGISTRY: tuple[Fault, ...] = (
    *_area(
        "status codes",
        ("create-returns-200", "create answers 200 instead of 201", ("CREATE-STATUS-201",)),
        ("delete-returns-200", "delete answers 200 instead of 202", ("DELETE-STATUS-202",)),
        ("send-returns-200", "send answers 200 instead of 204", ("SEND-STATUS-204",)),
        ("empty-search-404", "a q that matches no task answers 404 instead of an empty list", ("LIST-EMPTY-ARRAY",)),
        ("get-missing-task-400", "get of a task id that does not exist answers 400 instead of 404",
         ("GET-NOT-FOUND-404",)),
        ("logs-missing-task-200", "logs of a task id that does not exist answer 200 with no entries",
         ("LOGS-NOT-FOUND-404",)),
        ("send-missing-task-204", "send to a task id that does not exist answers 204", ("SEND-NOT-FOUND-404",)),
        ("delete-missing-task-202", "delete of a task id that does not exist (or is gone) answers 202",
         ("DELETE-NOT-FOUND-404",)),
        ("wrong-method-404", "a known route with an unsupported method answers 404 instead of 405",
         ("GEN-WRONG-METHOD",)),
        ("unknown-route-html", "an unknown route answers 404 with an HTML page instead of the error body",
         ("GEN-UNKNOWN-ROUTE-404",)),
    ),
    *_area(
        "body schemas",
        ("missing-owner-name", "Task objects lack the owner_name field",
         ("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA")),
        ("nullable-fields-omitted", "Task objects omit null fields instead of sending JSON null",
         ("CREATE-SCHEMA",)),
        ("bad-created-at-format", "Task created_at is not an RFC 3339 date-time",
         ("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA", "LIFE-TIMESTAMPS")),
        ("create-requires-name", "create refuses a body without a name (400) instead of generating one",
         ("CREATE-NAME-GENERATED",)),
        ("log-id-as-string", "log entry ids are strings instead of integers", ("LOGS-SCHEMA",)),
        ("nullable-uuids-as-objects",
         "nullable uuids are {\"uuid\", \"valid\"} objects (the docs generator's drawing) instead of a string or null",
         ("CREATE-SCHEMA", "GET-SCHEMA", "LIST-SCHEMA")),
        ("log-types-user-agent", "log entries are typed user/agent instead of input/output",
         ("LOGS-SCHEMA", "SEND-INPUT-LOGGED")),
        ("template-icon-null", "Task template_icon is null instead of a string", ("CREATE-SCHEMA", "GET-SCHEMA")),
        ("empty-list-null", "a list that matches nothing has \"tasks\": null instead of []", ("LIST-EMPTY-ARRAY",)),
    ),
    *_area(
        "content types",
        ("json-without-content-type", "JSON responses are labelled text/plain",
         ("GEN-CONTENT-TYPE", "LIST-CONTENT-TYPE", "CREATE-CONTENT-TYPE", "GET-CONTENT-TYPE", "LOGS-CONTENT-TYPE")),
        ("errors-labelled-html", "error responses carry a JSON body labelled text/html", ("GEN-CONTENT-TYPE",)),
        ("logs-without-content-type", "the logs response has no Content-Type", ("LOGS-CONTENT-TYPE",)),
    ),
    *_area(
        "error bodies",
        ("error-body-not-json", "error responses carry a plain-text body instead of JSON",
         ("GEN-ERROR-BODY", "AUTH-401-BODY", "FILTER-ERROR-BODY")),
        ("error-key-renamed", "error bodies say {\"error\": ...} instead of {\"message\": ...}",
         ("GEN-ERROR-BODY", "AUTH-401-BODY", "FILTER-ERROR-BODY")),
        ("query-error-without-validations", "the 400 for a bad q has no validations list", ("FILTER-ERROR-BODY",)),
    ),
    *_area(
        "authentication",
        ("get-skips-auth", "get of a task answers without a valid session token (acts as the admin)",
         ("AUTH-MISSING-401", "AUTH-MALFORMED-401", "AUTH-UNKNOWN-401", "AUTH-WRONG-SECRET-401")),
        ("auth-after-routing", "unknown routes under the API prefix answer 404 before authentication (not 401)",
         ("AUTH-BEFORE-404",)),
        ("token-precedence-reversed", "the Coder-Session-Token header wins over the session cookie",
         ("AUTH-PRECEDENCE",)),
        ("wrong-secret-accepted", "a token with a known id but a wrong secret is accepted",
         ("AUTH-WRONG-SECRET-401",)),
        ("malformed-token-400", "a token that is not in <id>-<secret> format answers 400 instead of 401",
         ("AUTH-MALFORMED-401",)),
        ("unknown-token-403", "a well-formed token with an unknown id answers 403 instead of 401",
         ("AUTH-UNKNOWN-401",)),
        ("header-token-get-only", "the Coder-Session-Token header is honoured on GET requests only",
         ("AUTH-HEADER",)),
        ("cookie-token-ignored", "the coder_session_token cookie is ignored", ("AUTH-COOKIE",)),
        ("query-token-ignored", "the coder_session_token query parameter is ignored", ("AUTH-QUERY",)),
        ("bearer-skips-secret-check", "an Authorization: Bearer token is accepted on its id alone (any secret)",
         ("AUTH-WRONG-SECRET-401",)),
    ),
    *_area(
        "access control",
        ("member-sees-others-tasks", "list shows members the tasks of other members", ("ACL-LIST-OTHER-HIDDEN",)),
        ("get-other-members-task", "get returns another member's task instead of 404", ("ACL-GET-OTHER-404",)),
        ("other-members-task-403", "get of another member's task answers 403 (leaks existence) instead of 404",
         ("ACL-GET-OTHER-404",)),
        ("logs-other-members-task", "logs of another member's task are returned instead of 404",
         ("ACL-LOGS-OTHER-404",)),
        ("send-other-members-task", "send to another member's task is delivered instead of 404",
         ("ACL-SEND-OTHER-404",)),
        ("delete-other-members-task", "delete of another member's task deletes it instead of 404",
         ("ACL-DELETE-OTHER-404",)),
        ("admin-sees-only-own", "an owner/admin's list shows only their own tasks", ("ACL-ADMIN-SEES-ALL",)),
        ("member-creates-for-others", "a member may create tasks owned by another user",
         ("ACL-CREATE-FOR-OTHER",)),
        ("owner-filter-bypasses-visibility", "an owner filter shows a member the other user's tasks",
         ("ACL-LIST-OTHER-HIDDEN",)),
    ),
    *_area(
        "filtering",
        ("status-filter-ignored", "list ignores the status: filter of q", ("FILTER-STATUS", "FILTER-AND")),
        ("bare-word-owner-ignored", "list ignores bare words in q instead of treating them as owner",
         ("FILTER-BARE-WORD",)),
        ("query-case-sensitive", "list does not lowercase q, so OWNER:Alice or status:ACTIVE fail",
         ("FILTER-CASE",)),
        ("owner-filter-ignored", "list ignores the owner: filter of q", ("FILTER-OWNER-USERNAME", "FILTER-OWNER-UUID")),
        ("owner-uuid-unsupported", "owner:<uuid> is looked up as a username (400)", ("FILTER-OWNER-UUID",)),
        ("organization-filter-ignored", "list ignores the organization: filter of q", ("FILTER-ORGANIZATION-ID",)),
        ("organization-name-unsupported", "organization:<name> is refused; only uuids are understood",
         ("FILTER-ORGANIZATION-NAME",)),
        ("quotes-kept", "double quotes are not stripped from filter values, so owner:\"alice\" is refused",
         ("FILTER-QUOTED",)),
        ("filters-or-combined", "several filters combine with OR instead of AND", ("FILTER-AND",)),
        ("empty-query-400", "an empty q is refused with 400 instead of meaning no filter", ("FILTER-EMPTY-QUERY",)),
        ("unknown-filter-key-ignored", "an unknown filter key is ignored instead of 400",
         ("FILTER-UNKNOWN-KEY-400",)),
        ("colon-edge-accepted", "a token starting or ending with ':' is ignored instead of 400",
         ("FILTER-COLON-EDGE-400",)),
        ("multi-colon-accepted", "a token with more than one ':' is ignored instead of 400",
         ("FILTER-MULTI-COLON-400",)),
        ("unknown-owner-matches-nothing", "an unknown owner username matches nothing (200) instead of 400",
         ("FILTER-UNKNOWN-OWNER-400",)),
        ("unknown-org-matches-nothing", "an unknown organization name matches nothing (200) instead of 400",
         ("FILTER-UNKNOWN-ORG-400",)),
    ),
    *_area(
        "lifecycle",
        ("task-stuck-pending", "tasks never leave the pending status", ("LIFE-REACHES-ACTIVE",)),
        ("status-running-not-active", "a started task reports status \"running\" instead of \"active\"",
         ("LIFE-REACHES-ACTIVE", "GET-SCHEMA")),
        ("initial-status-unknown", "create answers with status \"unknown\" instead of pending",
         ("LIFE-INITIAL-STATUS",)),
        ("created-at-changes", "created_at moves with updated_at as the task progresses", ("LIFE-TIMESTAMPS",)),
        ("active-without-agent", "active tasks have workspace_agent_id null", ("LIFE-ACTIVE-WORKSPACE",)),
    ),
    *_area(
        "send and logs",
        ("send-drops-input", "send does not record the input log entry (only the reply appears)",
         ("SEND-INPUT-LOGGED",)),
        ("send-empty-input-accepted", "send accepts an empty input with 204 instead of 400",
         ("SEND-EMPTY-INPUT-400",)),
        ("logs-wrong-type", "logs label the user's input entries as output", ("SEND-INPUT-LOGGED",)),
        ("send-input-newline", "the input entry in the logs carries an extra trailing newline",
         ("SEND-INPUT-LOGGED",)),
        ("send-before-active-accepted", "send to a task that is not active yet answers 204 (input lost)",
         ("SEND-NOT-ACTIVE",)),
        ("logs-before-active-200", "logs of a task that is not active yet answer 200 with no entries",
         ("LOGS-NOT-ACTIVE",)),
        ("agent-never-replies", "the agent never answers: the logs have no output entries",
         ("SEND-OUTPUT-FOLLOWS",)),
    ),
    *_area(
        "create and get",
        ("duplicate-name-accepted", "create accepts a task name the owner already uses instead of 409",
         ("CREATE-NAME-CONFLICT-409",)),
        ("invalid-name-accepted", "create accepts task names that break the naming rules",
         ("CREATE-NAME-INVALID-400",)),
        ("name-conflict-case-sensitive", "name conflicts are detected case-sensitively (Fix vs fix is no 409)",
         ("CREATE-NAME-CONFLICT-409",)),
        ("reserved-name-accepted", "create accepts the reserved names new and create",
         ("CREATE-NAME-INVALID-400",)),
        ("template-version-not-checked", "create accepts an unknown template_version_id",
         ("CREATE-TEMPLATE-UNKNOWN-400",)),
        ("non-ai-template-accepted", "create accepts a template version without an AI task",
         ("CREATE-TEMPLATE-NO-AI-400",)),
        ("missing-template-version-accepted", "create without template_version_id uses a default template",
         ("CREATE-MISSING-FIELDS-400",)),
        ("initial-prompt-trimmed", "initial_prompt is the input with surrounding whitespace trimmed",
         ("CREATE-FIELDS",)),
        ("get-trims-initial-prompt", "get shows initial_prompt trimmed while create echoed it unchanged",
         ("GET-MATCHES-CREATE",)),
        ("username-user-segment-unsupported", "a {user} path segment that is a username is refused (400)",
         ("GEN-USER-FORMS",)),
        ("get-by-name-case-sensitive", "a task name in the {task} segment matches case-sensitively",
         ("GET-BY-NAME",)),
    ),
    *_area(
        "delete",
        ("deleted-task-still-listed", "list still shows deleted tasks", ("DELETE-GONE-LIST",)),
        ("deleted-task-still-gettable", "get still returns a deleted task", ("DELETE-GONE-GET",)),
        ("second-delete-succeeds", "deleting an already deleted task answers 202 again", ("DELETE-TWICE-404",)),
        ("deleted-task-logs-send", "logs and send still work on a deleted task (get is 404)",
         ("DELETE-GONE-LOGS-SEND",)),
        ("delete-returns-body", "the 202 of delete carries a JSON body", ("DELETE-EMPTY-BODY",)),
    ),
    *_area(
        "list",
        ("list-count-off-by-one", "list reports count = len(tasks) + 1", ("LIST-COUNT",)),
        ("list-oldest-first", "list returns tasks oldest first instead of newest first", ("LIST-ORDER",)),
    ),
    *_area(
        "robustness",
        ("unknown-user-500", "an unknown {user} path segment answers 500 instead of 400",
         ("GEN-NO-5XX", "GEN-UNKNOWN-USER-400")),
        ("non-object-body-500", "a JSON body that is not an object (array, string, null) answers 500",
         ("GEN-NO-5XX",)),
        ("wrong-type-input-500", "an input that is not a string answers 500", ("GEN-NO-5XX",)),
        ("malformed-json-500", "a request body that is not JSON answers 500 instead of 400",
         ("GEN-MALFORMED-JSON-400", "GEN-NO-5XX")),
        ("bad-status-500", "an unknown status value in q answers 500 (as Coder does) instead of 400",
         ("FILTER-BAD-STATUS-400",)),
    ),
    # --- faults only fuzzing would reasonably find (conformance/fuzz catches each one) ---
    *_area(
        "found by fuzzing",
        ("query-double-space-500", "list answers 500 when q separates its terms by more than one space",
         ("FUZZ-NO-SERVER-ERROR",)),
        ("long-numeric-name-schema-violation",
         "Task objects of tasks whose name is 30+ characters and ends in 8+ digits carry workspace_name null",
         ("FUZZ-RESPONSE-SCHEMA",)),
        ("unknown-field-id-mismatch",
         "create answers with an id get cannot find when the body carries a field the server does not know",
         ("FUZZ-RESOURCE-AVAILABLE",)),
        ("logs-skips-auth", "logs of an existing task answer without a valid session token",
         ("FUZZ-IGNORED-AUTH",)),
    ),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _REGISTRY}


def list_faults() -> list[Fault]:
    """Every registered fault, in registry order."""
    return list(_REGISTRY)


def validate_fault_names(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a set, or raise ValueError naming the unknown ones and listing the valid ones."""
    return validate_names(names, FAULTS, "fault")


def parse_fault_list(text: str) -> frozenset[str]:
    """Parse a comma-separated list of fault names (as given to --faults or the environment variable)."""
    return parse_names(text, FAULTS, "fault")


def faults_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """The faults named by TASKS_CONFORMANCE_REFERENCE_FAULTS, validated."""
    return parse_fault_list(environ.get(ENV_VAR, ""))


class ActiveFaults(Switches):
    """The set of faults switched on for one server; safe to change while requests are being served."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(FAULTS, "fault", names)
