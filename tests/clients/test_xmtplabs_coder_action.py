"""xmtplabs/coder-action: a GitHub App (first an Action) that runs Coder tasks for issues, pull-request comments and
failed checks: it creates a task per issue, sends comments to it (resuming it when paused) and deletes it when the
issue closes.

Replayed from src/coder-client.ts at 03b6ea9890275f4e7a2297f702c16099a836a433 (the Action: owner-filtered list,
create, wait, send, and the workspace behind a task read, stopped and deleted through /api/v2/workspaces) and
src/services/coder/service.ts at 3d6952a3f4a6ffc16a9acdebad927b6e70a880ea with
src/workflows/ensure-task-ready.ts at 937c591c9754f8c54642e614c9e9ed7e32827956 (the App: owner resolution by
user id, resume through a workspace start build, delete). Its task calls use the /api/experimental aliases and
its schemas the tasks data model (workspace_id required); written in 2026 against stable releases, so replayed
against stable v2.32 (pause exists, and send to a paused task is refused, which is why it resumes first).
"""

from __future__ import annotations

from typing import Any

from action_sdk import TASK, TASKS, USER, find_by_name, template_and_preset, user_by_github_id
from replay import MEMBER, OK, Served, Session, answer, poll, reads, shaped, text, uuid

GENERATION = ("stable", "v2.32.0")

# ExperimentalCoderSDKTaskSchema of this client: create-task-action's, plus a required workspace_id.
XMTP_TASK = {**TASK, "workspace_id": uuid}
# WorkspaceSchema (src/coder-client.ts @03b6ea98): only the latest build's status and transition are read.
WORKSPACE = {"id": text, "latest_build": shaped({"status": text, "transition": text})}
READY_STATES = ("idle", "complete", "failed")  # ensureTaskReady: "failed" is ready too (docs/gotchas.md)


def find(coder: Session, name: str, flow: str) -> dict[str, Any] | None:
    """getTask (@03b6ea98): create-task-action's, with this client's task schema."""
    return find_by_name(coder, name, XMTP_TASK, flow)


def get(coder: Session, task_id: str, flow: str, owner: str = MEMBER) -> dict[str, Any]:
    """getTaskById: the Action passes the username, the App the task's owner_id (a uuid)."""
    path = f"{TASKS}/{owner}/{task_id}"
    return reads(answer(coder.send("GET", path), OK, flow), XMTP_TASK, f"{flow}: GET {path}")


def create(coder: Session, served: Served, name: str, flow: str) -> dict[str, Any]:
    """CoderService.create: no task of that name, template, presets (null taken as none), POST create with the
    default preset only when there is one."""
    assert find(coder, name, flow) is None, f"{flow}: {name} already listed"
    template, preset = template_and_preset(coder, served, flow)
    request: dict[str, Any] = {"name": name, "template_version_id": template["active_version_id"],
                               "input": f"Work on {name}"}
    if preset:
        request["template_version_preset_id"] = preset
    return reads(answer(coder.send("POST", f"{TASKS}/{MEMBER}", body=request), OK, flow), XMTP_TASK,
                 f"{flow}: POST {TASKS}/{MEMBER}")


def existing(coder: Session, served: Served, name: str, flow: str) -> dict[str, Any]:
    """Set-up, not a flow: the task an earlier event (the issue's assignment) created; the App finds it by name
    (see the last test) and works with its id and owner_id."""
    request = {"name": name, "template_version_id": served.template_version_id, "input": f"Work on {name}"}
    return reads(answer(coder.send("POST", f"{TASKS}/{MEMBER}", body=request), OK, f"{flow} (set-up)"), XMTP_TASK,
                 f"{flow} (set-up): POST {TASKS}/{MEMBER}")


def until_ready(coder: Session, task: dict[str, Any], flow: str) -> dict[str, Any]:
    """ensureTaskReady's loop, by the task's owner_id: active with an idle, complete or failed agent (paused or
    unknown while waiting fails it; error is tolerated for a grace period)."""
    def read() -> dict[str, Any]:
        task_now = get(coder, task["id"], flow, task["owner_id"])
        assert task_now["status"] not in ("paused", "unknown"), (
            f"{flow}: the task went {task_now['status']} while waiting")
        return task_now

    return poll(read, lambda t: t["status"] == "active" and (t["current_state"] or {}).get("state") in READY_STATES,
                f"{flow}: ready")


def until_idle(coder: Session, task_id: str, flow: str) -> dict[str, Any]:
    """The Action's waitForTaskActive (@03b6ea98): active with an idle agent; error ends it."""
    def read() -> dict[str, Any]:
        task = get(coder, task_id, flow)
        assert task["status"] != "error", f"{flow}: the task went to error while waiting"
        return task

    return poll(read, lambda t: t["status"] == "active" and (t["current_state"] or {}).get("state") == "idle",
                f"{flow}: active and idle")


def send(coder: Session, task: dict[str, Any], flow: str, owner: str) -> None:
    path = f"{TASKS}/{owner}/{task['id']}/send"
    answer(coder.send("POST", path, body={"input": "A comment from the issue"}), OK, flow)


def test_xmtplabs_coder_action_user_lookup_by_github_id(served: Served, member: Session) -> None:
    """xmtplabs/coder-action, flow "map the GitHub user to a Coder user" (service.ts lookupUser @3d6952a):
    GET /api/v2/users?q=github_com_user_id:<id> answers 200 {users: [codersdk.User]} with id, username, email and
    organization_ids (exactly one user is needed)."""
    flow = "xmtplabs user lookup"
    users = user_by_github_id(member, 4343, flow)
    assert users == [], f"{flow}: no user is linked to GitHub id 4343, yet the search answers {len(users)}"


def test_xmtplabs_coder_action_create_task_then_wait_idle(served: Served, member: Session) -> None:
    """xmtplabs/coder-action, flow "issue assigned: create its task" (src/coder-client.ts getTask, createTask,
    waitForTaskActive @03b6ea98): the owner's list (?q=owner:<owner>) has no task of that name, template by
    organization and name, its presets (null taken as none), POST /api/experimental/tasks/<owner> with the default
    preset only when there is one; then GET .../<owner>/<id> until active with an idle agent (error ends it)."""
    flow = "xmtplabs create and wait"
    task = create(member, served, "gh-repo-11", flow)
    until_idle(member, task["id"], flow)


def test_xmtplabs_coder_action_comment_on_ready_task(served: Served, member: Session) -> None:
    """xmtplabs/coder-action, flow "comment on an issue whose task runs" (workflows/steps/comment.ts and
    ensure-task-ready.ts @937c591c, service.ts getTaskById and sendTaskInput @3d6952a): with the located task's id
    and owner_id (a uuid, used as the {user} segment), GET /api/experimental/tasks/<owner_id>/<id> until active
    with an idle, complete or failed agent, then POST .../send {input}: 2xx, sent once (no retry)."""
    flow = "xmtplabs comment on ready task"
    task = existing(member, served, "gh-repo-12", flow)
    until_ready(member, task, flow)
    send(member, task, flow, task["owner_id"])


def test_xmtplabs_coder_action_comment_resumes_paused_task(served: Served, member: Session) -> None:
    """xmtplabs/coder-action, flow "comment on an issue whose task is paused" (ensure-task-ready.ts @937c591c,
    service.ts resumeWorkspace @3d6952a): the task reads paused, so the App posts
    POST /api/v2/workspaces/<task.workspace_id>/builds {transition: start} (2xx), polls the task until active and
    ready (paused again while polling fails it), and sends. The pause is the user's (here: the stable pause
    route)."""
    flow = "xmtplabs comment resumes paused task"
    task = existing(member, served, "gh-repo-13", flow)
    until_ready(member, task, flow)
    answer(member.send("POST", f"/api/v2/tasks/{MEMBER}/{task['id']}/pause"), (202,), f"{flow} (set-up: pause)")
    paused = poll(lambda: get(member, task["id"], flow, task["owner_id"]), lambda t: t["status"] == "paused",
                  f"{flow}: paused")
    path = f"/api/v2/workspaces/{paused['workspace_id']}/builds"
    answer(member.send("POST", path, body={"transition": "start"}), OK, flow)
    until_ready(member, task, flow)
    send(member, task, flow, task["owner_id"])


def test_xmtplabs_coder_action_status_resolves_owner_name(served: Served, member: Session) -> None:
    """xmtplabs/coder-action, flow "status of a task found without an owner" (service.ts getStatus and
    resolveOwnerUsername @3d6952a): the task's owner_id is a uuid, so GET /api/v2/users/<owner_id> must answer a
    codersdk.User whose username is the owner's (it builds the task URL)."""
    flow = "xmtplabs resolve owner"
    task = existing(member, served, "gh-repo-14", flow)
    path = f"/api/v2/users/{task['owner_id']}"
    user = reads(answer(member.send("GET", path), OK, flow), USER, f"{flow}: GET {path}")
    assert user["username"] == MEMBER, f"{flow}: GET {path} names {user['username']!r}, not the task's owner"


def test_xmtplabs_coder_action_close_issue_deletes_task(served: Served, member: Session) -> None:
    """xmtplabs/coder-action, flow "issue closed: delete its task" (service.ts delete @3d6952a, workflows/steps/
    close-task.ts @3af24a42): resolve the owner (GET /api/v2/users/<owner_id>), then
    DELETE /api/experimental/tasks/<username>/<id>: 2xx; afterwards the owner's list no longer has it."""
    flow = "xmtplabs close deletes task"
    task = existing(member, served, "gh-repo-15", flow)
    user = reads(answer(member.send("GET", f"/api/v2/users/{task['owner_id']}"), OK, flow), USER, flow)
    path = f"{TASKS}/{user['username']}/{task['id']}"
    poll(lambda: member.send("DELETE", path).status_code, lambda code: code in OK,
         f"{flow}: DELETE {path} answers 2xx (Coder answers 409 while the create's build runs)")
    poll(lambda: find(member, "gh-repo-15", flow), lambda found: found is None, f"{flow}: gone from the list")


def test_xmtplabs_coder_action_workspace_stop_and_delete(served: Served, member: Session) -> None:
    """xmtplabs/coder-action, flow "close a task through its workspace" (src/coder-client.ts getWorkspace,
    stopWorkspace, deleteWorkspace @03b6ea98): GET /api/v2/workspaces/<task.workspace_id> answers a workspace with
    latest_build.status and .transition; POST .../builds {transition: stop} and then {transition: delete}: 2xx."""
    flow = "xmtplabs workspace stop and delete"
    task = existing(member, served, "gh-repo-16", flow)
    until_idle(member, task["id"], flow)
    path = f"/api/v2/workspaces/{task['workspace_id']}"
    reads(answer(member.send("GET", path), OK, flow), WORKSPACE, f"{flow}: GET {path}")
    answer(member.send("POST", f"{path}/builds", body={"transition": "stop"}), OK, flow)
    poll(lambda: member.send("POST", f"{path}/builds", body={"transition": "delete"}).status_code,
         lambda code: code in OK, f"{flow}: POST {path}/builds delete answers 2xx once the stop build is done")


def test_xmtplabs_coder_action_name_filter_refused_as_coder_does(served: Served, member: Session) -> None:
    """xmtplabs/coder-action, flow "locate a task by name" as service.ts findTask @3d6952a sends it (every App flow
    starts with it): GET /api/experimental/tasks?q=owner:<owner> name:<name>, or q=name:<name> without an owner.
    Coder's task search knows only owner, organization and status (coderd/searchquery/search.go Tasks:
    ErrorExcessParams), so a real server answers 400, which this client does not take as "no task" (only 404):
    the step fails against Coder too, a client bug its own docs/coder-api.md @6f8e1c5a describes ("name: returns
    400"). The reference must answer as Coder does."""
    for query in (f"owner:{MEMBER} name:gh-repo-17", "name:gh-repo-17"):
        body = answer(member.send("GET", TASKS, params={"q": query}), (400,), f"xmtplabs locate by name ({query})")
        reads(body, {"message": text}, "xmtplabs locate by name: the 400's body")
