"""Named switches (faults, variations): validated name sets that can change while requests are being served."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any


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

    def __init__(self, registry: Mapping[str, Any], kind: str, names: Iterable[str] = ()) -> None:
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
