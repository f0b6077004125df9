"""Coder's templates, template versions and presets, as clients of the Tasks API read them to choose what to create a
task from (codersdk/templates.go ``Template``, codersdk/templateversions.go ``TemplateVersion``, codersdk/presets.go
``Preset``; coderd/templates.go, coderd/templateversions.go,
coderd/presets.go; the routes in coderd/coderd.go).

- GET /api/v2/templates and /api/v2/organizations/{organization}/templates: the templates (a JSON array), the
  first filtered by ``q`` (template_search.py);
- GET /api/v2/templates/{template} and /api/v2/organizations/{organization}/templates/{name}: one, 404 otherwise;
- GET /api/v2/templateversions/{templateversion}: a uuid (400 otherwise, coderd/httpmw/templateversionparam.go),
  with ``has_ai_task`` (whether the version has a coder_ai_task resource: every release the suite knows has it);
- GET /api/v2/templateversions/{templateversion}/presets: the version's presets (a JSON array; codersdk.Preset has
  no json tags, so its keys are Go's field names);
- GET /api/v2/templateversions/{templateversion}/rich-parameters: the version's parameters
  (codersdk.TemplateVersionParameter, a JSON array). The AI template's version declares the task prompt parameter
  "AI Prompt" (codersdk/aitasks.go ``AITaskPromptParameterName``), as AI templates do: a v2.27 task is a workspace
  built with it, and from v2.28 coderd/aitasks.go passes a task's input in it when the template declares it.

Every template of the cast has one version, its active one, made by the owner when the deployment was set up.
"""

from __future__ import annotations

from typing import Any

from ..answers import Answer
from ..identities import Template, TemplateVersion
from .common import ESTABLISHED, Call, derived_id, minimal_user, not_found, provisioner_job, uuid_param
from .organizations import find as find_organization
from .template_search import template_filter

_WEEK_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def version_name(version: TemplateVersion) -> str:
    return f"v-{version.id[:8]}"


def body(call: Call, template: Template) -> dict[str, Any]:
    """codersdk.Template."""
    org, owner = call.core.identities.org, call.core.identities.admin
    no_stats = {"P50": None, "P95": None}
    return {
        "id": template.id, "created_at": call.time(ESTABLISHED), "updated_at": call.time(ESTABLISHED),
        "organization_id": org.id, "organization_name": org.name, "organization_display_name": org.name.capitalize(),
        "organization_icon": "", "name": template.name, "display_name": template.display_name,
        "provisioner": "terraform", "active_version_id": template.version.id, "active_user_count": 0,
        "build_time_stats": {"start": no_stats, "stop": no_stats, "delete": no_stats},
        "description": "", "deprecated": False, "deprecation_message": "", "icon": template.icon,
        "default_ttl_ms": 0, "activity_bump_ms": 3600000, "autostop_requirement": {"days_of_week": [], "weeks": 1},
        "autostart_requirement": {"days_of_week": _WEEK_DAYS}, "created_by_id": owner.id,
        "created_by_name": owner.username, "allow_user_autostart": True, "allow_user_autostop": True,
        "allow_user_cancel_workspace_jobs": False, "failure_ttl_ms": 0, "time_til_dormant_ms": 0,
        "time_til_dormant_autodelete_ms": 0, "require_active_version": False, "max_port_share_level": "owner",
        "cors_behavior": "simple", "use_classic_parameter_flow": False,
    }


def version_body(call: Call, template: Template) -> dict[str, Any]:
    """codersdk.TemplateVersion of the template's one version."""
    version = template.version
    owner = call.core.identities.admin
    job = provisioner_job(call, derived_id(version.id, "import"), "template_version_import", status="succeeded",
                          at=ESTABLISHED, initiator=owner, metadata={})
    return {
        "id": version.id, "template_id": template.id, "organization_id": template.organization_id,
        "created_at": call.time(ESTABLISHED), "updated_at": call.time(ESTABLISHED), "name": version_name(version),
        "message": "", "job": job, "readme": "", "created_by": minimal_user(owner), "archived": False, "warnings": [],
        "matched_provisioners": {"count": 1, "available": 1}, "has_ai_task": version.has_ai_task,
        "has_external_agent": False,
    }


def preset_body(preset_id: str, number: int) -> dict[str, Any]:
    """codersdk.Preset: Go's field names, no json tags."""
    return {"ID": preset_id, "Name": f"preset-{number}", "Parameters": [], "Default": number == 1,
            "DesiredPrebuildInstances": None, "Description": "", "Icon": ""}


def listed(call: Call) -> Answer:
    """GET /api/v2/templates?q=: the templates the search selects."""
    selected = template_filter(call)
    return Answer(200, [body(call, t) for t in call.core.identities.templates.values() if selected(t)])


def of_organization(call: Call) -> Answer:
    org = find_organization(call, call.params[0])
    return Answer(200, [body(call, t) for t in call.core.identities.templates.values() if t.organization_id == org.id])


def get(call: Call) -> Answer:
    template_id = uuid_param(call.params[0])
    found = next((t for t in call.core.identities.templates.values() if t.id == template_id), None)
    if found is None:
        raise not_found()
    return Answer(200, body(call, found))


def by_name(call: Call) -> Answer:
    """GET /api/v2/organizations/{organization}/templates/{templatename}: the name case-insensitively."""
    org = find_organization(call, call.params[0])
    found = next((t for t in call.core.identities.templates.values()
                  if t.organization_id == org.id and t.name == call.params[1].lower()), None)
    if found is None:
        raise not_found()
    return Answer(200, body(call, found))


def _version_template(call: Call) -> Template:
    template = call.core.identities.template_version(uuid_param(call.params[0]))
    if template is None:
        raise not_found()
    return template


def version(call: Call) -> Answer:
    return Answer(200, version_body(call, _version_template(call)))


def presets(call: Call) -> Answer:
    ids = _version_template(call).version.preset_ids
    return Answer(200, [preset_body(preset_id, number) for number, preset_id in enumerate(ids, start=1)])


def parameter_body(name: str) -> dict[str, Any]:
    """codersdk.TemplateVersionParameter: an optional, mutable string with an empty default."""
    return {"name": name, "display_name": name, "description": "", "description_plaintext": "", "type": "string",
            "form_type": "input", "mutable": True, "default_value": "", "icon": "", "options": [],
            "validation_error": "", "validation_regex": "", "validation_min": None, "validation_max": None,
            "validation_monotonic": "", "required": False, "ephemeral": False}


def rich_parameters(call: Call) -> Answer:
    return Answer(200, [parameter_body(name) for name in _version_template(call).version.parameters])
