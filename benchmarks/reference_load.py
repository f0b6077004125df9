"""Time the reference server under the load self-test's load and record its requests per second.

    /work/venv/bin/python benchmarks/reference_load.py [--clients 8] [--requests-per-client 260] [--seed N]

Starts an embedded ReferenceServer (lifecycle_delay=0) on 127.0.0.1, runs the seeded mixed load of
``tests/reference/test_ref_load.py`` (the generator is ``tests/reference/ref_load_support.py``), checks the
outcome the same way, prints requests, wall time and requests per second, and writes
``reports/reference-load.json``. Exit status 1 when the server misbehaved (5xx, unexpected errors, problems).

The clients run in the server's process (one thread each, sharing the GIL with uvicorn), so the figure is a
floor for the server alone and is specific to the machine it was measured on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "reference"))

from ref_load_support import LoadConfig, run_load, verify  # noqa: E402

from conformance.reference import ReferenceServer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    defaults = LoadConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument("--requests-per-client", type=int, default=defaults.requests_per_client)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--time-budget", type=float, default=defaults.time_budget, help="seconds")
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "reference-load.json")
    args = parser.parse_args(argv)
    load = LoadConfig(
        clients=args.clients,
        requests_per_client=args.requests_per_client,
        seed=args.seed,
        time_budget=args.time_budget,
    )

    with ReferenceServer(lifecycle_delay=0, reply_delay=0) as server:
        result = run_load(server, load)
        final_problems = verify(server, result)
        unexpected = len(server.unexpected_errors)

    problems = result.problems + final_problems
    ok = not problems and result.server_errors == 0 and unexpected == 0 and not result.stopped_early
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python benchmarks/reference_load.py", *(sys.argv[1:] if argv is None else argv)]),
        "ok": ok,
        "clients": load.clients,
        "requests": result.requests,
        "wall_seconds": round(result.wall_seconds, 3),
        "requests_per_second": round(result.requests_per_second, 1),
        "latency": {key: round(value, 2) for key, value in result.latency_percentiles().items()},
        "seed": load.seed,
        "stopped_early": result.stopped_early,
        "server_errors_5xx": result.server_errors,
        "unexpected_errors": unexpected,
        "problems": problems[:20],
        "statuses": {str(code): n for code, n in sorted(result.statuses.items())},
        "operations": dict(sorted(result.operations.items())),
        "tasks_live_at_end": sum(len(run.live) for run in result.runs),
        "tasks_deleted": sum(len(run.deleted) for run in result.runs),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "note": "clients and server share one process (and the GIL); the figure is machine-specific",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"clients:             {load.clients}")
    print(f"requests:            {result.requests}")
    print(f"wall time:           {result.wall_seconds:.3f} s")
    print(f"requests per second: {result.requests_per_second:.1f}")
    print(f"latency:             {report['latency']}")
    print(f"5xx: {result.server_errors}  unexpected errors: {unexpected}  problems: {len(problems)}")
    print(f"report:              {args.output}")
    for problem in problems[:10]:
        print(f"  problem: {problem}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
