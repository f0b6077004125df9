"""Which checks a run keeps once it knows the terms it judges the target by (contracts/profiles.py).

A check runs when every requirement it names belongs to the profile and is promised by the server's release, the
profile is among those its parameters belong to (`@pytest.mark.profiles(...)`, e.g. a status of one generation),
and every feature its parameters need (`@pytest.mark.feature(...)`, e.g. the pause endpoint of the auth checks) is
in the release. A requirement of the profile whose feature the release predates is not run: it is skipped, with
the reason, and does not make the run partial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pytest

from conformance.contracts.profiles import Terms
from conformance.contracts.requirements import Requirement, catalogue
from conformance.runner.outcomes.recorder import requirement_ids
from conformance.runner.records.outcome import check_id


@dataclass(frozen=True)
class Scope:
    catalogue: Mapping[str, Requirement]  # the profile's requirements, with the profile's levels
    unpromised: Mapping[str, str]  # requirement id -> why the release does not promise it
    terms: Terms

    def keeps(self, item: pytest.Item) -> bool:
        ids = requirement_ids(item)
        if not ids or any(rid not in self.catalogue or rid in self.unpromised for rid in ids):
            return False
        if any(self.terms.profile.name not in marker.args for marker in item.iter_markers("profiles")):
            return False
        return all(self.terms.has(f) for f in features(item))


def features(item: pytest.Item) -> tuple[str, ...]:
    return tuple(str(arg) for marker in item.iter_markers("feature") for arg in marker.args)


def scope_for(terms: Terms) -> Scope:
    reqs = catalogue(terms.profile.name)
    unpromised = {rid: terms.missing(r.feature) for rid, r in reqs.items()
                  if r.feature is not None and not terms.has(r.feature)}
    return Scope(reqs, unpromised, terms)


def split(items: Iterable[pytest.Item], scope: Scope) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """(the checks to run, the checks outside the terms)."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (keep if scope.keeps(item) else drop).append(item)
    return keep, drop


def named(items: Iterable[pytest.Item], wanted: Iterable[str], requirements: Iterable[str]
          ) -> tuple[list[pytest.Item], list[str]]:
    """The checks `--check` names, and the names that are nothing known. A name is a check id as the reports show it
    (`conformance/checks/test_list.py::test_list_count`, with its parameters in brackets where it has some), a check
    id without its parameters (every parameter of it: what `tasks-conformance requirements --json` lists), or a
    requirement id (every check that verifies it)."""
    items = list(items)
    ids = {id(item): check_id(item.path, item.nodeid) for item in items}
    known = set(requirements)
    chosen: list[pytest.Item] = []
    unknown: list[str] = []
    for want in wanted:
        hits = [i for i in items if want in (ids[id(i)], ids[id(i)].split("[", 1)[0]) or want in requirement_ids(i)]
        if not hits and want not in known:
            unknown.append(want)
        chosen += [i for i in hits if i not in chosen]
    return chosen, unknown
