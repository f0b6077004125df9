"""One registry of the reference's switches, faults and variations, gathered from the area files in this folder.

A switch is switched on by name: ``ReferenceServer(faults=[...], variations=[...])``, ``set_faults``,
``set_variations``, ``serve --faults/--variations``, or the environment variables below (which ``serve`` reads for
faults and ``ReferenceServer`` for variations when it is given none).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from ..seams import Seams
from . import (
    access,
    auth,
    create,
    delete,
    errors,
    input_update,
    lifecycle,
    listing,
    lookup,
    pause,
    robustness,
    routing,
    send_logs,
    task_objects,
    wire,
)
from .kinds import AREAS, Fault, Switch, Variation

FAULTS_ENV_VAR = "TASKS_CONFORMANCE_REFERENCE_FAULTS"
VARIATIONS_ENV_VAR = "TASKS_CONFORMANCE_REFERENCE_VARIATIONS"

_AREAS = (routing, wire, errors, task_objects, auth, access, lookup, listing, lifecycle, send_logs, create, delete,
          pause, input_update, robustness)
_ALL: tuple[Switch, ...] = tuple(switch for area in _AREAS for switch in area.SWITCHES)
FAULTS: dict[str, Fault] = {s.name: s for s in sorted((s for s in _ALL if isinstance(s, Fault)),
                                                       key=lambda fault: AREAS.index(fault.area))}
VARIATIONS: dict[str, Variation] = {s.name: s for s in _ALL if isinstance(s, Variation)}
if len(FAULTS) + len(VARIATIONS) != len(_ALL):
    raise ValueError("two switches share a name")

S = TypeVar("S", bound=Switch)


def validate_names(names: Iterable[str], registry: Mapping[str, Switch], kind: str) -> frozenset[str]:
    """The names as a set, or ValueError naming the unknown ones and listing the valid ones."""
    wanted = [name.strip() for name in names if name and name.strip()]
    unknown = sorted({name for name in wanted if name not in registry})
    if unknown:
        valid = ", ".join(registry)
        raise ValueError(f"unknown {kind} name(s): {', '.join(unknown)}; valid {kind}s are: {valid}")
    return frozenset(wanted)


def parse_names(text: str, registry: Mapping[str, Switch], kind: str) -> frozenset[str]:
    """A comma-separated list of names (as given to --faults, --variations or an environment variable), validated."""
    return validate_names(text.split(","), registry, kind)


def of_profile(registry: Mapping[str, S], profile: str | None) -> list[S]:
    """Every switch of the registry (of one profile), in registry order."""
    return [s for s in registry.values() if profile is None or profile in s.profiles]


class Active(Generic[S]):
    """The switches of one kind on for one server; safe to change while requests are being served.
    ``enabled`` raises KeyError for a name the registry does not know."""

    def __init__(self, registry: Mapping[str, S], kind: str, names: Iterable[str] = ()) -> None:
        self._registry = registry
        self._kind = kind
        self._lock = threading.Lock()
        self._names = validate_names(names, registry, kind)

    def enabled(self, name: str) -> bool:
        if name not in self._registry:
            raise KeyError(f"no {self._kind} named {name!r}")
        return name in self._names

    def set(self, names: Iterable[str]) -> None:
        validated = validate_names(names, self._registry, self._kind)
        with self._lock:
            self._names = validated

    @property
    def names(self) -> frozenset[str]:
        return self._names

    def seams(self) -> list[Seams]:
        """The seams of the switches on, in registry order."""
        names = self._names
        return [switch.seams for name, switch in self._registry.items() if name in names]
