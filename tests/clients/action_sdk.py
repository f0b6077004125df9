"""The codersdk shapes and the two /api/v2 look-ups of coder/create-task-action's client (src/coder-client.ts at
6e0b47dc0c0778a886941c84a65f3c4f6e7d654c), which xmtplabs/coder-action took over with its schemas
(src/services/coder/schemas.ts at 878df2f9d0102e933066c982a2848c5f96b32dd3): one place for both replays."""

from __future__ import annotations

from typing import Any

from replay import (
    MEMBER,
    OK,
    TEMPLATE,
    Check,
    Served,
    Session,
    answer,
    array_of,
    boolean,
    email,
    integer,
    nonempty,
    nullable,
    one_of,
    optional,
    reads,
    shaped,
    text,
    uuid,
)

# CoderSDKUserSchema, CoderSDKTemplateSchema, CoderSDKTemplateVersionPresetSchema, ExperimentalCoderSDKTaskSchema
USER = {"id": uuid, "username": text, "email": email, "organization_ids": array_of(uuid),
        "github_com_user_id": optional(integer)}
TEMPLATE_FIELDS = {"id": uuid, "name": text, "description": optional(text), "organization_id": uuid,
                   "active_version_id": uuid}
PRESET = {"ID": uuid, "Name": text, "Default": boolean}
TASK = {"id": uuid, "name": nonempty, "owner_id": uuid, "template_id": uuid, "created_at": text, "updated_at": text,
        "status": one_of("pending", "initializing", "active", "paused", "unknown", "error"),
        "current_state": nullable(shaped({"state": one_of("idle", "working", "complete", "failed")}))}


def user_by_github_id(coder: Session, github_id: int, flow: str) -> list[Any]:
    """getCoderUserByGitHubId: the user search by the linked GitHub id; the action needs exactly one user."""
    body = answer(coder.send("GET", "/api/v2/users", params={"q": f"github_com_user_id:{github_id}"}), OK, flow)
    reads(body, {"users": array_of(shaped(USER))}, f"{flow}: GET /api/v2/users")
    return list(body["users"])


def template_and_preset(coder: Session, served: Served, flow: str) -> tuple[dict[str, Any], str | None]:
    """getTemplateByOrganizationAndName, then getTemplateVersionPresets of its active version; the default preset's
    ID when there is one (no preset input given)."""
    path = f"/api/v2/organizations/{served.organization}/templates/{TEMPLATE}"
    template = reads(answer(coder.send("GET", path), OK, flow), TEMPLATE_FIELDS, f"{flow}: GET {path}")
    path = f"/api/v2/templateversions/{template['active_version_id']}/presets"
    presets = answer(coder.send("GET", path), OK, flow)
    reads({"presets": presets}, {"presets": array_of(shaped(PRESET))}, f"{flow}: GET {path}")
    return template, next((p["ID"] for p in presets if p["Default"]), None)


TASKS = "/api/experimental/tasks"


def find_by_name(coder: Session, name: str, task: dict[str, Check], flow: str) -> dict[str, Any] | None:
    """getTask: the owner's list (?q=owner:<owner>), each task parsed with the client's schema and matched by name on
    the client's side; a 404 means none."""
    response = coder.send("GET", TASKS, params={"q": f"owner:{MEMBER}"})
    if response.status_code == 404:
        return None
    body = reads(answer(response, OK, flow), {"tasks": array_of(shaped(task))}, f"{flow}: GET {TASKS}")
    return next((found for found in body["tasks"] if found["name"] == name), None)
