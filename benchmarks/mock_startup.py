"""The reference as a fake Coder: in-process start-to-ready time, and one client flow, per generation.

    python benchmarks/mock_startup.py [--rounds 20] [--record]

For each profile it starts ``ReferenceServer(profile=P, seed=1, control=True)`` ``--rounds`` times and times the
``start()`` call (from the call until the socket answers: ``start`` returns once uvicorn listens) and the first
answer to a ``GET /api/v2/buildinfo`` (with a new httpx client, whose set-up is most of it); then it times one
client flow on a server with start-up and reply delays of 0.05 s: create, wait for active, send, read the reply in
the logs, pause (where the release has it), delete. Medians and maxima are printed; ``--record`` also writes them
to benchmarks/results/mock_startup.txt.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx

from conformance.reference import ReferenceServer

RESULTS = Path(__file__).resolve().parent / "results" / "mock_startup.txt"
PROFILES = ("legacy", "experimental", "stable")


def _start_to_ready(profile: str) -> tuple[float, float]:
    began = time.perf_counter()
    server = ReferenceServer(profile=profile, seed=1, control=True, report_findings=False)
    server.start()
    try:
        started = time.perf_counter() - began
        httpx.get(f"{server.url}/api/v2/buildinfo", timeout=5).raise_for_status()
        return started, time.perf_counter() - began
    finally:
        server.stop()


def _until(read: object, done: object, timeout: float = 5.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = read()  # type: ignore[operator]
        if done(value) or time.monotonic() > deadline:  # type: ignore[operator]
            return value
        time.sleep(0.01)


def _flow(profile: str) -> float:
    with ReferenceServer(profile=profile, seed=1, control=True, lifecycle_delay=0.05, reply_delay=0.05) as server:
        began = time.perf_counter()
        base = f"{server.url}{server.api_prefix}/tasks"
        with httpx.Client(headers={"Coder-Session-Token": server.users.member.token}, timeout=5) as client:
            field = "prompt" if profile == "legacy" else "input"  # the create body's field of the generation
            task = client.post(f"{base}/me", json={field: "hello",
                                                  "template_version_id": server.template_versions.ai}).json()
            running = ("active", "running")
            _until(lambda: client.get(f"{base}/me/{task['id']}").json()["status"], lambda s: s in running)
            client.post(f"{base}/me/{task['id']}/send", json={"input": "more"}).raise_for_status()
            _until(lambda: client.get(f"{base}/me/{task['id']}/logs").json()["logs"],
                   lambda logs: any(entry["type"] == "output" and "more" in entry["content"] for entry in logs))
            if "pause" in server.generation.routes():
                client.post(f"{base}/me/{task['id']}/pause").raise_for_status()
            client.delete(f"{base}/me/{task['id']}").raise_for_status()
        return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [f"mock start-up and one client flow, {args.rounds} rounds, {when}"]
    for profile in PROFILES:
        starts = [_start_to_ready(profile) for _ in range(args.rounds)]
        listening, answered = [s for s, _ in starts], [a for _, a in starts]
        flow = _flow(profile)
        lines.append(f"{profile:13} start() median {statistics.median(listening) * 1000:6.1f} ms (max "
                     f"{max(listening) * 1000:6.1f}), first answer median {statistics.median(answered) * 1000:6.1f} ms;"
                     f" flow {flow:.2f} s")
    text = "\n".join(lines)
    print(text)
    if args.record:
        RESULTS.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
