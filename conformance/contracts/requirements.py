"""The requirement catalogue (requirements.toml), loaded once."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

LEVELS = ("MUST", "SHOULD", "MAY")
_FIELDS = ("level", "area", "endpoint", "title", "source")


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    area: str
    endpoint: str
    title: str
    source: str


@functools.cache
def catalogue() -> dict[str, Requirement]:
    """Every requirement by id, in catalogue order. Raises ValueError on a malformed entry."""
    text = (resources.files("conformance.contracts") / "requirements.toml").read_text(encoding="utf-8")
    out: dict[str, Requirement] = {}
    for rid, entry in tomllib.loads(text).items():
        missing = [f for f in _FIELDS if f not in entry]
        extra = sorted(set(entry) - set(_FIELDS))
        if missing or extra:
            raise ValueError(f"requirement {rid}: missing {missing}, unknown {extra}")
        if entry["level"] not in LEVELS:
            raise ValueError(f"requirement {rid}: level must be one of {LEVELS}")
        out[rid] = Requirement(rid, *(entry[f] for f in _FIELDS))
    return out


def strongest(levels: list[str]) -> str:
    """The most demanding of several levels (MUST > SHOULD > MAY)."""
    return min(levels, key=LEVELS.index) if levels else "MAY"
