"""coder/create-task-action, Coder's GitHub Action: creates a task for a GitHub issue, or sends the prompt to the
task it created for that issue before.

Replayed from src/coder-client.ts and src/action.ts at 6e0b47dc0c0778a886941c84a65f3c4f6e7d654c (and
src/action.ts at 234167d94cde1708d2ca454296b5f91bd952e5d8; src/coder-client.ts at
1ce13ac882eebd2dfb345e947ad056f3504dc222 adds the 404-while-waiting branch). Its task calls use
/api/experimental and its zod schemas parse the tasks data model's statuses: the experimental generation, v2.28.
Around the Tasks API it looks the user up by GitHub id, the template by organization and name, and the template
version's presets, all under /api/v2.
"""

from __future__ import annotations

from typing import Any

from action_sdk import TASK, TASKS, find_by_name, template_and_preset, user_by_github_id
from replay import MEMBER, OK, Served, Session, answer, poll, reads

GENERATION = ("experimental", "v2.28.0")

def existing_task(coder: Session, name: str, flow: str) -> dict[str, Any] | None:
    return find_by_name(coder, name, TASK, flow)


def create(coder: Session, served: Served, name: str, prompt: str, flow: str) -> dict[str, Any]:
    """The action's path for an issue without a task: template, presets, no existing task, create."""
    template, preset = template_and_preset(coder, served, flow)
    assert existing_task(coder, name, flow) is None, f"{flow}: a task named {name} already listed"
    request: dict[str, Any] = {"name": name, "template_version_id": template["active_version_id"], "input": prompt}
    if preset is not None:  # JSON.stringify drops an undefined template_version_preset_id
        request["template_version_preset_id"] = preset
    return reads(answer(coder.send("POST", f"{TASKS}/{MEMBER}", body=request), OK, flow), TASK,
                 f"{flow}: POST {TASKS}/{MEMBER}")


def test_create_task_action_user_lookup_by_github_id(served: Served, member: Session) -> None:
    """create-task-action, flow "look up the Coder user by GitHub id" (src/coder-client.ts
    getCoderUserByGitHubId @6e0b47dc): GET /api/v2/users?q=github_com_user_id:<id> answers 200 with
    {users: [codersdk.User]}; every user has the id, username, email and organization_ids the action parses
    (none, or more than one, fails the action)."""
    flow = "create-task-action user lookup"
    users = user_by_github_id(member, 4242, flow)
    assert users == [], f"{flow}: no user is linked to GitHub id 4242, yet the search answers {len(users)} (more " \
        "than one makes the action fail with 'Multiple Coder users')"


def test_create_task_action_creates_task_for_issue(served: Served, member: Session) -> None:
    """create-task-action, flow "new issue: create its task" with the coder-username input (src/action.ts run
    @0a4d03dd; @234167d9 took the user from the GitHub id look-up above): template by organization and name, its
    active version's presets, the owner's task list (no task named gh-<issue>), then
    POST /api/experimental/tasks/<owner> with name, template_version_id, the default preset and input; the answer
    parses as ExperimentalCoderSDKTask (its id makes the task URL)."""
    flow = "create-task-action create"
    task = create(member, served, "gh-101", "Fix issue 101", flow)
    assert task["name"] == "gh-101"
    assert existing_task(member, "gh-101", flow) is not None, f"{flow}: the new task is not in the owner's list"


def test_create_task_action_sends_prompt_to_existing_task(served: Served, member: Session) -> None:
    """create-task-action, flow "issue with a task: wait, then send the prompt" (src/action.ts run @234167d9,
    src/coder-client.ts waitForTaskActive and sendTaskInput @6e0b47dc): the task is found in the owner's list;
    while it is not active the action polls GET /api/experimental/tasks/<owner>/<id> until status is active and
    current_state.state is idle (status error fails it; a 404 is "deleted while waiting" since 1ce13ac8), then
    POST .../send {input} must answer 2xx."""
    flow = "create-task-action send to existing task"
    create(member, served, "gh-202", "Fix issue 202", flow)
    task = existing_task(member, "gh-202", flow)
    assert task is not None, f"{flow}: the task is not in the owner's list"
    path = f"{TASKS}/{MEMBER}/{task['id']}"

    def read() -> dict[str, Any]:
        got = reads(answer(member.send("GET", path), OK, flow), TASK, f"{flow}: GET {path}")
        assert got["status"] != "error", f"{flow}: the task went to error while the action waited"
        return got

    poll(read, lambda t: t["status"] == "active" and (t["current_state"] or {}).get("state") == "idle",
         f"{flow}: active and idle")
    answer(member.send("POST", f"{path}/send", body={"input": "Also add a test"}), OK, flow)
