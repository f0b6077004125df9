"""GET /api/v2/organizations and /api/v2/organizations/{organization}: Coder's organizations (codersdk/organizations.go
``Organization``, ``MinimalOrganization``; coderd/organizations.go; coderd/httpmw/organizationparam.go accepts a name,
case-insensitively, or a uuid; unknown: 404).

The reference has one organization, the default one, and every user of the cast is a member of it, so the list is
that organization for every caller.
"""

from __future__ import annotations

from typing import Any

from ..answers import Answer
from ..identities import Organization, parse_uuid
from .common import ESTABLISHED, Call, not_found


def body(call: Call, org: Organization) -> dict[str, Any]:
    """codersdk.Organization."""
    return {"id": org.id, "name": org.name, "display_name": org.name.capitalize(), "icon": "", "description": "",
            "created_at": call.time(ESTABLISHED), "updated_at": call.time(ESTABLISHED), "is_default": True}


def find(call: Call, ref: str) -> Organization:
    """The organization an {organization} segment names (a uuid or a name): 404 when none."""
    ids = call.core.identities
    org = ids.org if parse_uuid(ref) == ids.org.id else ids.organization_by_name(ref)
    if org is None:
        raise not_found()
    return org


def listed(call: Call) -> Answer:
    """GET /api/v2/organizations: the organizations the caller may read (a JSON array)."""
    return Answer(200, [body(call, call.core.identities.org)])


def get(call: Call) -> Answer:
    return Answer(200, body(call, find(call, call.params[0])))


def of_user(call: Call) -> Answer:
    """GET /api/v2/users/{user}/organizations: the organizations the user is a member of (coderd/organizations.go
    ``organizationsByUser``); every user of the cast is a member of the one organization. An unknown user: 404."""
    if call.core.identities.resolve_user(call.params[0], call.caller) is None:
        raise not_found()
    return Answer(200, [body(call, call.core.identities.org)])
