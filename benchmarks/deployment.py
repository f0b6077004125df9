"""Deployment in a box: the suite's default run against a slow, rate-limited reference server, and every fault
against a box with the remote deadlines.

    python benchmarks/deployment.py [--part run|faults|both] [--seed 0] [--out reports/deployment.json] [--record]
        run:    [--startup 30] [--latency-ms 50] [--rate-limit 512] [--rate-window 60] [--rate-key user|ip]
                [--variations NAME ...]
        faults: [--only NAME ...] [--deadline 120] [--fault-startup 0.1] [--fuzz] [--jobs 3] [--clean-runs 3]
        both:   [--code head|tree]

Both parts start ReferenceServer(profile="stable", ...) from conformance/reference (box.py: added latency per
answer, Coder's per-user-and-path rate limiter) in this process on 127.0.0.1, port 0, and run the suite as a
subprocess: `python -m conformance.cli run --config T.toml --report-dir D ...`, T.toml holding only the server's
[target] table and [run] seed, so every other setting is the suite's default for a remote target (active_timeout
120 s, poll_interval 0.2 s, ...). The suite runs from a copy of the commit checked out (--code head, the default:
others' edits to the working tree during a sweep cannot reach the runs) or from the working tree (--code tree).

Part "run" (the full default run on the box): a task becomes active --startup seconds after its create
(lifecycle_delay = startup / 2), every answer takes --latency-ms more, and --rate-limit requests per --rate-window
seconds are allowed per user (or IP) and path (--rate-key ip: per IP and path, whoever sends, as Coder before
coder/coder#22049). The suite runs with `-- --durations=5`. Recorded: wall time, exit
code (must be 0: the server is correct), the box's counters (answers, 429s, the top 5 keys by requests with their
peak sliding-window rate), the five slowest pytest phases, the suite's notes about rate limiting and any check
skipped because it stayed rate limited, and the floor this server allows:

    floor = startup + max(requests x latency, max over keys of max(0, (n_key - limit) / limit x window))

(the suite sends one request at a time, so the latencies add up; a key's requests beyond the limit need that much
more of the window). The ratio wall / floor should be at most 1.5 (reported, not enforced).

Part "faults": for the clean server and every fault of list_faults("stable") (or --only NAME ...), a fresh box
(tasks active after --fault-startup s, no latency, no rate limit) and a suite run with --active-timeout DEADLINE
(default 120, the remote default) and --fuzz-budget 0 (fuzzing has no waits; --fuzz keeps it), --jobs cases at a
time (each in its own process with its own server); --clean-runs clean runs are spread evenly through the queue
and the clean wall time is their median, so that it is measured under the load the cases see. For each fault:
wall time, exit code, excess = wall - clean wall, the first timeouts and the kinds of wait among them. The first
timeouts are the distinct awaited things X of "waited D s for X" in the checks' messages of results.json that are
not refusals ("not waiting again for ...: earlier, waited D s for X"); a refusal's X counts only for a kind of wait
no check reported running out itself (the check that ran out said so in other words). A kind is an awaited thing
with its ids and quoted contents blanked out. A case is over its bound when

    wall > clean + first timeouts x deadline + 10 % of clean + 5 s

and is flagged "over kinds" when excess > kinds x deadline + the same slack (each kind of wait should run out once).

Output: tables, and JSON to --out (with --record also merged into benchmarks/results/deployment.json, where each part
keeps its latest recorded run; a sweep with --only is kept as "faults_only", apart from the full one). Each part's
JSON has the load averages at its start and end, the git commit and the command line. Exit code: 1 if the default
run did not exit 0 or a request stayed rate limited, or the clean fault run did not exit 0, or a fault case is over
its bound; else 0.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import json
import multiprocessing
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomli_w

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (benchmarks/run.py: timed_run, clean_env, environment)
from side_by_side import PYTEST_TOTAL, load  # noqa: E402

from conformance.reference.box import RATE_KEYS  # noqa: E402

DEFAULT_OUT = run.REPO / "reports" / "deployment.json"
RECORDED_COPY = HERE / "results" / "deployment.json"
PROFILE = "stable"
GOAL_RATIO = 1.5
REMOTE_DEADLINE = 120.0  # the suite's active_timeout for a remote target
CLEAN = "(clean)"
DURATION_LINE = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)")
WAITED = re.compile(r"waited [\d.]+ s for (.*?)(?:; last seen:|$)", re.S)
BLANKS = [(re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
          (re.compile(r"'[^']*'|\"[^\"]*\""), "<text>")]
RATE_WORDS = ("rate limited", "429")
STILL_LIMITED = ("still rate limited", "still answered 429")  # a request that gave up on a 429


# --- one suite run against one server -----------------------------------------------------------------------------


def suite_run(server: Any, seed: int, work: Path, code: str | None, flags: Sequence[str] = (),
              pytest_args: Sequence[str] = ()) -> dict[str, Any]:
    """The suite (from the code directory `code`, else the installed tree) against a started server, config = its
    [target] + seed; wall time, exit code, log, results.json."""
    config = {"target": {k: v for k, v in server.target_config().items() if v is not None}, "run": {"seed": seed}}
    config_path = work / "target.toml"
    config_path.write_text(tomli_w.dumps(config))
    report_dir = work / "reports"
    argv = [sys.executable, "-m", "conformance.cli", "run", "--config", str(config_path), "--report-dir",
            str(report_dir), *flags]
    if pytest_args:
        argv += ["--", *pytest_args]
    log = work / "suite.log"
    timing = run.timed_run(argv, run.clean_env({"PYTHONPATH": code} if code else None), work, log)
    try:
        results = json.loads((report_dir / "results.json").read_text())
    except (OSError, ValueError):
        results = {}
    return {"exit_code": timing.exit_code, "seconds": round(timing.seconds, 2),
            "cpu_seconds": round(timing.cpu_seconds, 2), "timed_out": timing.timed_out,
            "argv": [a if a != str(config_path) else "T.toml" for a in argv[1:]],
            "log": log.read_text(errors="replace"), "results": results}


def box(startup: float, variations: Sequence[str] = (), **options: Any) -> Any:
    from conformance.reference import ReferenceServer

    return ReferenceServer(profile=PROFILE, lifecycle_delay=startup / 2, variations=list(variations),
                           **options).start()


# --- part "run": the default run on the box ------------------------------------------------------------------------


def floor(stats: dict[str, Any], startup: float) -> dict[str, Any]:
    """The least wall time this box allows the run's requests: startup + max(latencies, rate-limit waits)."""
    limit, window = stats.get("rate_limit", 0), stats.get("rate_window", 60.0)
    latency_part = stats["requests"] * stats.get("latency", 0.0)
    rate_part, rate_key = 0.0, None
    for key in stats["keys"] if limit else []:
        extra = max(0.0, (key["requests"] - limit) / limit * window)
        if extra > rate_part:
            rate_part, rate_key = extra, f"{key['who']} {key['path']}"
    return {"startup_s": startup, "requests": stats["requests"], "latency_s": stats.get("latency", 0.0),
            "latency_part_s": round(latency_part, 2), "rate_limit_part_s": round(rate_part, 2),
            "rate_limit_part_key": rate_key, "floor_s": round(startup + max(latency_part, rate_part), 2)}


def slowest_checks(log: str) -> list[dict[str, Any]]:
    """pytest's --durations lines: seconds, phase, check id."""
    return [{"seconds": float(m[1]), "phase": m[2], "check": m[3]}
            for m in map(DURATION_LINE.match, log.splitlines()) if m]


def rate_limit_trouble(result: dict[str, Any]) -> dict[str, Any]:
    """What the suite said about rate limiting: its notes, the checks it skipped because of a 429, log lines."""
    results = result["results"]
    notes = [n for n in results.get("notes", []) if any(w in n for w in (*RATE_WORDS, "X-Ratelimit"))]
    skipped = [c["id"] for c in results.get("checks", [])
               if c.get("outcome") == "skipped" and any(w in (c.get("message") or "") for w in RATE_WORDS)]
    still = [line for line in result["log"].splitlines() if any(w in line for w in STILL_LIMITED)]
    return {"notes": notes, "skipped_checks": skipped, "still_rate_limited_lines": still[:20],
            "failed": bool(skipped or still or any("still rate limited" in n for n in notes))}


def part_run(args: argparse.Namespace) -> dict[str, Any]:
    data: dict[str, Any] = {"environment": environment(args), "settings": {
        "startup_s": args.startup, "latency_ms": args.latency_ms, "rate_limit": args.rate_limit,
        "rate_window_s": args.rate_window, "rate_key": args.rate_key, "seed": args.seed,
        "variations": args.variations}}
    server = box(args.startup, args.variations, latency=args.latency_ms / 1000, rate_limit=args.rate_limit,
                 rate_window=args.rate_window, rate_key=args.rate_key)
    try:
        with tempfile.TemporaryDirectory(prefix="deployment-run-") as tmp:
            result = suite_run(server, args.seed, Path(tmp), args.code_dir, pytest_args=["--durations=5"])
    finally:
        stats = server.box_stats()
        server.stop()
    parts = floor(stats, args.startup)
    total = next((m for m in map(PYTEST_TOTAL.search, result["log"].splitlines()) if m), None)
    data["result"] = {
        "exit_code": result["exit_code"], "seconds": result["seconds"], "cpu_seconds": result["cpu_seconds"],
        "pytest": {"outcome": total[1], "seconds": float(total[2])} if total else None,
        "verdict": result["results"].get("verdict"), "traffic": result["results"].get("traffic"),
        "argv": result["argv"],
        "floor": parts, "ratio_wall_over_floor": round(result["seconds"] / parts["floor_s"], 3),
        "goal_ratio": GOAL_RATIO, "slowest_checks": slowest_checks(result["log"]),
        "rate_limiting": rate_limit_trouble(result),
        "box": {"requests": stats["requests"], "limited": stats["limited"], "keys": len(stats["keys"]),
                "top_keys": sorted(stats["keys"], key=lambda k: -k["requests"])[:5]}}
    if result["exit_code"] != 0:
        data["result"]["log_tail"] = result["log"][-3000:]
    end(data)
    return data


def print_run(data: dict[str, Any]) -> None:
    r, f, b = data["result"], data["result"]["floor"], data["result"]["box"]
    print(f"default run on the box: exit {r['exit_code']} ({r['verdict']}) in {r['seconds']} s "
          f"(CPU {r['cpu_seconds']} s)")
    print(f"floor {f['floor_s']} s = startup {f['startup_s']} s + max(requests {f['requests']} x latency "
          f"{f['latency_s']} s = {f['latency_part_s']} s, rate-limit bound {f['rate_limit_part_s']} s"
          f"{' (' + f['rate_limit_part_key'] + ')' if f['rate_limit_part_key'] else ''})")
    print(f"wall / floor {r['ratio_wall_over_floor']} (goal at most {GOAL_RATIO}: "
          f"{'met' if r['ratio_wall_over_floor'] <= GOAL_RATIO else 'NOT met'})")
    print(f"the suite's traffic line: {r['traffic']}")
    print(f"box: {b['requests']} answers, {b['limited']} answered 429, {b['keys']} keys; top keys:")
    for k in b["top_keys"]:
        print(f"  {k['requests']:5d} requests  peak rate {k['peak_rate']:7.1f}  {k['limited']:3d} x 429  "
              f"{k['kind']} {k['who']} {k['path']}")
    trouble = r["rate_limiting"]
    print(f"rate limiting: {'requests stayed rate limited' if trouble['failed'] else 'no request failed on a 429'}"
          + "".join(f"\n  note: {n}" for n in trouble["notes"]))
    print("slowest checks:")
    for c in r["slowest_checks"]:
        print(f"  {c['seconds']:7.2f} s  {c['phase']:8} {c['check']}")


# --- part "faults": every fault with the remote deadlines ----------------------------------------------------------


def kind_of(awaited: str) -> str:
    """The kind of a wait: what was awaited, its ids and quoted contents blanked out."""
    for pattern, blank in BLANKS:
        awaited = pattern.sub(blank, awaited)
    return awaited


def first_timeouts(results: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The distinct timeouts in the checks' messages, by what was awaited, and their kinds. A refusal ("not waiting
    again for ...: earlier, waited D s for X") is no timeout of its own: its X counts only for a kind no check
    reported running out itself (the check that ran out said so in other words)."""
    ran_out: set[str] = set()
    quoted: set[str] = set()
    for check in results.get("checks", []):
        message = check.get("message") or ""
        found = {m[1].strip() for m in WAITED.finditer(message)}
        (quoted if "not waiting again" in message else ran_out).update(found)
    kinds = {kind_of(w) for w in ran_out}
    waits = ran_out | {q for q in quoted if kind_of(q) not in kinds}
    return sorted(waits), sorted({kind_of(w) for w in waits})


def fault_case(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """One case in its own process: a fresh box with the fault (or none), the suite with the remote deadline."""
    run.RUN_TIMEOUT = 600 + 12 * args.deadline  # more than every kind of wait running out once
    flags = ["--active-timeout", str(args.deadline)] + ([] if args.fuzz else ["--fuzz-budget", "0"])
    server = box(args.fault_startup, faults=[] if name == CLEAN else [name])
    before = load()
    try:
        with tempfile.TemporaryDirectory(prefix="deployment-fault-") as tmp:
            result = suite_run(server, args.seed, Path(tmp), args.code_dir, flags)
    finally:
        server.stop()
    waits, kinds = first_timeouts(result["results"])
    return {"name": name, "exit_code": result["exit_code"], "seconds": result["seconds"],
            "cpu_seconds": result["cpu_seconds"],
            "timed_out": result["timed_out"], "verdict": result["results"].get("verdict"),
            "checks": result["results"].get("counts", {}).get("checks", {}),
            "first_timeouts": waits, "kinds": kinds, "load_average_before": before, "argv": result["argv"]}


def judge(cases: list[dict[str, Any]], deadline: float) -> dict[str, Any]:
    """Excess over the clean run and the bounds of every case."""
    cleans = [c for c in cases if c["name"] == CLEAN]
    clean = statistics.median(c["seconds"] for c in cleans)
    slack = 0.1 * clean + 5.0
    faults = [c for c in cases if c["name"] != CLEAN]
    for c in faults:
        c["excess"] = round(c["seconds"] - clean, 2)
        c["bound"] = round(clean + len(c["first_timeouts"]) * deadline + slack, 2)
        c["over_bound"] = c["seconds"] > c["bound"]
        c["over_kinds"] = c["excess"] > len(c["kinds"]) * deadline + slack
    return {"clean_seconds": round(clean, 2), "clean_runs_seconds": [c["seconds"] for c in cleans],
            "clean_exit_code": max((c["exit_code"] for c in cleans), key=lambda code: code != 0),
            "slack_s": round(slack, 2),
            "cases": len(faults), "total_case_seconds": round(sum(c["seconds"] for c in cases), 1),
            "over_bound": [c["name"] for c in faults if c["over_bound"]],
            "over_kinds": [c["name"] for c in faults if c["over_kinds"]],
            "with_timeouts": len([c for c in faults if c["first_timeouts"]]),
            "slowest": [{k: c[k] for k in ("name", "seconds", "excess", "first_timeouts", "kinds", "exit_code")}
                        for c in sorted(faults, key=lambda c: -c["seconds"])[:5]]}


def with_clean_runs(faults: list[str], runs: int) -> list[str]:
    """The faults with `runs` clean runs spread evenly among them, the first at the start: the clean time is
    measured under the same load as the cases around it."""
    names = list(faults)
    for i in reversed(range(runs)):
        names.insert(i * len(faults) // runs, CLEAN)
    return names


def run_cases(names: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
        futures = {pool.submit(fault_case, name, args): name for name in names}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            c = future.result()
            print(f"[{done}/{len(names)}] {c['name']}: exit {c['exit_code']} in {c['seconds']:.1f} s, "
                  f"{len(c['first_timeouts'])} first timeout(s)", flush=True)
        return [f.result() for f in futures]


def part_faults(args: argparse.Namespace) -> dict[str, Any]:
    from conformance.reference.faults import list_faults

    data: dict[str, Any] = {"environment": environment(args), "settings": {
        "deadline_s": args.deadline, "fault_startup_s": args.fault_startup, "fuzz": args.fuzz, "jobs": args.jobs,
        "seed": args.seed, "only": args.only}}
    known = [f.name for f in list_faults(PROFILE)]
    unknown = sorted(set(args.only) - set(known))
    if unknown:
        raise SystemExit(f"unknown fault(s): {', '.join(unknown)}")
    names = with_clean_runs([n for n in known if not args.only or n in args.only], args.clean_runs)
    if args.deadline != REMOTE_DEADLINE:
        data["notes"] = [f"Deadline {args.deadline:g} s (--active-timeout) instead of the suite's remote default "
                         f"{REMOTE_DEADLINE:g} s; every bound here is computed with {args.deadline:g} s."]
    cases = run_cases(names, args)
    data["summary"] = judge(cases, args.deadline)
    data["cases"] = cases
    end(data)
    return data


def print_faults(data: dict[str, Any]) -> None:
    s, deadline = data["summary"], data["settings"]["deadline_s"]
    print(f"faults against the box, deadline {deadline} s: clean run {s['clean_seconds']} s (exit "
          f"{s['clean_exit_code']}); {s['cases']} faults, {s['with_timeouts']} with a timeout; slack {s['slack_s']} s")
    print(f"{'fault':36} {'s':>7} {'excess':>7} {'bound':>7} {'timeouts':>8} {'kinds':>5} exit")
    for c in s["slowest"]:
        bound = next(x["bound"] for x in data["cases"] if x["name"] == c["name"])
        print(f"{c['name']:36} {c['seconds']:7.1f} {c['excess']:7.1f} {bound:7.1f} {len(c['first_timeouts']):8d} "
              f"{len(c['kinds']):5d} {c['exit_code']}")
    print(f"over bound: {', '.join(s['over_bound']) or 'none'}; over kinds x deadline: "
          f"{', '.join(s['over_kinds']) or 'none'}")


# --- environment, output, main --------------------------------------------------------------------------------------


def environment(args: argparse.Namespace) -> dict[str, Any]:
    env = run.environment(getattr(args, "jobs", 1), args.seed)
    for key in ("jobs", "seed", "active_timeout", "variations_registry", "schemathesis"):  # not this benchmark's
        env.pop(key, None)
    env["git_log"] = subprocess.run(["git", "log", "--oneline", "-3"], cwd=run.REPO, capture_output=True,
                                    text=True).stdout.strip().splitlines()
    env["command_line"] = [sys.executable, *sys.argv]
    env["code"] = "a copy of HEAD (git archive)" if args.code == "head" else "the working tree"
    env["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    env["_started"] = time.monotonic()  # end() turns it into the part's seconds
    return env


def end(data: dict[str, Any]) -> None:
    """A part's closing facts: the load average at its end and how long it took."""
    env = data["environment"]
    env["load_average_at_end"] = load()
    env["seconds"] = round(time.monotonic() - env.pop("_started"), 1)


def write_json(path: Path, parts: dict[str, Any], merge: bool) -> None:
    """Write the parts; with merge, keep the other parts an earlier file at path has."""
    old: dict[str, Any] = {}
    if merge and path.exists():
        old = json.loads(path.read_text()).get("parts", {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format_version": 1, "parts": {**old, **parts}}, indent=1) + "\n")
    print(f"written {path}")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--part", choices=("run", "faults", "both"), default="both", help="what to measure (default both)")
    p.add_argument("--seed", type=int, default=0, help="the suite's --seed ([run] seed of its config; default 0)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    p.add_argument("--record", action="store_true", help=f"also merge the parts run into {RECORDED_COPY}")
    g = p.add_argument_group("part run")
    g.add_argument("--startup", type=float, default=30.0, help="seconds until a task is active (default 30)")
    g.add_argument("--latency-ms", type=float, default=50.0, help="added to every answer (default 50)")
    g.add_argument("--rate-limit", type=int, default=512, help="requests per window per user and path, 0: none "
                   "(default 512, Coder's)")
    g.add_argument("--rate-window", type=float, default=60.0, help="the rate limit's window in s (default 60)")
    g.add_argument("--rate-key", choices=RATE_KEYS, default="user",
                   help="count the limit per user and path (Coder since #22049, the default) or per IP and path")
    g.add_argument("--variations", nargs="+", default=[], metavar="NAME",
                   help="reference variations to switch on, e.g. Coder's own behaviours delete-while-building-409 "
                        "coder-csrf (default none)")
    g = p.add_argument_group("part faults")
    g.add_argument("--only", nargs="+", default=[], metavar="NAME", help="only these faults (the clean run always)")
    g.add_argument("--deadline", type=float, default=REMOTE_DEADLINE,
                   help="the suite's --active-timeout, every wait's deadline (default 120, the remote default)")
    g.add_argument("--fault-startup", type=float, default=0.1, help="seconds until a task is active (default 0.1)")
    g.add_argument("--fuzz", action="store_true", help="keep fuzzing (default: --fuzz-budget 0; it has no waits)")
    g.add_argument("--jobs", type=int, default=3, help="cases at a time (default 3: the runs mostly wait)")
    g.add_argument("--clean-runs", type=int, default=3, help="clean runs spread through the sweep; their median "
                   "is the clean time (default 3)")
    g = p.add_argument_group("both parts")
    g.add_argument("--code", choices=("head", "tree"), default="head",
                   help="the suite the runs use: head (default), a copy of the commit checked out (git archive "
                        "HEAD), so that edits made in the working tree while the benchmark runs cannot change it; "
                        "tree, the working tree as it is (the editable install)")
    args = p.parse_args(argv)
    if min(args.jobs, args.clean_runs) < 1 or args.deadline <= 0 or min(args.startup, args.fault_startup) < 0:
        p.error("--jobs, --clean-runs and --deadline must be positive, the startups not negative")
    return args


def snapshot(dest: Path) -> str:
    """The commit checked out, extracted into dest (git archive): the code the suite runs from."""
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=run.REPO, capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return str(dest)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="deployment-code-") as tmp:
        args.code_dir = snapshot(Path(tmp)) if args.code == "head" else None
        return measure(args)


def measure(args: argparse.Namespace) -> int:
    parts: dict[str, Any] = {}
    failed = []
    if args.part in ("run", "both"):
        parts["run"] = part_run(args)
        print_run(parts["run"])
        r = parts["run"]["result"]
        if r["exit_code"] != 0 or r["rate_limiting"]["failed"]:
            failed.append("the default run on the box did not pass cleanly")
    if args.part in ("faults", "both"):
        key = "faults_only" if args.only else "faults"  # a partial sweep does not replace a recorded full one
        parts[key] = part_faults(args)
        print()
        print_faults(parts[key])
        s = parts[key]["summary"]
        if s["clean_exit_code"] != 0 or s["over_bound"]:
            failed.append("the clean fault run failed or a fault case is over its bound")
    print()
    write_json(args.out, parts, merge=False)
    if args.record:
        write_json(RECORDED_COPY, parts, merge=True)
    for message in failed:
        print(message, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
