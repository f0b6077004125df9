"""POST /api/v2/users/{user}/workspaces and POST /api/v2/organizations/{organization}/members/{user}/workspaces:
create a workspace (codersdk/workspaces.go ``CreateWorkspaceRequest``; coderd/workspaces.go ``postUserWorkspaces``,
``postWorkspacesByOrganization``, ``createWorkspace``, ``requestTemplate``). Every release the suite knows (v2.27 to
v2.36) has both routes: the user route arrived in v2.14 (coder/coder PR #14048, July 2024, which deprecated the
organization route without removing it).

The request names its template by ``template_id`` or ``template_version_id`` (400 "Template version ... doesn't
exist." / "Template ... doesn't exist." otherwise), a valid ``name`` (400 "Validation failed."), unique among the
owner's workspaces (409 "Workspace ... already exists."); a member may create only their own (403 "Unauthorized to
create workspace."). The answer is the codersdk.Workspace, 201, its first build pending.

Whether the workspace is a task: in v2.27 (legacy) a task *is* a workspace of an AI template, its prompt the "AI
Prompt" rich parameter (coderd/aitasks.go of v2.27 lists such workspaces as tasks), so the task store makes it; from
v2.28 a task is a row of its own that only the Tasks API inserts, so a workspace created here is not a task
(created.py).
"""

from __future__ import annotations

from typing import Any

from ..answers import Answer
from ..bodies import parse_object, string_field, uuid_field
from ..identities import AI_PROMPT_PARAMETER, Template, User
from ..names import name_problem
from ..query import Validation
from ..responses import ApiError
from .common import Call, not_found
from .created import Created, add_created, live_created
from .organizations import find as find_organization
from .workspaces import body as workspace_body

_NIL_UUID = "00000000-0000-0000-0000-000000000000"


def for_user(call: Call) -> Answer:
    """POST /api/v2/users/{user}/workspaces."""
    return _create(call, _owner(call, call.params[0]), organization_id=None)


def for_member(call: Call) -> Answer:
    """POST /api/v2/organizations/{organization}/members/{user}/workspaces: the template must be the
    organization's."""
    org = find_organization(call, call.params[0])
    return _create(call, _owner(call, call.params[1]), organization_id=org.id)


def _owner(call: Call, ref: str) -> User:
    owner = call.core.identities.resolve_user(ref, call.caller)
    if owner is None:
        raise not_found()
    return owner


def _create(call: Call, owner: User, *, organization_id: str | None) -> Answer:
    request = parse_object(call.raw)
    name = string_field(request, "name")
    problem = name_problem(name)
    if problem is not None:
        tag = "required" if not name else "workspace_name"
        raise ApiError(400, "Validation failed.",
                       validations=[Validation("name", f'Validation failed for tag "{tag}" with value: "{name}"')])
    template = _template(call, request)
    if organization_id is not None and template.organization_id != organization_id:
        raise not_found()
    if not (call.caller.is_owner or owner.id == call.caller.id):
        raise ApiError(403, "Unauthorized to create workspace.",
                       detail="You are unable to create a workspace in this organization. It is possible to have "
                              "access to the template, but not be able to create a workspace. Please contact an "
                              "administrator about your permissions if you feel this is an error.")
    if _name_taken(call, owner, name):
        raise ApiError(409, f'Workspace "{name}" already exists.',
                       validations=[Validation("name", "This value is already in use and should be unique.")])
    if call.core.generation.legacy and template.version.has_ai_task:
        workspace = call.core.tasks.create(
            owner=owner, organization_id=template.organization_id, template=template, name=name,
            prompt=_prompt(request), preset_id=uuid_field(request, "template_version_preset_id"))
    else:
        workspace = add_created(call.core, Created(
            id=call.core.identities.randomness.uuid(), organization_id=template.organization_id, owner=owner,
            template=template, name=name, created_at=call.core.tasks.now()))
    return Answer(201, workspace_body(call, workspace))


def _template(call: Call, request: dict[str, Any]) -> Template:
    """The template the request names (requestTemplate): by template_id, else by template_version_id."""
    ids = call.core.identities
    template_id = uuid_field(request, "template_id")
    if template_id is None:
        version_id = uuid_field(request, "template_version_id") or _NIL_UUID
        found = ids.template_version(version_id)
        if found is None:
            raise ApiError(400, f'Template version "{version_id}" doesn\'t exist.',
                           validations=[Validation("template_version_id", "template not found")])
        return found
    template = next((t for t in ids.templates.values() if t.id == template_id), None)
    if template is None:
        raise ApiError(400, f'Template "{template_id}" doesn\'t exist.',
                       validations=[Validation("template_id", "template not found")])
    return template


def _prompt(request: dict[str, Any]) -> str:
    """The value of the "AI Prompt" rich parameter ('' when absent)."""
    values = request.get("rich_parameter_values")
    for value in values if isinstance(values, list) else ():
        if isinstance(value, dict) and value.get("name") == AI_PROMPT_PARAMETER:
            return string_field(value, "value")
    return ""


def _name_taken(call: Call, owner: User, name: str) -> bool:
    workspaces = [*call.core.tasks.all(), *live_created(call.core)]
    return any(w.owner.id == owner.id and w.workspace_name.lower() == name.lower() for w in workspaces)
