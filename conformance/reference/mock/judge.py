"""Judging the client: what a real Coder of the served release would not do or accept of the requests it received.

The mock knows the contract of the release it serves (its `Generation`: the profile's features with their release
and pull request, contracts/profiles.py; the generation's OpenAPI document, contracts/contract.py), so from the
recorded requests (recording.py) and the task store it tells a client author, one `Finding` each (finding.py):

- ``route``: a route the release lacks, a method the route does not take, a task by name where the release reads
  `{task}` as a UUID only (judge_routes.py);
- ``body``: a request body the contract refuses or partly ignores; ``query``: a list `q` the release refuses
  (judge_bodies.py);
- ``rate``: requests over Coder's rate limit; ``retry-after``: a `Retry-After` not waited for (judge_rates.py);
- ``left-behind``: tasks the client created and never deleted, at the time the findings are asked for
  (judge_leftovers.py).

Requests outside the API prefixes (the mock's control API among them) are not the client's traffic to the API and
are judged by none of these. A finding is judged from what the client sent, not from what the server answered (a
fault may change that), except the list's `q`: the reference's search grammar is Coder's, its 400 Coder's refusal.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..conforming.generation import Generation
from ..conforming.store import TaskView
from .finding import KINDS, Finding
from .judge_bodies import body_findings, query_finding
from .judge_leftovers import CreatedTasks, left_behind
from .judge_rates import rate_findings, retry_after_findings
from .judge_routes import TASKS_PREFIXES, place, route_finding
from .recording import Recorder
from .settling import Settling

__all__ = ["Finding", "Judge", "summary"]

SUMMARY_LINES = 40  # distinct findings a summary shows; the rest are counted


class Judge:
    """The findings of one server's recorded traffic. ``settling``: the middleware around the ``recorder`` that
    knows the answers not recorded yet; ``served_prefixes``: where the server answers the Tasks API (the
    generation's prefixes, or the one it was told to serve under); ``rows``: the store's tasks, deleted ones too;
    ``enforces_rate_limit``: the server answers 429 itself (the rate is then not replayed)."""

    def __init__(self, generation: Generation, recorder: Recorder, settling: Settling, *,
                 served_prefixes: tuple[str, ...], rows: Callable[[], list[TaskView]],
                 enforces_rate_limit: bool = False) -> None:
        self.generation = generation
        self.recorder = recorder
        self.settling = settling
        self.created = CreatedTasks(settling, recorder)  # the ASGI app to serve: noting created tasks
        self._rows = rows
        self._served = tuple(dict.fromkeys((*generation.prefixes, *served_prefixes)))
        self._prefixes = tuple(dict.fromkeys((*TASKS_PREFIXES, *self._served)))
        self._enforces_rate_limit = enforces_rate_limit
        self._wall_start_ns = time.time_ns()  # made right after the recorder: its records' `at` count from here

    def findings(self, *, settle: bool = True) -> list[Finding]:
        """Every finding so far, in the order of the requests they are about; first (``settle``) waiting for the
        records of the answers already sent (no use once the server has stopped)."""
        if settle:
            self.settling.wait()
        records = self.recorder.requests()
        out: list[Finding] = []
        for record in records:
            placed = place(record, self._prefixes)
            if placed is None:
                continue
            routed = route_finding(placed, self.generation, self._served)
            if routed is not None:
                out.append(routed)
                continue
            out += body_findings(placed, self.generation)
            query = query_finding(placed, self.generation)
            if query is not None:
                out.append(query)
        if not self._enforces_rate_limit:
            out += rate_findings(records, self._wall_start_ns)
        out += retry_after_findings(records)
        out += left_behind(self.created.created(), records, self._rows, self.generation.profile.prefix)
        return sorted(out, key=lambda f: (f.request_seq if f.request_seq is not None else 0, KINDS.index(f.kind)))


def summary(findings: list[Finding], generation: Generation) -> str:
    """The findings in a few lines (empty when none): alike findings once, with how many and the first request."""
    if not findings:
        return ""
    groups: dict[tuple[str, str, str, str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.kind, finding.method, finding.path, finding.message, finding.contract),
                          []).append(finding)
    lines = [f"tasks mock: {len(findings)} client finding(s): what a real Coder {generation.describe()} would not "
             "do or accept"]
    for alike in list(groups.values())[:SUMMARY_LINES]:
        times = f" (x{len(alike)})" if len(alike) > 1 else ""
        lines.append(f"  {alike[0].line()}{times}")
    if len(groups) > SUMMARY_LINES:
        lines.append(f"  ... and {len(groups) - SUMMARY_LINES} more kinds of finding (server.findings() has them all)")
    return "\n".join(lines)
