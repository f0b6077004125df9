"""Run fleet-mcp itself, unmodified, against a running `tasks-conformance serve --profile legacy`.

fleet-mcp is published on PyPI as ``setup-fleet-mcp`` (0.12.1, the code of vgijssel/setup libs/fleet-mcp). It pins
its own fastmcp, pydantic and uvicorn, so it runs in a virtualenv of its own, not the suite's:

    python3 -m venv /tmp/fleet && /tmp/fleet/bin/pip install setup-fleet-mcp==0.12.1
    tasks-conformance serve --profile legacy --write-config /tmp/legacy.toml &
    /tmp/fleet/bin/python tests/clients/fleet_mcp_unmodified.py /tmp/legacy.toml

It makes one agent the way a Coder user would (a legacy task is a workspace), then calls every MCP tool of the
server in process through fastmcp's client, as an MCP host would, and prints one line per tool: the tool, PASS or
FAIL, and what it answered. The exit status is the number of tools that failed. Only the standard library, httpx
and what setup-fleet-mcp installs are imported here; the session token is read from the config file and never
printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import tomllib
from collections.abc import Callable
from typing import Any

import httpx

AGENT_TIMEOUT = 10.0


def _agent(target: dict[str, str]) -> str:
    """A running, idle agent made through the legacy Tasks API; its (workspace) name."""
    headers = {"Coder-Session-Token": target["token"]}
    with httpx.Client(base_url=target["url"], headers=headers, timeout=10.0) as coder:
        created = coder.post("/api/experimental/tasks/me", json={
            "template_version_id": target["template_version_id"], "prompt": "Set up the repository"})
        created.raise_for_status()
        task = created.json()
        deadline = time.monotonic() + AGENT_TIMEOUT
        while not (task["status"] == "running" and (task.get("current_state") or {}).get("state") == "idle"):
            if time.monotonic() > deadline:
                raise SystemExit(f"the agent did not start: {task['status']}")
            time.sleep(0.05)
            task = coder.get(f"/api/experimental/tasks/me/{task['id']}").json()
        return str(task["name"])


async def _tools(agent: str) -> list[tuple[str, bool, str]]:
    from fastmcp import Client  # setup-fleet-mcp's own dependency
    from fleet_mcp.__main__ import mcp  # reads CODER_URL and CODER_SESSION_TOKEN when imported

    def listed(key: str) -> Callable[[dict[str, Any]], bool]:
        return lambda answer: bool(answer.get(key))

    # Each tool, its arguments, and what its answer must show for the tool to have done its job.
    calls: list[tuple[str, dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
        ("list_agents", {}, lambda a: any(agent_["name"] == agent for agent_ in a.get("agents", []))),
        ("show_agent", {"agent_name": agent}, lambda a: a.get("agent", {}).get("status") == "idle"),
        ("list_agent_projects", {}, lambda a: "projects" in a),  # only templates with AI and System Prompt params
        ("list_agent_roles", {"project": "AI Tasks"}, listed("roles")),
        ("start_agent_task", {"agent_name": agent, "task_description": "Add a README"}, lambda a: "message" in a),
        ("show_agent_log", {"agent_name": agent, "page_size": 5},
         lambda a: any(entry.get("content") == "Add a README" for entry in a.get("logs", []))),
        ("show_agent_task_history", {"agent_name": agent}, lambda a: "tasks" in a),
        ("restart_agent", {"agent_name": agent}, lambda a: "agent" in a or "message" in a),
        ("create_agent", {"name": "sony", "project": "AI Tasks", "task": "Review the open pull requests"},
         lambda a: "agent" in a),
        ("delete_agent", {"agent_name": agent}, lambda a: "message" in a),
    ]
    results = []
    async with Client(mcp) as client:
        for tool, arguments, done in calls:
            try:
                answered = await client.call_tool(tool, arguments, raise_on_error=False)
            except Exception as error:  # noqa: BLE001 - every tool's outcome is reported, none stops the run
                results.append((tool, False, f"{type(error).__name__}: {error}"))
                continue
            structured = answered.structured_content
            text = (json.dumps(structured) if structured is not None
                    else " ".join(getattr(part, "text", "") for part in answered.content))
            passed = not answered.is_error and isinstance(structured, dict) and done(structured)
            results.append((tool, passed, text))
    return results


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], "rb") as config:
        target = tomllib.load(config)["target"]
    os.environ["CODER_URL"] = target["url"]
    os.environ["CODER_SESSION_TOKEN"] = target["token"]
    agent = _agent(target)
    results = asyncio.run(_tools(agent))
    for tool, passed, text in results:
        print(f"{'PASS' if passed else 'FAIL'} {tool}: {text[:400]}")
    return sum(1 for _, passed, _ in results if not passed)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
