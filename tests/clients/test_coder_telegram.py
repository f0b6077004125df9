"""egorvas/coder-telegram: a Telegram bot that browses templates, creates Coder tasks from chat messages, polls them
and notifies when the agent is done, sends follow-ups, shows logs, pauses, resumes and deletes tasks, and starts
and stops plain workspaces.

Replayed from src/coder/client.ts at 27f4f646f26c6b165288113095e9b542d110754b (every request), src/coder/types.ts
at a03c30ddc830a83f72acfe0d43bfa243319efe2f (the fields it reads) and src/flows/task-poller.ts at
01f051b09b30ccdfc3bd74087e88309fdbf9b959 (its branches on status, agent state and 404). Every task call is under
/api/v2/tasks with `me`, and pause and resume are among them: the stable generation from v2.32 (pause and resume
came to /api/v2 then, coder/coder#22544); replayed against the reference's default stable release.
"""

from __future__ import annotations

from typing import Any

from replay import OK, Served, Session, answer, array_of, boolean, integer, poll, reads, shaped, text

GENERATION = ("stable", "v2.34.0")
TASKS = "/api/v2/tasks"

# src/coder/types.ts: CoderTemplate, CoderPreset, CoderTask (current_state optional), TaskLogEntry, Workspace
TEMPLATE = {"id": text, "name": text, "display_name": text, "active_version_id": text}
PRESET = {"ID": text, "Name": text, "Description": text, "Default": boolean}
TASK = {"id": text, "name": text, "display_name": text, "status": text, "template_name": text,
        "template_display_name": text, "template_version_id": text, "initial_prompt": text, "workspace_name": text,
        "workspace_status": text, "created_at": text, "updated_at": text}
STATE = {"state": text, "message": text, "timestamp": text}
LOG = {"content": text}
BUILD = {"id": text, "status": text, "transition": text, "job": shaped({"id": text, "status": text})}
WORKSPACE = {"id": text, "name": text, "owner_name": text, "latest_build": shaped(BUILD)}


def read_task(coder: Session, task_id: str, flow: str) -> dict[str, Any]:
    """getTask: GET /api/v2/tasks/me/<id>, read as CoderTask."""
    path = f"{TASKS}/me/{task_id}"
    task = reads(answer(coder.send("GET", path), OK, flow), TASK, f"{flow}: GET {path}")
    if task.get("current_state") is not None:
        reads(task["current_state"], STATE, f"{flow}: GET {path} current_state")
    return task


def create(coder: Session, served: Served, prompt: str, flow: str) -> dict[str, Any]:
    """createTask: POST /api/v2/tasks/me with the chosen template version, its preset if any, and the prompt."""
    request = {"template_version_id": served.template_version_id, "input": prompt}
    return reads(answer(coder.send("POST", f"{TASKS}/me", body=request), OK, flow), TASK, f"{flow}: POST {TASKS}/me")


def until_done(coder: Session, task_id: str, flow: str) -> dict[str, Any]:
    """The poller's notification: status active and the agent's state idle."""
    return poll(lambda: read_task(coder, task_id, flow),
                lambda t: t["status"] == "active" and (t.get("current_state") or {}).get("state") == "idle",
                f"{flow}: active and idle")


def test_coder_telegram_template_browser(served: Served, member: Session) -> None:
    """coder-telegram, flow "browse templates and pick a preset" (client.ts listTemplates and getTemplatePresets
    @27f4f646): GET /api/v2/templates answers an array of templates with id, name, display_name and
    active_version_id; GET /api/v2/templateversions/<active_version_id>/presets an array of presets with ID, Name,
    Description and Default."""
    flow = "coder-telegram templates"
    templates = answer(member.send("GET", "/api/v2/templates"), OK, flow)
    reads({"templates": templates}, {"templates": array_of(shaped(TEMPLATE))}, f"{flow}: GET /api/v2/templates")
    assert templates, f"{flow}: GET /api/v2/templates lists no template to pick"
    for template in templates:
        path = f"/api/v2/templateversions/{template['active_version_id']}/presets"
        presets = answer(member.send("GET", path), OK, flow)
        reads({"presets": presets}, {"presets": array_of(shaped(PRESET))}, f"{flow}: GET {path}")


def test_coder_telegram_create_task_and_notify_when_done(served: Served, member: Session) -> None:
    """coder-telegram, flow "new task from a chat message, then the poller" (client.ts createTask and getTask
    @27f4f646, flows/task-poller.ts @01f051b0): POST /api/v2/tasks/me {template_version_id, input} answers a
    CoderTask; the poller reads GET /api/v2/tasks/me/<id> until status is active and current_state.state idle,
    which is when it tells the user the agent is done."""
    flow = "coder-telegram create and poll"
    task = create(member, served, "Write a haiku about tests", flow)
    until_done(member, task["id"], flow)


def test_coder_telegram_list_tasks(served: Served, member: Session) -> None:
    """coder-telegram, flow "list my tasks" (client.ts listTasks @27f4f646): GET /api/v2/tasks answers
    {tasks: [CoderTask]}, the bot's own task among them."""
    flow = "coder-telegram list"
    task = create(member, served, "List me", flow)
    body = reads(answer(member.send("GET", TASKS), OK, flow), {"tasks": array_of(shaped(TASK))}, f"{flow}: GET {TASKS}")
    assert task["id"] in {t["id"] for t in body["tasks"]}, f"{flow}: GET {TASKS} does not list the new task"


def test_coder_telegram_follow_up_and_logs(served: Served, member: Session) -> None:
    """coder-telegram, flow "send a follow-up, then show the last log lines" (client.ts appendTaskPrompt and
    getTaskLogs @27f4f646): POST /api/v2/tasks/me/<id>/send {input}: 2xx; GET .../logs answers {logs: [{content}]}
    (the bot shows the last 50 contents), the follow-up among them."""
    flow = "coder-telegram follow-up and logs"
    task = create(member, served, "Start here", flow)
    until_done(member, task["id"], flow)
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/send", body={"input": "And now in French"}), OK, flow)
    path = f"{TASKS}/me/{task['id']}/logs"
    logs = poll(lambda: reads(answer(member.send("GET", path), OK, flow), {"logs": array_of(shaped(LOG))},
                              f"{flow}: GET {path}")["logs"],
                lambda entries: any("And now in French" in entry["content"] for entry in entries),
                f"{flow}: the follow-up in the logs")
    assert logs


def test_coder_telegram_pause_and_resume(served: Served, member: Session) -> None:
    """coder-telegram, flow "pause, then resume a task" (client.ts pauseTask and resumeTask @27f4f646): POST
    /api/v2/tasks/me/<id>/pause and .../resume answer 2xx (the bot reads no body); the poller then sees status
    paused, and after the resume the task back to active."""
    flow = "coder-telegram pause and resume"
    task = create(member, served, "Pause me", flow)
    until_done(member, task["id"], flow)
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/pause"), OK, flow)
    poll(lambda: read_task(member, task["id"], flow), lambda t: t["status"] == "paused", f"{flow}: paused")
    answer(member.send("POST", f"{TASKS}/me/{task['id']}/resume"), OK, flow)
    poll(lambda: read_task(member, task["id"], flow), lambda t: t["status"] == "active", f"{flow}: active again")


def test_coder_telegram_delete_then_poller_drops_task(served: Served, member: Session) -> None:
    """coder-telegram, flow "delete a task" (client.ts deleteTask @27f4f646, flows/task-poller.ts @01f051b0):
    DELETE /api/v2/tasks/me/<id>: 2xx; the poller's next GET .../<id> answers 404, which is how it drops the task
    from its sessions (any other error is only logged and the poll repeats forever)."""
    flow = "coder-telegram delete"
    task = create(member, served, "Delete me", flow)
    until_done(member, task["id"], flow)
    answer(member.send("DELETE", f"{TASKS}/me/{task['id']}"), OK, flow)
    poll(lambda: member.send("GET", f"{TASKS}/me/{task['id']}").status_code, lambda code: code == 404,
         f"{flow}: GET {TASKS}/me/<id> answers 404 after the delete")


def test_coder_telegram_workspace_menu_stop_and_start(served: Served, member: Session) -> None:
    """coder-telegram, flow "workspace menu: stop, then start a workspace by name" (client.ts listWorkspaces,
    stopWorkspace, startWorkspace @27f4f646): GET /api/v2/workspaces answers {workspaces: [Workspace], count} with
    id, name, owner_name and latest_build {id, status, transition, job {id, status}}; the bot finds the workspace by
    name and POSTs /api/v2/workspaces/<id>/builds {transition: stop}, later {transition: start}, each answering a
    WorkspaceBuild. The workspace here is the one behind a task."""
    flow = "coder-telegram workspaces"
    task = create(member, served, "A workspace to stop", flow)
    until_done(member, task["id"], flow)
    body = reads(answer(member.send("GET", "/api/v2/workspaces"), OK, flow),
                 {"workspaces": array_of(shaped(WORKSPACE)), "count": integer}, f"{flow}: GET /api/v2/workspaces")
    workspace = next((w for w in body["workspaces"] if w["name"] == task["workspace_name"]), None)
    assert workspace is not None, f"{flow}: GET /api/v2/workspaces does not list {task['workspace_name']!r}"
    path = f"/api/v2/workspaces/{workspace['id']}/builds"
    reads(answer(member.send("POST", path, body={"transition": "stop"}), OK, flow), BUILD, f"{flow}: POST {path}")
    build = poll(lambda: member.send("POST", path, body={"transition": "start"}), lambda r: r.status_code in OK,
                 f"{flow}: POST {path} start answers 2xx once the stop build is done")
    reads(build.json(), BUILD, f"{flow}: POST {path} (start)")


def test_coder_telegram_create_plain_workspace(served: Served, member: Session) -> None:
    """coder-telegram, flow "create a workspace" (client.ts createWorkspace @27f4f646): POST
    /api/v2/users/me/workspaces {template_version_id, name} answers a Workspace (id, name, owner_name,
    latest_build)."""
    flow = "coder-telegram create workspace"
    request = {"template_version_id": served.non_ai_template_version_id, "name": "tg-plain-1"}
    reads(answer(member.send("POST", "/api/v2/users/me/workspaces", body=request), OK, flow), WORKSPACE,
          f"{flow}: POST /api/v2/users/me/workspaces")
