"""Coder's own CLI, `coder task ...`, through codersdk: create, list, send (waiting for a starting task, resuming a
paused one), logs and delete.

Replayed from codersdk/aitasks.go at e73283b64b48a88c0a1e588f361504cb52c77d74 (the requests, the exact status each
call accepts, the Task it decodes with Go's decoder: uuids, RFC 3339 times), cli/task_send.go at
08fb39b2084c1fe52d9dc1c06b10b86bfab23f2f (its branches on status and agent state), cli/task_create.go at
059a2ac5d2901e2784ae0e339a2dd6df85654ed2 (template and preset resolution) and cli/root.go's
OrganizationContext.Selected (the user's organizations). Under /api/v2/tasks with pause and resume: the stable
generation, replayed against the reference's default stable release. Not replayed: the build log stream
cliui.WorkspaceBuild follows over a WebSocket while a resumed task starts.
"""

from __future__ import annotations

from typing import Any

from replay import (
    MEMBER,
    TEMPLATE,
    Served,
    Session,
    answer,
    array_of,
    integer,
    nullable,
    one_of,
    poll,
    reads,
    shaped,
    text,
    timestamp,
    uuid,
)

GENERATION = ("stable", "v2.34.0")
LIFECYCLE_DELAY = "0.3"  # long enough that "send to a starting task" reads it initializing
TASKS = "/api/v2/tasks"

# codersdk.Task as Go decodes it: uuid.UUID fields must parse, NullUUID may be null, time.Time is RFC 3339.
TASK = {"id": uuid, "organization_id": uuid, "owner_id": uuid, "owner_name": text, "name": text,
        "template_id": uuid, "template_version_id": uuid, "workspace_id": nullable(uuid),
        "status": one_of("pending", "initializing", "active", "paused", "unknown", "error"),
        "current_state": nullable(shaped({"timestamp": timestamp, "state": text, "message": text, "uri": text})),
        "created_at": timestamp, "updated_at": timestamp}
LOG = {"id": integer, "content": text, "type": one_of("input", "output"), "time": timestamp}
DONE = ("idle", "complete", "failed")  # waitForTaskIdle


def by_identifier(coder: Session, identifier: str, flow: str) -> dict[str, Any]:
    """TaskByIdentifier with a name: TaskByOwnerAndName, GET /api/v2/tasks/me/<name>, exactly 200."""
    path = f"{TASKS}/me/{identifier}"
    return reads(answer(coder.send("GET", path), (200,), flow), TASK, f"{flow}: GET {path}")


def by_id(coder: Session, task_id: str, flow: str) -> dict[str, Any]:
    """TaskByID: GET /api/v2/tasks/me/<id>, exactly 200."""
    return by_identifier(coder, task_id, flow)


def created(coder: Session, served: Served, name: str, flow: str) -> dict[str, Any]:
    """Set-up where create is not the flow: `coder task create --name <name>` with the template version known."""
    request = {"name": name, "template_version_id": served.template_version_id, "input": f"Work on {name}"}
    return reads(answer(coder.send("POST", f"{TASKS}/me", body=request), (201,), f"{flow} (set-up)"), TASK,
                 f"{flow} (set-up): POST {TASKS}/me")


def until_idle(coder: Session, task_id: str, flow: str) -> dict[str, Any]:
    """waitForTaskIdle: TaskByID until current_state is set and idle, complete or failed (null: keep waiting)."""
    return poll(lambda: by_id(coder, task_id, flow),
                lambda t: t["current_state"] is not None and t["current_state"]["state"] in DONE,
                f"{flow}: the agent idle")


def test_coder_cli_task_create_with_template(served: Served, member: Session) -> None:
    """coder CLI, flow "coder task create --template ai-tasks <input>" (cli/task_create.go @059a2ac5,
    OrganizationContext.Selected): GET /api/v2/users/me/organizations (one organization is taken without --org),
    GET /api/v2/organizations/<org id>/templates/<name> for its active_version_id, then POST /api/v2/tasks/me
    {template_version_id, input}: exactly 201 with a codersdk.Task (its name and created_at are printed)."""
    flow = "coder task create"
    organizations = answer(member.send("GET", "/api/v2/users/me/organizations"), (200,), flow)
    reads({"organizations": organizations}, {"organizations": array_of(shaped({"id": uuid, "name": text}))},
          f"{flow}: GET /api/v2/users/me/organizations")
    assert len(organizations) == 1, f"{flow}: {len(organizations)} organizations, the CLI would ask for --org"
    path = f"/api/v2/organizations/{organizations[0]['id']}/templates/{TEMPLATE}"
    template = reads(answer(member.send("GET", path), (200,), flow), {"active_version_id": uuid}, f"{flow}: GET {path}")
    request = {"template_version_id": template["active_version_id"], "input": "Add authentication"}
    reads(answer(member.send("POST", f"{TASKS}/me", body=request), (201,), flow), TASK, f"{flow}: POST {TASKS}/me")


def test_coder_cli_task_list(served: Served, member: Session) -> None:
    """coder CLI, flow "coder task list" (cli/task_list.go, codersdk Tasks @e73283b6): GET /api/v2/tasks with
    q=owner:"me" (the owner quoted): exactly 200 with {tasks: [codersdk.Task], count}, the user's task among
    them."""
    flow = "coder task list"
    task = created(member, served, "cli-list-1", flow)
    body = reads(answer(member.send("GET", TASKS, params={"q": 'owner:"me"'}), (200,), flow),
                 {"tasks": array_of(shaped(TASK)), "count": integer}, f"{flow}: GET {TASKS}")
    assert task["id"] in {t["id"] for t in body["tasks"]}, f"{flow}: GET {TASKS}?q=owner:\"me\" misses the task"


def test_coder_cli_task_send_to_starting_task(served: Served, member: Session) -> None:
    """coder CLI, flow "coder task send <name> <input>" right after the create (cli/task_send.go @08fb39b2): the
    task by name; initializing: GET /api/v2/workspaces/<workspace_id> for latest_build.id (its build is watched),
    then TaskByID until active (unknown fails; error is tolerated for a grace period); active: TaskByID until the
    agent is idle, complete or failed; then POST /api/v2/tasks/me/<id>/send {input}: exactly 204. A pending task
    is refused by the CLI ("cannot be sent input")."""
    flow = "coder task send (starting)"
    task = created(member, served, "cli-send-1", flow)
    found = poll(lambda: by_identifier(member, "cli-send-1", flow), lambda t: t["status"] != "pending",
                 f"{flow}: past pending (the CLI refuses a pending task)")
    assert found["status"] == "initializing", f"{flow}: read {found['status']}, not the initializing branch"
    assert found["workspace_id"] is not None, f"{flow}: an initializing task without workspace_id"
    path = f"/api/v2/workspaces/{found['workspace_id']}"
    reads(answer(member.send("GET", path), (200,), flow), {"latest_build": shaped({"id": uuid})}, f"{flow}: GET {path}")
    poll(lambda: by_id(member, task["id"], flow), lambda t: t["status"] == "active", f"{flow}: active")
    until_idle(member, task["id"], flow)
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/send", body={"input": "Add tests too"}), (204,), flow)


def test_coder_cli_task_send_resumes_paused_task(served: Served, member: Session) -> None:
    """coder CLI, flow "coder task send" to a paused task (cli/task_send.go @08fb39b2): the task by name reads
    paused, so POST /api/v2/tasks/<owner_name>/<id>/resume must answer {workspace_build: {id}} (a missing build
    fails the command); GET /api/v2/workspacebuilds/<id> (cliui.WorkspaceBuild), TaskByID until active, until the
    agent is idle, then send: exactly 204. The pause before it is `coder task pause` (202)."""
    flow = "coder task send (paused)"
    task = created(member, served, "cli-send-2", flow)
    until_idle(member, task["id"], flow)
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/pause"), (202,), f"{flow} (set-up: coder task pause)")
    found = poll(lambda: by_identifier(member, "cli-send-2", flow), lambda t: t["status"] == "paused",
                 f"{flow}: paused")
    path = f"{TASKS}/{found['owner_name']}/{found['id']}/resume"
    resumed = reads(answer(member.send("POST", path), (202,), flow), {"workspace_build": shaped({"id": uuid})},
                    f"{flow}: POST {path}")
    build = f"/api/v2/workspacebuilds/{resumed['workspace_build']['id']}"
    reads(answer(member.send("GET", build), (200,), flow), {"id": uuid, "status": text}, f"{flow}: GET {build}")
    poll(lambda: by_id(member, task["id"], flow), lambda t: t["status"] == "active", f"{flow}: active")
    until_idle(member, task["id"], flow)
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/send", body={"input": "Carry on"}), (204,), flow)


def test_coder_cli_task_logs(served: Served, member: Session) -> None:
    """coder CLI, flow "coder task logs <name>" (codersdk TaskLogs @e73283b6): the task by name, then
    GET /api/v2/tasks/me/<id>/logs: exactly 200 with {logs: [{id, content, type (input or output), time}]}, the
    initial prompt among the inputs."""
    flow = "coder task logs"
    task = created(member, served, "cli-logs-1", flow)
    until_idle(member, task["id"], flow)
    found = by_identifier(member, "cli-logs-1", flow)
    path = f"{TASKS}/me/{found['id']}/logs"
    body = reads(answer(member.send("GET", path), (200,), flow), {"logs": array_of(shaped(LOG))}, f"{flow}: GET {path}")
    assert any(entry["type"] == "input" for entry in body["logs"]), f"{flow}: GET {path} has no input entry"


def test_coder_cli_task_delete(served: Served, member: Session) -> None:
    """coder CLI, flow "coder task delete <name>" (cli/task_delete.go, codersdk DeleteTask @e73283b6): the task by
    name, then DELETE /api/v2/tasks/<owner>/<id>: exactly 202 (anything else is an error; there is no retry), and
    the task by name is then 404."""
    flow = "coder task delete"
    task = created(member, served, "cli-delete-1", flow)
    until_idle(member, task["id"], flow)
    found = by_identifier(member, "cli-delete-1", flow)
    answer(member.send("DELETE", f"{TASKS}/{MEMBER}/{found['id']}"), (202,), flow)
    poll(lambda: member.send("GET", f"{TASKS}/me/cli-delete-1").status_code, lambda code: code == 404,
         f"{flow}: the task by name is 404 after the delete")
