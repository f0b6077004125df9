import pytest
from conftest import every_profile
from tasks_client import AgentNotReady, TasksError


@pytest.mark.parametrize("profile", every_profile(strict=True))
def test_a_task_from_create_to_delete(coder_tasks_server, client, profile):
    coder_tasks_server.control.script_replies(lambda text: "Fixed: the form trims it." if "space" in text else "On it.")
    task = client.create("Fix the login bug", coder_tasks_server.template_versions.ai)
    assert client.wait_for(task.id, "active").status == "active"
    assert client.wait_for_reply(task.id) == "On it."  # the agent's answer to the prompt
    client.send(task.id, "The email field keeps a trailing space.")
    assert client.wait_for_reply(task.id) == "Fixed: the form trims it."
    if profile == "stable":  # pause arrived in Coder v2.32: the legacy and experimental generations have none
        client.pause(task.id)
        assert client.wait_for(task.id, "paused").status == "paused"
    client.delete(task.id)
    assert all(r.header("coder-session-token") == "***" for r in coder_tasks_server.requests())


@pytest.mark.parametrize("profile", every_profile())
def test_a_paused_task_takes_no_input(coder_tasks_server, client, profile):
    task_id = coder_tasks_server.control.add_task(status="paused", prompt="Fix the login bug",
                                                  logs=[("input", "Fix the login bug"), ("output", "On it.")])
    assert client.get(task_id).status == "paused"
    with pytest.raises(TasksError) as refused:
        client.send(task_id, "Are you there?")
    assert refused.value.status == (409 if profile == "stable" else 400)  # 409 from v2.31 (coder/coder#21887)
    if profile == "stable":  # from v2.31 the log of a paused task is its last snapshot
        assert [entry["content"] for entry in client.logs(task_id)] == ["Fix the login bug", "On it."]


@pytest.mark.parametrize("profile", every_profile())
def test_a_busy_agent_is_told_apart_from_a_refusal(coder_tasks_server, client, profile):
    task_id = coder_tasks_server.control.add_task(status="active", prompt="Fix the login bug")
    coder_tasks_server.control.agent_busy(task_id)
    with pytest.raises(AgentNotReady) as busy:
        client.send(task_id, "One more thing")
    assert busy.value.status == (409 if profile == "stable" else 502)  # 409 from v2.32 (coder/coder#23424)
    coder_tasks_server.control.agent_busy(task_id, False)
    client.send(task_id, "One more thing")
