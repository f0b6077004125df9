"""The reference answers as Coder's own Go tests of the Tasks API say Coder does, release by release.

Each test follows one Coder test, named after it, and cites the file it reads (repository coder/coder). The stored
copies of coderd/aitasks_test.go carry no commit; they are told apart by what they contain: the v2.28 copy drives the
API through ``codersdk.NewExperimentalClient``; the first stable copy (v2.29/v2.30) has ``TestTasks/UpdateInput`` but
no pause, no log snapshots; the late stable copy (commit 0163b86649dec4482007f63c038d0221aef4a54a) has them.
"""

from __future__ import annotations

from typing import Any

import pytest
from ref_support import Api, error_message, poll, unique

NOT_PAUSED = "Unable to update task input, task must be paused."


@pytest.fixture(scope="module")
def coder(release_api: Any) -> Any:
    """Servers of a generation at a release, with a lifecycle step of the given seconds (conftest.release_api)."""
    return release_api


# -- coderd/aitasks_test.go TestTasks/Get: current_state ---------------------------------------------------------


def test_TestTasks_Get_previous_status_remains_after_pause(coder: Any) -> None:
    """coderd/aitasks_test.go TestTasks/Get (late stable copy, commit 0163b866...; the same assertion in the v2.28
    and first stable copies): after the workspace stops, "the previous status still remains": the state the agent
    last reported, its timestamp, message and uri unchanged (deriveTaskCurrentState keeps the latest app status
    under a stop build)."""
    api = coder("stable", "v2.34.0")
    task = api.create_active(input="")
    before = api.task(task["id"])["current_state"]
    assert before is not None and before["state"] == "idle"
    assert api.pause(task["id"]).status_code == 202
    paused = api.wait_status(task["id"], "paused")
    assert paused["current_state"] == before


def test_TestTasks_Get_start_replaces_the_previous_status(coder: Any) -> None:
    """coderd/aitasks_test.go TestTasks/Get (first and late stable copies): once the workspace starts again "the
    status from the previous build has been cleared and replaced by the agent initialization status": state
    working, another message (an app status older than the latest start build is ignored)."""
    api = coder("stable", "v2.34.0", 0.3)
    task = api.create_active(input="")
    assert api.pause(task["id"]).status_code == 202
    previous = api.wait_status(task["id"], "paused", timeout=10)["current_state"]
    assert api.resume(task["id"]).status_code == 202
    initializing = api.wait_status(task["id"], "initializing", timeout=10)
    state = initializing["current_state"]
    assert state != previous and state["state"] == "working" and state["message"] != previous["message"]


def test_TestTasks_Get_v228_no_status_while_initializing(coder: Any) -> None:
    """coderd/aitasks_test.go TestTasks/Get, v2.28 copy: after a start "the status from the previous build is no
    longer present": current state nil; v2.28 fills in nothing while a task initializes (coder/coder#20692,
    "set codersdk.Task current_state during task initialization", came in v2.29)."""
    api = coder("experimental", "v2.28.0", 0.3)
    task = api.create(input="")
    assert task["status"] == "initializing" and task["current_state"] is None
    starting = api.wait_status(task["id"], "initializing", timeout=10)
    assert starting["current_state"] is None
    assert api.wait_active(task["id"], timeout=10)["current_state"] is not None


def test_deriveTaskCurrentState_before_v2_31_queued_build_is_initializing(coder: Any) -> None:
    """coderd/aitasks.go deriveTaskCurrentState (coder/coder#20692): an initializing task the agent reported nothing
    of says "Workspace is <build status>", then what its agent does, state working, timestamp the build's; before
    coder/coder#21886 (v2.31) a build no provisioner has picked up yet makes the task `initializing`."""
    api = coder("stable", "v2.30.0", 0.3)
    task = api.create(input="")
    assert (task["status"], task["workspace_status"]) == ("initializing", "pending")
    assert task["current_state"] == {"timestamp": task["created_at"], "state": "working",
                                     "message": "Workspace is pending", "uri": ""}
    agent = poll(lambda: api.task(task["id"]), lambda t: t["workspace_agent_lifecycle"] is not None, timeout=10)
    if agent["status"] == "initializing":
        assert agent["current_state"]["message"] == "Agent is starting"


def test_deriveTaskCurrentState_pending_has_no_state(coder: Any) -> None:
    """coderd/aitasks.go deriveTaskCurrentState fills in a state for `initializing` only: from coder/coder#21886
    (v2.31) a build not picked up yet is `pending`, and its current_state is null."""
    api = coder("stable", "v2.31.0", 0.3)
    task = api.create(input="")
    assert (task["status"], task["current_state"]) == ("pending", None)


# -- coderd/aitasks_test.go TestTasks/UpdateInput, TestTasksCreate/CustomNames (first stable copy) --------------


def test_TestTasks_UpdateInput_TaskStatusInitializing(coder: Any) -> None:
    """coderd/aitasks_test.go TestTasks/UpdateInput/TaskStatusInitializing (first stable copy): with the provisioner
    closed the task "stays in Initializing", and an input update is 409 "Unable to update"."""
    api = coder("stable", "v2.29.0", 30.0)
    task = api.create(input="")
    assert api.task(task["id"])["status"] == "initializing"
    response = api.update_input(task["id"], "Valid prompt")
    assert response.status_code == 409 and error_message(response) == NOT_PAUSED


def test_TestTasks_UpdateInput_EmptyPrompt(coder: Any) -> None:
    """coderd/aitasks_test.go TestTasks/UpdateInput/EmptyPrompt (first stable copy): an empty input is 400 "Task
    input is required." (checked before the task's status); a whitespace-only one too in the copy of Feb 2026
    (strings.TrimSpace)."""
    early = coder("stable", "v2.29.0")
    task = early.create_active(input="")
    response = early.update_input(task["id"], "")
    assert response.status_code == 400 and error_message(response) == "Task input is required."
    later = coder("stable", "v2.31.0")
    task = later.create_active(input="")
    blank = later.update_input(task["id"], "  \n")
    assert blank.status_code == 400 and error_message(blank) == "Task input is required."


def test_TestTasksCreate_CustomNames_NotValidDisplayName(coder: Any) -> None:
    """coderd/aitasks_test.go TestTasksCreate/CustomNames/NotValidDisplayName (first stable copy): a display name
    over 64 characters is 400 "Display name must be 64 characters or less." from v2.29 (coder/coder#20856)."""
    api = coder("stable", "v2.29.0")
    response = api.create_raw(name=unique(), display_name="This is a task display name with a length greater than "
                                                          "64 characters.")
    assert response.status_code == 400
    assert error_message(response) == "Display name must be 64 characters or less."
    fitting = api.create_raw(name=unique(), display_name="A valid task display name")
    assert fitting.status_code == 201 and fitting.json()["display_name"] == "A valid task display name"


# -- coderd/searchquery/search_test.go -----------------------------------------------------------------------------


def _invalid(api: Api, q: str) -> dict[str, str]:
    response = api.list_tasks(q)
    assert response.status_code == 400, response.text
    assert error_message(response) == "Invalid workspace search query."
    return {v["field"]: v["detail"] for v in response.json()["validations"]}


def test_TestSearchWorkspace_owner_slash_name(coder: Any) -> None:
    """coderd/searchquery/search_test.go TestSearchWorkspace (OwnerName, QuotedOwner/Name cases): legacy's list is
    the workspace search, `owner/name` and `"owner"/"name"` select by owner and name (a part of the name)."""
    api = coder("legacy", "v2.27.1")
    mine, other = api.create(name=unique("ws")), api.create(name=unique("ws"))
    for q in (f"alice/{mine['name']}", f'"alice"/"{mine["name"]}"', f"ALICE/{mine['name'].upper()}"):
        assert api.list_ids(q) == [mine["id"]], q
    assert api.list_ids(f"bob/{mine['name']}") == []
    assert set(api.list_ids("ws-")) >= {mine["id"], other["id"]}
    # bare terms are joined into one (searchquery processTokens): "alice/ws- x" is owner alice, name "ws- x"
    assert api.list_ids(f"alice/{mine['name'][:3]} x") == []


def test_TestSearchWorkspace_ExtraSlashes(coder: Any) -> None:
    """coderd/searchquery/search_test.go TestSearchWorkspace/ExtraSlashes: `foo/bar/baz` "can only contain 1 '/'"
    (field q)."""
    assert _invalid(coder("legacy", "v2.27.1"), "foo/bar/baz") == {
        "q": "Query element \"foo/bar/baz\" can only contain 1 '/'"}


def test_TestSearchWorkspace_failures(coder: Any) -> None:
    """coderd/searchquery/search_test.go TestSearchWorkspace failures: ExtraColon, ExtraKeys, a key given twice
    ("provided more than once"), a status that is no workspace status, a boolean or a param that does not parse."""
    api = coder("legacy", "v2.27.1")
    assert _invalid(api, "owner:name:extra") == {"q": "Query element \"owner:name:extra\" can only contain 1 ':'"}
    assert _invalid(api, "foo:bar") == {"foo": '"foo" is not a valid query param'}
    assert "provided more than once" in _invalid(api, "name:foo name:bar")["name"]
    assert _invalid(api, "status:bogus") == {
        "status": 'Query param "status" has invalid value: "bogus" is not a valid value'}
    assert _invalid(api, "outdated:maybe") == {"outdated": 'Query param "outdated" must be a valid boolean: '
                                                           'strconv.ParseBool: parsing "maybe": invalid syntax'}
    assert "has an empty value" in _invalid(api, "param:x=")["param"]


def test_TestSearchWorkspace_unknown_owner_is_a_plain_filter(coder: Any) -> None:
    """coderd/searchquery/search.go Workspaces: `owner:` is a username filter (OwnerUsername), not resolved: an unknown
    one lists nothing (200), where the tasks search (TestSearchTasks) answers 400."""
    api = coder("legacy", "v2.27.1")
    api.create()
    response = api.list_tasks("owner:nobody-here")
    assert response.status_code == 200 and response.json() == {"tasks": [], "count": 0}


def test_TestSearchWorkspace_workspace_keys_accepted(coder: Any) -> None:
    """coderd/searchquery/search.go Workspaces (v2.27) keys: outdated, has-ai-task, param, has-agent, dormant,
    template and the dates parse; a legacy task is on its template's active version, an AI task whose one
    parameter is its prompt."""
    api = coder("legacy", "v2.27.1")
    task = api.create_active(input="Fix the login bug")
    for q in ("outdated:false", "has-ai-task:true", 'param:"ai prompt"', 'param:"ai prompt=fix the login bug"',
              "has-agent:connected", "dormant:false", 'last_used_after:"2020-01-01t00:00:00z"'):
        assert task["id"] in api.list_ids(q), q
    for q in ("outdated:true", "dormant:true", "param:other", 'last_used_before:"2020-01-01t00:00:00z"'):
        assert task["id"] not in api.list_ids(q), q


def test_TestSearchTasks_ExtraParam(coder: Any) -> None:
    """coderd/searchquery/search_test.go TestSearchTasks/ExtraParam: "is not a valid query param", in the words of
    coderd/httpapi/queryparams.go ErrorExcessParams (`"<key>" is not a valid query param`)."""
    response = coder("stable", "v2.34.0").list_tasks("owner:alice invalid:param")
    assert response.status_code == 400 and error_message(response) == "Invalid task search query."
    assert response.json()["validations"] == [{"field": "invalid", "detail": '"invalid" is not a valid query param'}]


# -- the late stable copy of coderd/aitasks_test.go (commit 0163b866...) -----------------------------------------


def test_TestTasks_UpdateInput_TaskStatusPending(coder: Any) -> None:
    """coderd/aitasks_test.go TestTasks/UpdateInput/TaskStatusPending (late stable copy): with the provisioner closed
    the task "stays in Pending" (coder/coder#21886, v2.31), and an input update is 409 "Unable to update"."""
    api = coder("stable", "v2.34.0", 30.0)
    task = api.create(input="")
    assert api.task(task["id"])["status"] == "pending"
    response = api.update_input(task["id"], "Valid prompt")
    assert response.status_code == 409 and error_message(response) == NOT_PAUSED
    assert api.task(task["id"])["initial_prompt"] == ""


def test_TestTasks_Logs_NoSnapshotReturnsEmpty(coder: Any) -> None:
    """coderd/aitasks_test.go TestTasks/Logs/NoSnapshotReturnsEmpty (late stable copy): a pending task with no stored
    snapshot answers snapshot true, no snapshot_at, no logs."""
    api = coder("stable", "v2.34.0", 30.0)
    task = api.create(input="")
    response = api.get(f"/tasks/me/{task['id']}/logs")
    assert response.status_code == 200 and response.json() == {"logs": [], "snapshot": True}


def test_TestPauseTask_OK(coder: Any) -> None:
    """coderd/aitasks_test.go TestPauseTask/OK (late stable copy): the pause's build is a stop of the task's
    workspace, numbered one past its latest build."""
    api = coder("stable", "v2.34.0")
    task = api.create_active(input="")
    response = api.pause(task["id"])
    assert response.status_code == 202
    build = response.json()["workspace_build"]
    assert build["transition"] == "stop" and build["workspace_id"] == task["workspace_id"]
    assert build["build_number"] == task["workspace_build_number"] + 1


def test_TestPauseTask_Job_already_in_progress(coder: Any) -> None:
    """coderd/aitasks_test.go TestPauseTask "Job already in progress" (late stable copy): a pause while the start
    build runs is 409; TestPauseTask "Task not found": 404."""
    api = coder("stable", "v2.34.0", 30.0)
    task = api.create(input="")
    assert api.pause(task["id"]).status_code == 409
    missing = api.pause("00000000-0000-4000-8000-000000000001")
    assert missing.status_code == 404


# -- coderd/httpmw/taskparam_test.go TestTaskParam (commit 1c700a6fd57dcca9f2679ecba0cfe2c3839e2410) ----------------


def test_TestTaskParam_by_name(coder: Any) -> None:
    """coderd/httpmw/taskparam_test.go TestTaskParam: FoundByTaskName, CaseInsensitiveTaskName, NotFoundWhenNoMatch,
    NotFound (a uuid no task has)."""
    api = coder("stable", "v2.34.0")
    task = api.create(name=unique("byname"))
    assert api.task(task["name"])["id"] == task["id"]
    assert api.task(task["name"].upper())["id"] == task["id"]
    assert api.get("/tasks/me/nonexistent-name").status_code == 404
    assert api.get("/tasks/me/00000000-0000-4000-8000-000000000001").status_code == 404
