"""Where a client's request lands in the Tasks API, and the routes the served release lacks.

A request is placed by its path alone (never by what the server answered, which a fault may change): under an API
prefix some generation of Coder served the Tasks API at, the route among every Tasks route Coder ever had
(conforming/routes.py). A route the served release does not have is a finding, in the words of the feature that
brought it (contracts/profiles.py: its release and pull request): `/api/v2/tasks` before v2.29, `PATCH .../input`
before v2.29, `POST .../pause` before v2.32, any Tasks route from v2.37; so are a method the route does not take
and a task addressed by name where the release reads `{task}` as a UUID only (coderd/httpmw/taskparam.go).
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.contracts.profiles import (
    OPERATION_FEATURES,
    PROFILES,
    ROUTE_NOT_FOUND,
    Feature,
    Profile,
    without_tasks_api,
)

from ..conforming.generation import Generation
from ..conforming.identities import parse_uuid
from ..conforming.routes import OPERATION_IDS, Routed, match_route, path_segments
from .finding import Finding
from .recording import RecordedRequest

_BASE_ROUTES = ("list", "create", "task")  # the routes every release with the Tasks API has
EVERY_SUB_ROUTE = tuple(dict.fromkeys(name for name, _ in OPERATION_IDS if name not in _BASE_ROUTES))
# Every prefix some generation served the Tasks API under.
TASKS_PREFIXES = tuple(dict.fromkeys(prefix for p in PROFILES.values() for prefix in (p.prefix, *p.aliases)))


@dataclass(frozen=True)
class Placed:
    """A request under a Tasks API prefix: the prefix and the route it names (None: no Tasks route has its path)."""

    record: RecordedRequest
    prefix: str
    route: Routed | None

    @property
    def operation(self) -> str:
        """The operationId, '' when the route does not take the request's method (or there is no route)."""
        if self.route is None:
            return ""
        return OPERATION_IDS.get((self.route.name, self.record.method), "")

    @property
    def route_operation(self) -> str:
        """The operationId of the route whatever the method (its first method's)."""
        return OPERATION_IDS[self.route.name, self.route.methods[0]] if self.route is not None else ""


def place(record: RecordedRequest, prefixes: tuple[str, ...]) -> Placed | None:
    """The request's place in the Tasks API, or None for a request elsewhere (another Coder route, the controls)."""
    segments = path_segments({"raw_path": record.path.encode("latin-1")})
    if segments is None:
        return None
    for prefix in sorted(prefixes, key=len, reverse=True):
        parts = prefix.strip("/").split("/")
        if segments[:len(parts)] == parts and segments[len(parts):len(parts) + 1] == ["tasks"]:
            return Placed(record, prefix, match_route(segments[len(parts):], EVERY_SUB_ROUTE))
    return None


def arrival(profile: Profile, name: str) -> Feature | None:
    """A feature as the generation has it, else as the first later generation that brought it."""
    names = list(PROFILES)
    later = [PROFILES[n] for n in names[names.index(profile.name):]]
    return next((p.feature(name) for p in later if p.feature(name) is not None), None)


def feature_words(feature: Feature | None) -> str:
    if feature is None:
        return "contracts/profiles.py"
    return f"{feature.title}: since v{feature.since[0]}.{feature.since[1]} ({feature.source})"


def route_finding(placed: Placed, generation: Generation, served: tuple[str, ...]) -> Finding | None:
    """What a real server of the release would answer of the request's route, when it is not a route it has."""
    record, route, release = placed.record, placed.route, f"Coder {generation.describe()}"

    def found(message: str, contract: str) -> Finding:
        return Finding("route", message, contract, record.seq, record.method, record.path)

    if not generation.serves_tasks:
        why = without_tasks_api(generation.version) or f"{release} serves no Tasks API"
        return found(f"{release} has no Tasks API route: it answers 404 \"{ROUTE_NOT_FOUND}\"", why)
    profile = generation.profile
    if route is None:
        return found(f"no Tasks API route has this path: {release} answers 404 \"{ROUTE_NOT_FOUND}\"",
                     f"the paths of {profile.openapi} ({profile.name}, {profile.releases})")
    if placed.prefix not in served:
        owners = [p for p in PROFILES.values() if placed.prefix in (p.prefix, *p.aliases)]
        theirs = "; ".join(f"{p.name} serves it ({p.releases})" for p in owners)
        return found(f"{release} serves the Tasks API under {', '.join(served)}, not {placed.prefix}: it answers 404 "
                     f"\"{ROUTE_NOT_FOUND}\"", f"contracts/profiles.py: {profile.name} ({profile.releases}) serves "
                     f"{', '.join((profile.prefix, *profile.aliases))}; {theirs}")
    if route.name not in _BASE_ROUTES and route.name not in generation.routes():
        feature = arrival(profile, OPERATION_FEATURES.get(placed.route_operation, ""))
        return found(f"{route.methods[0]} .../{route.name} is not a route of {release}: it answers 404 "
                     f"\"{ROUTE_NOT_FOUND}\"", feature_words(feature))
    if record.method not in route.methods:
        return found(f"{record.method} is not a method of this route ({', '.join(route.methods)}): {release} answers "
                     "405", f"the paths of {profile.openapi} ({profile.name}, {profile.releases})")
    task = route.params.get("task")
    if task and parse_uuid(task) is None and not generation.has("name-lookup"):
        return found(f"{{task}} {task!r} is not a UUID: {release} finds a task by its UUID only and answers 400 "
                     "\"Invalid UUID\"", feature_words(arrival(profile, "name-lookup")))
    return None

