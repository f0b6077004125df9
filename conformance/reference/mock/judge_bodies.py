"""Request bodies and list queries the served release's contract refuses (or ignores).

A body is judged by the request schema of its operation in the generation's OpenAPI document
(contracts/contract.py): not a JSON object, a missing required field, a wrong type, a name the naming rule refuses,
an empty send; a field the schema does not have is one Coder ignores (its request types ignore unknown fields); a
`display_name` over Coder's limit where the release has the limit (contracts/gotext.py). What the document says
only from a later release within the generation is held to only from that release: a blank input update is refused
from v2.31 (profiles.py `input-update-blank-400`).

A list's `q` is judged by what the conforming server answered: Coder's search grammar is the reference's
(conforming/query.py), and a 400 to a list is its refusal of the query.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from conformance.contracts.contract import Contract, contract_for
from conformance.contracts.gotext import DISPLAY_NAME_LIMIT, display_name_too_long

from ..conforming.generation import Generation
from .finding import Finding
from .judge_routes import Placed, arrival, feature_words


def _words(text: str) -> str:
    return " ".join(str(text).split())


def request_schema(contract: Contract, operation_id: str) -> str | None:
    """The component schema of an operation's JSON request body, or None when it takes none."""
    operation = contract.operations.get(operation_id)
    if operation is None:
        return None
    item = contract.document["paths"][operation.path][operation.method.lower()]
    schema = item.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = str(schema.get("$ref", ""))
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def body_findings(placed: Placed, generation: Generation) -> list[Finding]:
    """What the release's contract says of the request's body (none for an operation without one)."""
    record = placed.record
    contract = contract_for(generation.profile.name)
    schema_name = request_schema(contract, placed.operation)
    if schema_name is None or record.body_truncated:
        return []
    schema = contract.schemas[schema_name]
    where = f"{placed.operation} {schema_name} ({generation.profile.openapi})"

    def found(message: str, contract_words: str) -> Finding:
        return Finding("body", message, contract_words, record.seq, record.method, record.path)

    try:
        body: Any = json.loads(record.body)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        return [found("the body is not a JSON object: Coder answers 400 \"Request body must be valid JSON.\"",
                      f"{where}: {_words(schema.get('description', 'a JSON object'))}")]
    properties = schema.get("properties", {})
    out = [found(f"{error}: the contract does not allow it", f"{where}: {_words(_described(schema, error))}")
           for error in _schema_errors(contract, schema_name, body, placed.operation, generation)]
    out += [found(f"field {key!r} is not one of {schema_name}'s in Coder {generation.describe()}: the server ignores "
                  "it", f"{where}: {_words(schema.get('description', ''))}")
            for key in body if key not in properties]
    display_name = body.get("display_name")
    if (placed.operation == "createTask" and isinstance(display_name, str) and generation.has("display-name-limit")
            and display_name_too_long(display_name)):
        out.append(found(f"display_name is over {DISPLAY_NAME_LIMIT} bytes (UTF-8, space trimmed): Coder answers 400 "
                         "\"Display name must be 64 characters or less.\"",
                         feature_words(arrival(generation.profile, "display-name-limit"))))
    return out


def _described(schema: dict[str, Any], error: str) -> str:
    """The words of the field a violation is about (``at /name: ...``, or a required one named in quotes), else of
    the whole schema."""
    field = re.match(r"at /([^/:]+)", error) or re.match(r'at /: "([^"]+)" is a required property', error)
    described = schema.get("properties", {}).get(field.group(1), {}) if field else {}
    if "description" not in described:
        return str(schema.get("description", ""))
    return f"{field.group(1) if field else ''}: {described['description']}"


def _schema_errors(contract: Contract, schema_name: str, body: dict[str, Any], operation: str,
                   generation: Generation) -> list[str]:
    """The schema's violations, less those the document holds only from a later release than the served one."""
    if operation == "updateTaskInput" and not generation.has("input-update-blank-400"):
        value = body.get("input")
        if isinstance(value, str) and value:  # blank but not empty: accepted before v2.31
            body = {**body, "input": "x"}
    return contract.errors(schema_name, body)


def query_finding(placed: Placed, generation: Generation) -> Finding | None:
    """A list whose q the server refused (400)."""
    record = placed.record
    if placed.operation != "listTasks" or record.status != 400:
        return None
    query = [value for key, value in parse_qsl(record.query, keep_blank_values=True) if key == "q"]
    if not query:
        return None
    contract = contract_for(generation.profile.name)
    described = contract.document.get("components", {}).get("parameters", {}).get("TaskQuery", {})
    return Finding("query", f"q={query[-1]!r} is refused: Coder {generation.describe()} answers 400 "
                            f"\"{generation.profile.invalid_query}\"",
                   f"q ({generation.profile.openapi}): {_words(described.get('description', ''))}",
                   record.seq, record.method, record.path)
