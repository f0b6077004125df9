"""fleet-mcp (vgijssel/setup, libs/fleet-mcp): an MCP server that runs a fleet of Claude Code agents, each one a
Coder workspace of an AI-task template: it creates agents (workspaces), lists and shows them, starts tasks on
them, reads their conversation logs, restarts and deletes them.

Replayed from src/fleet_mcp/clients/coder_client.py at 1b50b598ef0ac966d745441651f3927567bb9de0 (every request),
src/fleet_mcp/repositories/agent_repository.py and task_repository.py at
02e3e1331ab59caeae69cfbb9dc7829e34cd0304 (what it reads of a workspace) and src/fleet_mcp/services/task_service.py
at c9b7fd1f8e971a99f8aa2725e65f1627ff4b4a03 (its checks before starting a task). A task there is a workspace and
its id is the workspace's, sent to /api/experimental/tasks/<owner>/<workspace id>: the legacy generation; its
cassettes were recorded from a v2.27.1 server (issue 24), the release replayed here.
"""

from __future__ import annotations

from typing import Any

from replay import OK, Served, Session, answer, array_of, integer, poll, reads, shaped, text

GENERATION = ("legacy", "v2.27.1")
TASKS = "/api/experimental/tasks"

# What agent_repository._workspace_to_agent and the task repository read of a workspace: the name and id (by
# subscript), owner_name, and latest_build.status (the agent's status; "running" lets a task start).
WORKSPACE = {"id": text, "name": text, "owner_name": text, "latest_build": shaped({"status": text})}
BUILD_COMPLETE = ("stopped", "running", "failed", "canceled", "deleted")  # _wait_for_build_completion


def workspaces(coder: Session, flow: str) -> list[dict[str, Any]]:
    """list_workspaces (owner "me": no query): {"workspaces": [...]}, or a bare list on some versions."""
    body = answer(coder.send("GET", "/api/v2/workspaces"), OK, flow)
    found = body.get("workspaces", []) if isinstance(body, dict) else body
    reads({"workspaces": found}, {"workspaces": array_of(shaped(WORKSPACE))}, f"{flow}: GET /api/v2/workspaces")
    return list(found)


def by_name(coder: Session, name: str, flow: str) -> dict[str, Any]:
    """The repositories' lookup: the workspace list matched by name, case-insensitively."""
    found = next((w for w in workspaces(coder, flow) if w["name"].lower() == name.lower()), None)
    assert found is not None, f"{flow}: GET /api/v2/workspaces does not list the agent {name!r}"
    return found


def agent(coder: Session, served: Served, flow: str) -> dict[str, Any]:
    """Set-up, not a flow: an agent whose workspace runs, made through the legacy Tasks API (a task is a workspace);
    the replay waits until its workspace runs and its agent reported idle, as a user of fleet-mcp would."""
    request = {"template_version_id": served.template_version_id, "prompt": "Set up the repository"}
    task = answer(coder.send("POST", f"{TASKS}/me", body=request), OK, f"{flow} (set-up)")
    path = f"{TASKS}/me/{task['id']}"
    return poll(lambda: answer(coder.send("GET", path), OK, f"{flow} (set-up)"),
                lambda t: t["status"] == "running" and (t["current_state"] or {}).get("state") == "idle",
                f"{flow} (set-up): the agent's workspace running and idle")


def test_fleet_mcp_list_and_show_agent(served: Served, member: Session) -> None:
    """fleet-mcp, flow "list agents, show one" (coder_client.py list_workspaces and get_workspace @1b50b598,
    agent_repository.py get_by_name @02e3e133): GET /api/v2/workspaces lists workspaces with id, name, owner_name
    and latest_build.status; GET /api/v2/workspaces/<id> answers the same workspace (the agent's details)."""
    flow = "fleet-mcp show agent"
    task = agent(member, served, flow)
    listed = by_name(member, task["name"], flow)
    assert listed["id"] == task["id"], f"{flow}: the listed workspace's id is not the task's (legacy: the same)"
    path = f"/api/v2/workspaces/{listed['id']}"
    shown = reads(answer(member.send("GET", path), OK, flow), WORKSPACE, f"{flow}: GET {path}")
    assert shown["latest_build"]["status"] == "running", f"{flow}: GET {path}: the agent's workspace is not running"


def test_fleet_mcp_start_agent_task(served: Served, member: Session) -> None:
    """fleet-mcp, flow "start a task on an idle agent" (task_service.py start_agent_task @c9b7fd1f,
    coder_client.py get_task and send_task_input @1b50b598): the agent's workspace from the list must be running;
    GET /api/experimental/tasks/<owner_name>/<workspace id> (400 or 404: no task) is read for
    current_state.state (working refuses the start; the service reads current_state as an object, so a null one
    stops it with an error); then POST .../send {input}: 2xx."""
    flow = "fleet-mcp start task"
    task = agent(member, served, flow)
    workspace = by_name(member, task["name"], flow)
    assert workspace["latest_build"]["status"] == "running", f"{flow}: the agent's workspace is not running"
    path = f"{TASKS}/{workspace['owner_name']}/{workspace['id']}"
    current = answer(member.send("GET", path), OK, flow)
    reads(current, {"current_state": shaped({"state": text})}, f"{flow}: GET {path}")
    assert current["current_state"]["state"] != "working", f"{flow}: the idle agent reads as working"
    answer(member.send("POST", f"{path}/send", body={"input": "Add a README"}), OK, flow)


def test_fleet_mcp_show_agent_log(served: Served, member: Session) -> None:
    """fleet-mcp, flow "show an agent's conversation log" (task_repository.py get_conversation_logs @02e3e133,
    coder_client.py get_task_logs @1b50b598): the agent from the workspace list, then
    GET /api/experimental/tasks/<owner_name>/<workspace id>/logs: 200 {logs: [{id, time, type, content}]} (400 or
    404 would read as an empty log)."""
    flow = "fleet-mcp agent log"
    task = agent(member, served, flow)
    workspace = by_name(member, task["name"], flow)
    path = f"{TASKS}/{workspace['owner_name']}/{workspace['id']}/logs"
    entry = shaped({"id": integer, "time": text, "type": text, "content": text})
    body = reads(answer(member.send("GET", path), (200,), flow), {"logs": array_of(entry)}, f"{flow}: GET {path}")
    assert body["logs"], f"{flow}: GET {path}: the agent's log is empty after its first prompt"


def test_fleet_mcp_restart_agent(served: Served, member: Session) -> None:
    """fleet-mcp, flow "restart an agent" (coder_client.py restart_workspace and _wait_for_build_completion
    @1b50b598): POST /api/v2/workspaces/<id>/builds {transition: stop} answers the build (its id is read); GET
    /api/v2/workspacebuilds/<build id> until its status is stopped, running, failed, canceled or deleted (404: taken
    as done); then POST .../builds {transition: start}: 2xx with a JSON body."""
    flow = "fleet-mcp restart"
    task = agent(member, served, flow)
    path = f"/api/v2/workspaces/{by_name(member, task['name'], flow)['id']}/builds"
    stop = reads(answer(member.send("POST", path, body={"transition": "stop"}), OK, flow), {"id": text},
                 f"{flow}: POST {path} (stop)")
    build = f"/api/v2/workspacebuilds/{stop['id']}"

    def status() -> str:
        response = member.send("GET", build)
        if response.status_code == 404:  # the client takes it as "completed and cleaned up"
            return "404"
        return str(reads(answer(response, OK, flow), {"status": text}, f"{flow}: GET {build}")["status"]).lower()

    seen = poll(status, lambda s: s in (*BUILD_COMPLETE, "404"), f"{flow}: the stop build completes")
    why = f" (GET {build} answered 404, which the client takes as done)" if seen == "404" else ""
    start = answer(member.send("POST", path, body={"transition": "start"}), OK, f"{flow}, start after the stop{why}")
    assert isinstance(start, dict), f"{flow}: POST {path} (start) answered no JSON object"


def test_fleet_mcp_delete_agent(served: Served, member: Session) -> None:
    """fleet-mcp, flow "delete an agent" (agent_repository.py delete @02e3e133, coder_client.py delete_workspace
    @1b50b598): the agent from the workspace list, GET /api/v2/workspaces/<id>, then POST .../builds
    {transition: delete}: 2xx with a JSON body (response.json() is returned); 404 means "not found"."""
    flow = "fleet-mcp delete"
    task = agent(member, served, flow)
    workspace = by_name(member, task["name"], flow)
    path = f"/api/v2/workspaces/{workspace['id']}"
    reads(answer(member.send("GET", path), OK, flow), WORKSPACE, f"{flow}: GET {path}")
    deleted = answer(member.send("POST", f"{path}/builds", body={"transition": "delete"}), OK, flow)
    assert isinstance(deleted, dict), f"{flow}: POST {path}/builds (delete) answered no JSON object"


def test_fleet_mcp_discover_projects_and_roles(served: Served, member: Session) -> None:
    """fleet-mcp, flow "list projects and their roles" (coder_client.py list_templates, get_template,
    get_template_parameters, list_workspace_presets @1b50b598): GET /api/v2/templates lists templates (id, name);
    GET /api/v2/templates/<id> answers active_version_id; GET /api/v2/templateversions/<version>/rich-parameters an
    array of parameters (name read: the "AI Prompt" one marks a project) and .../presets an array of presets (ID and
    Name: the roles)."""
    flow = "fleet-mcp discovery"
    templates = answer(member.send("GET", "/api/v2/templates"), OK, flow)
    reads({"templates": templates}, {"templates": array_of(shaped({"id": text, "name": text}))},
          f"{flow}: GET /api/v2/templates")
    assert templates, f"{flow}: GET /api/v2/templates lists no template"
    for listed in templates:
        path = f"/api/v2/templates/{listed['id']}"
        version = reads(answer(member.send("GET", path), OK, flow), {"active_version_id": text},
                        f"{flow}: GET {path}")["active_version_id"]
        path = f"/api/v2/templateversions/{version}"
        parameters = answer(member.send("GET", f"{path}/rich-parameters"), OK, flow)
        reads({"parameters": parameters}, {"parameters": array_of(shaped({"name": text}))},
              f"{flow}: GET {path}/rich-parameters")
        presets = answer(member.send("GET", f"{path}/presets"), OK, flow)
        reads({"presets": presets}, {"presets": array_of(shaped({"ID": text, "Name": text}))},
              f"{flow}: GET {path}/presets")


def test_fleet_mcp_create_agent(served: Served, member: Session) -> None:
    """fleet-mcp, flow "create an agent" (agent_repository.py create @02e3e133, coder_client.py get_organization_id
    and create_workspace @1b50b598): GET /api/v2/organizations (the first one's id), then
    POST /api/v2/organizations/<org id>/members/me/workspaces {name, template_id, template_version_preset_id,
    rich_parameter_values: [{name: "AI Prompt", value}]}: 2xx with the workspace (409: the name is taken). The
    template and preset come from the discovery flow."""
    flow = "fleet-mcp create agent"
    organizations = answer(member.send("GET", "/api/v2/organizations"), OK, flow)
    reads({"organizations": organizations}, {"organizations": array_of(shaped({"id": text}))},
          f"{flow}: GET /api/v2/organizations")
    assert organizations, f"{flow}: GET /api/v2/organizations lists none"
    template = next(t for t in answer(member.send("GET", "/api/v2/templates"), OK, flow)
                    if t.get("active_version_id") == served.template_version_id)
    presets = answer(member.send("GET", f"/api/v2/templateversions/{served.template_version_id}/presets"), OK, flow)
    request = {"name": "agent-sony", "template_id": template["id"],
               "template_version_preset_id": presets[0]["ID"] if presets else None,
               "rich_parameter_values": [{"name": "AI Prompt", "value": "Review the open pull requests"}]}
    path = f"/api/v2/organizations/{organizations[0]['id']}/members/me/workspaces"
    reads(answer(member.send("POST", path, body=request), OK, flow), WORKSPACE, f"{flow}: POST {path}")
