"""The named variation registry: legitimate behaviours a correct server may show, which the suite must accept.

Where faults (faults.py) prove that the suite is sensitive, variations prove that it is specific: with any one of
them on, a suite run against the reference server must still pass (exit 0). ``warns`` names the SHOULD/MAY
requirements a variation may legitimately break (reported as warnings; the verdict stays pass).

Switched on by name: ``ReferenceServer(variations=[...])``, ``ReferenceServer.set_variations``, ``serve
--variations a,b``, or the ``TASKS_CONFORMANCE_REFERENCE_VARIATIONS`` environment variable, which
``ReferenceServer`` reads when it is given no explicit variations (so ``tasks-conformance run`` can turn them on for
the embedded server). The suite's own tests prove that each variation changes what the server answers
(tests/reference/test_ref_variations.py) and that the suite accepts it (tests/faults/test_probes.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .switches import Switches, parse_names, validate_names

ENV_VAR = "TASKS_CONFORMANCE_REFERENCE_VARIATIONS"


@dataclass(frozen=True)
class Variation:
    """One legitimate behaviour, why it is legitimate, and the SHOULD/MAY requirements it may break."""

    name: str
    description: str
    warns: tuple[str, ...] = ()
    source: str = ""


_REGISTRY: tuple[Variation, ...] = (
    # --- the wire format -----------------------------------------------------------------------------------------
    Variation("extra-response-fields", "unknown extra fields in tasks, lists, logs, log entries and errors",
              source="docs: clients must ignore unknown fields"),
    Variation("json-without-charset", "JSON responses are labelled application/json without a charset",
              source="docs: JSON responses carry application/json"),
    Variation("json-charset-uppercase", "JSON responses are labelled application/json;charset=UTF-8",
              source="RFC 8259 / RFC 9110: media type parameters are case-insensitive"),
    Variation("reordered-keys", "JSON object keys come in reverse order", source="JSON objects are unordered"),
    Variation("omitempty-fields-absent",
              "workspace_status, workspace_build_number, the agent health reason and error details are absent",
              source="docs: omitted when empty; detail is optional"),
    Variation("later-release-fields", "tasks carry display_name; logs carry snapshot and snapshot_at",
              source="docs: later releases"),
    Variation("current-state-null", "current_state is null even for active tasks (the agent reported nothing)",
              source="docs: current_state is null or an object"),
    Variation("timestamp-formats",
              "date-times with nanoseconds and a +00:00 offset instead of microseconds and Z",
              source="RFC 3339; Go marshals time.Time as RFC 3339 with nanoseconds"),
    Variation("extra-response-headers", "extra response headers (request id, caching, security, CORS, server)",
              source="HTTP: clients ignore headers they do not know"),
    Variation("gzip-responses", "JSON responses are gzip-compressed when the client accepts gzip",
              source="HTTP content coding (Coder compresses API responses)"),
    Variation("www-authenticate-on-401", "401 answers carry WWW-Authenticate: Bearer",
              source="docs: later releases"),
    # --- error answers ---------------------------------------------------------------------------------------------
    Variation("error-wording",
              "error messages worded differently (all but the documented 'Invalid task search query.')",
              warns=("AUTH-401-MESSAGE", "GEN-MALFORMED-JSON-MESSAGE"),
              source="docs: the exact messages are Coder's; only the SHOULD requirements name them"),
    Variation("not-active-409", "send and logs on a task that is not active answer 409 instead of 400",
              source="docs: later releases answer 409"),
    Variation("unknown-user-404", "an unknown {user} path segment answers 404 instead of 400",
              source="docs/requirements: 400 (Coder) or 404"),
    Variation("user-scoped-uuid-lookup", "a task addressed by uuid under a {user} that is not its owner is 404",
              source="docs: a server that answers 404 when {user} is not the owner is also reasonable"),
    Variation("create-for-other-404", "a member creating a task for another user gets 404 instead of 403",
              source="docs: 403 or 404 depending on where the permission check trips"),
    Variation("create-empty-input-400", "create refuses an empty input with 400",
              source="docs: Coder accepts an empty input; requirement CREATE-EMPTY-INPUT tolerates a 400"),
    Variation("coder-bad-status-500", "a q with a status value that is no task status answers 500, as Coder does",
              warns=("FILTER-BAD-STATUS-400",),
              source="docs: Coder lets a bad status reach the database (500); the 400 is a SHOULD"),
    Variation("member-username-lookup-refused",
              "a member filtering by another user's username gets 400 'Invalid task search query.'",
              source="coder: searchquery resolves usernames with the caller's rights ('or you are unauthorized')"),
    Variation("unknown-route-before-auth", "an unknown route outside /tasks answers 404 without authentication",
              source="coder: the API router's NotFound handler runs without the API key middleware"),
    Variation("preexisting-tasks",
              "every user already has older tasks, some paused, failed, stuck pending or unknown",
              source="a real deployment is not empty; checks compare against what is there"),
    Variation("workspace-null-at-create",
              "create answers before the workspace exists: workspace_id null, no workspace status or build",
              source="docs: workspace_id is nullable; workspace_status and the build number are omitted when empty"),
    # --- timing and the agent ---------------------------------------------------------------------------------------
    Variation("delayed-delete", "a deleted task stays visible (get, list) for 0.5 s after the 202",
              source="docs: delete is asynchronous (a workspace delete build)"),
    Variation("slow-startup", "tasks take 0.75 s per lifecycle step (1.5 s to active), within the deadline",
              source="docs: seconds to minutes on a real server"),
    Variation("instant-startup", "tasks are active as soon as they are created",
              source="docs: a new task starts pending, initializing or active"),
    Variation("agent-busy-first", "the first send and the first logs of each active task answer 502 (agent busy)",
              source="docs: agent unreachable or busy 502"),
    Variation("logs-lag", "log entries (input and output) appear 0.3 s after they happen",
              source="docs: the agent's reply appears some time later; the log is read from the agent"),
    Variation("logs-snapshot-when-not-active",
              "logs of a task that is not active answer 200 with a stored snapshot (snapshot: true)",
              source="docs: later releases return a stored snapshot or 409"),
    # --- optional features ---------------------------------------------------------------------------------------
    Variation("no-bearer-or-access-token", "Authorization: Bearer and the access_token query are not supported",
              warns=("AUTH-BEARER", "AUTH-ACCESS-TOKEN"), source="docs: newer releases only (MAY)"),
    Variation("no-name-lookup", "the {task} segment must be a uuid: task names are not looked up (400)",
              warns=("GET-BY-NAME",), source="docs: the docs say uuid; name lookup is a Coder extension"),
)

VARIATIONS: dict[str, Variation] = {variation.name: variation for variation in _REGISTRY}


def list_variations() -> list[Variation]:
    """Every registered variation, in registry order."""
    return list(_REGISTRY)


def validate_variation_names(names: Iterable[str]) -> frozenset[str]:
    return validate_names(names, VARIATIONS, "variation")


def parse_variation_list(text: str) -> frozenset[str]:
    """Parse a comma-separated list of variation names (as given to --variations or the environment variable)."""
    return parse_names(text, VARIATIONS, "variation")


def variations_from_env(environ: Mapping[str, str]) -> frozenset[str]:
    """The variations named by TASKS_CONFORMANCE_REFERENCE_VARIATIONS, validated."""
    return parse_variation_list(environ.get(ENV_VAR, ""))


class ActiveVariations(Switches):
    """The set of variations switched on for one server; safe to change while requests are being served."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        super().__init__(VARIATIONS, "variation", names)
