"""coder/vscode-coder, the VS Code extension's Tasks panel: lists the user's tasks and the AI templates with their
presets, creates tasks, shows a task's details and logs, sends messages, pauses, resumes and deletes tasks.

Replayed from src/webviews/tasks/tasksPanelProvider.ts at 0e015ed906fde30d235bd68165a57673f08acaba (the requests and
their branches: a list 404 means "no Tasks API", a pause or resume 404 switches to the workspace-build fallback for
good, a send 409 or 400 is "agent not ready", a logs 409 is "not available") and packages/shared/src/tasks/utils.ts
at 550f6174a9cc0676c1711b05b75d1379e775b453 (what it derives from a Task: workspace_id, status, current_state,
workspace_status, workspace_agent_lifecycle). Its requests go through Coder's own TypeScript API client
(coder/site), whose task calls are codersdk's /api/v2/tasks routes; the wording of its list query was not in the
stored sources, and the replay sends owner:me. The panel targets the stable generation and falls back for releases
without /api/v2 pause and resume: replayed against the default stable release and against v2.31.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from replay import (
    OK,
    Served,
    Session,
    answer,
    array_of,
    boolean,
    integer,
    nullable,
    one_of,
    optional,
    poll,
    reads,
    serve,
    shaped,
    text,
)

GENERATION = ("stable", "v2.34.0")
LIFECYCLE_DELAY = "0.3"  # long enough that "details while building" reads the workspace building
BEFORE_PAUSE_ROUTES = ("stable", "v2.31.0")  # pause and resume under /api/v2 came with v2.32 (coder/coder#22544)
TASKS = "/api/v2/tasks"

# typesGenerated Task, as the panel and the shared helpers read it
TASK = {"id": text, "name": text, "display_name": text, "owner_name": text, "status": text,
        "template_version_id": text, "workspace_id": nullable(text), "workspace_name": text,
        "workspace_status": optional(text), "workspace_build_number": optional(integer),
        "workspace_agent_id": nullable(text), "workspace_agent_lifecycle": nullable(text),
        "current_state": nullable(shaped({"state": text}))}
TEMPLATE = {"id": text, "name": text, "display_name": text, "description": text, "active_version_id": text}
PRESET = {"ID": text, "Name": text, "Description": text, "Default": boolean}
LOG = {"time": text, "type": one_of("input", "output"), "content": text}


@pytest.fixture(scope="module")
def older() -> Iterator[Session]:
    """A member's session on a v2.31 server: no pause or resume under /api/v2."""
    with serve(*BEFORE_PAUSE_ROUTES) as server:
        session = server.session("member")
        yield session
        session.close()


def read_task(coder: Session, task_id: str, flow: str) -> dict[str, Any]:
    path = f"{TASKS}/me/{task_id}"
    return reads(answer(coder.send("GET", path), OK, flow), TASK, f"{flow}: GET {path}")


def create(coder: Session, template_version_id: str, prompt: str, flow: str) -> dict[str, Any]:
    """handleCreateTask: POST /api/v2/tasks/me {template_version_id, template_version_preset_id, input}, then the
    list is refreshed."""
    request = {"template_version_id": template_version_id, "input": prompt}
    task = reads(answer(coder.send("POST", f"{TASKS}/me", body=request), OK, flow), TASK, f"{flow}: POST {TASKS}/me")
    answer(coder.send("GET", TASKS, params={"q": "owner:me"}), OK, f"{flow} (refresh)")
    return task


def settled(coder: Session, task_id: str, flow: str) -> dict[str, Any]:
    """Until the panel would offer a message: active and the agent not working."""
    return poll(lambda: read_task(coder, task_id, flow),
                lambda t: t["status"] == "active" and (t["current_state"] or {}).get("state") not in (None, "working"),
                f"{flow}: active, agent not working")


def test_vscode_coder_list_tasks(served: Served, member: Session) -> None:
    """vscode-coder, flow "open the Tasks panel" (fetchTasks @0e015ed9): GET /api/v2/tasks?q=owner:me answers
    {tasks: [Task]} (a 404 would mean the deployment has no Tasks API and the panel says so)."""
    flow = "vscode-coder list"
    task = create(member, served.template_version_id, "Panel task", flow)
    body = reads(answer(member.send("GET", TASKS, params={"q": "owner:me"}), OK, flow),
                 {"tasks": array_of(shaped(TASK))}, f"{flow}: GET {TASKS}")
    assert task["id"] in {t["id"] for t in body["tasks"]}, f"{flow}: GET {TASKS}?q=owner:me misses the user's task"


def test_vscode_coder_templates_and_presets(served: Served, member: Session) -> None:
    """vscode-coder, flow "the create form's templates" (fetchTemplates @0e015ed9): GET
    /api/v2/templates?q=has-ai-task:true answers the AI templates (id, name, display_name, description,
    active_version_id); each one's GET /api/v2/templateversions/<active_version_id>/presets (a failure is tolerated)
    gives ID, Name, Description and Default. Coder filters by the key (coderd/searchquery/search.go Templates:
    HasAITask from "has-ai-task"), so the plain template is not offered."""
    flow = "vscode-coder templates"
    templates = answer(member.send("GET", "/api/v2/templates", params={"q": "has-ai-task:true"}), OK, flow)
    reads({"templates": templates}, {"templates": array_of(shaped(TEMPLATE))}, f"{flow}: GET /api/v2/templates")
    assert [t["active_version_id"] for t in templates] == [served.template_version_id], (
        f"{flow}: has-ai-task:true should list exactly the AI template")
    path = f"/api/v2/templateversions/{served.template_version_id}/presets"
    presets = answer(member.send("GET", path), OK, flow)
    reads({"presets": presets}, {"presets": array_of(shaped(PRESET))}, f"{flow}: GET {path}")


def test_vscode_coder_task_details_while_building(served: Served, member: Session) -> None:
    """vscode-coder, flow "open a task that is starting" (handleGetTaskDetails, streamWorkspaceLogs @0e015ed9): the
    task, and while its workspace_status is pending or starting GET /api/v2/workspaces/<workspace_id> for
    latest_build.id (whose build log it then streams over a WebSocket, not replayed); then its logs: 200
    {logs: [{time, type, content}]} or 409 (shown as "not available")."""
    flow = "vscode-coder details while building"
    task = create(member, served.template_version_id, "Details task", flow)
    details = read_task(member, task["id"], flow)
    assert details["workspace_status"] in ("pending", "starting") and details["workspace_id"], (
        f"{flow}: right after the create the workspace reads {details['workspace_status']!r}, not building")
    path = f"/api/v2/workspaces/{details['workspace_id']}"
    reads(answer(member.send("GET", path), OK, flow), {"latest_build": shaped({"id": text})}, f"{flow}: GET {path}")
    path = f"{TASKS}/me/{task['id']}/logs"
    logs = answer(member.send("GET", path), (*OK, 409), flow)
    if logs is not None and "logs" in logs:
        reads(logs, {"logs": array_of(shaped(LOG))}, f"{flow}: GET {path}")


def test_vscode_coder_send_message(served: Served, member: Session) -> None:
    """vscode-coder, flow "send a message" (handleSendMessage @0e015ed9): the task (paused is refused by the
    panel), POST /api/v2/tasks/me/<id>/send {input}: 2xx (409 or 400 would be "agent not ready"), then the task
    again."""
    flow = "vscode-coder send"
    task = create(member, served.template_version_id, "Send task", flow)
    settled(member, task["id"], flow)
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/send", body={"input": "Now the docs"}), OK, flow)
    read_task(member, task["id"], flow)


def test_vscode_coder_pause_and_resume(served: Served, member: Session) -> None:
    """vscode-coder, flow "pause, then resume" on a release with the routes (pauseOrResumeTask @0e015ed9): POST
    /api/v2/tasks/me/<id>/pause and later .../resume answer 2xx, each followed by the task (paused, then starting
    again)."""
    flow = "vscode-coder pause and resume"
    task = create(member, served.template_version_id, "Pause task", flow)
    settled(member, task["id"], flow)
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/pause"), OK, flow)
    poll(lambda: read_task(member, task["id"], flow), lambda t: t["status"] == "paused", f"{flow}: paused")
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/resume"), OK, flow)
    settled(member, task["id"], flow)


def test_vscode_coder_pause_and_resume_fallback_before_v2_32(older: Session) -> None:
    """vscode-coder, flow "pause, then resume" on v2.31 (pauseOrResumeTask, legacyPauseOrResume @0e015ed9): POST
    /api/v2/tasks/me/<id>/pause answers 404, so the panel reads the task's workspace_id and POSTs
    /api/v2/workspaces/<workspace_id>/builds {transition: stop}; to resume, {transition: start,
    template_version_id: <the task's>}; each 2xx, the task then paused, and active again."""
    flow = "vscode-coder pause fallback (v2.31)"
    version_id = reads(answer(older.send("GET", "/api/v2/templates", params={"q": "has-ai-task:true"}), OK, flow)[0],
                       {"active_version_id": text}, f"{flow}: GET /api/v2/templates")["active_version_id"]
    task = create(older, version_id, "Fallback task", flow)
    settled(older, task["id"], flow)
    answer(older.send("POST", f"{TASKS}/me/{task['id']}/pause"), (404,), f"{flow}: v2.31 has no /api/v2 pause")
    current = read_task(older, task["id"], flow)
    assert current["workspace_id"], f"{flow}: the task has no workspace_id for the fallback"
    builds = f"/api/v2/workspaces/{current['workspace_id']}/builds"
    answer(older.send("POST", builds, body={"transition": "stop"}), OK, flow)
    poll(lambda: read_task(older, task["id"], flow), lambda t: t["status"] == "paused", f"{flow}: paused")
    answer(older.send("POST", builds, body={"transition": "start",
                                            "template_version_id": current["template_version_id"]}), OK, flow)
    settled(older, task["id"], flow)


def test_vscode_coder_delete_task(served: Served, member: Session) -> None:
    """vscode-coder, flow "delete a task" (handleDeleteTask @0e015ed9): DELETE /api/v2/tasks/me/<id>: 2xx, then the
    list no longer has it."""
    flow = "vscode-coder delete"
    task = create(member, served.template_version_id, "Delete task", flow)
    settled(member, task["id"], flow)
    answer(member.send("DELETE", f"{TASKS}/me/{task['id']}"), OK, flow)
    poll(lambda: answer(member.send("GET", TASKS, params={"q": "owner:me"}), OK, flow)["tasks"],
         lambda tasks: task["id"] not in {t["id"] for t in tasks}, f"{flow}: gone from the list")
