"""The fuzz profile of the contract, the Schemathesis configuration, and failure codes -> requirement ids.

The profile is openapi.yaml narrowed where the contract cannot say which values a given target accepts, so that
"positive" (schema-valid) data really is data a conforming server must accept:

- ``{user}`` is ``me``: any other string names a user who may not exist (400 is then correct);
- ``template_version_id`` is the configured AI template version (any other uuid is 400 on a conforming server),
  and the preset id is dropped (the suite knows no valid preset); the body examples use the configured version;
- ``q`` follows the filter grammar with the values every caller may use (owner me, a task status), in any case,
  quoted or not, in either order, with any amount of surrounding and separating space.

Negative data stays meaningful: whatever the profile forbids beyond the contract is tolerated when the server
accepts it (see tolerance.py). Inferred links are switched off: the stateful tier only follows the contract's own
links from a create, so it never touches a task it did not create.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from conformance.contracts.profiles import OPERATION_FEATURES, Profile
from conformance.runner.tasks.session import RunContext

OPERATIONS = ("listTasks", "createTask", "getTask", "deleteTask", "getTaskLogs", "sendTaskInput",
              "updateTaskInput", "pauseTask", "resumeTask")
# Operations that create nothing, whatever the generated data (a get with a random uuid finds nothing).
READ_ONLY_OPERATIONS = ("listTasks", "getTask", "getTaskLogs")

_OWNER = r'(?:(?:owner|OWNER|Owner):(?:me|ME|Me|"me")|me|ME|Me)'


def query_pattern(profile: Profile) -> str:
    """A q valid for every caller: at most one owner filter (a bare word is one; a name in legacy) and one status
    filter of the generation's statuses (any case), any spacing."""
    values = [*profile.statuses, profile.active.upper(), profile.active.capitalize(), profile.starting[0].capitalize()]
    status = r"(?:(?:status|STATUS|Status):(?:" + "|".join(values) + r"))"
    gap = r"(?: |  +)"  # one space or several, about as often: Coder splits on any run of spaces
    return rf"^ *(?:{_OWNER}(?:{gap}{status})?|{status}(?:{gap}{_OWNER})?)? *$"


STATEFUL_MAX_STEPS = 6

# Schemathesis failure codes (schemathesis.failure_codes) -> the requirements a failure of that kind breaks.
FAILURE_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "ST101": ("FUZZ-NO-SERVER-ERROR",),  # server error
    "ST102": ("FUZZ-NO-SERVER-ERROR",),  # server error on an undeclared request content type
    "ST103": ("FUZZ-STATUS-DOCUMENTED",),  # undocumented status code
    "ST104": ("FUZZ-CONTENT-TYPE",),  # missing Content-Type
    "ST105": ("FUZZ-CONTENT-TYPE",),  # undocumented Content-Type
    "ST106": ("FUZZ-CONTENT-TYPE",),  # malformed media type
    "ST107": ("FUZZ-RESPONSE-SCHEMA",),  # missing documented response headers
    "ST108": ("FUZZ-RESPONSE-SCHEMA",),  # response violates the schema
    "ST109": ("FUZZ-RESPONSE-SCHEMA",),  # JSON content type, unparseable body
    "ST110": ("FUZZ-RESPONSE-SCHEMA",),  # content deserialization error
    "ST111": ("FUZZ-RESPONSE-SCHEMA",),  # unknown discriminator value
    "ST201": ("FUZZ-NEGATIVE-REJECTED",),  # schema-violating request accepted
    "ST202": ("FUZZ-POSITIVE-ACCEPTED",),  # schema-valid request rejected
    "ST203": ("FUZZ-NEGATIVE-REJECTED",),  # missing required header accepted
    "ST204": ("FUZZ-UNSUPPORTED-METHOD",),  # wrong answer to an undeclared method
    "ST205": ("FUZZ-UNSUPPORTED-METHOD",),  # Allow header does not match the declared methods
    "ST301": ("FUZZ-USE-AFTER-FREE",),  # deleted resource still available
    "ST302": ("FUZZ-RESOURCE-AVAILABLE",),  # created resource not found
    "ST401": ("FUZZ-IGNORED-AUTH",),  # authentication not enforced
}
# Not Schemathesis codes: the valid token was refused (guard.py); a request got no response at all; an answer's
# body was too large or nested too deep to take in (no documented body is either).
GUARD_CODE = "GUARD"
NO_RESPONSE_CODE = "NO-RESPONSE"
UNUSABLE_CODE = "UNUSABLE-BODY"
FAILURE_REQUIREMENTS[GUARD_CODE] = ("FUZZ-VALID-TOKEN-ACCEPTED",)
FAILURE_REQUIREMENTS[NO_RESPONSE_CODE] = ("FUZZ-NO-SERVER-ERROR",)
FAILURE_REQUIREMENTS[UNUSABLE_CODE] = ("FUZZ-RESPONSE-SCHEMA",)

# What each tier can break; every fuzz check carries these as its requirement marks.
GATE_REQUIREMENTS = (
    "FUZZ-NO-SERVER-ERROR", "FUZZ-STATUS-DOCUMENTED", "FUZZ-CONTENT-TYPE", "FUZZ-RESPONSE-SCHEMA",
    "FUZZ-NEGATIVE-REJECTED", "FUZZ-POSITIVE-ACCEPTED", "FUZZ-IGNORED-AUTH", "FUZZ-UNSUPPORTED-METHOD",
    "FUZZ-VALID-TOKEN-ACCEPTED",
)
STATEFUL_REQUIREMENTS = (
    "FUZZ-USE-AFTER-FREE", "FUZZ-RESOURCE-AVAILABLE", "FUZZ-NO-SERVER-ERROR", "FUZZ-STATUS-DOCUMENTED",
    "FUZZ-CONTENT-TYPE", "FUZZ-RESPONSE-SCHEMA", "FUZZ-NEGATIVE-REJECTED", "FUZZ-POSITIVE-ACCEPTED",
    "FUZZ-IGNORED-AUTH", "FUZZ-VALID-TOKEN-ACCEPTED",
)


def gate_requirements(operation_id: str) -> tuple[str, ...]:
    """The gate check of one operation; a create must also be retrievable by the id it returned."""
    return GATE_REQUIREMENTS + (("FUZZ-RESOURCE-AVAILABLE",) if operation_id == "createTask" else ())


def requirements_for(code: str) -> tuple[str, ...]:
    """The requirements a failure with this code breaks; empty (= all of the check's) for an unknown code."""
    return FAILURE_REQUIREMENTS.get(code, ())


@dataclass(frozen=True)
class FuzzSettings:
    """What the fuzz tiers need from the run configuration."""

    base_url: str  # target url + api prefix: the contract's paths start below the prefix
    profile: Profile
    operations: tuple[str, ...]  # the operations the server's release has
    token: str
    template_version_id: str | None
    budget: int  # generated examples per operation (fuzzing phase) and scenarios (stateful tier)
    seed: int
    time_limit: float
    request_timeout: float
    read_only: bool
    tls_verify: bool | str = True  # as the run's transport: False (insecure), a CA bundle path, or True

    @classmethod
    def from_run(cls, run: RunContext) -> FuzzSettings:
        target, settings = run.config.target, run.config.run
        assert target.url is not None and target.token is not None, "the target is resolved before checks run"
        return cls(
            base_url=target.url + run.api_prefix,
            profile=run.terms.profile,
            operations=tuple(op for op in OPERATIONS
                             if op not in OPERATION_FEATURES or run.terms.has(OPERATION_FEATURES[op])),
            token=target.token,
            template_version_id=target.template_version_id,
            budget=settings.fuzz_budget,
            seed=settings.fuzzing_seed,
            time_limit=settings.fuzz_time_limit,
            request_timeout=settings.request_timeout,
            read_only=settings.read_only,
            tls_verify=settings.http.verify,
        )


def fuzz_document(contract: dict[str, Any], template_version_id: str | None, profile: Profile,
                  operations: tuple[str, ...] = OPERATIONS) -> dict[str, Any]:
    """The contract narrowed to values this target must accept (module docstring) and to the operations its
    release has (and the links between them); the contract is not changed."""
    doc = copy.deepcopy(contract)
    _keep_operations(doc, operations)
    components = doc["components"]
    components["parameters"]["User"]["schema"] = {"type": "string", "enum": ["me"]}
    components["parameters"]["TaskQuery"]["schema"] = {"type": "string", "pattern": query_pattern(profile)}
    create = components["schemas"]["CreateTaskRequest"]
    create["properties"].pop("template_version_preset_id", None)
    media = doc["paths"]["/tasks/{user}"]["post"]["requestBody"]["content"]["application/json"]
    if template_version_id is not None:
        create["properties"]["template_version_id"] = {
            "type": "string", "format": "uuid", "enum": [template_version_id],
            "description": "The configured template version that can run AI tasks.",
        }
        for example in media.get("examples", {}).values():
            value = example["value"]
            value.pop("template_version_preset_id", None)
            value["template_version_id"] = template_version_id
    else:  # read-only runs may have none; create is not fuzzed then
        media.pop("examples", None)
    return doc


def _keep_operations(doc: dict[str, Any], operations: tuple[str, ...]) -> None:
    """Drop the operations the release lacks, and every link to them."""
    for path in list(doc["paths"]):
        item = doc["paths"][path]
        for method in [m for m, op in item.items() if isinstance(op, dict) and "operationId" in op]:
            if item[method]["operationId"] not in operations:
                del item[method]
                continue
            for response in item[method].get("responses", {}).values():
                links = response.get("links") if isinstance(response, dict) else None
                if links:
                    for name in [n for n, link in links.items() if link.get("operationId") not in operations]:
                        del links[name]
        if not any(isinstance(op, dict) and "operationId" in op for op in item.values()):
            del doc["paths"][path]


def schemathesis_config(settings: FuzzSettings, *, stateful: bool = False) -> Any:
    """The Schemathesis configuration: built here, never discovered from a schemathesis.toml in the cwd.

    The gate tier generates the security parameters too, so its negative data includes requests without (or
    with a broken) token; the configured token is never added to those. The stateful tier does not: Schemathesis
    counts them as operation parameters, and its created-resource check (ST302) only looks at a follow-up
    whose every parameter came from a link, which a generated credential never does.
    """
    from schemathesis.config import SchemathesisConfig

    coverage: dict[str, Any] = {}
    if settings.read_only:
        # Undeclared-method probes with PUT, POST, PATCH or DELETE on the read operations' paths could change
        # state on a server that routes them after all: only the safe ones.
        coverage["unexpected-methods"] = ["options", "trace", "query"]
    return SchemathesisConfig.from_dict({
        "seed": settings.seed,
        "base-url": settings.base_url,
        "workers": 1,  # more than one worker crashes now and then in the coverage phase on Python 3.11
        # The requests go through the run's transport (driver.py), which applies its own timeouts, TLS settings,
        # body cap, pace and 429 retries; these are for anything Schemathesis would send on its own.
        "request-timeout": settings.request_timeout,
        "tls-verify": settings.tls_verify,
        "max-redirects": 0,
        # The token goes to the security scheme, so cases that test missing authentication stay unauthenticated.
        "auth": {"openapi": {"CoderSessionToken": {"api_key": settings.token}}, "auto-signup": False},
        "generation": {
            "max-examples": max(settings.budget, 1), "database": "none", "deterministic": False,
            "no-shrink": True, "unique-inputs": False, "with-security-parameters": not stateful,
            # No NUL characters: Coder passes them to PostgreSQL, which refuses them (500), and a 4xx for them is a
            # SHOULD that one check judges (GEN-NUL-NO-5XX), not every generated case.
            "allow-x00": False,
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": coverage,
            # No feedback from responses into generation: the requests do not depend on what the server says.
            "fuzzing": {"extra-data-sources": {"responses": False}, "error-feedback": {"enabled": False}},
            "stateful": {
                "enabled": True, "max-steps": STATEFUL_MAX_STEPS, "link-calibration": False,
                # Inferred links (e.g. list -> delete) would reach tasks this tier did not create.
                "inference": {"algorithms": []},
            },
        },
        "checks": {
            # Needs several identities wired through Web Fuzzing Commons; the access-control checks cover it.
            "object_level_authorization": {"enabled": False},
        },
    })


def load_schema(settings: FuzzSettings, contract: dict[str, Any], *, stateful: bool = False) -> Any:
    """The Schemathesis schema of the fuzz profile, configured for this target and tier."""
    import schemathesis

    return schemathesis.openapi.from_dict(fuzz_document(contract, settings.template_version_id, settings.profile,
                                                        settings.operations),
                                          config=schemathesis_config(settings, stateful=stateful))
