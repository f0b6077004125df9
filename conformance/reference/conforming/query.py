"""The ``q`` filter grammar of the task list (after Coder's coderd/searchquery/search.go ``Tasks``).

- The whole query is lowercased; tokens split on spaces outside double quotes.
- Tokens without ``:`` are bare words; they are joined by spaces into one ``owner`` value.
- ``key:value`` tokens are filters (quotes around the value are dropped); keys: owner, organization, status.
- Errors: a token starting or ending with ``:``, more than one ``:`` outside quotes, an unknown key, a key
  given twice, an unknown owner username, an unknown organization name, a status that is no task status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

TASK_STATUSES = ("pending", "initializing", "active", "paused", "unknown", "error")
_KEYS = ("owner", "organization", "status")
_WORKSPACE_KEYS = (*_KEYS, "name", "template")  # legacy lists with Coder's workspace search (a part of its keys)
# The grammar's refusals: a token starting or ending with ':', a token with more than one ':', an unknown key, a
# status value that is no status of the release.
QueryRule = Literal["colon-edge", "multi-colon", "unknown-key", "status"]


@dataclass(frozen=True)
class Validation:
    field: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "detail": self.detail}


class QueryError(Exception):
    """The query is malformed; ``validations`` says why."""

    def __init__(self, validations: list[Validation]) -> None:
        super().__init__("; ".join(v.detail for v in validations))
        self.validations = validations


@dataclass(frozen=True)
class TaskFilter:
    """The parsed filters; None means "no filter on this"."""

    owner_id: str | None = None
    organization_id: str | None = None
    status: str | None = None
    name: str | None = None  # legacy (the workspace search grammar): bare words match the name
    template: str | None = None  # legacy: the template's name


@dataclass(frozen=True)
class QueryOptions:
    """The dialect of the grammar a release reads q in (decisions.py ``query_options``)."""

    lowercase: bool = True
    bare_words: str | None = "owner"  # the key bare words mean ("owner"; legacy: "name"); None: ignored
    workspace_keys: bool = False  # legacy: the keys of the workspace search
    statuses: tuple[str, ...] = TASK_STATUSES  # the values `status:` accepts


def every_rule(rule: QueryRule) -> bool:
    """Coder's grammar refuses what each of its rules names."""
    return True


def unquoted(text: str) -> str:
    """A term of q as read: without the double quotes around it."""
    return text.strip('"')


def _split_outside_quotes(text: str, delimiter: str) -> list[str]:
    """Split on ``delimiter`` outside double quotes, dropping empty parts (Go's strings.FieldsFunc)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == delimiter and not quoted:
            if current:
                parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        parts.append("".join(current))
    return parts


def _count_outside_quotes(text: str, char: str) -> int:
    count = 0
    quoted = False
    for c in text:
        if c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            count += 1
    return count


def _quote(text: str) -> str:
    """Go's %q for the plain text we deal with."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _terms(query: str, options: QueryOptions, refuses: Callable[[QueryRule], bool],
           unquote: Callable[[str], str]) -> dict[str, list[str]]:
    tokens = _split_outside_quotes(query, " ")
    values: dict[str, list[str]] = {}
    bare: list[str] = []
    for token in tokens:
        if token.startswith(":") or token.endswith(":"):
            if not refuses("colon-edge"):
                continue
            raise QueryError([Validation("q", f"Query element {_quote(token)} cannot start or end with ':'")])
        colons = _count_outside_quotes(token, ":")
        if colons == 0:
            bare.append(unquote(token))
            continue
        if colons > 1:
            if not refuses("multi-colon"):
                continue
            raise QueryError([Validation("q", f"Query element {_quote(token)} can only contain 1 ':'")])
        key, value = (unquote(part) for part in _split_outside_quotes(token, ":"))
        values.setdefault(key.lower() if options.lowercase else key, []).append(value)
    if bare and options.bare_words:
        values.setdefault(options.bare_words, []).append(" ".join(bare))
    return values


def _single(values: dict[str, list[str]], key: str, errors: list[Validation]) -> str | None:
    found = values.get(key)
    if not found:
        return None
    if len(found) > 1:
        errors.append(
            Validation(
                key,
                f'Query param "{key}" provided more than once, found {len(found)} times. '
                "Only provide 1 instance of this query param.",
            )
        )
        return None
    return found[0]


def parse_task_query(
    query: str,
    *,
    resolve_owner: Callable[[str], str | None],
    resolve_organization: Callable[[str], str | None],
    options: QueryOptions = QueryOptions(),  # noqa: B008 - frozen dataclass, safe as a default
    refuses: Callable[[QueryRule], bool] = every_rule,
    unquote: Callable[[str], str] = unquoted,
) -> TaskFilter:
    """Parse ``q``. ``resolve_owner`` maps me/uuid/username to a user id (None: unknown username);
    ``resolve_organization`` maps a uuid or name to an organization id (None: unknown name); ``refuses`` says
    which of the grammar's rules refuse (QueryRule), ``unquote`` how a term is read."""
    if options.lowercase:
        query = query.lower()
    values = _terms(query, options, refuses, unquote)
    errors: list[Validation] = []

    owner_id: str | None = None
    owner = _single(values, "owner", errors)
    if owner:
        owner_id = resolve_owner(owner)
        if owner_id is None:
            errors.append(
                Validation(
                    "owner",
                    f'Query param "owner" has invalid value: user "{owner}" either does not exist, '
                    "or you are unauthorized to view them",
                )
            )

    organization_id: str | None = None
    organization = _single(values, "organization", errors)
    if organization:
        organization_id = resolve_organization(organization)
        if organization_id is None:
            errors.append(
                Validation(
                    "organization",
                    f'Query param "organization" has invalid value: organization "{organization}" either '
                    "does not exist, or you are unauthorized to view it",
                )
            )

    status = _single(values, "status", errors) or None
    if status is not None and status not in options.statuses and refuses("status"):
        errors.append(
            Validation(
                "status",
                f'Query param "status" has invalid value: "{status}" is not a valid task status '
                f"(one of {', '.join(options.statuses)})",
            )
        )
    known = _WORKSPACE_KEYS if options.workspace_keys else _KEYS
    name = _single(values, "name", errors) if "name" in values and "name" in known else None
    template = _single(values, "template", errors) if "template" in values and "template" in known else None
    for key in values:
        if key not in known and refuses("unknown-key"):
            errors.append(Validation(key, f'Query param "{key}" is not a valid query param'))
    if errors:
        raise QueryError(errors)
    return TaskFilter(owner_id=owner_id, organization_id=organization_id, status=status, name=name,
                      template=template)
