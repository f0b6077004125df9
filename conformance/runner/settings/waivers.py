"""Waivers: known failures a team has accepted for a while, in a TOML file.

    [[waiver]]
    requirement = "LIST-COUNT"          # a requirement id of the catalogue
    reason = "count is off by one, fix in 2.31.4 (#1234)"
    expires = 2027-01-31                # a TOML date; from the day after, the waiver fails the run
    profile = "stable"                  # optional: only for runs judged by this profile
    server_version = "v2.31.*"          # optional: only for servers reporting a matching version (glob)

A failed or blocked requirement that an unexpired waiver covers is reported "waived" and does not fail the run; an
expired waiver that applies to the run fails it; a waiver whose requirement now passes is reported as no longer
needed. A malformed file, or a waiver for a requirement the catalogue does not have, is a configuration error.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.runner.process.userfiles import UserFileError, load_toml
from conformance.runner.records.redact import neutralize

_KEYS = {"requirement", "reason", "expires", "profile", "server_version"}
MAX_WAIVERS_BYTES = 1024 * 1024
MAX_REASON = 500  # characters of a waiver's reason every report shows


class WaiverError(ValueError):
    """The waivers file cannot be used; the message says why, in one line."""


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: str
    expires: dt.date
    profile: str | None = None
    server_version: str | None = None

    def applies(self, profile: str | None, server_version: str | None) -> bool:
        """Whether the waiver is about this run (its profile and server version, where it names them)."""
        if self.profile is not None and self.profile != profile:
            return False
        return self.server_version is None or (server_version is not None
                                               and fnmatch.fnmatchcase(server_version, self.server_version))

    def describe(self) -> str:
        return f"{self.requirement} ({self.reason}; expires {self.expires.isoformat()})"


def load_waivers(path: Path, known: Iterable[str]) -> tuple[Waiver, ...]:
    """The waivers of a file; WaiverError naming the entry and the problem."""
    try:
        data = load_toml(path, "waivers file", MAX_WAIVERS_BYTES)
    except UserFileError as exc:
        raise WaiverError(str(exc)) from None
    extra = sorted(set(data) - {"waiver"})
    if extra:
        raise WaiverError(f"the waivers file {path} has unknown tables {extra}: write each waiver as [[waiver]]")
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise WaiverError(f"the waivers file {path}: write each waiver as [[waiver]]")
    known_ids = set(known)
    return tuple(_waiver(entry, index, path, known_ids) for index, entry in enumerate(entries, 1))


def _waiver(entry: Any, index: int, path: Path, known: set[str]) -> Waiver:
    where = f"waiver {index} in {path}"
    if not isinstance(entry, dict):
        raise WaiverError(f"{where} is not a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise WaiverError(f"{where} has unknown keys {unknown} (known: {', '.join(sorted(_KEYS))})")
    for key in ("requirement", "reason", "expires"):
        if key not in entry:
            raise WaiverError(f"{where} lacks '{key}'")
    requirement, reason, expires = entry["requirement"], entry["reason"], entry["expires"]
    if not isinstance(requirement, str) or requirement not in known:
        raise WaiverError(f"{where} names requirement {requirement!r}, which the catalogue does not have")
    if not isinstance(reason, str) or not reason.strip():
        raise WaiverError(f"{where} needs a reason")
    if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
        raise WaiverError(f"{where}: expires must be a date, e.g. expires = 2027-01-31")
    for key in ("profile", "server_version"):
        if key in entry and not isinstance(entry[key], str):
            raise WaiverError(f"{where}: {key} must be a string")
    shown = neutralize(" ".join(reason.split()))  # one line, no terminal escapes, in every report
    return Waiver(requirement, shown if len(shown) <= MAX_REASON else shown[:MAX_REASON] + "…", expires,
                  entry.get("profile"), entry.get("server_version"))


@dataclass
class WaiverReport:
    """What the waivers did to one run."""

    waived: dict[str, Waiver] = field(default_factory=dict)  # requirement id -> the waiver covering it
    expired: list[Waiver] = field(default_factory=list)  # applying to the run, past their date: they fail it
    unneeded: list[Waiver] = field(default_factory=list)  # their requirement passed: the waiver can go

    def notes(self) -> list[str]:
        out = [f"waived: {w.describe()}" for w in self.waived.values()]
        out += [f"waiver expired on {w.expires.isoformat()} (it fails the run): {w.describe()}" for w in self.expired]
        out += [f"waiver no longer needed, the requirement passes: {w.describe()}" for w in self.unneeded]
        return out


def live(waivers: Iterable[Waiver], today: dt.date, profile: str | None,
         server_version: str | None) -> dict[str, Waiver]:
    """The waivers that cover a failure of this run now: they apply to it and have not expired; by requirement."""
    out: dict[str, Waiver] = {}
    for waiver in waivers:
        if waiver.applies(profile, server_version) and waiver.expires >= today:
            out.setdefault(waiver.requirement, waiver)
    return out


def judge(waivers: Iterable[Waiver], statuses: Mapping[str, str], today: dt.date, profile: str | None,
          server_version: str | None, waivable: Iterable[str]) -> WaiverReport:
    """Which requirements the waivers cover (statuses in `waivable`), which waivers expired, which are unneeded."""
    report = WaiverReport()
    waivable = set(waivable)
    covering = live(waivers, today, profile, server_version)
    for waiver in waivers:
        if not waiver.applies(profile, server_version):
            continue
        status = statuses.get(waiver.requirement)
        if waiver.expires < today:
            report.expired.append(waiver)
        elif status in waivable and covering.get(waiver.requirement) is waiver:
            report.waived[waiver.requirement] = waiver
        elif status == "passed":
            report.unneeded.append(waiver)
    return report
