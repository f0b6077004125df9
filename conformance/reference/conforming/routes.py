"""Routing in Coder's order: the path segments of a request, and the Tasks API route they name (after the prefix).

Which sub-routes a release serves is the generation's (generation.py ``routes``); which prefixes, a decision."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from starlette.types import Scope

# the operationId (the contracts') of each route and method
OPERATION_IDS = {("list", "GET"): "listTasks", ("create", "POST"): "createTask", ("task", "GET"): "getTask",
                 ("task", "DELETE"): "deleteTask", ("logs", "GET"): "getTaskLogs",
                 ("send", "POST"): "sendTaskInput", ("input", "PATCH"): "updateTaskInput",
                 ("pause", "POST"): "pauseTask", ("resume", "POST"): "resumeTask"}


@dataclass(frozen=True)
class Routed:
    name: str
    methods: tuple[str, ...]
    params: dict[str, str]


def match_route(rest: list[str], routes: tuple[str, ...]) -> Routed | None:
    """Match the path segments after the API prefix."""
    if not rest or rest[0] != "tasks" or any(segment == "" for segment in rest):
        return None
    if len(rest) == 1:
        return Routed("list", ("GET",), {})
    if len(rest) == 2:
        return Routed("create", ("POST",), {"user": rest[1]})
    params = {"user": rest[1], "task": rest[2]}
    if len(rest) == 3:
        return Routed("task", ("GET", "DELETE"), params)
    methods = {"logs": ("GET",), "send": ("POST",), "input": ("PATCH",), "pause": ("POST",), "resume": ("POST",)}
    if len(rest) == 4 and rest[3] in routes:
        return Routed(rest[3], methods[rest[3]], params)
    return None


def path_segments(scope: Scope) -> list[str] | None:
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))
    path = path.split("?", 1)[0]
    if not path.startswith("/"):
        return None
    return [unquote(segment, errors="replace") for segment in path[1:].split("/")]
