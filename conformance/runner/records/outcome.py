"""What one check came to: the record the recorder makes of a check's pytest phases, and the run result's input."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import conformance
from conformance.runner.records.evidence import Exchange

# Check statuses as the recorder makes them. The run result adds WARNING (a failure that breaks only SHOULD or MAY
# requirements) from the requirement levels.
PASSED, FAILED, BLOCKED, SKIPPED = "passed", "failed", "blocked", "skipped"
PACKAGE_ROOT = Path(conformance.__file__).resolve().parent.parent


def check_id(path: Path | str, nodeid: str) -> str:
    """A check's id, the same wherever and however the suite runs: the module's path inside the installed
    package (`conformance/checks/test_auth.py`) and the test's name with its parameters. pytest's own node id
    starts with the path relative to its rootdir, which moves with the working directory and the config file."""
    name = nodeid.split("::", 1)[1] if "::" in nodeid else nodeid
    try:
        module = Path(path).resolve().relative_to(PACKAGE_ROOT).as_posix()
    except ValueError:  # not a module of this package (a plugin's test); its node id is all there is
        return nodeid
    return f"{module}::{name}"


def failure_status(phase: str, requirements: tuple[str, ...], broken: tuple[str, ...], blocked: bool = False) -> str:
    """The status of a check whose `phase` ("setup", "call", "teardown") failed: BLOCKED when its set-up failed, or
    it raised expect.Blocked (what it needed could not be had), without naming one of the check's own
    requirements; else FAILED."""
    if (phase == "setup" or blocked) and not set(broken) & set(requirements):
        return BLOCKED
    return FAILED


@dataclass(frozen=True)
class CheckOutcome:
    """One check, once: its status, the one-line message, the requirements a failure breaks, its evidence."""

    id: str
    requirements: tuple[str, ...]
    status: str  # PASSED, FAILED, BLOCKED (what it needed could not be had: it did not judge) or SKIPPED
    message: str = ""  # one line, redacted: the failure, the skip reason, or why it was blocked
    broken: tuple[str, ...] = ()  # the requirements a failure names; empty: all of the check's
    duration: float = 0.0
    evidence: tuple[Exchange, ...] = ()
    details: str = ""  # the whole failure text (redacted), when it says more than the message
    properties: tuple[tuple[str, str], ...] = ()  # facts a check reports about itself (fuzz cases, fingerprint)
    complete: bool = False  # it failed having judged all its requirements: those `broken` does not name held

    @property
    def breaks(self) -> tuple[str, ...]:
        """The requirements a failure counts against (counted_against)."""
        return counted_against(self.broken, self.requirements)


def counted_against(broken: tuple[str, ...], own: tuple[str, ...]) -> tuple[str, ...]:
    """The requirements a failure counts against: those it names among the check's own, else all of its own."""
    return tuple(r for r in broken if r in own) or own


@dataclass
class CleanupResult:
    """What the end of a run did about the tasks it caused."""

    swept: list[str] = field(default_factory=list)  # removed by the final sweep: their checks had not deleted them
    left: list[str] = field(default_factory=list)  # still on the target after the cleanup, with why
    unknown: list[str] = field(default_factory=list)  # creates without a usable answer: what they may have made
    foreign: list[str] = field(default_factory=list)  # carry the run's prefix, not the run's: not touched
    caused: list[str] = field(default_factory=list)  # tasks made by requests without a valid token (never valid)
    abandoned: str | None = None  # why the cleanup stopped before its end

    def sentences(self, shown: int | None = None) -> list[tuple[str, bool]]:
        """What it did and did not, in the words every report uses: (sentence, whether it is a problem: a task left,
        made without a token, or not known by its id) rather than a note. Each names at most `shown` tasks."""
        def named(items: list[str], sep: str = ", ") -> str:
            return sep.join(items[:shown])

        out: list[tuple[str, bool]] = []
        if self.swept:
            out.append((f"the final sweep removed {len(self.swept)} task(s) their checks had not: "
                        f"{named(self.swept)}", False))
        if self.left:
            out.append((f"{len(self.left)} task(s) of this run are still on the target: {named(self.left)}", True))
        if self.caused:
            out.append((f"{len(self.caused)} task(s) were made by requests without a valid session token, which the "
                        f"server should have refused: {named(self.caused)}", True))
        if self.unknown:
            out.append((f"{len(self.unknown)} create(s) got no usable answer; what each may have made is not known by "
                        f"its id and was not deleted: {named(self.unknown, '; ')}", True))
        if self.foreign:  # already bounded (cleanup.SHOWN_FOREIGN), with a count of the rest
            out.append(("tasks carrying this run's prefix that it did not create were left alone: "
                        + ", ".join(self.foreign), False))
        if self.abandoned:
            out.append((self.abandoned, True))
        return out
