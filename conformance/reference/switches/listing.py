"""Switches of the list: how q is read and what its filters match, who is listed, in which order, and the list's
body."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..conforming.answers import Answer
from ..conforming.decisions import Decisions
from ..conforming.identities import User, parse_uuid
from ..conforming.query import QueryOptions, QueryRule, Validation
from ..conforming.responses import ApiError
from ..conforming.store import TaskView
from .kinds import LEGACY_ONLY, NOT_LEGACY, Switch, fault, variation

NOBODY = "ffffffff-ffff-4fff-bfff-ffffffffffff"  # an owner/organization id no task has (the *-matches-nothing faults)


def _options(**values: Any) -> Any:
    """Read q in another dialect."""
    return lambda below: replace(below.query_options(), **values)


def _accepted(accepted_rule: QueryRule) -> Any:
    """The q grammar does not refuse what this rule names."""
    return lambda below, rule: rule != accepted_rule and below.query_refuses(rule)


def _ignored(**values: None) -> Any:
    """A filter of q that matches every task."""
    return lambda below, task, task_filter: below.filter_checks(task, replace(task_filter, **values))


def _empty_query_400(below: Decisions, params: list[tuple[str, str]]) -> str:
    q = below.query(params)
    if any(key == "q" for key, _ in params) and not q.strip():
        raise ApiError(400, "Invalid task search query.", validations=[Validation("q", "q must not be empty")])
    return q


def _double_space_500(below: Decisions, params: list[tuple[str, str]]) -> str:
    q = below.query(params)
    if "  " in q.strip():
        raise ApiError(500, "Internal error fetching tasks.", detail="empty search term")
    return q


def _empty_search_404(answer: Answer) -> Answer:
    q = answer.request.query_params.get("q", "") if answer.request is not None else ""
    if answer.kind == "json" and not answer.tasks and q.strip():
        raise ApiError(404, "No tasks match the query.")
    return answer


def _unknown_is_nobody(found: str | None) -> str:
    return NOBODY if found is None else found


def _uuid_as_username(below: Decisions, value: str, caller: User, options: QueryOptions) -> str | None:
    found = below.owner_id(value, caller, options)
    if parse_uuid(value) is None:
        return found
    user = below.identities.user_by_name(value)
    return user.id if user is not None else None


def _username_with_rights(below: Decisions, value: str, caller: User, options: QueryOptions) -> str | None:
    """searchquery resolves usernames with the caller's rights: a member cannot name another user."""
    found = below.owner_id(value, caller, options)
    if found is None or value == "me" or parse_uuid(value) is not None:
        return found
    return found if found == caller.id or caller.is_owner else None


def _list_body(change: Any) -> Any:
    """Rewrite the body of a list answer (not of its errors)."""
    return lambda answer: replace(answer, body=change(answer.body)) if answer.kind == "json" else answer


def _without_validations(answer: Answer) -> Answer:
    if answer.kind == "error" and answer.status == 400 and answer.error is not None:
        return Answer.of_error(ApiError(400, answer.error.message))
    return answer


def _oldest_first(below: Decisions, tasks: list[TaskView]) -> list[TaskView]:
    return list(reversed(below.order(tasks)))


SWITCHES: tuple[Switch, ...] = (
    fault("empty-search-404", "a q that matches no task answers 404 instead of an empty list",
          breaks=("LIST-EMPTY-ARRAY",), area="status codes", answers={"listTasks": _empty_search_404}),
    fault("empty-list-null", "a list that matches nothing has \"tasks\": null instead of []",
          breaks=("LIST-EMPTY-ARRAY",), area="body schemas",
          answers={"listTasks": _list_body(lambda body: {**body, "tasks": None} if not body["tasks"] else body)}),
    fault("query-error-without-validations", "the 400 for a bad q has no validations list",
          breaks=("FILTER-ERROR-BODY",), area="error bodies", answers={"listTasks": _without_validations}),
    fault("status-filter-ignored", "list ignores the status: filter of q", breaks=("FILTER-STATUS", "FILTER-AND"),
          area="filtering", decisions={Decisions.filter_checks: _ignored(status=None)}),
    fault("bare-word-owner-ignored", "list ignores bare words in q instead of treating them as owner",
          breaks=("FILTER-BARE-WORD",), area="filtering",
          decisions={Decisions.query_options: _options(bare_words=None)}),
    fault("query-case-sensitive", "list does not lowercase q, so OWNER:Alice or status:ACTIVE fail",
          breaks=("FILTER-CASE",), area="filtering", decisions={Decisions.query_options: _options(lowercase=False)}),
    fault("owner-filter-ignored", "list ignores the owner: filter of q",
          breaks=("FILTER-OWNER-ME", "FILTER-OWNER-USERNAME", "FILTER-OWNER-UUID", "FILTER-AND", "FILTER-QUOTED"),
          area="filtering", decisions={Decisions.filter_checks: _ignored(owner_id=None)}),
    fault("owner-uuid-unsupported", "owner:<uuid> is looked up as a username (400)", breaks=("FILTER-OWNER-UUID",),
          area="filtering", profiles=NOT_LEGACY, decisions={Decisions.owner_id: _uuid_as_username}),
    fault("organization-filter-ignored", "list ignores the organization: filter of q",
          breaks=("FILTER-ORGANIZATION-ID",), area="filtering",
          decisions={Decisions.filter_checks: _ignored(organization_id=None)}),
    fault("organization-name-unsupported", "organization:<name> is refused; only uuids are understood",
          breaks=("FILTER-ORGANIZATION-NAME",), area="filtering",
          decisions={Decisions.organization_id: lambda below, value: below.organization_id(value)
                     if parse_uuid(value) is not None else None}),
    fault("quotes-kept", "double quotes are not stripped from filter values, so owner:\"alice\" is refused",
          breaks=("FILTER-QUOTED",), area="filtering",
          decisions={Decisions.query_term: lambda below, text: text}),
    fault("filters-or-combined", "several filters combine with OR instead of AND", breaks=("FILTER-AND",),
          area="filtering", decisions={Decisions.matches: lambda below, checks: any(checks)}),
    fault("empty-query-400", "an empty q is refused with 400 instead of meaning no filter",
          breaks=("FILTER-EMPTY-QUERY",), area="filtering", decisions={Decisions.query: _empty_query_400}),
    fault("unknown-filter-key-ignored", "an unknown filter key is ignored instead of 400",
          breaks=("FILTER-UNKNOWN-KEY-400",), area="filtering",
          decisions={Decisions.query_refuses: _accepted("unknown-key")}),
    fault("colon-edge-accepted", "a token starting or ending with ':' is ignored instead of 400",
          breaks=("FILTER-COLON-EDGE-400",), area="filtering",
          decisions={Decisions.query_refuses: _accepted("colon-edge")}),
    fault("multi-colon-accepted", "a token with more than one ':' is ignored instead of 400",
          breaks=("FILTER-MULTI-COLON-400",), area="filtering",
          decisions={Decisions.query_refuses: _accepted("multi-colon")}),
    fault("unknown-owner-matches-nothing", "an unknown owner username matches nothing (200) instead of 400",
          breaks=("FILTER-UNKNOWN-OWNER-400",), area="filtering", profiles=NOT_LEGACY,
          decisions={Decisions.owner_id: lambda below, value, caller, options: _unknown_is_nobody(
              below.owner_id(value, caller, options))}),
    fault("unknown-org-matches-nothing", "an unknown organization name matches nothing (200) instead of 400",
          breaks=("FILTER-UNKNOWN-ORG-400",), area="filtering",
          decisions={Decisions.organization_id: lambda below, value: _unknown_is_nobody(
              below.organization_id(value))}),
    fault("list-count-off-by-one", "list reports count = len(tasks) + 1", breaks=("LIST-COUNT",), area="list",
          answers={"listTasks": _list_body(lambda body: {**body, "count": body["count"] + 1})}),
    fault("list-oldest-first", "list returns tasks oldest first instead of newest first", breaks=("LIST-ORDER",),
          area="list", profiles=NOT_LEGACY, decisions={Decisions.order: _oldest_first}),
    fault("bad-status-500", "an unknown status value in q answers 500 (as Coder does) instead of 400",
          breaks=("FILTER-BAD-STATUS-400",), area="robustness",
          decisions={Decisions.query_refuses: _accepted("status")}),
    fault("legacy-filters-task-statuses", "status: filters take the data model's statuses (status:running is 400)",
          breaks=("FILTER-STATUS",), area="generations", profiles=LEGACY_ONLY,
          decisions={Decisions.query_options: _options(statuses=("pending", "initializing", "active", "paused",
                                                                  "unknown", "error"))}),
    fault("legacy-bare-word-owner", "a bare word filters by owner instead of by task name",
          breaks=("FILTER-BARE-WORD",), area="generations", profiles=LEGACY_ONLY,
          decisions={Decisions.query_options: _options(bare_words="owner")}),
    fault("query-double-space-500", "list answers 500 when q separates its terms by more than one space",
          breaks=("FUZZ-NO-SERVER-ERROR",), area="found by fuzzing", decisions={Decisions.query: _double_space_500}),
    variation("coder-bad-status-500", "a q with a status value that is no task status answers 500, as Coder does",
              warns=("FILTER-BAD-STATUS-400",), profiles=NOT_LEGACY,
              source="docs: Coder lets a bad status reach the database (500); the 400 is a SHOULD",
              decisions={Decisions.query_refuses: _accepted("status")}),
    variation("member-username-lookup-refused",
              "a member filtering by another user's username gets 400 (the search query is invalid)",
              source="coder: searchquery resolves usernames with the caller's rights ('or you are unauthorized')",
              decisions={Decisions.owner_id: _username_with_rights}),
)
