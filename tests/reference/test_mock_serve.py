"""``tasks-conformance serve`` for a client's tests: one Ready line once the server answers and its config file is
whole, --seed, --control and --scenario."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from conformance.reference.mock.control_api import CONTROL_PREFIX

REPO_ROOT = Path(__file__).resolve().parents[2]

SCENARIO_TOML = """
replies = ["On it."]

[[users]]
username = "carol"

[[templates]]
name = "docs"

[[tasks]]
owner = "carol"
name = "write-docs"
status = "paused"
prompt = "Write the docs"
template = "docs"
logs = [["input", "Write the docs"], ["output", "Drafted."]]
agent_state = "idle"
agent_message = "Waiting for review"

[[tasks]]
name = "busy-one"
busy = true
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}


class Served:
    """A ``serve`` subprocess, read up to its Ready line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "conformance.serve", "--port", "0", *args],
                                     cwd=REPO_ROOT, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Ready: "):
                break
        assert self.lines and self.lines[-1].startswith("Ready: "), (self.lines, self.proc.stderr)
        self.url = self.lines[-1].split()[1]

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=15)
        return "\n".join(self.lines) + "\n" + out


Starter = Callable[..., Served]


@pytest.fixture()
def serve() -> Iterator[Starter]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        served = Served(*args)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def test_one_ready_line_after_the_config_is_whole(serve: Starter, tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    served = serve("--seed", "7", "--control", "--write-config", str(config))
    target = tomllib.loads(config.read_text())["target"]  # whole when the line is printed: read at once
    assert served.lines[-1] == f"Ready: {target['url']} (config: {config})"
    assert served.url == target["url"]
    assert not list(tmp_path.glob(".mock.toml.*")), "a temporary file of the atomic write was left"
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert httpx.get(f"{served.url}{CONTROL_PREFIX}/config", timeout=10).json() == target
    output = served.stop()
    assert sum(line.startswith("Ready: ") for line in output.splitlines()) == 1, output


def test_the_same_seed_gives_the_same_tokens_and_ids(serve: Starter, tmp_path: Path) -> None:
    configs = []
    for index in range(2):
        path = tmp_path / f"c{index}.toml"
        serve("--seed", "11", "--write-config", str(path))
        configs.append(tomllib.loads(path.read_text())["target"])
    first, second = ({k: v for k, v in c.items() if k != "url"} for c in configs)
    assert first == second and configs[0]["url"] != configs[1]["url"]


@pytest.mark.parametrize("form", ["toml", "json"])
def test_a_scenario_file_is_loaded_before_ready(serve: Starter, tmp_path: Path, form: str) -> None:
    scenario = tmp_path / f"scenario.{form}"
    text = SCENARIO_TOML if form == "toml" else json.dumps(tomllib.loads(SCENARIO_TOML))
    scenario.write_text(text)
    served = serve("--control", "--scenario", str(scenario))
    users = httpx.get(f"{served.url}{CONTROL_PREFIX}/users", timeout=10).json()
    carol = next(user for user in users["all"] if user["username"] == "carol")
    api = httpx.Client(base_url=f"{served.url}/api/v2", timeout=10)
    tasks = api.get("/tasks", headers={"Coder-Session-Token": carol["token"]}).json()["tasks"]
    assert [(t["name"], t["status"], t["template_name"], t["current_state"]["message"]) for t in tasks] == \
        [("write-docs", "paused", "docs", "Waiting for review")]
    logs = api.get(f"/tasks/carol/{tasks[0]['id']}/logs", headers={"Coder-Session-Token": carol["token"]}).json()
    assert [entry["content"] for entry in logs["logs"]] == ["Write the docs", "Drafted."]
    member = {"Coder-Session-Token": users["member"]["token"]}
    busy = api.post("/tasks/me/busy-one/send", json={"input": "x"}, headers=member)
    assert busy.status_code == 409, busy.text


def test_without_control_the_control_api_is_not_there(serve: Starter) -> None:
    served = serve()
    answer = httpx.post(f"{served.url}{CONTROL_PREFIX}/reset", timeout=10)
    assert (answer.status_code, answer.json()) == (404, {"message": "Route not found."})


def test_a_bad_scenario_is_one_line_and_exit_2(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text('[[tasks]]\nstatus = "running"\n')
    result = subprocess.run([sys.executable, "-m", "conformance.serve", "--scenario", str(scenario)], cwd=REPO_ROOT,
                            env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "unknown status 'running'" in result.stderr
    assert "Ready" not in result.stdout
