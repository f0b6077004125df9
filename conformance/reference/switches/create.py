"""Switches of create: the template, the name and display name rules, the input, and the create answer."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from ..conforming.answers import Answer
from ..conforming.app import CREATE_FIELDS
from ..conforming.decisions import Decisions
from ..conforming.identities import Template, User
from ..conforming.query import Validation
from ..conforming.responses import ApiError
from .kinds import LEGACY_ONLY, STABLE_ONLY, Switch, fault, variation


def _template_or_default(unknown_too: bool) -> Any:
    """Create with the AI template when no template version is given (or, ``unknown_too``, an unknown one)."""
    def decide(below: Decisions, version_id: str | None) -> Template:
        if version_id is None or (unknown_too and below.identities.template_version(version_id) is None):
            return below.identities.ai_template
        return below.template(version_id)
    return decide


def _template_error_400(below: Decisions, version_id: str | None) -> Template:
    try:
        return below.template(version_id)
    except ApiError as error:
        raise ApiError(400, error.message, detail=error.detail) from None


def _name_required(below: Decisions, name: str) -> ApiError | None:
    if not name:
        return ApiError(400, "Validation failed.", validations=[Validation("name", "name is required")])
    return below.name_refusal(name)


def _case_sensitive_conflict(below: Decisions, owner: User, name: str) -> bool:
    return any(task.owner.id == owner.id and task.name == name for task in below.app.tasks.all())


def _created(change: Any) -> Any:
    """Rewrite the created Task of a create answer."""
    def rewrite(answer: Answer) -> Answer:
        answer.each_task(change)
        return answer
    return rewrite


def _unknown_field_other_id(answer: Answer) -> Answer:
    """The created task's id as get cannot find it, when the request body carried a field the server ignores."""
    if answer.kind == "json" and answer.tasks and set(answer.sent or {}) - CREATE_FIELDS:
        answer.body = {**answer.body, "id": str(uuid.uuid5(uuid.NAMESPACE_URL, answer.tasks[0].id))}
    return answer


SWITCHES: tuple[Switch, ...] = (
    fault("create-returns-200", "create answers 200 instead of 201", breaks=("CREATE-STATUS-201",),
          area="status codes",
          answers={"createTask": lambda answer: replace(answer, status=200) if answer.status == 201 else answer}),
    fault("create-requires-name", "create refuses a body without a name (400) instead of generating one",
          breaks=("CREATE-NAME-GENERATED",), area="body schemas", decisions={Decisions.name_refusal: _name_required}),
    fault("duplicate-name-accepted", "create accepts a task name the owner already uses instead of 409",
          breaks=("CREATE-NAME-CONFLICT-409",), area="create and get",
          decisions={Decisions.name_taken: lambda below, owner, name: False}),
    fault("invalid-name-accepted", "create accepts task names that break the naming rules",
          breaks=("CREATE-NAME-INVALID-400",), area="create and get",
          decisions={Decisions.name_refusal: lambda below, name: None}),
    fault("name-conflict-case-sensitive", "name conflicts are detected case-sensitively (Fix vs fix is no 409)",
          breaks=("CREATE-NAME-CONFLICT-409",), area="create and get",
          decisions={Decisions.name_taken: _case_sensitive_conflict}),
    fault("reserved-name-accepted", "create accepts the reserved names new and create",
          breaks=("CREATE-NAME-INVALID-400",), area="create and get",
          decisions={Decisions.name_refusal: lambda below, name: None if name.lower() in ("new", "create")
                     else below.name_refusal(name)}),
    fault("template-version-not-checked", "create accepts an unknown template_version_id",
          breaks=("CREATE-TEMPLATE-UNKNOWN-400",), area="create and get",
          only_in={"legacy": ("CREATE-TEMPLATE-UNKNOWN-404",)},
          decisions={Decisions.template: lambda below, version_id: below.identities.template_version(version_id)
                     or below.identities.ai_template if version_id is not None else below.template(version_id)}),
    fault("non-ai-template-accepted", "create accepts a template version without an AI task",
          breaks=("CREATE-TEMPLATE-NO-AI-400",), area="create and get",
          decisions={Decisions.template_refusal: lambda below, template: None}),
    fault("missing-template-version-accepted", "create without template_version_id uses a default template",
          breaks=("CREATE-MISSING-FIELDS-400",), area="create and get",
          only_in={"legacy": ("CREATE-TEMPLATE-UNKNOWN-404",)},  # legacy answers a missing template version 404
          decisions={Decisions.template: _template_or_default(unknown_too=False)}),
    fault("initial-prompt-trimmed", "initial_prompt is the input with surrounding whitespace trimmed",
          breaks=("CREATE-FIELDS",), area="create and get",
          decisions={Decisions.stored_prompt: lambda below, prompt: prompt.strip()}),
    fault("display-name-too-long-accepted", "create accepts a display_name over 64 characters",
          breaks=("DISPLAY-NAME-TOO-LONG-400",), area="display name", profiles=STABLE_ONLY,
          decisions={Decisions.display_name_refusal: lambda below, display_name: None}),
    fault("display-name-ignored", "a display_name given at creation is replaced by one made from the prompt",
          breaks=("DISPLAY-NAME-GIVEN",), area="display name", profiles=STABLE_ONLY,
          decisions={Decisions.display_name: lambda below, given, prompt, name: below.display_name("", prompt, name)}),
    fault("display-name-not-generated", "a task created without a display_name has an empty one",
          breaks=("DISPLAY-NAME-GENERATED",), area="display name", profiles=STABLE_ONLY,
          decisions={Decisions.display_name: lambda below, given, prompt, name: given}),
    fault("legacy-unknown-template-400", "an unknown template version answers 400 (a later release's answer) "
          "instead of 404", breaks=("CREATE-TEMPLATE-UNKNOWN-404",), area="generations", profiles=LEGACY_ONLY,
          decisions={Decisions.template: _template_error_400}),
    fault("unknown-field-id-mismatch",
          "create answers with an id get cannot find when the body carries a field the server does not know",
          breaks=("FUZZ-RESOURCE-AVAILABLE",), area="found by fuzzing",
          answers={"createTask": _unknown_field_other_id}),
    variation("create-empty-input-400", "create refuses an empty input with 400",
              source="docs: Coder accepts an empty input; requirement CREATE-EMPTY-INPUT tolerates a 400",
              decisions={Decisions.input_refusal: lambda below, prompt: ApiError(
                  400, "Task input is required.", validations=[Validation("input", "input is required")])
                  if prompt == "" else below.input_refusal(prompt)}),
)
