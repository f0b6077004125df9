"""A scenario: the world a client's test starts from (users, templates, tasks with their status, log, agent state and
answers; switches), written in a TOML or JSON file for ``tasks-conformance serve --scenario FILE`` or posted as JSON
to the control API (``POST /__tasks_mock__/v1/scenario``). It is applied through the controls (controls.py), in the
order users, templates, tasks, replies, switches; the format is in docs/mock-control-api.md.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .controls import Controls

SCENARIO_KEYS = frozenset({"users", "templates", "tasks", "replies", "switch"})
USER_KEYS = frozenset({"username", "owner"})
TEMPLATE_KEYS = frozenset({"name", "has_ai_task"})
TASK_KEYS = frozenset({"owner", "status", "name", "display_name", "prompt", "logs", "agent_state", "agent_message",
                       "agent_uri", "template", "replies", "busy", "unreachable"})
SWITCH_KEYS = frozenset({"faults", "variations", "requests"})
MAX_SCENARIO_BYTES = 4 << 20


def read_scenario(path: Path) -> dict[str, Any]:
    """A scenario file: JSON when its name ends in ``.json``, else TOML (ValueError: unreadable or malformed)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SCENARIO_BYTES + 1)
    except OSError as error:
        raise ValueError(f"cannot read the scenario {path}: {error.strerror or error}") from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise ValueError(f"the scenario {path} is larger than {MAX_SCENARIO_BYTES} bytes")
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"the scenario {path} is not valid {'JSON' if path.suffix == '.json' else 'TOML'}: "
                         f"{error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"the scenario {path} is not an object")
    return data


def apply_scenario(controls: Controls, scenario: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a scenario through the controls; what it made: the users (with tokens), template version ids by
    template name, task ids by task name. ValueError names the first entry that is wrong."""
    _known(scenario, SCENARIO_KEYS, "the scenario")
    users = [_user(controls, entry) for entry in _tables(scenario, "users")]
    versions = {}
    for entry in _tables(scenario, "templates"):
        _known(entry, TEMPLATE_KEYS, "a template")
        name = _text(entry, "name", None, "a template")
        versions[name] = controls.add_template(name, has_ai_task=_flag(entry, "has_ai_task", True, "a template"))
    tasks = {}
    for number, entry in enumerate(_tables(scenario, "tasks"), start=1):
        where = f"task {number}"
        task_id = _task(controls, entry, where)
        tasks[_text(entry, "name", task_id, where)] = task_id
    if "replies" in scenario:
        controls.script_replies(_replies(scenario["replies"], "the scenario"))
    if "switch" in scenario:
        switch = scenario["switch"]
        if not isinstance(switch, dict):
            raise ValueError("switch must be a table")
        _known(switch, SWITCH_KEYS, "switch")
        requests = switch.get("requests")
        controls.switch(faults=_texts(switch, "faults", "switch"), variations=_texts(switch, "variations", "switch"),
                        requests=requests)
    made_users = [user.to_json() for user in users]
    return {"users": made_users, "template_versions": versions, "tasks": tasks}


def _user(controls: Controls, entry: Mapping[str, Any]) -> Any:
    _known(entry, USER_KEYS, "a user")
    return controls.add_user(_text(entry, "username", None, "a user"), owner=_flag(entry, "owner", False, "a user"))


def _task(controls: Controls, entry: Mapping[str, Any], where: str) -> str:
    _known(entry, TASK_KEYS, where)
    template = entry.get("template")
    version = None
    if template is not None:
        found = controls.template_version_of(str(template))
        if found is None:
            raise ValueError(f"{where}: no template named or with version {template!r}")
        version = found
    state = _optional_text(entry, "agent_state", where)
    task_id = controls.add_task(
        owner=_optional_text(entry, "owner", where), status=_text(entry, "status", "active", where),
        name=_optional_text(entry, "name", where), display_name=_optional_text(entry, "display_name", where),
        prompt=_text(entry, "prompt", "", where),
        logs=log_entries(entry.get("logs", []), where), agent_state=state,
        agent_message=_text(entry, "agent_message", "", where), agent_uri=_text(entry, "agent_uri", "", where),
        template_version_id=version)
    if "replies" in entry:
        controls.script_replies(_replies(entry["replies"], where), task_id=task_id)
    if _flag(entry, "busy", False, where):
        controls.agent_busy(task_id)
    if _flag(entry, "unreachable", False, where):
        controls.agent_unreachable(task_id)
    return task_id


def log_entries(value: Any, where: str) -> list[tuple[str, str]]:
    """A log as given: ``[type, content]`` pairs or ``{"type": ..., "content": ...}`` objects."""
    if not isinstance(value, list):
        raise ValueError(f"{where}: logs must be a list")
    entries = []
    for entry in value:
        if isinstance(entry, dict) and set(entry) == {"type", "content"}:
            kind, content = entry["type"], entry["content"]
        elif isinstance(entry, list | tuple) and len(entry) == 2:
            kind, content = entry
        else:
            raise ValueError(f"{where}: a log entry is [type, content] or {{type, content}}, not {entry!r}")
        if not isinstance(kind, str) or not isinstance(content, str):
            raise ValueError(f"{where}: a log entry's type and content are strings")
        entries.append((kind, content))
    return entries


def _replies(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: replies must be a list of strings (or null: the agent's own answers)")
    return value


def _tables(scenario: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = scenario.get(key, [])
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise ValueError(f"{key} must be a list of tables")
    return value


def _known(entry: Mapping[str, Any], keys: frozenset[str], where: str) -> None:
    unknown = sorted(set(entry) - keys)
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(unknown)}; known: {', '.join(sorted(keys))}")


def _text(entry: Mapping[str, Any], key: str, default: str | None, where: str) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{where}: {key} must be a string" + (" (required)" if default is None else ""))
    return value


def _optional_text(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: {key} must be a string")
    return value


def _texts(entry: Mapping[str, Any], key: str, where: str) -> Sequence[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{where}: {key} must be a list of strings")
    return value


def _flag(entry: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key} must be true or false")
    return value
