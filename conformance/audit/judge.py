"""One recorded exchange judged by the contract of its generation.

Which exchanges: those whose path has a Tasks API prefix (`/api/v2` or `/api/experimental`, on any host and under
any gateway path) followed by `/tasks`; everything else in a recording is counted and ignored.

Which contract: `--profile` when given; else the release the answer names in `X-Coder-Build-Version` (each
exchange by its own: one recording may span an upgrade); else the generation whose prefix the path has.

Not judged either: Coder's CSRF refusal (400, text), which its middleware answers before any Tasks API handler to an
unsafe request that carries the session cookie without the CSRF token.

What is judged, by the profile's OpenAPI document: the status is documented for the operation; where the document
gives the answer a JSON body, the content type is JSON and the body validates against its schema (for an error
status that is the error envelope, `Error`, whether the status is documented or not); where it gives none (204, a
delete's 202), no body. The wording of each problem is the checks' own (runner/tasks/expect.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from urllib.parse import urlsplit

import httpx

from conformance.audit import FAILED, IGNORED, PASSED
from conformance.audit.recordings import Recorded
from conformance.contracts.contract import Contract, contract_for
from conformance.contracts.profiles import (
    CSRF_REFUSAL,
    EXPERIMENTAL,
    OPERATION_FEATURES,
    PROFILES,
    STABLE,
    Terms,
    parse_version,
    profile_for,
)
from conformance.runner.records.bodies import MAX_JSON_DEPTH, json_too_deep
from conformance.runner.target.release import VERSION_HEADER, removed_sentence
from conformance.runner.tasks import expect

_PREFIXES = sorted({prefix for p in PROFILES.values() for prefix in (p.prefix, *p.aliases)}, key=len, reverse=True)
_TASKS_PATH = re.compile("(" + "|".join(map(re.escape, _PREFIXES)) + r")(/tasks(?:/.*)?)$")
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")  # the body is already decoded



@dataclass(frozen=True)
class Judgement:
    """What an audit says of one exchange. `basis` says which contract and why (empty when none applied)."""

    source: str
    method: str
    path: str
    status: int
    outcome: str  # PASSED, FAILED or IGNORED
    operation: str = ""
    basis: str = ""
    problems: tuple[str, ...] = ()
    note: str = ""  # why it was ignored, or what could not be judged


@dataclass(frozen=True)
class Route:
    prefix: str  # the API prefix in the path, e.g. /api/v2
    rest: str  # the path after it, e.g. /tasks/me/abc
    path: str  # the whole path, without the query


def route(url: str) -> Route | None:
    """The Tasks API part of a recorded URL; None for other traffic."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    match = _TASKS_PATH.search(path)
    return Route(match.group(1), match.group(2), path) if match else None


def terms_for(headers_version: str, prefix: str, explicit: str | None) -> Terms:
    """The contract one exchange is judged by. An explicit profile keeps the recorded release, as a run's does
    (runner/target/detect.py): features the release predates are not judged."""
    version = parse_version(headers_version)
    if explicit:
        return Terms(PROFILES[explicit], version, "set by --profile")
    if version is not None:
        return Terms(profile_for(version), version, "from X-Coder-Build-Version")
    profile = STABLE if prefix == STABLE.prefix else EXPERIMENTAL  # as a run probing the prefixes would
    return Terms(profile, reason=f"no release recorded: the generation of {prefix}")


@dataclass
class _Paths:
    """A contract's operations by method, each with its path template as a pattern."""

    by_method: dict[str, list[tuple[re.Pattern[str], str]]] = field(default_factory=dict)

    def find(self, method: str, rest: str) -> tuple[str | None, bool]:
        """(operation id, whether any operation has this path)."""
        for pattern, operation in self.by_method.get(method, []):
            if pattern.fullmatch(rest):
                return operation, True
        return None, any(p.fullmatch(rest) for ops in self.by_method.values() for p, _ in ops)


@cache
def _paths(profile: str) -> _Paths:
    paths = _Paths()
    for operation in contract_for(profile).operations.values():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(operation.path)))
        paths.by_method.setdefault(operation.method, []).append((pattern, operation.operation_id))
    return paths


def judge(exchange: Recorded, explicit_profile: str | None = None) -> Judgement:
    """The judgement of one exchange (explicit_profile: `--profile`, else each exchange's own release)."""
    found = route(exchange.url)
    if found is None:
        return Judgement(exchange.source, exchange.method, "", exchange.status, IGNORED, note="not the Tasks API")
    method, status = exchange.method, exchange.status
    base = Judgement(exchange.source, method, found.path, status, IGNORED)
    if not status:
        return replace(base, note="no answer recorded")
    version = exchange.response_header(VERSION_HEADER)
    terms = terms_for(version, found.prefix, explicit_profile)
    removed = removed_sentence(terms.version, status, exchange.body)
    if removed:  # from v2.36, a release that does not serve the Tasks API (as a run's preflight decides)
        return replace(base, basis=terms.describe, note=removed.split(":")[0])
    profile = terms.profile
    if found.prefix not in (profile.prefix, *profile.aliases):
        return replace(base, basis=terms.describe,
                     note=f"{found.prefix} is not a prefix of the {profile.name} generation ({profile.prefix})")
    operation, known_path = _paths(profile.name).find(method, found.rest)
    if operation is None:
        what = f"no {method} operation at this path" if known_path else "no operation at this path"
        return replace(base, basis=terms.describe, note=f"{what} in the {profile.name} contract")
    if status == 400 and exchange.body.strip().startswith(CSRF_REFUSAL.encode()):
        return replace(base, operation=operation, basis=terms.describe,
                       note="refused by Coder's CSRF check before the Tasks API: the request carried the session "
                            "cookie without the CSRF token (coderd/httpmw/csrf.go)")
    feature = OPERATION_FEATURES.get(operation)
    if feature and not terms.has(feature):
        return replace(base, operation=operation, basis=terms.describe, note=terms.missing(feature))
    try:
        problems, note = _problems(contract_for(profile.name), operation, exchange, found.path)
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:  # a recording is read, not trusted
        return replace(base, operation=operation, basis=terms.describe,
                       note=f"could not be judged: {type(exc).__name__}")
    return replace(base, outcome=FAILED if problems else PASSED, operation=operation, basis=terms.describe,
                   problems=tuple(problems), note=note)


def _problems(contract: Contract, operation_id: str, exchange: Recorded, path: str) -> tuple[list[str], str]:
    """What is wrong with the answer, in the checks' words; and a note on what could not be judged."""
    operation = contract.operations[operation_id]
    documented = sorted(operation.documented_statuses())
    status, body = exchange.status, exchange.body
    response = _response(exchange, path)
    problems: list[str] = []
    if status not in documented:
        problems.append(f"status {status} is not documented for {operation_id} ({expect.describe(response)}); "
                        f"documented: {', '.join(map(str, documented))}")
    documented_response = contract.response(operation_id, status)
    schema = contract.response_schema_name(operation_id, status) or ("Error" if status >= 400 else None)
    bodiless = documented_response is not None and not documented_response.get("content")
    if not exchange.body_complete:
        return problems, "body not (wholly) in the recording: not judged"
    try:
        if bodiless:
            expect.empty_body(response)
        elif schema and json_too_deep(body):
            problems.append(f"the {status} body of {expect.describe(response)} nests JSON more than "
                            f"{MAX_JSON_DEPTH} levels deep")
        elif schema:
            expect.schema(response, schema, contract)
        elif body.strip():
            expect.json_body(response)
    except expect.CheckFailure as failure:
        problems.append(str(failure))
    return problems, ""


def _response(exchange: Recorded, path: str) -> httpx.Response:
    """The recorded answer as the checks see one (its body already decoded)."""
    kept = [(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass"))
            for k, v in exchange.response_headers if k.lower() not in _DROPPED_HEADERS]
    request = httpx.Request(exchange.method or "GET", _url("/" + path.lstrip("/")))
    return httpx.Response(exchange.status, headers=kept, content=exchange.body, request=request)


@lru_cache(maxsize=4096)
def _url(path: str) -> httpx.URL:
    return httpx.URL(scheme="http", host="recorded", path=path)
