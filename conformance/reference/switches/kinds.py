"""What a switch is: a name, what it does in words, the seams it changes (seams.py), and its kind's own facts.

A fault says which requirements a suite run must report as failed when it is on by itself (``breaks``; per profile
where they differ, ``only_in``), its ``area`` and the generations it is a fault of (``profiles``). A variation says
which SHOULD/MAY requirements it may legitimately break (``warns``), why it is legitimate (``source``) and the
generations whose servers may behave so. Both are declared with ``fault(...)`` and ``variation(...)``, which check
the seams when the switch's module loads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.contracts.profiles import PROFILE_NAMES

from ..seams import AnswerChange, Override, Seams, TasksWrap

# The areas of the faults, in the order the registry lists them (``serve --list-faults``).
AREAS = ("status codes", "body schemas", "content types", "error bodies", "authentication", "access control",
         "filtering", "lifecycle", "send and logs", "create and get", "delete", "list", "robustness",
         "pause and resume", "input, logs and send while paused", "display name", "generations", "found by fuzzing")
NOT_LEGACY = ("experimental", "stable")
STABLE_ONLY = ("stable",)
LEGACY_ONLY = ("legacy",)


@dataclass(frozen=True)
class Switch:
    """A fault or a variation: a name, what it does in words, and what it changes."""

    name: str
    description: str
    seams: Seams
    profiles: tuple[str, ...] = PROFILE_NAMES


@dataclass(frozen=True)
class Fault(Switch):
    """One named deviation from the contract, the requirements it breaks, and what it changes."""

    breaks: tuple[str, ...] = ()
    area: str = ""
    only_in: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # breaks where it differs

    def breaks_in(self, profile: str) -> tuple[str, ...]:
        """The requirements it breaks on a server of this profile: `only_in[profile]` where given, else those of
        `breaks` the profile has."""
        from conformance.contracts.requirements import catalogue

        known = catalogue(profile)
        return tuple(rid for rid in self.only_in.get(profile, self.breaks) if rid in known)


@dataclass(frozen=True)
class Variation(Switch):
    """One legitimate behaviour, why it is legitimate, and the SHOULD/MAY requirements it may break."""

    warns: tuple[str, ...] = ()
    source: str = ""


def _seams(answers: Mapping[str, AnswerChange] | None, decisions: Mapping[Callable[..., Any], Override] | None,
           tasks: TasksWrap | None) -> Seams:
    return Seams(answers=dict(answers or {}), decisions=dict(decisions or {}), tasks=tasks)


def fault(name: str, description: str, *, breaks: tuple[str, ...], area: str,
          profiles: tuple[str, ...] = PROFILE_NAMES, only_in: Mapping[str, tuple[str, ...]] | None = None,
          answers: Mapping[str, AnswerChange] | None = None,
          decisions: Mapping[Callable[..., Any], Override] | None = None, tasks: TasksWrap | None = None) -> Fault:
    """A fault; ValueError (when its module loads) for a seam or an area that does not exist."""
    if area not in AREAS:
        raise ValueError(f"fault {name}: unknown area {area!r}; areas are {', '.join(AREAS)}")
    try:
        seams = _seams(answers, decisions, tasks)
    except ValueError as error:
        raise ValueError(f"fault {name}: {error}") from None
    return Fault(name, description, seams, profiles, breaks, area, dict(only_in or {}))


def variation(name: str, description: str, *, source: str, warns: tuple[str, ...] = (),
              profiles: tuple[str, ...] = PROFILE_NAMES, answers: Mapping[str, AnswerChange] | None = None,
              decisions: Mapping[Callable[..., Any], Override] | None = None,
              tasks: TasksWrap | None = None) -> Variation:
    """A variation; ValueError (when its module loads) for a seam that does not exist."""
    try:
        seams = _seams(answers, decisions, tasks)
    except ValueError as error:
        raise ValueError(f"variation {name}: {error}") from None
    return Variation(name, description, seams, profiles, warns, source)
