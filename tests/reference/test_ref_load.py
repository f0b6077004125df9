"""The reference server holds up under load: 8 concurrent clients, over 2,000 seeded mixed requests (valid and
malformed), no 5xx, no handler exception, no lost or resurrected task, and consistent list counts.

The same load, timed, is ``benchmarks/reference_load.py``.
"""

from __future__ import annotations

from ref_load_support import LoadConfig, run_load, verify

from conformance.reference import ReferenceServer

LOAD = LoadConfig(clients=8, requests_per_client=260, seed=20251107, time_budget=60.0)


def test_reference_server_holds_up_under_mixed_concurrent_load() -> None:
    with ReferenceServer(profile="experimental", lifecycle_delay=0, reply_delay=0) as server:
        result = run_load(server, LOAD)
        final_problems = verify(server, result)
        unexpected = server.unexpected_errors

    assert result.server_errors == 0, f"{result.server_errors} 5xx answers; statuses: {dict(result.statuses)}"
    assert unexpected == [], unexpected
    assert result.problems == [], "\n".join(result.problems)
    assert not result.stopped_early, f"the load did not finish within {LOAD.time_budget}s"
    assert result.requests >= 2000, result.requests
    assert final_problems == [], "\n".join(final_problems)
    # the mix really exercised every kind of request, and tasks really came and went
    assert set(result.operations) >= {"create", "create_malformed_json", "list_q_malformed", "delete", "bad_token"}
    assert sum(len(run.live) for run in result.runs) > 0
    assert sum(len(run.deleted) for run in result.runs) > 0
    assert {400, 401, 404, 405, 409}.issubset(result.statuses), dict(result.statuses)
