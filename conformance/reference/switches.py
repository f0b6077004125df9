"""Named switches (faults, variations): each one declares what it changes, at the reference app's hook points.

The reference app is the conforming server, written without a word about faults: at each decision that a switch
may change it calls `change(point, value, **context)` with the conforming value. A switch declares, next to its
registry entry, a function per hook point: `function(value, *, app, **context) -> value`. With no switch on, every
hook point returns the value it was given. The names of the hook points and what they carry are in
conformance/reference/app.py (the HOOK_POINTS table); a switch naming another point is an error at import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Change = Callable[..., Any]


@dataclass(frozen=True)
class Switch:
    """A fault or a variation: a name, what it does in words, and what it changes at which hook points."""

    name: str
    description: str
    changes: Mapping[str, Change] = field(default_factory=dict)


def validate_names(names: Iterable[str], registry: Mapping[str, Any], kind: str) -> frozenset[str]:
    """The names as a set, or ValueError naming the unknown ones and listing the valid ones."""
    wanted = [name.strip() for name in names if name and name.strip()]
    unknown = sorted({name for name in wanted if name not in registry})
    if unknown:
        valid = ", ".join(registry)
        raise ValueError(f"unknown {kind} name(s): {', '.join(unknown)}; valid {kind}s are: {valid}")
    return frozenset(wanted)


def parse_names(text: str, registry: Mapping[str, Any], kind: str) -> frozenset[str]:
    """A comma-separated list of names, validated."""
    return validate_names(text.split(","), registry, kind)


class Switches:
    """The names switched on for one server; ``enabled`` raises KeyError for a name the registry does not know."""

    def __init__(self, registry: Mapping[str, Switch], kind: str, names: Iterable[str] = ()) -> None:
        self._registry = registry
        self._kind = kind
        self._lock = threading.Lock()
        self._names = validate_names(names, registry, kind)
        self._active: tuple[Switch, ...] = self._ordered(self._names)

    def _ordered(self, names: frozenset[str]) -> tuple[Switch, ...]:
        return tuple(switch for name, switch in self._registry.items() if name in names)

    def enabled(self, name: str) -> bool:
        if name not in self._registry:
            raise KeyError(f"no {self._kind} named {name!r}")
        return name in self._names

    def set(self, names: Iterable[str]) -> None:
        validated = validate_names(names, self._registry, self._kind)
        with self._lock:
            self._names, self._active = validated, self._ordered(validated)

    @property
    def names(self) -> frozenset[str]:
        return self._names

    def apply(self, point: str, value: Any, /, **context: Any) -> Any:
        """The value after every switched-on switch that changes `point` had its say (in registry order)."""
        for switch in self._active:
            change = switch.changes.get(point)
            if change is not None:
                value = change(value, **context)
        return value


def check_points(registry: Iterable[Switch], points: Iterable[str], kind: str) -> None:
    """Every hook point a switch names exists (a typo would make a switch silently change nothing)."""
    known = set(points)
    for switch in registry:
        unknown = sorted(set(switch.changes) - known)
        if unknown:
            raise ValueError(f"{kind} {switch.name} changes unknown hook points {unknown}")
        if not switch.changes:
            raise ValueError(f"{kind} {switch.name} changes nothing")
