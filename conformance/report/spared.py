"""The sentence the reports add when the server's release predates some of its generation's requirements: how
many it was spared, and that `tasks-conformance changes` lists what a newer release of the line would be held to."""

from __future__ import annotations

from conformance.contracts.profiles import PROFILES, parse_version, shown
from conformance.runner.outcomes.result import RunResult


def spared(result: RunResult) -> str | None:
    """None when the run was spared nothing (the release has every feature of its line, or named no release)."""
    count = sum(1 for r in result.requirements if not r.promised)
    version = parse_version(result.facts.server_version)
    profile = PROFILES.get(result.facts.profile)
    if not count or version is None or profile is None:
        return None
    return (f"this {shown(version)} server was spared {count} requirement{'s' if count != 1 else ''} of the "
            f"{profile.name} profile that newer releases of its line promise (skipped: its release predates them); "
            f"`tasks-conformance changes {shown(version)} {profile.name}` lists what changes for clients on an "
            "upgrade")
