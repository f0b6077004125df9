"""The three seams through which a switch (a fault or a variation, switches/) changes the conforming reference.

- **answers**: rewrite or replace an answer before it goes on the wire, by the operationId it answers
  (conforming/answers.py ``OPERATIONS``), or ``"*"`` for every answer (those outside the Tasks API's operations
  too). A change takes the ``Answer`` and returns it (changed, or another).
- **decisions**: answer one decision of ``conforming/decisions.py`` otherwise. A switch names the decision by the
  method itself (``Decisions.find``), so that naming one that does not exist fails when its module loads (and mypy
  says so first). An override takes the decisions below it (the conforming ones, or those another switch already
  changed) and the method's arguments, and returns the decision: ``lambda below, operation, ...: ...``.
- **tasks**: wrap the task store: a function of (the store, the app) returning the store the app uses from then on
  (a ``Wrapped`` store, passing on what it does not change).

``Seams`` checks what it is given when it is made; ``install`` puts the seams of the switches that are on into an
app (with none, the app is the conforming one, untouched).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from .conforming.answers import OPERATIONS, Answer
from .conforming.app import ReferenceApp
from .conforming.decisions import Decisions
from .conforming.store import TaskStore

EVERY_ANSWER = "*"
AnswerChange = Callable[[Answer], Answer]
Override = Callable[..., Any]  # (the decisions below, the method's arguments...) -> the decision
TasksWrap = Callable[[TaskStore, ReferenceApp], "TaskStore | Wrapped"]
DECISIONS: frozenset[str] = frozenset(name for name, member in vars(Decisions).items()
                                      if inspect.isfunction(member) and not name.startswith("_"))


@dataclass(frozen=True)
class Seams:
    """What one switch changes, at which seams; ValueError for an answer label or a decision that does not exist."""

    answers: Mapping[str, AnswerChange] = field(default_factory=dict)
    decisions: Mapping[Callable[..., Any], Override] = field(default_factory=dict)
    tasks: TasksWrap | None = None

    def __post_init__(self) -> None:
        labels = sorted(set(self.answers) - {*OPERATIONS, EVERY_ANSWER})
        if labels:
            raise ValueError(f"answers of unknown operations {labels}; operations are {', '.join(OPERATIONS)} "
                             f"(or {EVERY_ANSWER!r} for every answer)")
        for decision in self.decisions:
            name = getattr(decision, "__name__", repr(decision))
            if name not in DECISIONS or getattr(Decisions, name) is not decision:
                raise ValueError(f"{name} is not a decision of conforming/decisions.py (Decisions.<method>)")
        if not (self.answers or self.decisions or self.tasks):
            raise ValueError("a switch changes nothing")


class _Overridden:
    """Decisions where some methods answer otherwise; the rest are asked below."""

    def __init__(self, below: Decisions, overrides: Mapping[Callable[..., Any], Override]) -> None:
        self._below = below
        for decision, override in overrides.items():
            setattr(self, decision.__name__, functools.partial(override, below))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._below, name)


class Wrapped:
    """A task store that passes every call on to the one it wraps; a switch's store overrides what it changes."""

    def __init__(self, inner: TaskStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def install(app: ReferenceApp, seams: Iterable[Seams]) -> None:
    """Make the app answer with these seams (in order: a later one sees what the earlier ones made)."""
    decide: Decisions = app.conforming
    tasks: TaskStore = app.store
    changes: list[tuple[str, AnswerChange]] = []
    for one in seams:
        if one.decisions:
            decide = cast(Decisions, _Overridden(decide, one.decisions))
        if one.tasks is not None:
            tasks = cast(TaskStore, one.tasks(tasks, app))
        changes.extend(one.answers.items())
    app.decide, app.tasks = decide, tasks
    app.rewrite = functools.partial(_rewrite, tuple(changes)) if changes else None


def _rewrite(changes: tuple[tuple[str, AnswerChange], ...], answer: Answer) -> Answer:
    for label, change in changes:
        if label == EVERY_ANSWER or label == answer.operation:
            answer = change(answer)
    return answer
