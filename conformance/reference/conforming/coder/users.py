"""GET /api/v2/users/{user} and GET /api/v2/users?q=: Coder's users (codersdk/users.go ``User``, ``ReducedUser``,
``MinimalUser``, ``GetUsersResponse``; coderd/users.go; coderd/searchquery/search.go ``Users``).

A user is a ``codersdk.User``: the same fields in every release the suite knows (v2.27 to v2.36). ``roles`` holds
the site-wide roles only (coderd/database/db2sdk ``SlimRolesFromNames``): an ordinary member's list is empty, the
implied member role is not in it. The search reads q as Coder's user search: the query lowercased, bare words are
the ``search`` key (a part of the username or email), ``key:value`` terms filter, an unknown key is 400 "Invalid user
search query." (there is no ``username:`` or ``email:`` key: bare words search both).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..answers import Answer
from ..identities import User
from ..query import Validation
from ..responses import ApiError
from .common import ESTABLISHED, Call, minimal_user, not_found
from .search import search_terms

INVALID_QUERY = "Invalid user search query."
USER_STATUSES = ("active", "dormant", "suspended")
LOGIN_TYPES = ("password", "github", "oidc", "token", "none")
_TIME_KEYS = ("last_seen_before", "last_seen_after", "created_before", "created_after")
_KEYS = ("search", "name", "status", "role", "login_type", "github_com_user_id", *_TIME_KEYS)


def email(user: User) -> str:
    return f"{user.username}@coder.example"


def body(call: Call, user: User) -> dict[str, Any]:
    """codersdk.User of one of the cast: every one is an active password user of the one organization."""
    roles = [{"name": "owner", "display_name": "Owner"}] if user.is_owner else []
    return {**minimal_user(user), "name": user.username.capitalize(), "email": email(user),
            "created_at": call.time(ESTABLISHED), "updated_at": call.time(ESTABLISHED),
            "last_seen_at": call.time(call.core.tasks.now()), "status": "active", "login_type": "password",
            "theme_preference": "", "organization_ids": [call.core.identities.org.id], "roles": roles}


def get(call: Call) -> Answer:
    """GET /api/v2/users/{user}: "me", a username or a uuid (coderd/httpmw/userparam.go); unknown: 404."""
    user = call.core.identities.resolve_user(call.params[0], call.caller)
    if user is None:
        raise not_found()
    return Answer(200, body(call, user))


def search(call: Call) -> Answer:
    """GET /api/v2/users: ``{"users": [...], "count": N}``, the users q selects, oldest first."""
    checks = _checks(call.query_value("q"), call.core.tasks.now())
    users = [user for user in call.core.identities.users.values() if all(check(user) for check in checks)]
    return Answer(200, {"users": [body(call, user) for user in users], "count": len(users)})


def _checks(q: str, now: float) -> list[Callable[[User], bool]]:
    values, errors = search_terms(q, bare_words="search", keys=_KEYS, message=INVALID_QUERY)
    checks: list[Callable[[User], bool]] = []
    for key, value in values.items():
        check = _check(key, value, errors, now)
        if check is not None:
            checks.append(check)
    if errors:
        raise ApiError(400, INVALID_QUERY, validations=errors)
    return checks


def _check(key: str, value: str, errors: list[Validation], now: float) -> Callable[[User], bool] | None:
    """The filter of one term (coderd/database/queries/users.sql GetUsers), None when the value is refused."""
    if key == "search":
        return lambda user: value in user.username or value in email(user)
    if key == "name":
        return lambda user: value in user.username.capitalize().lower()
    if key in ("status", "login_type"):
        allowed, held = (USER_STATUSES, "active") if key == "status" else (LOGIN_TYPES, "password")
        wanted = value.split(",")
        bad = next((item for item in wanted if item not in allowed), None)
        if bad is not None:
            errors.append(Validation(key, f'Query param "{key}" has invalid value: "{bad}" is not a valid value'))
            return None
        return lambda user: held in wanted
    if key == "role":  # the member role is everyone's: asking for it filters nothing
        roles = value.split(",")
        return lambda user: "member" in roles or (user.is_owner and "owner" in roles)
    if key == "github_com_user_id":
        if not value.isdigit():
            errors.append(Validation(key, f'Query param "{key}" must be a valid integer: invalid syntax'))
        return lambda user: False  # none of the cast logs in with GitHub
    return _time_check(key, value, errors, now)


def _time_check(key: str, value: str, errors: list[Validation], now: float) -> Callable[[User], bool] | None:
    try:
        moment = datetime.fromisoformat(value.upper()).timestamp()
    except ValueError:
        errors.append(Validation(key, f'Query param "{key}" must be a valid date format (2006-01-02T15:04:05.999999999'
                                      'Z07:00): parsing time'))
        return None
    # every user of the cast was created at ESTABLISHED and is last seen now
    at = ESTABLISHED if key.startswith("created") else now
    return lambda user: at < moment if key.endswith("_before") else at > moment
