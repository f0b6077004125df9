"""Coder's routes around the Tasks API that its clients call (GitHub Actions, chat bots, MCP servers): users,
organizations, templates, template versions and their presets, workspaces and their builds, with Coder's own bodies
(the routes of coderd/coderd.go; the bodies of codersdk). One module per resource; this one routes.

``route`` names the handler of a request's path (segments after ``/api/v2``) and method, or None: the app then goes
on as before (buildinfo, the Tasks API, or 404 "Route not found."). Every route here authenticates first, as
Coder's do (401 without a token); the handler gets the caller and answers an ``Answer``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..answers import Answer
from . import builds, creation, organizations, templates, users, workspaces
from .common import Call, Core

__all__ = ["Call", "Core", "Handler", "route"]

Handler = Callable[[Call], Answer]

# (method, the path's shape after /api/v2: a literal segment, or "*" for a parameter) -> handler
_ROUTES: dict[tuple[str, tuple[str, ...]], Handler] = {
    ("GET", ("users",)): users.search,
    ("GET", ("users", "*")): users.get,
    ("GET", ("users", "*", "organizations")): organizations.of_user,
    ("POST", ("users", "*", "workspaces")): creation.for_user,
    ("GET", ("organizations",)): organizations.listed,
    ("GET", ("organizations", "*")): organizations.get,
    ("GET", ("organizations", "*", "templates")): templates.of_organization,
    ("GET", ("organizations", "*", "templates", "*")): templates.by_name,
    ("POST", ("organizations", "*", "members", "*", "workspaces")): creation.for_member,
    ("GET", ("templates",)): templates.listed,
    ("GET", ("templates", "*")): templates.get,
    ("GET", ("templateversions", "*")): templates.version,
    ("GET", ("templateversions", "*", "presets")): templates.presets,
    ("GET", ("templateversions", "*", "rich-parameters")): templates.rich_parameters,
    ("GET", ("workspaces",)): workspaces.listed,
    ("GET", ("workspaces", "*")): workspaces.get,
    ("POST", ("workspaces", "*", "builds")): builds.create,
    ("GET", ("workspacebuilds", "*")): builds.get,
}


def route(segments: list[str], method: str) -> tuple[Handler, tuple[str, ...]] | None:
    """The handler of a request and its path parameters, or None when the path is none of these routes."""
    if segments[:2] != ["api", "v2"] or any(segment == "" for segment in segments[2:]):
        return None
    rest = segments[2:]
    for (wanted_method, shape), handler in _ROUTES.items():
        if wanted_method == method and len(shape) == len(rest) \
                and all(part in ("*", given) for part, given in zip(shape, rest, strict=True)):
            return handler, tuple(given for part, given in zip(shape, rest, strict=True) if part == "*")
    return None

