"""The named fault registry: small, realistic deviations the reference server can be told to make.

Each fault is switched on by name (constructor ``faults=[...]``, ``ReferenceServer.set_faults`` or the
``TASKS_CONFORMANCE_REFERENCE_FAULTS`` environment variable read by ``serve``). Handlers ask
``ActiveFaults.enabled(name)``. The suite's own tests prove every fault changes what the server answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ENV_VAR = "TASKS_CONFORMANCE_REFERENCE_FAULTS"


@dataclass(frozen=True)
class Fault:
    """One named deviation from the contract."""

    name: str
    description: str
    breaks: tuple[str, ...] = ()


_REGISTRY: tuple[Fault, ...] = (
    Fault("create-returns-200", "create answers 200 instead of 201"),
    Fault("list-count-off-by-one", "list reports count = len(tasks) + 1"),
    Fault("list-oldest-first", "list returns tasks oldest first instead of newest first"),
    Fault("status-filter-ignored", "list ignores the status: filter of q"),
    Fault("bare-word-owner-ignored", "list ignores bare words in q instead of treating them as owner"),
    Fault("query-case-sensitive", "list does not lowercase q, so OWNER:Alice or status:ACTIVE fail"),
    Fault("member-sees-others-tasks", "list shows members the tasks of other members"),
    Fault("deleted-task-still-listed", "list still shows deleted tasks"),
    Fault("get-skips-auth", "get of a task answers without a valid session token (acts as the admin)"),
    Fault("get-other-members-task", "get returns another member's task instead of 404"),
    Fault(
        "other-members-task-403", "get of another member's task answers 403 (leaks existence) instead of 404"
    ),
    Fault(
        "auth-after-routing", "unknown routes under the API prefix answer 404 before authentication (not 401)"
    ),
    Fault("token-precedence-reversed", "the Coder-Session-Token header wins over the session cookie"),
    Fault("wrong-secret-accepted", "a token with a known id but a wrong secret is accepted"),
    Fault("delete-returns-200", "delete answers 200 instead of 202"),
    Fault("send-drops-input", "send does not record the input log entry (only the reply appears)"),
    Fault("send-empty-input-accepted", "send accepts an empty input with 204 instead of 400"),
    Fault("logs-wrong-type", "logs label the user's input entries as output"),
    Fault("missing-owner-name", "Task objects lack the owner_name field"),
    Fault("nullable-fields-omitted", "Task objects omit null fields instead of sending JSON null"),
    Fault("bad-created-at-format", "Task created_at is not an RFC 3339 date-time"),
    Fault("json-without-content-type", "JSON responses are labelled text/plain"),
    Fault("error-body-not-json", "error responses carry a plain-text body instead of JSON"),
    Fault("unknown-user-500", "an unknown {user} path segment answers 500 instead of 400"),
    Fault("task-stuck-pending", "tasks never leave the pending status"),
    Fault("duplicate-name-accepted", "create accepts a task name the owner already uses instead of 409"),
    Fault("invalid-name-accepted", "create accepts task names that break the naming rules"),
    # --- faults only fuzzing would reasonably find (conformance/fuzz catches each one) ---
    Fault("query-double-space-500", "list answers 500 when q separates its terms by more than one space"),
    Fault("long-numeric-name-schema-violation",
          "Task objects of tasks whose name is 30+ characters and ends in 8+ digits carry workspace_name null"),
    Fault("unknown-field-id-mismatch",
          "create answers with an id get cannot find when the body carries a field the server does not know"),
    Fault("logs-skips-auth", "logs of an existing task answer without a valid session token"),
)

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _REGISTRY}


def list_faults() -> list[Fault]:
    """Every registered fault, in registry order."""
    return list(_REGISTRY)


def validate_fault_names(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a set, or raise ValueError naming the unknown ones and listing the valid ones."""
    wanted = [name.strip() for name in names if name and name.strip()]
    unknown = sorted({name for name in wanted if name not in FAULTS})
    if unknown:
        valid = ", ".join(FAULTS)
        raise ValueError(f"unknown fault name(s): {', '.join(unknown)}; valid faults are: {valid}")
    return frozenset(wanted)


def parse_fault_list(text: str) -> frozenset[str]:
    """Parse a comma-separated list of fault names (as given to --faults or the environment variable)."""
    return validate_fault_names(text.split(","))


def faults_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """The faults named by TASKS_CONFORMANCE_REFERENCE_FAULTS, validated."""
    return parse_fault_list(environ.get(ENV_VAR, ""))


class ActiveFaults:
    """The set of faults switched on for one server; safe to change while requests are being served."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._names = validate_fault_names(names)

    def enabled(self, name: str) -> bool:
        if name not in FAULTS:
            raise KeyError(f"no fault named {name!r}")
        return name in self._names

    def set(self, names: Iterable[str]) -> None:
        validated = validate_fault_names(names)
        with self._lock:
            self._names = validated

    @property
    def names(self) -> frozenset[str]:
        return self._names
