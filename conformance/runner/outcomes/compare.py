"""Two runs side by side: what regressed, what was fixed, what changed status (`--baseline`, `tasks-conformance diff`).

A requirement stands against a run when it failed (a MUST; a SHOULD under strict) or is a blocked MUST. A
regression is a requirement that failed in the new run and did not stand against the old one (or is new to it); a
requirement that is newly blocked is listed apart (`unverified`: not shown to hold, because something else failed or
could not be had) — it still stands against the run, but it is not called a regression of its own. A fix is a
requirement that stood against the old run and no longer does; every other difference in status is a change.

Two runs that judged the target by different profiles (or releases) are compared all the same, and said so: their
requirement lists differ by generation, not by the server. `compare_runs` (`tasks-conformance diff`) sets apart, as
`contract`, the changes of status the contract made between the two releases (contracts/changes.py: a requirement
the earlier release was spared and the later one passes, or the reverse); a requirement the new run fails stays a
regression whatever its release promised before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from conformance.contracts.changes import Delta, Release, changes
from conformance.contracts.profiles import parse_version, shown
from conformance.runner.records.results_file import RunSummary, Status


@dataclass(frozen=True)
class Change:
    """One requirement whose status differs between the two runs ("absent": not in that run's profile)."""

    id: str
    level: str
    old: str
    new: str

    def line(self) -> str:
        return f"{self.id}: {self.old} -> {self.new}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Comparison:
    regressed: list[Change] = field(default_factory=list)  # newly failed
    unverified: list[Change] = field(default_factory=list)  # newly blocked (a MUST): not shown to hold any more
    fixed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    # The changes the contract made between the two runs' releases (compare_runs): not a difference of the server.
    # Not in as_dict, whose shape results.json's baseline holds.
    contract: list[Change] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)  # requirement id -> the contract difference behind it

    @property
    def fails(self) -> bool:
        """Whether the new run stands worse: something regressed or is no longer verified."""
        return bool(self.regressed or self.unverified)

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        return {name: [c.as_dict() for c in getattr(self, name)]
                for name in ("regressed", "unverified", "fixed", "changed")}


def compare(old: Mapping[str, Status], new: Mapping[str, Status]) -> Comparison:
    out = Comparison()
    for rid, now in new.items():
        before = old.get(rid)
        change = Change(rid, now.level, before.status if before else "absent", now.status)
        if now.against and (before is None or not before.against):
            (out.regressed if now.status == "failed" else out.unverified).append(change)
        elif before is not None and before.against and not now.against:
            out.fixed.append(change)
        elif before is not None and before.status != now.status:
            out.changed.append(change)
    for rid, before in old.items():
        if rid not in new:
            out.changed.append(Change(rid, before.level, before.status, "absent"))
    return out


def release_delta(old: RunSummary, new: RunSummary) -> Delta | None:
    """What the contract changes between the two runs' releases; None when either names no release, or the same."""
    before, after = parse_version(old.server_version), parse_version(new.server_version)
    if before is None or after is None or before == after:
        return None
    return changes(Release(shown(before), before), Release(shown(after), after))


def compare_runs(old: RunSummary, new: RunSummary) -> Comparison:
    """`compare`, with the changes of status that the contract made between the two releases set apart."""
    out = compare(old.statuses, new.statuses)
    delta = release_delta(old, new)
    if delta is None:
        return out
    for difference in delta.differences:
        for rid in difference.requirements:
            out.why.setdefault(rid, f"{difference.operation}: {difference.what}: {difference.before} -> "
                                    f"{difference.after} ({difference.since}, {difference.source})")
    for name in ("fixed", "changed"):
        rows: list[Change] = getattr(out, name)
        out.contract += [c for c in rows if c.id in out.why]
        rows[:] = [c for c in rows if c.id not in out.why]
    return out


def different_terms(old: RunSummary, new: RunSummary) -> str | None:
    """A sentence when the two runs judged by different profiles or releases, else None."""
    if old.profile != new.profile:
        return (f"the two runs judged different profiles ({old.profile or 'unknown'} and {new.profile or 'unknown'}): "
                "requirements that only one profile has show as absent in the other")
    if old.server_version != new.server_version:
        delta = release_delta(old, new)
        listed = (f"; `tasks-conformance changes {delta.old.label} {delta.new.label}` lists the contract's changes"
                  if delta is not None else "")
        return (f"the two runs judged different releases ({old.server_version or 'not reported'} and "
                f"{new.server_version or 'not reported'}): a requirement may differ because the contract did"
                + listed)
    return None
