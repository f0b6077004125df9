"""What changes in the contract between two Coder releases (`tasks-conformance changes FROM TO`).

Everything here is derived from what the suite already holds: the generations and their features with the release
and pull request of each (profiles.py), what each feature changes on the wire (profiles.FEATURE_EFFECTS), and the
requirement catalogue (requirements.toml). A downgrade lists the reverse of the upgrade. No HTTP, no reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from conformance.contracts.profiles import (
    FEATURE_EFFECTS,
    FLAG_GATED_FROM,
    FLAG_GATED_SOURCE,
    PROFILES,
    REMOVED_IN,
    REMOVED_SOURCE,
    ROUTE_NOT_FOUND,
    Feature,
    Profile,
    Terms,
    Version,
    parse_version,
    profile_for,
    shown,
)
from conformance.contracts.requirements import catalogue

OLDEST: Version = (2, 27, 0)  # the oldest release the suite knows (legacy's wire is recorded from v2.27.1)
_SHORT = re.compile(r"^v?(\d{1,9})\.(\d{1,9})$")  # "v2.34": the release's first patch


class ReleaseError(ValueError):
    """A release `changes` does not know; the message is one line."""


@dataclass(frozen=True)
class Release:
    label: str  # as the user wrote it, or the generation's name
    version: Version

    @property
    def shown(self) -> str:
        if self.label in PROFILES:
            return f"{self.label} (the newest of {PROFILES[self.label].releases})"
        version = shown(self.version)
        return version if self.label in (version, version[1:]) else f"{self.label} ({version})"


def release(text: str) -> Release:
    """'v2.29.19', '2.34' (its .0) or a generation's name (the newest release of its line). ReleaseError else."""
    word = text.strip()
    if word in PROFILES:
        return Release(word, PROFILES[word].last)
    short = _SHORT.match(word)
    version = (int(short.group(1)), int(short.group(2)), 0) if short else parse_version(word)
    if version is None or version[0] != 2:
        raise ReleaseError(f"{text!r} is not a Coder release the suite knows: give one like v2.29.19 or 2.34, or a "
                           f"generation ({', '.join(PROFILES)})")
    if version < OLDEST:
        raise ReleaseError(f"{shown(version)} is older than the oldest release the suite knows ({shown(OLDEST)})")
    return Release(word, version)


@dataclass(frozen=True)
class Difference:
    """One thing a server of the later release answers otherwise than one of the earlier (swapped for a
    downgrade)."""

    operation: str  # an operationId, or "all"
    kind: str  # route, status, field, limit, behaviour (profiles.EFFECT_KINDS), feature, generation, api
    what: str  # the situation, or what arrives
    before: str  # the answer of the release changed from
    after: str  # the answer of the release changed to
    since: str  # the boundary: the release that brought it
    source: str  # the pull request (and file)
    requirements: tuple[str, ...] = ()
    feature: str | None = None

    def reversed(self) -> Difference:
        return replace(self, before=self.after, after=self.before)

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "kind": self.kind, "what": self.what, "before": self.before,
                "after": self.after, "since": self.since, "source": self.source, "feature": self.feature,
                "requirements": list(self.requirements)}


@dataclass(frozen=True)
class Delta:
    old: Release
    new: Release
    differences: tuple[Difference, ...]

    @property
    def direction(self) -> str:
        if self.old.version == self.new.version:
            return "same"
        return "upgrade" if self.old.version < self.new.version else "downgrade"

    @property
    def requirements(self) -> frozenset[str]:
        """Every requirement id a difference involves."""
        return frozenset(rid for d in self.differences for rid in d.requirements)

    def by_operation(self) -> dict[str, list[Difference]]:
        out: dict[str, list[Difference]] = {}
        for difference in self.differences:
            out.setdefault(difference.operation, []).append(difference)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"from": {"release": self.old.label, "version": shown(self.old.version),
                         "profile": profile_for(self.old.version).name},
                "to": {"release": self.new.label, "version": shown(self.new.version),
                       "profile": profile_for(self.new.version).name},
                "direction": self.direction,
                "operations": {op: [d.as_dict() for d in rows] for op, rows in self.by_operation().items()}}

    def headline(self) -> str:
        operations = len(self.by_operation())
        return (f"{self.old.shown} -> {self.new.shown} ({self.direction}): {len(self.differences)} "
                f"difference{'s' if len(self.differences) != 1 else ''} in the contract"
                + (f", in {operations} operation{'s' if operations != 1 else ''}" if operations else ""))


def changes(old: Release, new: Release) -> Delta:
    """Every difference in the contract a server of `new` promises compared with one of `old`."""
    low, high = sorted((old, new), key=lambda r: r.version)
    found = _upgrade(low.version, high.version)
    if old.version > new.version:
        found = [d.reversed() for d in found]
    return Delta(old, new, tuple(found))


def _upgrade(low: Version, high: Version) -> list[Difference]:
    if low == high:
        return []
    if high >= REMOVED_IN and low < REMOVED_IN:
        return [_gone(low)]
    found: list[Difference] = []
    before, after = profile_for(low), profile_for(high)
    if before is not after:
        found += _generation(before, after)
    found += _features(Terms(before, low), Terms(after, high))
    if low < FLAG_GATED_FROM <= high:
        unset = f"404 {ROUTE_NOT_FOUND} unless CODER_ENABLE_AI_TASKS is set (a hidden flag, default off)"
        found.append(Difference("all", "api", "the Tasks API on a server started with default settings",
                                "200 (served)", unset, _minor(FLAG_GATED_FROM), FLAG_GATED_SOURCE,
                                tuple(catalogue(after.name))))
    order = {op: n for n, op in enumerate(dict.fromkeys(d.operation for d in sorted(found, key=_boundary)))}
    return sorted(found, key=lambda d: (order[d.operation], _boundary(d)))


def _boundary(difference: Difference) -> tuple[int, ...]:
    version = parse_version(difference.since + ".0" if difference.since.count(".") == 1 else difference.since)
    return version or (0, 0, 0)


def _minor(version: Version) -> str:
    return f"v{version[0]}.{version[1]}"


def _gone(low: Version) -> Difference:
    reqs = tuple(catalogue(profile_for(low).name))
    return Difference("all", "api", "every route of the Tasks API (every prefix)", "200 (served)",
                      f"404 {ROUTE_NOT_FOUND} (the Tasks API is gone)", _minor(REMOVED_IN), REMOVED_SOURCE, reqs)


def _generation(before: Profile, after: Profile) -> list[Difference]:
    """What differs between two generations as a whole: the prefixes, the statuses, the requirements only one has."""
    where = f"{after.name} generation ({after.releases})"
    since = _minor(after.first)
    out: list[Difference] = []
    served = [(p, ", ".join((p.prefix, *p.aliases))) for p in (before, after)]
    if served[0][1] != served[1][1]:
        out.append(Difference("all", "route", "the API prefixes", f"under {served[0][1]}", f"under {served[1][1]}",
                              since, where))
    if before.statuses != after.statuses:
        out.append(Difference("all", "field", "a task's status", ", ".join(before.statuses),
                              ", ".join(after.statuses), since, where))
    if before.app_unavailable != after.app_unavailable:
        out.append(Difference("sendTaskInput", "status", "a task whose app cannot take requests (transient)",
                              ", ".join(map(str, before.app_unavailable)), ", ".join(map(str, after.app_unavailable)),
                              since, where))
    if before.invalid_query != after.invalid_query:
        out.append(Difference("listTasks", "behaviour", "a q that does not parse", before.invalid_query,
                              after.invalid_query, since, where))
    old_reqs, new_reqs = catalogue(before.name), catalogue(after.name)
    for rid, requirement in new_reqs.items():
        earlier = old_reqs.get(rid)
        if earlier is not None and earlier.level != requirement.level:
            out.append(Difference(requirement.endpoint.split(",")[0].strip(), "generation",
                                  f"the level of {rid}", earlier.level, requirement.level, since, where, (rid,)))
    for title, ids, other in (("requirements only the later generation has", new_reqs, old_reqs),
                              ("requirements only the earlier generation has", old_reqs, new_reqs)):
        alone = tuple(rid for rid, r in ids.items() if rid not in other and r.feature is None)
        if alone:
            later = ids is new_reqs
            out.append(Difference("all", "generation", title, "held" if not later else "not held",
                                  "held" if later else "not held", since, where, alone))
    return out


def _features(old: Terms, new: Terms) -> list[Difference]:
    out: list[Difference] = []
    names = dict.fromkeys(f.name for f in (*old.profile.features, *new.profile.features))
    for name in names:
        had, has = old.has(name), new.has(name)
        if had == has:
            continue
        owner = new if has else old
        feature = owner.profile.feature(name)
        assert feature is not None  # has() is True for it in one of the two
        rows = _of_feature(feature, owner.profile)
        out += rows if has else [d.reversed() for d in rows]
    return out


def _of_feature(feature: Feature, profile: Profile) -> list[Difference]:
    """What a feature brings, as differences of an upgrade across its release."""
    reqs = catalogue(profile.name)
    naming = tuple(rid for rid, r in reqs.items() if r.feature == feature.name)
    since = _minor(feature.since)
    effects = FEATURE_EFFECTS.get(feature.name, ())
    if not effects:
        operation = next((reqs[rid].endpoint.split(",")[0].strip() for rid in naming), "all")
        return [Difference(operation, "feature", feature.title, "absent", "present", since, feature.source, naming,
                           feature.name)]
    out = []
    prefixes = " and ".join((profile.prefix, *profile.aliases))
    for effect in effects:
        involved = tuple(rid for rid in naming if effect.operation in reqs[rid].endpoint)
        involved += tuple(rid for rid in effect.requirements if rid in reqs and rid not in involved)
        what = f"{effect.situation} (under {prefixes})" if effect.kind == "route" else effect.situation
        out.append(Difference(effect.operation, effect.kind, what, effect.before, effect.after, since,
                              feature.source, involved, feature.name))
    # Requirements that name the feature only because they need it (a paused task to ask about): held from its release.
    covered = {rid for d in out for rid in d.requirements}
    needing: dict[str, list[str]] = {}
    for rid in naming:
        if rid not in covered:
            needing.setdefault(reqs[rid].endpoint.split(",")[0].strip(), []).append(rid)
    for operation, ids in needing.items():
        out.append(Difference(operation, "feature", f"checks that need this: {feature.title}", "not held", "held",
                              since, feature.source, tuple(ids), feature.name))
    return out


# -- how it is shown -------------------------------------------------------------------------------------------------

def text(delta: Delta) -> str:
    lines = [delta.headline()]
    if not delta.differences:
        lines.append("  nothing: a server of either release promises the same contract")
    for operation, rows in delta.by_operation().items():
        lines.append(operation)
        for d in rows:
            lines.append(f"  {d.kind:10} {d.what}: {d.before} -> {d.after}")
            lines.append(f"  {'':10} {d.since}, {d.source}; {_ids(d.requirements)}")
    return "\n".join(lines) + "\n"


def markdown(delta: Delta) -> str:
    lines = [f"### Tasks API contract: {delta.old.shown} → {delta.new.shown} ({delta.direction})", "",
             f"{len(delta.differences)} difference{'s' if len(delta.differences) != 1 else ''} "
             "(from `tasks-conformance changes`).", ""]
    if delta.differences:
        lines += ["| operation | change | kind | before | after | release | source | requirements |",
                  "|---|---|---|---|---|---|---|---|"]
        for operation, rows in delta.by_operation().items():
            for d in rows:
                cells = (f"`{operation}`", d.what, d.kind, d.before, d.after, d.since, d.source, _ids(d.requirements))
                lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _ids(ids: tuple[str, ...], at_most: int = 8) -> str:
    if not ids:
        return "no requirement of its own"
    if len(ids) > at_most:
        return f"{len(ids)} requirements ({', '.join(ids[:3])}, ...)"
    return "requirements " + ", ".join(ids)


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")
