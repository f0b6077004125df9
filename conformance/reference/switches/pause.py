"""Switches of the stable generation's pause and resume: what they refuse, what they do, and their answers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..conforming.answers import Answer
from ..conforming.decisions import Decisions
from ..conforming.store import TaskStore
from ..seams import Wrapped
from .kinds import STABLE_ONLY, Switch, fault, variation


class _BuildsOnly(Wrapped):
    """A store where a pause (``pause``) or a resume (``resume``) counts its build but changes nothing."""

    def __init__(self, inner: TaskStore, *, pause: bool = False, resume: bool = False) -> None:
        super().__init__(inner)
        self._pause, self._resume = pause, resume

    def pause(self, task_id: str) -> int:
        return self.inner.build(task_id) if self._pause else self.inner.pause(task_id)

    def resume(self, task_id: str) -> int:
        return self.inner.build(task_id) if self._resume else self.inner.resume(task_id)


def _status_200(answer: Answer) -> Answer:
    return replace(answer, status=200) if answer.status == 202 else answer


def _build(change: Any) -> Any:
    """Rewrite the answer of an accepted pause or resume."""
    return lambda answer: replace(answer, body=change(answer.body)) if answer.status == 202 else answer


SWITCHES: tuple[Switch, ...] = (
    fault("pause-stops-nothing", "pause answers 202 but the task keeps running", breaks=("PAUSE-REACHES-PAUSED",),
          area="pause and resume", profiles=STABLE_ONLY, tasks=lambda store, app: _BuildsOnly(store, pause=True)),
    fault("resume-starts-nothing", "resume answers 202 but the task stays paused",
          breaks=("RESUME-REACHES-ACTIVE",), area="pause and resume", profiles=STABLE_ONLY,
          tasks=lambda store, app: _BuildsOnly(store, resume=True)),
    fault("resume-not-paused-accepted", "resume of a task that is not paused answers 202",
          breaks=("RESUME-NOT-PAUSED-REFUSED",), area="pause and resume", profiles=STABLE_ONLY,
          decisions={Decisions.resume_refusal: lambda below, task: None}),
    fault("pause-returns-200", "pause answers 200 instead of 202", breaks=("PAUSE-202",), area="pause and resume",
          profiles=STABLE_ONLY, answers={"pauseTask": _status_200}),
    fault("resume-returns-200", "resume answers 200 instead of 202", breaks=("RESUME-202",),
          area="pause and resume", profiles=STABLE_ONLY, answers={"resumeTask": _status_200}),
    fault("pause-body-empty", "pause answers 202 with {} instead of naming the stop build", breaks=("PAUSE-SCHEMA",),
          area="pause and resume", profiles=STABLE_ONLY, answers={"pauseTask": _build(lambda body: {})}),
    fault("resume-build-id-only", "resume answers {workspace_build_id} instead of the build", breaks=("RESUME-202",),
          area="pause and resume", profiles=STABLE_ONLY,
          answers={"resumeTask": _build(lambda body: {"workspace_build_id": body["workspace_build"]["id"]})}),
    variation("pause-answers-build-id", "pause answers {\"workspace_build_id\"} instead of the whole build",
              source="shared docs: PauseTaskResponse is documented both ways across the stable line",
              profiles=STABLE_ONLY,
              answers={"pauseTask": _build(lambda body: {"workspace_build_id": body["workspace_build"]["id"]})}),
)
