"""Request-body decoding: a JSON object with typed fields, or a 400 saying what is wrong (as Go does)."""

from __future__ import annotations

import json
from typing import Any

from .identities import parse_uuid
from .responses import INVALID_JSON_MESSAGE, ApiError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON literal {name}")


def _clean(text: str) -> str:
    """Replace lone surrogates (valid in JSON escapes, invalid in UTF-8) by U+FFFD, as Go's decoder does."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def parse_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; anything else is 400 "Request body must be valid JSON."."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        detail = (
            "the body is not valid JSON"
            if not raw.strip()
            else f"the body is not valid JSON ({exc.__class__.__name__})"
        )
        raise ApiError(400, INVALID_JSON_MESSAGE, detail=detail) from None
    if not isinstance(value, dict):
        raise ApiError(400, INVALID_JSON_MESSAGE, detail=f"expected a JSON object, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def string_field(body: dict[str, Any], key: str) -> str:
    """An optional string field; absent or null is ''."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(
            400, INVALID_JSON_MESSAGE, detail=f'field "{key}" must be a string, got {_kind(value)}'
        )
    return _clean(value)


def uuid_field(body: dict[str, Any], key: str) -> str | None:
    """An optional uuid field; absent or null is None, anything but a uuid string is 400."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(
            400, INVALID_JSON_MESSAGE, detail=f'field "{key}" must be a uuid string, got {_kind(value)}'
        )
    parsed = parse_uuid(value)
    if parsed is None:
        raise ApiError(400, INVALID_JSON_MESSAGE, detail=f'field "{key}" is not a valid uuid')
    return parsed
