"""The requirement catalogue (requirements.toml), loaded once: every requirement of every generation.

An entry's `profiles` says which generations promise it (default: all); `feature` names the feature of its
generation it needs (contracts/profiles.py: where the server's release predates the feature, the requirement is
skipped, with the reason); `level` is a level, or a table of levels by profile.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, replace
from importlib import resources

from conformance.contracts.profiles import PROFILE_NAMES, PROFILES

LEVELS = ("MUST", "SHOULD", "MAY")
_REQUIRED = ("level", "area", "endpoint", "title", "source")
_OPTIONAL = ("profiles", "feature")


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    area: str
    endpoint: str
    title: str
    source: str
    profiles: tuple[str, ...] = PROFILE_NAMES
    feature: str | None = None
    levels: tuple[tuple[str, str], ...] = ()  # (profile, level) where it differs from `level`

    def for_profile(self, profile: str) -> Requirement:
        level = dict(self.levels).get(profile, self.level)
        return self if level == self.level else replace(self, level=level)


@functools.cache
def _all() -> dict[str, Requirement]:
    text = (resources.files("conformance.contracts") / "requirements.toml").read_text(encoding="utf-8")
    out: dict[str, Requirement] = {}
    for rid, entry in tomllib.loads(text).items():
        missing = [f for f in _REQUIRED if f not in entry]
        extra = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
        if missing or extra:
            raise ValueError(f"requirement {rid}: missing {missing}, unknown {extra}")
        levels = entry["level"] if isinstance(entry["level"], dict) else {}
        default = entry["level"] if isinstance(entry["level"], str) else levels.get("default", "MUST")
        profiles = tuple(entry.get("profiles", PROFILE_NAMES))
        feature = entry.get("feature")
        problems = [f"level {lv!r}" for lv in (default, *levels.values()) if lv not in LEVELS]
        problems += [f"profile {p!r}" for p in (*profiles, *(k for k in levels if k != "default"))
                     if p not in PROFILE_NAMES]
        if feature is not None and not any(PROFILES[p].feature(feature) for p in profiles):
            problems.append(f"feature {feature!r} of none of its profiles")
        if problems:
            raise ValueError(f"requirement {rid}: unknown {', '.join(problems)}")
        out[rid] = Requirement(rid, default, entry["area"], entry["endpoint"], entry["title"], entry["source"],
                               profiles=profiles, feature=feature,
                               levels=tuple((p, lv) for p, lv in levels.items() if p != "default"))
    return out


@functools.cache
def catalogue(profile: str | None = None) -> dict[str, Requirement]:
    """Every requirement by id, in catalogue order: all of them, or those of one profile (with its levels).
    Raises ValueError on a malformed entry."""
    if profile is None:
        return _all()
    return {rid: r.for_profile(profile) for rid, r in _all().items() if profile in r.profiles}


def strongest(levels: list[str]) -> str:
    """The most demanding of several levels (MUST > SHOULD > MAY)."""
    return min(levels, key=LEVELS.index) if levels else "MAY"
