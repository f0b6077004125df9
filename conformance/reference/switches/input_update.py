"""Switches of the stable generation's input update: what it refuses, what it saves, its answer."""

from __future__ import annotations

from dataclasses import replace

from ..conforming.app import ReferenceApp
from ..conforming.decisions import Decisions
from ..conforming.store import TaskStore
from ..seams import Wrapped
from .kinds import STABLE_ONLY, Switch, fault


class _NotSaved(Wrapped):
    """A store where an input update changes nothing."""

    def update_input(self, task_id: str, text: str) -> None:
        return None


def _not_saved(store: TaskStore, app: ReferenceApp) -> _NotSaved:
    return _NotSaved(store)


SWITCHES: tuple[Switch, ...] = (
    fault("input-accepted-while-active", "an input update of an active task answers 204 and changes its prompt",
          breaks=("INPUT-UPDATE-NOT-PAUSED-409",), area="input, logs and send while paused", profiles=STABLE_ONLY,
          decisions={Decisions.input_update_refusal: lambda below, task: None}),
    fault("input-blank-accepted", "a blank input update answers 204", breaks=("INPUT-UPDATE-BLANK-400",),
          area="input, logs and send while paused", profiles=STABLE_ONLY,
          decisions={Decisions.input_text_refusal: lambda below, text: None}),
    fault("input-not-saved", "an input update answers 204 but the prompt stays as it was",
          breaks=("INPUT-UPDATE-CHANGES-PROMPT",), area="input, logs and send while paused", profiles=STABLE_ONLY,
          tasks=_not_saved),
    fault("input-update-returns-200", "an input update answers 200 instead of 204", breaks=("INPUT-UPDATE-204",),
          area="input, logs and send while paused", profiles=STABLE_ONLY,
          answers={"updateTaskInput": lambda answer: replace(answer, status=200) if answer.status == 204
                   else answer}),
)
