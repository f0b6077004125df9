"""Variations the API's documentation allows, which Schemathesis's generic checks would report as failures.

Each rule gets a failure, the case and the response, and answers with a reason (the failure is dropped and
counted) or None (it stands). Rules that need the server's current state ask it through a `StateProbe`.

- ST201 (schema-violating request accepted): the profile narrows ``{user}``, ``q`` and ``template_version_id``
  beyond the contract, and Coder decodes bodies as Go does (a JSON ``null`` member is absent, an absent ``input``
  is the empty string, field names match case-insensitively, a uuid may be braced or unhyphenated). An accepted
  request is only a failure when it carried the valid token and its body is invalid for the contract even then.
- ST202 (schema-valid request rejected): logs and send answer 400 (409 in later releases) while the task is not
  active yet; that is the documented lifecycle, not a rejection of valid data. A create whose ``input`` is empty
  may be refused with 400: Coder accepts it, but the documentation (and CREATE-EMPTY-INPUT) tolerates a 400. A
  create whose ``display_name`` is over 64 bytes (Go's `len`, after `strings.TrimSpace`; from v2.31) is refused
  with 400: the contract sets no maximum (releases before v2.31 take any length, and a JSON schema counts characters,
  not bytes), so its valid data includes such names.
- ST101 (server error): logs and send answer 502 when the task's agent is unreachable or busy (documented, with
  an error body); legacy servers also 503 while the task's app is not healthy yet. A list whose ``q`` filters on
  a value that is no task status may answer 500: Coder does (the value reaches the database); the documentation
  makes the 400 a SHOULD, checked by FILTER-BAD-STATUS-400. The same 500 is tolerated as an undocumented status
  (ST103).
- ST301 (deleted resource still available): delete is asynchronous (202); a task may stay visible for a moment.
  It is a failure only if it is still there once the poll deadline has passed.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from conformance.contracts.contract import Contract
from conformance.contracts.gotext import DISPLAY_NAME_LIMIT, byte_length, display_name_too_long, trim_space
from conformance.contracts.profiles import LEGACY, Profile
from conformance.runner.http.client import SESSION_HEADER

# Contract schema of each operation's request body, and the string fields Go zero-fills when absent.
_BODY_SCHEMAS = {"createTask": "CreateTaskRequest", "sendTaskInput": "SendTaskInputRequest",
                 "updateTaskInput": "UpdateTaskInputRequest"}
_GO_UUID_FIELDS = ("template_version_id", "template_version_preset_id")


def _string_fields(operation_id: str, contract: Contract) -> tuple[str, ...]:
    """The plain string fields of the operation's request body in the run's contract (Go decodes them as strings,
    absent ones as "")."""
    name = _BODY_SCHEMAS.get(operation_id)
    schema = contract.schemas.get(name or "", {})
    return tuple(key for key, prop in schema.get("properties", {}).items()
                 if prop.get("type") == "string" and key not in _GO_UUID_FIELDS)
NOT_ACTIVE_STATUSES = (400, 409, 503)  # 503: legacy, while the task's app initializes
# The operations a task's state may refuse, and the statuses in which they are refused (None: any but active).
_STATE_BOUND: dict[str, tuple[str, ...] | None] = {"getTaskLogs": None, "sendTaskInput": None,
                                                   "updateTaskInput": ("pending", "initializing", "active", "error",
                                                                       "unknown"),
                                                   "pauseTask": ("pending", "initializing", "paused"),
                                                   "resumeTask": ("pending", "initializing", "active", "error",
                                                                  "unknown")}


class StateProbe(Protocol):
    """What the tolerance rules may ask the server (with the primary member's token, outside the evidence)."""

    token: str
    profile: Profile  # the generation the target is judged by
    contract: Contract  # its OpenAPI document

    def task_status(self, task_id: str) -> tuple[int, str | None]:
        """(HTTP status of GET /tasks/me/{id}, the task's status when it is 200)."""
        ...

    def wait_gone(self, task_id: str) -> float | None:
        """Poll until GET /tasks/me/{id} answers 404: seconds it took, or None if it never did."""
        ...


def go_body(operation_id: str, raw: bytes | str | None, contract: Contract) -> dict[str, Any] | None:
    """The request body as Coder's Go decoder sees it, or None when it is not a JSON object."""
    try:
        value = json.loads(raw or b"")
    except (ValueError, TypeError):
        return None
    if not isinstance(value, dict):
        return None
    strings = _string_fields(operation_id, contract)
    known = (*strings, *_GO_UUID_FIELDS)
    present = {key: item for key, item in value.items() if item is not None}  # null leaves the zero value
    body: dict[str, Any] = {}
    for key, item in present.items():
        name = key if key in known else next((f for f in known if f.lower() == key.lower()), key)
        if name != key and name in present:
            continue  # an exact match wins over a case-insensitive one
        body[name] = item
    for name in strings:
        body.setdefault(name, "")
    for name in _GO_UUID_FIELDS:
        if isinstance(body.get(name), str):
            with contextlib.suppress(ValueError):  # Go's uuid.Parse also takes {braced}, urn: and 32 hex
                body[name] = str(uuid.UUID(body[name]))
    return body


def carried_token(response: Any, token: str) -> bool:
    """Whether the request went out with the configured token in the documented header."""
    return bool(response.request.headers.get(SESSION_HEADER) == token)


def accepted_negative(operation_id: str, case: Any, response: Any, probe: StateProbe) -> str | None:
    """ST201: tolerated when the request, with the valid token, is acceptable under the contract as Go reads it."""
    if not carried_token(response, probe.token):
        return None  # accepted without (valid) credentials: never tolerated
    schema_name = _BODY_SCHEMAS.get(operation_id)
    if schema_name is None:
        return "accepted path/query values that only the fuzz profile forbids (the contract allows them)"
    body = go_body(operation_id, response.request.body, probe.contract)
    if body is None:
        return None
    if probe.contract.errors(schema_name, body):
        return None
    return "accepted a body that is valid for the contract as Coder's Go decoder reads it (null = absent)"


def rejected_positive(operation_id: str, case: Any, response: Any, probe: StateProbe) -> str | None:
    """ST202: an operation refused because the task's state does not allow it (logs/send on a task that is not
    active, an input update of a task that is not paused, pause while a build runs, resume of a task that is not
    paused) is the documented lifecycle; a create with an empty prompt may be refused with 400 (tolerated), and so
    is one whose display_name is over Coder's limit (in bytes, from v2.31; the contract sets none)."""
    profile = probe.profile
    if operation_id == "createTask" and response.status_code == 400:
        body = go_body(operation_id, response.request.body, probe.contract)
        prompt = "prompt" if profile is LEGACY else "input"
        if body is not None and body.get(prompt) == "":
            return f"create with an empty {prompt} refused with 400 (tolerated: CREATE-EMPTY-INPUT)"
        display_name = body.get("display_name") if body is not None else None
        if (profile.feature("display-name-limit") is not None and isinstance(display_name, str)
                and display_name_too_long(display_name)):
            return (f"create with a display_name of {byte_length(trim_space(display_name))} UTF-8 bytes refused "
                    f"with 400 (documented: Coder's limit is {DISPLAY_NAME_LIMIT} bytes, DISPLAY-NAME-TOO-LONG-400)")
        return None
    if operation_id not in _STATE_BOUND or response.status_code not in NOT_ACTIVE_STATUSES:
        return None
    task_id = str(case.path_parameters.get("task", ""))
    status_code, status = probe.task_status(task_id)
    refused_in = _STATE_BOUND[operation_id]
    if status_code != 200 or status is None:
        return None
    if (refused_in is None and status != profile.active) or (refused_in is not None and status in refused_in):
        return f"{operation_id} on a task that is {status!r} (its state does not allow it: documented 4xx)"
    return None


def documented_app_unavailable(operation_id: str, case: Any, response: Any, probe: StateProbe) -> str | None:
    """ST101: 502 (legacy: or 503) from logs/send with an error body: the task's agent is unreachable or busy, or
    its app is not healthy yet (documented: Profile.app_unavailable)."""
    unavailable = probe.profile.app_unavailable
    if operation_id not in ("getTaskLogs", "sendTaskInput") or response.status_code not in unavailable:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return (f"{response.status_code} from logs/send: the task's agent is unreachable or busy, or its app is not "
                "ready (documented)")
    return None


def _query_tokens(q: str) -> list[str]:
    """q as Coder splits it: lowercased, on spaces outside double quotes."""
    tokens, current, quoted = [], "", False
    for char in q.lower():
        if char == '"':
            quoted = not quoted
        if char == " " and not quoted:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    return [*tokens, current] if current else tokens


def invalid_status_values(url: str, statuses: tuple[str, ...]) -> list[str]:
    """The values of ``status:`` filters in the request's q that are none of `statuses`."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    bad = []
    for token in _query_tokens(query.get("q", "")):
        key, sep, value = token.partition(":")
        value = value.strip('"')
        if sep and key.strip('"') == "status" and ":" not in value and value not in statuses:
            bad.append(value)
    return bad


def server_error(operation_id: str, case: Any, response: Any, probe: StateProbe) -> str | None:
    """ST101: the documented 502 (legacy: 503) of logs/send; Coder's 500 for a q with a status value that is no task
    status."""
    reason = documented_app_unavailable(operation_id, case, response, probe)
    if reason is not None:
        return reason
    if operation_id == "listTasks" and response.status_code == 500 and invalid_status_values(
            str(response.request.url), probe.profile.statuses):
        return ("500 for a status value that is no task status (Coder's own behaviour; the 400 is a SHOULD, "
                "FILTER-BAD-STATUS-400)")
    return None


def undocumented_status(operation_id: str, case: Any, response: Any, probe: StateProbe) -> str | None:
    """ST103: the same 500 is not in the contract's list of statuses either."""
    if operation_id == "listTasks" and response.status_code == 500 and invalid_status_values(
            str(response.request.url), probe.profile.statuses):
        return "undocumented 500 for a status value that is no task status (see ST101; FILTER-BAD-STATUS-400)"
    return None


def deleted_still_visible(operation_id: str, case: Any, response: Any, probe: StateProbe) -> str | None:
    """ST301: an asynchronous delete may take a moment; poll until the task is gone. A legacy task is a workspace:
    deleted, it shows its delete build's status."""
    task_id = str(case.path_parameters.get("task", ""))
    if not task_id:
        return None
    if probe.profile is LEGACY:
        status_code, status = probe.task_status(task_id)
        if status_code == 200 and status in ("deleting", "deleted"):
            return f"a deleted legacy task is a workspace being deleted (status {status!r})"
    took = probe.wait_gone(task_id)
    if took is None:
        return None
    return f"the deleted task was still visible for a moment (gone after {took:.1f} s: asynchronous delete)"


RULES: dict[str, Callable[[str, Any, Any, StateProbe], str | None]] = {
    "ST201": accepted_negative,
    "ST202": rejected_positive,
    "ST101": server_error,
    "ST103": undocumented_status,
    "ST301": deleted_still_visible,
}


def tolerated(code: str, operation_id: str, case: Any, response: Any, probe: StateProbe) -> str | None:
    """Why a failure with this code is not one (the documentation allows it), or None."""
    rule = RULES.get(code)
    return rule(operation_id, case, response, probe) if rule is not None else None
