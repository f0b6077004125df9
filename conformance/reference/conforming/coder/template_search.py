"""The template search of GET /api/v2/templates?q= (coderd/searchquery/search.go ``Templates``, coderd/templates.go
``fetchTemplates``: 400 "Invalid template search query." with the validations).

Keys: ``name`` (bare words: a part of the name), ``exact_name``, ``organization`` (a uuid or a name), ``ids``
(comma-separated uuids), ``deleted``, ``deprecated``, ``has-ai-task``, ``has_external_agent`` (booleans),
``author`` (a username or "me") and ``author_id``. Every template of the cast was made by the owner, is neither
deleted nor deprecated, and has no external agent.
"""

from __future__ import annotations

from collections.abc import Callable

from ..identities import Template, parse_uuid
from ..query import Validation
from ..responses import ApiError
from .common import Call
from .search import parse_bool, search_terms

INVALID_QUERY = "Invalid template search query."
_KEYS = ("deleted", "organization", "exact_name", "name", "ids", "deprecated", "has-ai-task", "author_id", "author",
         "has_external_agent")
Check = Callable[[Template], bool]


def template_filter(call: Call) -> Check:
    """Whether a template is among those ``q`` selects; 400 for a q Coder refuses."""
    values, errors = search_terms(call.query_value("q"), bare_words="name", keys=_KEYS, message=INVALID_QUERY)
    checks = [check for key, value in values.items() if (check := _check(call, key, value, errors)) is not None]
    if errors:
        raise ApiError(400, INVALID_QUERY, validations=errors)
    return lambda template: all(check(template) for check in checks)


def _check(call: Call, key: str, value: str, errors: list[Validation]) -> Check | None:
    ids = call.core.identities
    if key == "name":
        return lambda t: value in t.name
    if key == "exact_name":
        return lambda t: t.name == value
    if key in ("deleted", "deprecated", "has-ai-task", "has_external_agent"):
        wanted = parse_bool(key, value, errors)
        if wanted is None:
            return None
        return lambda t: wanted == (t.version.has_ai_task if key == "has-ai-task" else False)
    if key == "organization":
        org = ids.org if parse_uuid(value) == ids.org.id else ids.organization_by_name(value)
        if org is None and parse_uuid(value) is None:
            errors.append(Validation(key, f'Query param "{key}" has invalid value: organization "{value}" either '
                                          "does not exist, or you are unauthorized to view it"))
            return None
        return lambda t: org is not None and t.organization_id == org.id
    if key in ("ids", "author_id"):  # httpapi UUIDs / UUID
        parsed = [parse_uuid(part) for part in value.split(",")] if key == "ids" else [parse_uuid(value)]
        if None in parsed:
            errors.append(Validation(key, f'Query param "{key}" must be a valid uuid'))
            return None
        return lambda t: (t.id if key == "ids" else ids.admin.id) in parsed  # the owner made every template
    # author: a username, or "me" (the caller)
    author = call.caller if value == "me" else ids.user_by_name(value)
    return lambda t: author is not None and author.id == ids.admin.id
