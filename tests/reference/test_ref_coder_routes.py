"""Coder's routes around the Tasks API (conforming/coder/): each route with codersdk's fields, authentication, who
sees what, the 404s, and how a workspace build changes its task in each generation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from ref_support import NOT_FOUND, RFC3339, SIGNED_OUT, UUID_RE, Api, error_message, poll, unique

from conformance.reference.conforming.generation import generation

PROFILES = ("legacy", "experimental", "stable")
ROUTE_NOT_FOUND = "Route not found."

# The json tags of the codersdk structs (codersdk/users.go, organizations.go, templates.go, templateversions.go,
# presets.go, workspaces.go, workspacebuilds.go, buildinfo.go) the answers must carry, omitempty ones left out.
USER = {"id", "username", "avatar_url", "name", "email", "created_at", "updated_at", "last_seen_at", "status",
        "login_type", "theme_preference", "organization_ids", "roles"}
ORGANIZATION = {"id", "name", "display_name", "icon", "description", "created_at", "updated_at", "is_default"}
TEMPLATE = {"id", "created_at", "updated_at", "organization_id", "organization_name", "organization_display_name",
            "organization_icon", "name", "display_name", "provisioner", "active_version_id", "active_user_count",
            "build_time_stats", "description", "deprecated", "deprecation_message", "icon", "default_ttl_ms",
            "activity_bump_ms", "autostop_requirement", "autostart_requirement", "created_by_id", "created_by_name",
            "allow_user_autostart", "allow_user_autostop", "allow_user_cancel_workspace_jobs", "failure_ttl_ms",
            "time_til_dormant_ms", "time_til_dormant_autodelete_ms", "require_active_version",
            "max_port_share_level", "cors_behavior", "use_classic_parameter_flow"}
TEMPLATE_VERSION = {"id", "template_id", "organization_id", "created_at", "updated_at", "name", "message", "job",
                    "readme", "created_by", "archived", "warnings", "matched_provisioners", "has_ai_task",
                    "has_external_agent"}
TEMPLATE_VERSION_PARAMETER = {"name", "display_name", "description", "description_plaintext", "type", "form_type",
                              "mutable", "default_value", "icon", "options", "validation_error", "validation_regex",
                              "validation_min", "validation_max", "validation_monotonic", "required", "ephemeral"}
PRESET = {"ID", "Name", "Parameters", "Default", "DesiredPrebuildInstances", "Description", "Icon"}
PROVISIONER_JOB = {"id", "created_at", "status", "file_id", "tags", "queue_position", "queue_size",
                   "organization_id", "initiator_id", "input", "type", "metadata", "logs_overflowed"}
WORKSPACE = {"id", "created_at", "updated_at", "owner_id", "owner_name", "owner_avatar_url", "organization_id",
             "organization_name", "template_id", "template_name", "template_display_name", "template_icon",
             "template_allow_user_cancel_workspace_jobs", "template_active_version_id",
             "template_require_active_version", "template_use_classic_parameter_flow", "latest_build",
             "latest_app_status", "outdated", "name", "last_used_at", "deleting_at", "dormant_at", "health",
             "automatic_updates", "allow_renames", "favorite", "next_start_at", "is_prebuild"}
WORKSPACE_BUILD = {"id", "created_at", "updated_at", "workspace_id", "workspace_name", "workspace_owner_id",
                   "workspace_owner_name", "template_version_id", "template_version_name", "build_number",
                   "transition", "initiator_id", "initiator_name", "job", "reason", "resources", "status",
                   "daily_cost", "template_version_preset_id"}
AGENT = {"id", "name", "status", "lifecycle_state", "health", "apps", "resource_id", "created_at", "version",
         "operating_system", "architecture", "directory"}
BUILD_INFO = {"external_url", "version", "dashboard_url", "telemetry", "workspace_proxy", "agent_api_version",
              "provisioner_api_version", "upgrade_message", "deployment_id"}


class _AnyTime:
    """Equal to any RFC 3339 time (a user's last_seen_at moves on)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and RFC3339.match(other) is not None


ANY_TIME: Any = _AnyTime()


@pytest.fixture(scope="module")
def apis(release_api: Any) -> Callable[[str], Api]:
    """A server per generation (tasks spend 0.3 s in each lifecycle step), started when a test first asks."""
    return lambda profile: release_api(profile, step=0.3)


def coder(api: Api, method: str, path: str, *, as_: str | None = "alice", **kwargs: Any) -> httpx.Response:
    return api.request(method, f"/api/v2{path}", as_=as_, prefixed=False, **kwargs)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def build(api: Api, workspace_id: str, transition: Any, *, as_: str = "alice") -> httpx.Response:
    return coder(api, "POST", f"/workspaces/{workspace_id}/builds", as_=as_, json={"transition": transition})


def task_status(api: Api, task_id: str) -> str:
    return str(api.task(task_id)["status"])


# -- users ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_a_user_is_a_whole_codersdk_user(apis: Any, profile: str) -> None:
    api = apis(profile)
    me = ok(coder(api, "GET", "/users/me"))
    assert set(me) == USER
    assert me["id"] == api.user_id("alice") and me["username"] == "alice"
    assert me["status"] == "active" and me["login_type"] == "password" and "@" in me["email"]
    assert me["organization_ids"] == [api.ids.org.id] and me["roles"] == []
    assert all(RFC3339.match(me[key]) for key in ("created_at", "updated_at", "last_seen_at"))
    assert ok(coder(api, "GET", "/users/alice", as_="bob")) == {**me, "last_seen_at": ANY_TIME}
    assert ok(coder(api, "GET", f"/users/{me['id']}"))["username"] == "alice"
    admin = ok(coder(api, "GET", "/users/me", as_="admin"))
    assert [role["name"] for role in admin["roles"]] == ["owner"]


def test_user_lookups_that_name_nobody_and_callers_without_a_token(apis: Any) -> None:
    api = apis("stable")
    missing = coder(api, "GET", "/users/nobody-here")
    assert missing.status_code == 404 and error_message(missing) == NOT_FOUND
    assert coder(api, "GET", "/users/0b9d3e2c-1111-4111-8111-111111111111").status_code == 404
    for path in ("/users/me", "/users", "/organizations", "/templates", "/workspaces"):
        refused = coder(api, "GET", path, as_=None)
        assert refused.status_code == 401 and error_message(refused) == SIGNED_OUT, path


def search_names(api: Api, q: str) -> list[str]:
    answer = ok(coder(api, "GET", "/users", params={"q": q}))
    assert answer["count"] == len(answer["users"])
    assert all(set(user) == USER for user in answer["users"])
    return sorted(user["username"] for user in answer["users"])


def test_the_user_search_reads_coders_grammar(apis: Any) -> None:
    api = apis("stable")
    assert search_names(api, "") == ["admin", "alice", "bob"]
    assert search_names(api, "ali") == ["alice"]  # a bare word: part of the username
    assert search_names(api, "BOB@") == ["bob"]  # or of the email, the query lowercased
    assert search_names(api, "status:active") == ["admin", "alice", "bob"]
    assert search_names(api, "status:suspended") == []
    assert search_names(api, "role:owner") == ["admin"]
    assert search_names(api, "role:member") == ["admin", "alice", "bob"]
    assert search_names(api, "login_type:github") == []
    # a time's colons are inside quotes, or the term has more than one ':'
    assert search_names(api, 'created_before:"2100-01-01T00:00:00Z"') == ["admin", "alice", "bob"]
    assert search_names(api, 'created_after:"2100-01-01T00:00:00Z"') == []
    assert search_names(api, 'last_seen_after:"2020-01-01T00:00:00Z" ali') == ["alice"]


@pytest.mark.parametrize(("q", "field"), [("username:alice", "username"), ("email:alice@coder.example", "email"),
                                          ("status:sleeping", "status"), ("alice:", "q"), ("a:b:c", "q"),
                                          ("created_after:yesterday", "created_after"),
                                          ("created_after:2100-01-01T00:00:00Z", "q")])
def test_the_user_search_refuses_what_coder_refuses(apis: Any, q: str, field: str) -> None:
    refused = coder(apis("stable"), "GET", "/users", params={"q": q})
    assert refused.status_code == 400, refused.text
    assert error_message(refused) == "Invalid user search query."
    assert [v["field"] for v in refused.json()["validations"]] == [field]


# -- organizations, templates, template versions, presets -----------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_organizations_by_list_name_and_id(apis: Any, profile: str) -> None:
    api = apis(profile)
    orgs = ok(coder(api, "GET", "/organizations", as_="bob"))
    assert [set(org) for org in orgs] == [ORGANIZATION] and orgs[0]["id"] == api.ids.org.id
    assert ok(coder(api, "GET", f"/organizations/{api.ids.org.name.upper()}")) == orgs[0]
    assert ok(coder(api, "GET", f"/organizations/{api.ids.org.id}")) == orgs[0]
    assert coder(api, "GET", "/organizations/no-such-org").status_code == 404


@pytest.mark.parametrize("profile", PROFILES)
def test_templates_name_their_active_version(apis: Any, profile: str) -> None:
    api = apis(profile)
    listed = ok(coder(api, "GET", "/templates"))
    assert all(set(template) == TEMPLATE for template in listed)
    assert {t["active_version_id"] for t in listed} == {api.ai_version, api.plain_version}
    org = api.ids.org.name
    ai = ok(coder(api, "GET", f"/organizations/{org}/templates/ai-tasks"))
    assert ai["active_version_id"] == api.ai_version and ai["organization_id"] == api.ids.org.id
    assert ok(coder(api, "GET", f"/templates/{ai['id']}")) == ai
    assert ok(coder(api, "GET", f"/organizations/{org}/templates")) == listed
    assert coder(api, "GET", f"/organizations/{org}/templates/no-such-template").status_code == 404
    assert coder(api, "GET", "/organizations/no-such-org/templates/ai-tasks").status_code == 404


@pytest.mark.parametrize("profile", PROFILES)
def test_template_versions_say_whether_they_run_ai_tasks(apis: Any, profile: str) -> None:
    api = apis(profile)
    ai = ok(coder(api, "GET", f"/templateversions/{api.ai_version}"))
    plain = ok(coder(api, "GET", f"/templateversions/{api.plain_version}"))
    assert set(ai) == set(plain) == TEMPLATE_VERSION
    assert ai["has_ai_task"] is True and plain["has_ai_task"] is False
    assert set(ai["job"]) >= PROVISIONER_JOB and ai["job"]["status"] == "succeeded"
    presets = ok(coder(api, "GET", f"/templateversions/{api.ai_version}/presets"))
    assert [set(p) for p in presets] == [PRESET]
    assert [p["ID"] for p in presets] == [api.ids.preset_id]
    assert ok(coder(api, "GET", f"/templateversions/{api.plain_version}/presets")) == []
    bad = coder(api, "GET", "/templateversions/not-a-uuid")
    assert bad.status_code == 400 and error_message(bad) == 'Invalid UUID "not-a-uuid".'
    assert coder(api, "GET", "/templateversions/0b9d3e2c-1111-4111-8111-111111111111").status_code == 404


def test_buildinfo_is_a_codersdk_build_info_response(apis: Any) -> None:
    for profile in PROFILES:
        info = ok(coder(apis(profile), "GET", "/buildinfo", as_=None))
        assert set(info) >= BUILD_INFO, profile


@pytest.mark.parametrize("path", ["/workspaces/{w}/nothing", "/templates/a/b/c", "/users/me/nope/x",
                                  "/organizations/coder/members/alice/workspaces/x"])
def test_other_paths_stay_unrouted(apis: Any, path: str) -> None:
    api = apis("experimental")
    task = api.create()
    missing = coder(api, "GET", path.format(w=task["workspace_id"]))
    assert missing.status_code == 404 and error_message(missing) == ROUTE_NOT_FOUND


# -- workspaces -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_a_tasks_workspace_is_a_whole_codersdk_workspace(apis: Any, profile: str) -> None:
    api = apis(profile)
    task = api.create_active(input="workspace fields")
    workspace = ok(coder(api, "GET", f"/workspaces/{task['workspace_id']}"))
    assert set(workspace) >= WORKSPACE and set(workspace) - WORKSPACE <= {"task_id"}
    if profile == "legacy":
        assert workspace["id"] == task["id"] and "task_id" not in workspace
    else:
        assert workspace["task_id"] == task["id"] and workspace["id"] != task["id"]
    assert workspace["owner_name"] == "alice" and workspace["template_active_version_id"] == api.ai_version
    latest = workspace["latest_build"]
    assert set(latest) >= WORKSPACE_BUILD and set(latest["job"]) >= PROVISIONER_JOB
    assert (latest["status"], latest["transition"], latest["job"]["status"]) == ("running", "start", "succeeded")
    agents = [agent for resource in latest["resources"] for agent in resource["agents"]]
    assert len(agents) == 1 and set(agents[0]) >= AGENT
    assert agents[0]["lifecycle_state"] == "ready" and agents[0]["apps"][0]["health"] == "healthy"
    assert workspace["latest_app_status"]["state"] in ("working", "idle")
    assert UUID_RE.match(latest["id"])


@pytest.mark.parametrize("profile", PROFILES)
def test_a_member_sees_only_their_own_workspaces(apis: Any, profile: str) -> None:
    api = apis(profile)
    task = api.create()
    path = f"/workspaces/{task['workspace_id']}"
    hidden = coder(api, "GET", path, as_="bob")
    assert hidden.status_code == 404 and error_message(hidden) == NOT_FOUND
    assert ok(coder(api, "GET", path, as_="admin"))["id"] == task["workspace_id"]
    assert build(api, task["workspace_id"], "stop", as_="bob").status_code == 404

    def ids(as_: str) -> list[str]:
        answer = ok(coder(api, "GET", "/workspaces", as_=as_))
        assert answer["count"] == len(answer["workspaces"])
        return [w["id"] for w in answer["workspaces"]]

    assert task["workspace_id"] in ids("alice") and task["workspace_id"] in ids("admin")
    assert task["workspace_id"] not in ids("bob")
    bad = coder(api, "GET", "/workspaces/not-a-uuid")
    assert bad.status_code == 400 and error_message(bad) == 'Invalid UUID "not-a-uuid".'
    assert coder(api, "GET", "/workspaces/0b9d3e2c-1111-4111-8111-111111111111").status_code == 404


@pytest.mark.parametrize("profile", PROFILES)
def test_the_workspace_list_reads_the_workspace_search(apis: Any, profile: str) -> None:
    api = apis(profile)
    task = api.create_active(as_="bob")
    workspace_id, name = task["workspace_id"], task["workspace_name"] if "workspace_name" in task else task["name"]

    def listed(q: str) -> list[str]:
        return [w["id"] for w in ok(coder(api, "GET", "/workspaces", params={"q": q}, as_="admin"))["workspaces"]]

    assert workspace_id in listed("owner:bob") and workspace_id not in listed("owner:alice")
    assert listed("owner:nobody-here") == []  # an unknown owner is a plain filter
    assert workspace_id in listed(name) and workspace_id in listed(f"name:{name[:6]}")
    assert workspace_id in listed("status:running") and workspace_id not in listed("status:stopped")
    assert workspace_id in listed("template:ai-tasks") and workspace_id not in listed("template:plain")
    refused = coder(api, "GET", "/workspaces", params={"q": "color:blue"})
    assert refused.status_code == 400 and error_message(refused) == "Invalid workspace search query."


# -- workspace builds and the task's lifecycle ----------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["experimental", "stable"])
def test_stopping_a_tasks_workspace_pauses_the_task_and_starting_it_resumes_it(apis: Any, profile: str) -> None:
    api = apis(profile)
    task = api.create_active(input="stop and start")
    workspace_id = task["workspace_id"]
    stop = ok(build(api, workspace_id, "stop"), 201)
    assert set(stop) >= WORKSPACE_BUILD and stop["transition"] == "stop"
    assert stop["build_number"] == task["workspace_build_number"] + 1
    api.wait_status(task["id"], "paused")
    latest = ok(coder(api, "GET", f"/workspaces/{workspace_id}"))["latest_build"]
    assert (latest["status"], latest["transition"], latest["resources"]) == ("stopped", "stop", [])
    start = ok(build(api, workspace_id, "start"), 201)
    assert start["transition"] == "start" and start["build_number"] == stop["build_number"] + 1
    seen = [task_status(api, task["id"])]
    poll(lambda: seen.append(task_status(api, task["id"])) or seen[-1], lambda status: status == "active")
    # through the queued status (pending; initializing before v2.31, coder/coder#21886) and initializing to active
    assert seen[0] == generation(profile).queued_status and "initializing" in seen


def test_a_build_is_refused_while_another_runs(apis: Any) -> None:
    api = apis("stable")
    task = api.create()  # its start build runs
    refused = build(api, task["workspace_id"], "stop")
    assert refused.status_code == 409 and error_message(refused) == "A workspace build is already active."
    api.wait_active(task["id"])
    ok(build(api, task["workspace_id"], "stop"), 201)
    assert build(api, task["workspace_id"], "start").status_code == 409  # the stop runs
    assert build(api, task["workspace_id"], "delete").status_code == 409
    api.wait_status(task["id"], "paused")
    assert build(api, task["workspace_id"], "stop").status_code == 201  # a stopped workspace may be stopped again


@pytest.mark.parametrize("transition", ["restart", "", None, 3])
def test_a_build_names_a_transition_coder_knows(apis: Any, transition: Any) -> None:
    api = apis("stable")
    task = api.create_active()
    refused = build(api, task["workspace_id"], transition)
    assert refused.status_code == 400 and error_message(refused) == "Validation failed."
    assert [v["field"] for v in refused.json()["validations"]] == ["transition"]
    assert task_status(api, task["id"]) == "active"  # nothing happened to the task


@pytest.mark.parametrize("profile", PROFILES)
def test_deleting_a_tasks_workspace_deletes_the_task(apis: Any, profile: str) -> None:
    api = apis(profile)
    task = api.create_active()
    workspace_id = task["workspace_id"]
    deleted = ok(build(api, workspace_id, "delete"), 201)
    assert deleted["transition"] == "delete" and deleted["status"] in ("deleting", "deleted")
    assert api.get(f"/tasks/me/{task['id']}").status_code == 404
    assert task["id"] not in api.list_ids()
    gone = coder(api, "GET", f"/workspaces/{workspace_id}")
    assert gone.status_code == 410 and "was deleted" in error_message(gone)
    shown = ok(coder(api, "GET", f"/workspaces/{workspace_id}", params={"deleted": "true"}))
    assert shown["latest_build"]["status"] == "deleted"
    assert workspace_id not in [w["id"] for w in ok(coder(api, "GET", "/workspaces"))["workspaces"]]
    assert coder(api, "GET", f"/workspaces/{workspace_id}", params={"deleted": "maybe"}).status_code == 400


def test_a_legacy_task_is_its_workspace_through_its_builds(apis: Any) -> None:
    api = apis("legacy")
    task = api.create_active(prompt="legacy builds")
    assert task["workspace_id"] == task["id"] and task["status"] == "running"
    ok(build(api, task["id"], "stop"), 201)
    stopped = api.wait_status(task["id"], "stopped")
    assert ok(coder(api, "GET", f"/workspaces/{task['id']}"))["latest_build"]["status"] == stopped["status"]
    ok(build(api, task["id"], "start"), 201)
    statuses = [task_status(api, task["id"])]
    poll(lambda: statuses.append(task_status(api, task["id"])) or statuses[-1], lambda status: status == "running")
    assert statuses[0] == "pending" and "starting" in statuses
    workspace = ok(coder(api, "GET", f"/workspaces/{task['id']}"))
    assert workspace["latest_build"]["status"] == task_status(api, task["id"]) == "running"


def test_a_build_without_a_token_is_401_and_changes_nothing(apis: Any) -> None:
    api = apis("stable")
    task = api.create_active()
    refused = coder(api, "POST", f"/workspaces/{task['workspace_id']}/builds", as_=None, json={"transition": "stop"})
    assert refused.status_code == 401 and error_message(refused) == SIGNED_OUT
    assert task_status(api, task["id"]) == "active"


# -- the routes clients create workspaces and follow builds with ------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_a_users_organizations(apis: Any, profile: str) -> None:
    api = apis(profile)
    mine = ok(coder(api, "GET", "/users/me/organizations"))
    assert [set(org) for org in mine] == [ORGANIZATION] and mine[0]["id"] == api.ids.org.id
    assert ok(coder(api, "GET", f"/users/{api.user_id('bob')}/organizations")) == mine
    assert ok(coder(api, "GET", "/users/BOB/organizations", as_="admin")) == mine
    assert coder(api, "GET", "/users/nobody/organizations").status_code == 404
    assert coder(api, "GET", "/users/me/organizations", as_=None).status_code == 401


@pytest.mark.parametrize("profile", PROFILES)
def test_the_ai_templates_version_declares_the_ai_prompt_parameter(apis: Any, profile: str) -> None:
    api = apis(profile)
    parameters = ok(coder(api, "GET", f"/templateversions/{api.ai_version}/rich-parameters"))
    assert [set(p) for p in parameters] == [TEMPLATE_VERSION_PARAMETER]
    assert (parameters[0]["name"], parameters[0]["type"], parameters[0]["required"]) == ("AI Prompt", "string", False)
    assert ok(coder(api, "GET", f"/templateversions/{api.plain_version}/rich-parameters")) == []
    nobody = "00000000-0000-4000-8000-000000000000"
    assert coder(api, "GET", f"/templateversions/{nobody}/rich-parameters").status_code == 404
    assert coder(api, "GET", "/templateversions/x/rich-parameters").status_code == 400


def template_names(api: Api, q: str) -> list[str]:
    return sorted(t["name"] for t in ok(coder(api, "GET", "/templates", params={"q": q})))


@pytest.mark.parametrize(("q", "names"), [
    ("has-ai-task:true", ["ai-tasks"]), ("has-ai-task:false", ["plain"]), ("HAS-AI-TASK:T", ["ai-tasks"]),
    ("plain", ["plain"]), ("name:tasks", ["ai-tasks"]), ("name:ai", ["ai-tasks", "plain"]), ("exact_name:ai", []),
    ("exact_name:ai-tasks", ["ai-tasks"]),
    ("deprecated:false", ["ai-tasks", "plain"]), ("deprecated:true", []), ("deleted:true", []),
    ("organization:coder", ["ai-tasks", "plain"]), ("author:admin", ["ai-tasks", "plain"]), ("author:me", []),
    ("has_external_agent:true", []), ("", ["ai-tasks", "plain"])])
def test_the_template_search_filters_as_coder_does(apis: Any, q: str, names: list[str]) -> None:
    assert template_names(apis("stable"), q) == names


@pytest.mark.parametrize(("q", "field"), [("owner:me", "owner"), ("has-ai-task:maybe", "has-ai-task"),
                                          ("organization:nope", "organization"), ("ids:x", "ids"),
                                          ("name:a name:b", "name"), ("a:b:c", "q")])
def test_the_template_search_refuses_what_coder_refuses(apis: Any, q: str, field: str) -> None:
    response = coder(apis("stable"), "GET", "/templates", params={"q": q})
    assert response.status_code == 400 and error_message(response) == "Invalid template search query."
    assert [v["field"] for v in response.json()["validations"]] == [field]


def create_workspace(api: Api, *, as_: str = "alice", user: str = "me", **body: Any) -> httpx.Response:
    body.setdefault("name", unique("ws"))
    return coder(api, "POST", f"/users/{user}/workspaces", as_=as_, json=body)


@pytest.mark.parametrize("profile", PROFILES)
def test_a_workspace_of_the_plain_template_is_created_and_its_build_runs(apis: Any, profile: str) -> None:
    api = apis(profile)
    workspace = ok(create_workspace(api, template_version_id=api.plain_version), 201)
    assert set(workspace) >= WORKSPACE and set(workspace) - WORKSPACE <= {"task_id"}
    assert workspace.get("task_id") is None and workspace["owner_name"] == "alice"
    latest = workspace["latest_build"]
    assert (latest["status"], latest["transition"], latest["job"]["status"]) == ("pending", "start", "pending")
    assert ok(coder(api, "GET", f"/workspaces/{workspace['id']}"))["id"] == workspace["id"]
    assert workspace["id"] in {w["id"] for w in ok(coder(api, "GET", "/workspaces"))["workspaces"]}
    assert coder(api, "GET", f"/workspaces/{workspace['id']}", as_="bob").status_code == 404
    assert workspace["id"] not in api.list_ids()  # not a task
    path = f"/workspacebuilds/{latest['id']}"
    seen: list[str] = []
    poll(lambda: seen.append(ok(coder(api, "GET", path))["job"]["status"]) or seen[-1], lambda s: s == "succeeded")
    assert seen[0] in ("pending", "running") and ok(coder(api, "GET", path))["status"] == "running"


@pytest.mark.parametrize("profile", PROFILES)
def test_a_workspace_of_the_ai_template_is_a_task_only_in_legacy(apis: Any, profile: str) -> None:
    api = apis(profile)
    template_id = ok(coder(api, "GET", f"/templateversions/{api.ai_version}"))["template_id"]
    body = {"name": unique("agent"), "template_id": template_id, "template_version_preset_id": api.ids.preset_id,
            "rich_parameter_values": [{"name": "AI Prompt", "value": "Review the open pull requests"}]}
    path = f"/organizations/{api.ids.org.id}/members/me/workspaces"
    workspace = ok(coder(api, "POST", path, json=body), 201)
    assert set(workspace) >= WORKSPACE and workspace["template_id"] == template_id
    if profile == "legacy":  # a workspace of an AI template is a task, its prompt the AI Prompt parameter
        assert api.task(workspace["id"])["initial_prompt"] == "Review the open pull requests"
    else:  # a task is made by the Tasks API only
        assert workspace["task_id"] is None and workspace["id"] not in api.list_ids()
    again = coder(api, "POST", path, json=body)
    assert again.status_code == 409 and error_message(again) == f'Workspace "{body["name"]}" already exists.'


def test_creating_a_workspace_refuses_what_coder_refuses(apis: Any) -> None:
    api = apis("stable")
    unnamed = create_workspace(api, name="", template_version_id=api.plain_version)
    assert unnamed.status_code == 400 and unnamed.json()["validations"][0]["field"] == "name"
    assert create_workspace(api, name="not a name", template_version_id=api.plain_version).status_code == 400
    nobody = "00000000-0000-4000-8000-000000000000"
    missing = create_workspace(api, template_version_id=nobody)
    assert missing.status_code == 400 and error_message(missing) == f'Template version "{nobody}" doesn\'t exist.'
    assert create_workspace(api, template_id=nobody).status_code == 400
    assert create_workspace(api, user="bob", template_version_id=api.plain_version).status_code == 403
    assert create_workspace(api, as_="admin", user="bob", template_version_id=api.plain_version).status_code == 201
    assert create_workspace(api, user="nobody", template_version_id=api.plain_version).status_code == 404
    assert create_workspace(api, as_=None, template_version_id=api.plain_version).status_code == 401
    other_org = coder(api, "POST", "/organizations/elsewhere/members/me/workspaces",
                      json={"name": unique("ws"), "template_version_id": api.plain_version})
    assert other_org.status_code == 404


@pytest.mark.parametrize("profile", ["experimental", "stable"])
def test_a_resumed_tasks_build_is_read_until_it_is_done(apis: Any, profile: str) -> None:
    api = apis(profile)
    task = api.create_paused(input="resume and follow the build") if profile == "stable" else None
    if task is None:
        task = api.create_active(input="stop, start and follow the build")
        ok(build(api, task["workspace_id"], "stop"), 201)
        api.wait_status(task["id"], "paused")
        started = ok(build(api, task["workspace_id"], "start"), 201)
    else:
        response = api.resume(task["id"])
        assert response.status_code == 202, response.text
        started = response.json()["workspace_build"]
    path = f"/workspacebuilds/{started['id']}"
    first = ok(coder(api, "GET", path))
    assert set(first) >= WORKSPACE_BUILD and first["transition"] == "start" and first["id"] == started["id"]
    seen = [first["job"]["status"]]
    poll(lambda: seen.append(ok(coder(api, "GET", path))["job"]["status"]) or seen[-1], lambda s: s == "succeeded")
    assert seen[0] == "pending"
    assert coder(api, "GET", path, as_="bob").status_code == 404
    assert ok(coder(api, "GET", path, as_="admin"))["id"] == started["id"]
    assert coder(api, "GET", "/workspacebuilds/00000000-0000-4000-8000-000000000000").status_code == 404
    assert coder(api, "GET", "/workspacebuilds/nope").status_code == 400
    assert coder(api, "GET", path, as_=None).status_code == 401


@pytest.mark.parametrize("profile", PROFILES)
def test_a_created_workspace_stops_starts_and_is_deleted_through_its_builds(apis: Any, profile: str) -> None:
    api = apis(profile)
    workspace = ok(create_workspace(api, template_version_id=api.plain_version), 201)
    path = f"/workspaces/{workspace['id']}"
    refused = build(api, workspace["id"], "stop")  # its first build still runs
    assert refused.status_code == 409 and error_message(refused) == "A workspace build is already active."
    poll(lambda: ok(coder(api, "GET", path))["latest_build"]["status"], lambda status: status == "running")
    stop = ok(build(api, workspace["id"], "stop"), 201)
    assert (stop["transition"], stop["status"], stop["build_number"]) == ("stop", "stopping", 2)
    poll(lambda: ok(coder(api, "GET", f"/workspacebuilds/{stop['id']}"))["status"], lambda s: s == "stopped")
    start = ok(build(api, workspace["id"], "start"), 201)
    assert (start["transition"], start["status"], start["build_number"]) == ("start", "pending", 3)
    poll(lambda: ok(coder(api, "GET", path))["latest_build"]["status"], lambda status: status == "running")
    assert ok(build(api, workspace["id"], "delete"), 201)["status"] == "deleting"
    gone = poll(lambda: coder(api, "GET", path), lambda response: response.status_code == 410)
    assert "was deleted" in error_message(gone)
    assert workspace["id"] not in {w["id"] for w in ok(coder(api, "GET", "/workspaces"))["workspaces"]}
