"""Peak memory and time of the suite on hostile bodies (issue 11: memory and time after the answer arrives).

    python benchmarks/hostile_bodies.py [--out benchmarks/results/hostile_bodies.json]

For each body, a reference server whose answers to one kind of request are replaced by that body (an ASGI wrapper
put around the server's app before it starts) is checked by `tasks-conformance run`, selecting the one check that
reads such an answer; GNU time measures the suite process's peak resident memory and wall time. The same check
against the unchanged server is the baseline. Then the pieces alone, in this process: schema validation, the
nesting bound and the redactor on the same bodies.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from conformance.contracts.contract import default_contract
from conformance.reference import ReferenceServer
from conformance.runner.records.bodies import json_too_deep
from conformance.runner.records.redact import Redactor

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def _objects(key: str, size: int) -> bytes:
    count = size // 3
    return (b'{"count": 1, "%s": [' % key.encode()) + b"{}," * (count - 1) + b"{}]}"


BODIES: dict[str, tuple[str, str, Callable[[], bytes], dict[str, str]]] = {
    # name: (request path ending, check, body, extra headers)
    "clean (baseline)": ("", "test_logs_body_schema", lambda: b"", {}),
    "100k-level nesting": ("/logs", "test_logs_body_schema", lambda: b"[" * 100_000 + b"]" * 100_000, {}),
    "4 MB of empty log entries": ("/logs", "test_logs_body_schema", lambda: _objects("logs", 4 * MB - 64), {}),
    "4 MB of empty tasks in a list": ("/tasks", "test_list_schema", lambda: _objects("tasks", 4 * MB - 64), {}),
    "300 KB of empty tasks in a list": ("/tasks", "test_list_schema", lambda: _objects("tasks", 300 * 1024), {}),
    "5 MB body (over the cap)": ("/logs", "test_logs_body_schema", lambda: b'{"logs": [], "x": "' + b"x" * (5 * MB)
                                 + b'"}', {}),
    "gzip bomb (64 MB of spaces)": ("/logs", "test_logs_body_schema",
                                    lambda: gzip.compress(b" " * (64 * MB), 9), {"content-encoding": "gzip"}),
}


class Replacing:
    """ASGI middleware: GET requests whose path ends with `suffix` (and carry no query) get `body`."""

    def __init__(self, app: Any, suffix: str, body: bytes, headers: dict[str, str]) -> None:
        self._app, self.suffix, self.body, self.headers = app, suffix, body, headers
        self.replaced = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (self.suffix and scope.get("type") == "http" and scope.get("method") == "GET"
                and scope.get("path", "").endswith(self.suffix) and not scope.get("query_string")
                and (self.suffix != "/tasks" or self.replaced >= 3)):  # the preflight's three lists pass
            self.replaced += 1
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(self.body)).encode())]
            headers += [(k.encode(), v.encode()) for k, v in self.headers.items()]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": self.body})
            return
        if self.suffix == "/tasks" and scope.get("type") == "http" and scope.get("path", "").endswith("/tasks"):
            self.replaced += 1
        await self._app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def suite_run(name: str, work: Path) -> dict[str, Any]:
    suffix, check, make, headers = BODIES[name]
    server = ReferenceServer(lifecycle_delay=0.01)
    server.app = Replacing(server.app, suffix, make(), headers)
    with server:
        config = work / "t.toml"
        config.write_text(tomli_w.dumps({"target": server.target_config(), "run": {"fuzz_budget": 0,
                                                                                  "active_timeout": 10}}))
        command = ["/usr/bin/time", "-f", "%M %e", sys.executable, "-m", "conformance.cli", "run", "--config",
                   str(config), "--report-dir", str(work / "reports"), "--", "-k", check]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    peak_kb, wall = proc.stderr.strip().splitlines()[-1].split()
    results = json.loads((work / "reports" / "results.json").read_text())
    row = next((c for c in results["checks"] if check in c["id"]), {})
    return {"body": name, "check": check, "exit_code": proc.returncode, "outcome": row.get("outcome"),
            "message": (row.get("message") or "")[:160], "peak_rss_mb": round(int(peak_kb) / 1024, 1),
            "wall_seconds": float(wall)}


def pieces() -> list[dict[str, Any]]:
    """The costly steps alone: parse, nesting bound, schema errors, redaction (time and this process's peak)."""
    contract = default_contract()
    redactor = Redactor(["Ab3dE6gH9j-kLmN0pQrStUvWxYz1234567"])
    out = []
    for name, step, run in [
        ("nesting bound, 100k levels", "json_too_deep", lambda: json_too_deep(b"[" * 100_000 + b"]" * 100_000)),
        ("nesting bound, 4 MB flat", "json_too_deep", lambda: json_too_deep(_objects("tasks", 4 * MB))),
        ("schema errors, 4 MB of empty tasks", "Contract.errors",
         lambda: contract.errors("TaskListResponse", json.loads(_objects("tasks", 4 * MB)))),
        ("schema errors, 4 MB of empty log entries", "Contract.errors",
         lambda: contract.errors("TaskLogsResponse", json.loads(_objects("logs", 4 * MB)))),
        ("redaction, 4 MB body, cut to the evidence's 64 KiB", "Redactor.cut",
         lambda: redactor.cut("x" * (4 * MB), 64 * 1024)),
    ]:
        started = time.perf_counter()
        run()
        out.append({"piece": name, "function": step, "seconds": round(time.perf_counter() - started, 4),
                    "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "hostile_bodies.json")
    args = parser.parse_args()
    rows = []
    for name in BODIES:
        with tempfile.TemporaryDirectory(prefix="tc-hostile-bench-") as work:
            row = suite_run(name, Path(work))
        rows.append(row)
        print(f"{row['body']:34} {row['outcome'] or '-':8} exit {row['exit_code']}  peak {row['peak_rss_mb']:7.1f} MB "
              f"{row['wall_seconds']:6.2f} s  {row['message'][:70]}", flush=True)
    parts = pieces()
    for part in parts:
        print(f"{part['piece']:52} {part['seconds']:8.4f} s  (process peak {part['process_peak_rss_mb']} MB)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"suite_runs": rows, "pieces": parts,
                                    "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}},
                                   indent=2) + "\n")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
