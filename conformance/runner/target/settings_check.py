"""The preflight of what the user configured: is the template version one a task can be created from, is the
organization name one the server knows.

A mistyped value is the user's error, not the server's: it ends the run before any check (exit 3) with one sentence
naming the setting and what the server answered. A value counts as wrong only when the server answers it exactly as
it answers a value known to be wrong (a made-up id or name, the configured non-AI template version) and Coder's own
resource route does not know it either; anything else is the server's to answer for, and the checks judge it.
"""

from __future__ import annotations

import contextlib
import uuid

import httpx

from conformance.runner.http.client import ApiClient, TransportError, segment
from conformance.runner.records.evidence import EvidenceLog
from conformance.runner.tasks.expect import NO_AI_TASK_MESSAGES, error_message
from conformance.runner.tasks.factory import TaskFactory
from conformance.runner.tasks.session import RunContext

MADE_UP_ORGANIZATION = "ct-no-such-organization"


class SettingError(Exception):
    """A configured value the server does not accept. One sentence, no secrets."""


def check_settings(run: RunContext, log: EvidenceLog) -> None:
    """Raise SettingError for the first configured value the server shows to be wrong. An answer the suite cannot
    take in (no response, too large, still rate limited) tells nothing about the value: the checks meet it too."""
    client, base = run.client("primary"), run.base_client("primary")
    assert client is not None and base is not None
    target = run.config.target
    if target.template_version_id and target.template_version_id == target.non_ai_template_version_id:
        raise SettingError(f"template_version_id and non_ai_template_version_id are both {target.template_version_id}"
                           ": the first must be a version of a template with an AI task, the second of one without")
    with contextlib.suppress(TransportError):
        if target.template_version_id and not run.config.run.read_only:
            _check_template_version(run, client, base, target.template_version_id,
                                    target.non_ai_template_version_id, log)
    with contextlib.suppress(TransportError):
        if target.organization_name:
            _check_organization(client, base, target.organization_name, log)


def _answer(response: httpx.Response, *values: str) -> tuple[int, str | None]:
    """A refusal with the values it names masked: two refusals of different values compare equal when the server
    refused them for the same reason."""
    message = error_message(response)
    for value in values:
        if message is not None and value:
            message = message.replace(value, "…")
    return response.status_code, message


def _said(response: httpx.Response) -> str:
    message = error_message(response)
    return f"{response.status_code}" + (f" ({message!r})" if message else "")


def _refused(response: httpx.Response) -> bool:
    """A 4xx that is about the request (not the token, not the rate)."""
    return 400 <= response.status_code < 500 and response.status_code not in (401, 403, 429)


def _coder_knows(base: ApiClient, kind: str, ref: str, log: EvidenceLog) -> bool:
    """Whether Coder's own route for the resource (GET /api/v2/organizations/{ref}, /api/v2/templateversions/{ref};
    `base` is a client at the server's base URL) answers 200; a server without the route (a gateway, a mock) does not
    know it either."""
    try:
        response = base.request("GET", f"/api/v2/{kind}/{segment(ref)}", log=log)
    except TransportError:
        return False
    return response.status_code == 200


def _check_template_version(run: RunContext, client: ApiClient, base: ApiClient, version: str, non_ai: str | None,
                            log: EvidenceLog) -> None:
    """One create with the configured template version; when it is refused, the settings are wrong if it is refused
    as a made-up version is (unknown), if the non-AI version (when given) is accepted (the two swapped), or if it is
    refused as the non-AI one is or with Coder's words for a version without an AI task (it cannot run AI tasks).
    Every task these creates make is deleted at once."""
    factory = TaskFactory(run)

    def create(template_version_id: str) -> httpx.Response:
        body = dict(factory.body("preflight"), template_version_id=template_version_id)
        response = client.create_task(body, log=log)
        factory.adopt_response(client, response)
        return response

    where = f"POST {client.url('/tasks/me')}"
    try:
        response = create(version)
        if not _refused(response):
            return  # whether the non-AI version is refused is CREATE-TEMPLATE-NO-AI-400's to judge
        made_up = str(uuid.uuid4())
        if not _coder_knows(base, "templateversions", version, log) \
                and _answer(create(made_up), made_up) == _answer(response, version):
            raise SettingError(f"template_version_id {version} is not a template version this server knows: "
                               f"{where} answered {_said(response)}, as it does for a made-up id; set it to a version "
                               "of a template with an AI task (coder templates versions list TEMPLATE)")
        other = create(non_ai) if non_ai and non_ai != version else None
        if other is not None and 200 <= other.status_code < 300:
            raise SettingError(f"template_version_id and non_ai_template_version_id look swapped: {where} refused "
                               f"template_version_id {version} ({_said(response)}) and made a task from "
                               f"non_ai_template_version_id {non_ai}; exchange the two")
        if error_message(response) in NO_AI_TASK_MESSAGES or (
                other is not None and non_ai and _answer(other, non_ai) == _answer(response, version)):
            raise SettingError(f"template_version_id {version} cannot run AI tasks: {where} answered "
                               f"{_said(response)}" + (", as it does for non_ai_template_version_id" if other else "")
                               + "; set it to a version of a template with an AI task (a coder_ai_task resource)")
    finally:
        factory.cleanup()


def _check_organization(client: ApiClient, base: ApiClient, name: str, log: EvidenceLog) -> None:
    """The organization filter with the configured name; refused as a made-up name is refused, and unknown to
    GET /api/v2/organizations/{name}, it is the setting that is wrong."""
    response = client.list_tasks(f"organization:{name}", log=log)
    if not _refused(response):
        return
    other = client.list_tasks(f"organization:{MADE_UP_ORGANIZATION}", log=log)
    if _answer(other, MADE_UP_ORGANIZATION) == _answer(response, name) \
            and not _coder_knows(base, "organizations", name, log):
        raise SettingError(f"organization_name {name!r} is not an organization this server knows: GET "
                           f"{client.url('/tasks')}?q=organization:{name} answered {_said(response)}, as it does "
                           "for a made-up name; set it to the name of the members' organization (coder "
                           "organizations show me)")
