"""The ``q`` filter grammar of the task list (after Coder's coderd/searchquery/search.go ``Tasks``), and of legacy's
list, which is Coder's workspace search (``Workspaces``, tests: search_test.go TestSearchWorkspace; below).

- The whole query is lowercased; tokens split on spaces outside double quotes.
- Tokens without ``:`` are bare words; they are joined by spaces into one ``owner`` value, quotes kept
  (searchquery processTokens).
- ``key:value`` tokens are filters (quotes around the value are dropped); keys: owner, organization, status.
- Errors: a token starting or ending with ``:``, more than one ``:`` outside quotes, an unknown key, a key
  given twice, an unknown owner username, an unknown organization name, a status that is no task status.

The workspace search (``parse_workspace_query``; legacy's list, and Coder's ``GET /api/v2/workspaces?q=``) reads
the same tokens, but a bare term is a workspace name, ``owner/name`` (quotes dropped: ``"owner"/"name"``) an owner
and a name, and more than one ``/`` is refused; ``owner:`` is a plain username filter (an unknown one matches
nothing); its keys are those of the release's ``Workspaces`` (id, owner, template, name, status, has-agent, dormant,
last_used_after, last_used_before, outdated, has-ai-task, has_external_agent, organization, param), each parsed and
refused with the words of coderd/httpapi/queryparams.go.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

TASK_STATUSES = ("pending", "initializing", "active", "paused", "unknown", "error")
_KEYS = ("owner", "organization", "status")
# The keys of Coder's workspace search as the last legacy release (v2.27) had them (searchquery.Workspaces).
WORKSPACE_KEYS = ("id", "owner", "template", "name", "status", "has-agent", "dormant", "last_used_after",
                  "last_used_before", "outdated", "has-ai-task", "has_external_agent", "organization", "param")
WORKSPACE_STATUSES = ("pending", "starting", "running", "stopping", "stopped", "failed", "canceling", "canceled",
                      "deleting", "deleted")
NOBODY = "00000000-0000-0000-0000-000000000000"  # the owner id no user has: an owner filter that matches nothing
_GO_BOOLS = {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}  # strconv.ParseBool
_TIME_LAYOUT = "2006-01-02T15:04:05.999999999Z07:00"  # time.RFC3339Nano
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
    workspace: WorkspaceFilter | None = None  # legacy: the workspace search's other filters


@dataclass(frozen=True)
class WorkspaceFilter:
    """What Coder's workspace search parsed (None or empty: no filter on this)."""

    ids: tuple[str, ...] = ()
    owner: str | None = None  # a username, or "me"
    template: str | None = None
    name: str | None = None  # a part of the name
    status: str | None = None  # a workspace status
    has_agent: str | None = None
    dormant: bool = False
    last_used_after: datetime | None = None
    last_used_before: datetime | None = None
    outdated: bool | None = None
    has_ai_task: bool | None = None
    has_external_agent: bool | None = None
    organization_id: str | None = None
    params: tuple[tuple[str, str | None], ...] = ()  # (name, value or None: the parameter is there)


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


def _workspace_term(token: str, values: dict[str, list[str]], key: str | None,
                    unquote: Callable[[str], str]) -> None:
    """A bare term of the workspace search: a name, or owner/name (searchquery.Workspaces)."""
    parts = [unquote(part) for part in _split_outside_quotes(token, "/")]
    if len(parts) > 2:
        raise QueryError([Validation("q", f"Query element {_quote(token)} can only contain 1 '/'")])
    if key is None:
        return
    if len(parts) == 2:
        values.setdefault("owner", []).append(parts[0])
    values.setdefault(key, []).append(parts[-1])


def query_terms(query: str, options: QueryOptions, refuses: Callable[[QueryRule], bool],
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
            bare.append(token)
            continue
        if colons > 1:
            if not refuses("multi-colon"):
                continue
            raise QueryError([Validation("q", f"Query element {_quote(token)} can only contain 1 ':'")])
        key, value = (unquote(part) for part in _split_outside_quotes(token, ":"))
        values.setdefault(key.lower() if options.lowercase else key, []).append(value)
    if bare and options.workspace_keys:
        _workspace_term(" ".join(bare), values, options.bare_words, unquote)
    elif bare and options.bare_words:
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
    which of the grammar's rules refuse (QueryRule), ``unquote`` how a term is read. A dialect with
    ``workspace_keys`` reads q as the workspace search (``parse_workspace_query``)."""
    if options.workspace_keys:
        return _as_task_filter(parse_workspace_query(query, resolve_organization=resolve_organization,
                                                     options=options, refuses=refuses, unquote=unquote),
                               resolve_owner)
    if options.lowercase:
        query = query.lower()
    values = query_terms(query, options, refuses, unquote)
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
    for key in values:
        if key not in _KEYS and refuses("unknown-key"):
            errors.append(_unknown_key(key))
    if errors:
        raise QueryError(errors)
    return TaskFilter(owner_id=owner_id, organization_id=organization_id, status=status)


def _unknown_key(key: str) -> Validation:
    """coderd/httpapi/queryparams.go ErrorExcessParams."""
    return Validation(key, f"{_quote(key)} is not a valid query param")


# -- the workspace search -----------------------------------------------------------------------------------------

def parse_workspace_query(
    query: str,
    *,
    resolve_organization: Callable[[str], str | None],
    options: QueryOptions = QueryOptions(bare_words="name", workspace_keys=True,  # noqa: B008 - frozen
                                         statuses=WORKSPACE_STATUSES),
    refuses: Callable[[QueryRule], bool] = every_rule,
    unquote: Callable[[str], str] = unquoted,
) -> WorkspaceFilter:
    """Parse ``q`` as Coder's workspace search (coderd/searchquery/search.go ``Workspaces`` of v2.27): QueryError
    with Coder's validations when it does not parse. ``resolve_organization`` maps a uuid or name to an organization
    id (None: unknown name); ``options.statuses`` are the values ``status:`` takes."""
    if options.lowercase:
        query = query.lower()
    values = query_terms(query, options, refuses, unquote)
    errors: list[Validation] = []
    status = _single(values, "status", errors) or None
    if status is not None and status not in options.statuses and refuses("status"):
        errors.append(Validation("status", f'Query param "status" has invalid value: {_quote(status)} is not a '
                                           "valid value"))
        status = None
    organization_id: str | None = None
    organization = _single(values, "organization", errors)
    if organization:
        organization_id = resolve_organization(organization)
        if organization_id is None:
            errors.append(Validation("organization", f'Query param "organization" has invalid value: organization '
                                                     f"{_quote(organization)} either does not exist, or you are "
                                                     "unauthorized to view it"))
    parsed = WorkspaceFilter(
        ids=_uuids(values, errors),
        owner=_single(values, "owner", errors) or None,
        template=_single(values, "template", errors) or None,
        name=_single(values, "name", errors) or None,
        status=status,
        has_agent=_single(values, "has-agent", errors) or None,
        dormant=bool(_boolean(values, "dormant", errors)),
        last_used_after=_time(values, "last_used_after", errors),
        last_used_before=_time(values, "last_used_before", errors),
        outdated=_boolean(values, "outdated", errors),
        has_ai_task=_boolean(values, "has-ai-task", errors),
        has_external_agent=_boolean(values, "has_external_agent", errors),
        organization_id=organization_id,
        params=_params(values, errors),
    )
    for key in values:
        if key not in WORKSPACE_KEYS and refuses("unknown-key"):
            errors.append(_unknown_key(key))
    if errors:
        raise QueryError(errors)
    return parsed


def _as_task_filter(parsed: WorkspaceFilter, resolve_owner: Callable[[str], str | None]) -> TaskFilter:
    """The task list's filter of a workspace search (legacy): the owner is a username ("me": the caller) that
    matches nothing when no such user exists (coderd/aitasks.go tasksList before the data model)."""
    owner_id = (resolve_owner(parsed.owner) or NOBODY) if parsed.owner else None
    return TaskFilter(owner_id=owner_id, organization_id=parsed.organization_id, status=parsed.status,
                      name=parsed.name, template=parsed.template, workspace=parsed)


def _boolean(values: dict[str, list[str]], key: str, errors: list[Validation]) -> bool | None:
    """QueryParamParser.Boolean / NullableBoolean: None when not given."""
    text = _single(values, key, errors)
    if not text:
        return None
    if text not in _GO_BOOLS:
        errors.append(Validation(key, f"Query param {_quote(key)} must be a valid boolean: strconv.ParseBool: "
                                      f"parsing {_quote(text)}: invalid syntax"))
        return None
    return _GO_BOOLS[text]


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def _time(values: dict[str, list[str]], key: str, errors: list[Validation]) -> datetime | None:
    """QueryParamParser.Time3339Nano: the term uppercased (q is lowercased), RFC 3339."""
    text = _single(values, key, errors)
    if not text:
        return None
    upper = text.upper()
    moment: datetime | None = None
    if _RFC3339.match(upper):
        try:
            moment = datetime.fromisoformat(upper)
        except ValueError:
            moment = None
    if moment is None:
        errors.append(Validation(key, f"Query param {_quote(key)} must be a valid date format ({_TIME_LAYOUT}): "
                                      f"parsing time {_quote(upper)} as {_quote(_TIME_LAYOUT)}: cannot parse "
                                      f"{_quote(upper)} as \"2006\""))
        return None
    return moment.astimezone(UTC)


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _uuids(values: dict[str, list[str]], errors: list[Validation]) -> tuple[str, ...]:
    """QueryParamParser.UUIDs: comma-separated, every one a uuid."""
    terms = [term.strip() for value in values.get("id", []) if value for term in value.split(",")]
    bad = [term for term in terms if not _UUID.match(term)]
    if bad:
        errors.append(Validation("id", 'Query param "id" has invalid values: ' + "\n".join(
            f"invalid UUID length: {len(term)}" for term in bad)))
        return ()
    return tuple(terms)


def _params(values: dict[str, list[str]], errors: list[Validation]) -> tuple[tuple[str, str | None], ...]:
    """``param:<name>[=<value>]``, comma-separated (searchquery.Workspaces)."""
    out: list[tuple[str, str | None]] = []
    problems: list[str] = []
    for term in (t.strip() for value in values.get("param", []) if value for t in value.split(",")):
        parts = term.split("=")
        if len(parts) == 1:
            out.append((parts[0], None))
        elif len(parts) == 2 and parts[1]:
            out.append((parts[0], parts[1]))
        elif len(parts) == 2:
            problems.append(f"query element {_quote(term)} has an empty value. omit the '=' to match just on the "
                            "parameter name")
        else:
            problems.append(f"query element {_quote(term)} can only contain 1 '='")
    if problems:
        errors.append(Validation("param", 'Query param "param" has invalid values: ' + "\n".join(problems)))
        return ()
    return tuple(out)
