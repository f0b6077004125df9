"""What a server's own answers say of its release, read without asking it anything: the version header, and the
sentence for a release that serves no Tasks API. The live preflight (detect.py, preflight.py) and the offline
audit read answers with these."""

from __future__ import annotations

from conformance.contracts.profiles import ROUTE_NOT_FOUND, Version, without_tasks_api
from conformance.runner.records.evidence import parse_json

VERSION_HEADER = "x-coder-build-version"


def removed_sentence(version: Version | None, status: int, content: bytes) -> str | None:
    """The sentence for an answer `404 Route not found.` of a release that may serve no Tasks API (from v2.36: decided
    from such an answer, never from the version alone), else None. The preflight's list and an audit ask it."""
    if status != 404:
        return None
    try:
        body = parse_json(content)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("message") != ROUTE_NOT_FOUND:
        return None
    return without_tasks_api(version)
