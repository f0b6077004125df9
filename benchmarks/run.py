"""Benchmark: the conformance suite against bare Schemathesis, on every reference fault and every probe.

    python benchmarks/run.py [--only-faults] [--jobs 1] [--seed 0] [--out reports/benchmark.json]

For the clean reference server (the baseline), every named fault and every legitimate variation ("probe"), it runs
both tools against a fresh embedded ReferenceServer each (started in this process on 127.0.0.1, port 0, with a
request counter wrapped around its ASGI app):

- the suite with its default settings: `python -m conformance.cli run --config T.toml --report-dir D`, the config
  holding the server's [target] table and the seed;
- bare Schemathesis: `schemathesis run openapi.yaml --url .../api/experimental -H "Coder-Session-Token: TOKEN"
  --seed N --checks all --phases examples,coverage,fuzzing,stateful --workers 1` (its default budget).

It records each verdict, wall time and the requests the server answered, then times the suite's default run against
its embedded server phase by phase (bench_timing.py). It prints a table and writes JSON (and, for a full run, a
copy to benchmarks/results/benchmark.json).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import json
import logging
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_counting import install_counter  # noqa: E402

PROFILE = ["stable"]  # the generation benchmarked (--profile): its document, its server, its faults and variations
DEFAULT_OUT = REPO / "reports" / "benchmark.json"
COMMITTED_COPY = HERE / "results" / "benchmark.json"
ST_PHASES = "examples,coverage,fuzzing,stateful"
RUN_TIMEOUT = 900.0
# The suite waits `active_timeout` for a task to become active; its default for a remote target is 120 s, for its
# embedded server 10 s. The benchmark's targets are embedded servers reached over the network: use the 10 s the
# suite itself uses for them (only matters for faults that keep tasks from ever becoming active).
ACTIVE_TIMEOUT = 10.0


NOTES = [
    "Bare Schemathesis gets the primary member's token as a Coder-Session-Token header and no template_version_id: "
    "it cannot know one, so its positive create cases never succeed.",
    "Bare Schemathesis exits non-zero on the clean reference server too (positive_data_acceptance); a fault counts "
    "as caught by it only if it fails a check (METHOD path: check) that it does not fail on the clean server with "
    "the same seed.",
    "A fault counts as caught by the suite when it exits non-zero (1: verdict fail; 3: the preflight refused the "
    "target) or, for faults breaking only SHOULD requirements, when it warns on a requirement the fault lists in "
    "breaks (default, non-strict mode reports SHOULD failures as warnings).",
    "Times are subprocess wall times including interpreter start-up, and the CPU time of the tool's processes; "
    "each tool gets its own fresh server in the benchmark process.",
    f"The suite's config sets active_timeout = {ACTIVE_TIMEOUT} s (its own default for the embedded server; 120 s "
    "for remote targets) and seed = fuzz_seed = the benchmark seed; everything else is default.",
]


@dataclass
class Case:
    kind: str  # "baseline" | "fault" | "probe"
    name: str
    description: str
    breaks: tuple[str, ...] = ()  # faults: the requirements the fault breaks
    area: str = ""
    warns: tuple[str, ...] = ()  # probes: the SHOULD/MAY requirements the variation may legitimately break


@dataclass
class ToolRun:
    exit_code: int | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    requests: int = 0
    timed_out: bool = False
    unexpected_server_errors: int = 0
    details: dict[str, Any] = field(default_factory=dict)


# --- registries ---------------------------------------------------------------------------------------------------


def _variations_module() -> Any | None:
    try:
        return importlib.import_module("conformance.reference.variations")
    except ImportError:
        return None


def list_variations() -> list[Any]:
    """The registered variations (probes), whatever the registry's exact spelling; [] before it exists."""
    module = _variations_module()
    if module is None:
        return []
    for attr in ("list_variations", "all_variations"):
        func = getattr(module, attr, None)
        if callable(func):
            return list(func(PROFILE[0]))
    for attr in ("VARIATIONS", "_REGISTRY", "REGISTRY"):
        value = getattr(module, attr, None)
        if isinstance(value, dict):
            return list(value.values())
        if isinstance(value, (list, tuple)):
            return list(value)
    return []


def collect_cases(only_faults: bool, only: Sequence[str]) -> list[Case]:
    from conformance.reference.faults import list_faults

    cases = [Case("baseline", "(none)", "the reference server with no fault and no variation")]
    cases += [Case("fault", f.name, f.description, tuple(getattr(f, "breaks", ()) or ()), str(getattr(f, "area", "")))
              for f in list_faults(PROFILE[0])]
    if not only_faults:
        cases += [Case("probe", str(v.name), str(getattr(v, "description", "")),
                       warns=tuple(getattr(v, "warns", ()) or ())) for v in list_variations()]
    if only:
        cases = [c for c in cases if c.kind == "baseline" or c.name in only]
    return cases


def make_server(case: Case) -> Any:
    from conformance.reference import ReferenceServer

    # An explicit variations list, so that TASKS_CONFORMANCE_REFERENCE_VARIATIONS in the environment cannot leak in.
    variations = [case.name] if case.kind == "probe" else []
    return ReferenceServer(profile=PROFILE[0], faults=[case.name] if case.kind == "fault" else [],
                           variations=variations)


# --- running one case --------------------------------------------------------------------------------------------


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_PLUGINS", None)
    env.update(extra or {})
    return env


@dataclass
class Timing:
    exit_code: int | None
    seconds: float
    cpu_seconds: float
    timed_out: bool


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Timing:
    """Run a command; its wall time and the CPU time (user + system) it used, which load on the machine skews less.
    One command at a time per process, so the children's rusage delta is this command's."""
    cpu, start = _children_cpu(), time.perf_counter()
    with log.open("w") as out:
        try:
            proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                  cwd=cwd, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return Timing(None, time.perf_counter() - start, _children_cpu() - cpu, True)
    return Timing(proc.returncode, time.perf_counter() - start, _children_cpu() - cpu, False)


def tool_run(timing: Timing, requests: int, unexpected_errors: int) -> ToolRun:
    return ToolRun(timing.exit_code, round(timing.seconds, 3), round(timing.cpu_seconds, 3), requests,
                   timing.timed_out, unexpected_errors)


def run_suite(case: Case, seed: int, work: Path) -> ToolRun:
    server = make_server(case)
    counter = install_counter(server)
    server.start()
    try:
        config = {"target": {k: v for k, v in server.target_config().items() if v is not None},
                  "run": {"seed": seed, "fuzz_seed": seed, "active_timeout": ACTIVE_TIMEOUT}}
        config_path = work / "target.toml"
        config_path.write_text(tomli_w.dumps(config))
        report_dir = work / "suite"
        argv = [sys.executable, "-m", "conformance.cli", "run", "--config", str(config_path),
                "--report-dir", str(report_dir)]
        timing = timed_run(argv, clean_env(), work, work / "suite.log")
        result = tool_run(timing, counter.requests, len(server.unexpected_errors))
    finally:
        server.stop()
    result.details = suite_details(report_dir / "results.json", case.breaks)
    if result.details.get("verdict") is None:
        result.details["log_tail"] = (work / "suite.log").read_text(errors="replace")[-2000:]
    return result


def suite_details(results_path: Path, breaks: Sequence[str]) -> dict[str, Any]:
    try:
        data = json.loads(results_path.read_text())
    except (OSError, ValueError):
        return {"verdict": None}
    failed = [r["id"] for r in data.get("requirements", []) if r.get("status") == "failed"]
    warned = [r["id"] for r in data.get("requirements", []) if r.get("status") == "warning"]
    blocked = [r["id"] for r in data.get("requirements", []) if r.get("status") == "blocked"]
    return {
        "verdict": data.get("verdict"),
        "failed_requirements": failed,
        "warned_requirements": warned,
        "blocked_requirements": blocked,
        "breaks_hit": sorted(set(breaks) & set(failed + warned)),
        "checks": data.get("counts", {}).get("checks", {}),
        "pytest_seconds": data.get("duration_seconds"),
    }


def schemathesis_bin() -> str:
    beside = Path(sys.executable).parent / "schemathesis"
    return str(beside) if beside.exists() else (shutil.which("schemathesis") or "schemathesis")


def run_schemathesis(case: Case, seed: int, work: Path) -> ToolRun:
    server = make_server(case)
    counter = install_counter(server)
    server.start()
    report_dir = work / "schemathesis"
    try:
        target = server.target_config()
        from conformance.contracts.contract import openapi_path

        argv = [schemathesis_bin(), "run", str(openapi_path(PROFILE[0])), "--url",
                f"{target['url']}{target['api_prefix']}",
                "-H", f"Coder-Session-Token: {target['token']}", "--seed", str(seed), "--checks", "all",
                "--phases", ST_PHASES, "--workers", "1", "--report", "ndjson", "--report-dir", str(report_dir),
                "--no-color"]
        env = clean_env({"SCHEMATHESIS_HOOKS": ""})
        timing = timed_run(argv, env, work, work / "schemathesis.log")
        result = tool_run(timing, counter.requests, len(server.unexpected_errors))
    finally:
        server.stop()
    result.details = schemathesis_details(report_dir)
    if not result.details.get("ndjson"):
        result.details["log_tail"] = (work / "schemathesis.log").read_text(errors="replace")[-2000:]
    return result


def schemathesis_details(report_dir: Path) -> dict[str, Any]:
    """Failure signatures (METHOD path: check) and the number of test cases, from the NDJSON event stream."""
    files = sorted(report_dir.glob("*.ndjson"))
    if not files:
        return {"ndjson": False, "signatures": [], "test_cases": 0}
    signatures: dict[str, int] = {}
    cases: set[str] = set()
    errors = 0
    with files[-1].open() as stream:
        for line in stream:
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            if finished.get("status") == "error":
                errors += 1
            recorder = finished.get("recorder", {})
            for case_id, checks in recorder.get("checks", {}).items():
                cases.add(case_id)
                value = recorder.get("cases", {}).get(case_id, {}).get("value", {})
                for check in checks:
                    if check.get("status") not in ("success", "skip", "skipped"):
                        key = f"{value.get('method', '?')} {value.get('path', '?')}: {check.get('name')}"
                        signatures[key] = signatures.get(key, 0) + 1
    return {"ndjson": True, "signatures": sorted(signatures), "failing_checks": sum(signatures.values()),
            "test_cases": len(cases), "scenario_errors": errors}


class _DropInvalidRequests(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Invalid HTTP request" not in record.getMessage()


def quiet_servers() -> None:
    """Schemathesis sends malformed HTTP on purpose; uvicorn's 'Invalid HTTP request received.' is expected.
    (A filter, not a level: uvicorn sets the logger's level whenever a server starts.)"""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropInvalidRequests) for f in logger.filters):
        logger.addFilter(_DropInvalidRequests())


def run_case(case: Case, seed: int) -> dict[str, Any]:
    quiet_servers()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        suite = run_suite(case, seed, work)
        st = run_schemathesis(case, seed, work)
    return {**asdict(case), "suite": asdict(suite), "schemathesis": asdict(st)}


# --- overhead of the default run ----------------------------------------------------------------------------------


def overhead_run() -> dict[str, Any]:
    """One `tasks-conformance run` (embedded server, default settings) with the timing plugin."""
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        work = Path(tmp)
        out = work / "timing.json"
        env = clean_env({"PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
                         "BENCH_TIMING_OUT": str(out)})
        argv = [sys.executable, "-m", "conformance.cli", "run", "--report-dir", str(work / "reports"),
                "--", "-p", "bench_timing"]
        launched = time.time()
        measured = timed_run(argv, env, work, work / "run.log")
        code, seconds = measured.exit_code, measured.seconds
        exited = launched + seconds
        timing = json.loads(out.read_text()) if out.exists() else None
    if timing is None:
        return {"exit_code": code, "seconds": seconds, "cpu_seconds": measured.cpu_seconds, "phases": {},
                "requests": {}}
    marks, spans, groups = timing["marks"], timing["spans"], timing["groups"]
    span_req = timing["span_requests"]

    def span(name: str) -> float:
        start, end = spans.get(name, (0.0, 0.0))
        return end - start

    def group(name: str, key: str = "seconds") -> float:
        return float(groups.get(name, {}).get(key, 0.0))

    session_finish = marks["sessionfinish_end"] - marks["sessionfinish_start"]
    phases = {
        "python + pytest import": marks["plugin_imported"] - launched,
        "plugin loading + configure (imports hypothesis, schemathesis, ...)":
            marks["configured"] - marks["plugin_imported"],
        "collection": marks["collected"] - marks["configured"],
        "embedded server start": span("server_start"),
        "preflight": span("preflight"),
        "hand-written checks": group("checks"),
        "fuzz gate (Schemathesis examples/coverage/fuzzing)": group("fuzz_gate"),
        "fuzz stateful (links)": group("fuzz_stateful") + group("fuzz_other"),
        "final sweep": span("sweep"),
        "reports (results.json, JUnit, HTML, terminal summary)": session_finish - span("sweep"),
        "server stop + unconfigure": marks["unconfigured"] - marks["sessionfinish_end"],
        "interpreter exit": exited - marks["unconfigured"],
    }
    phases["other (between phases)"] = seconds - sum(phases.values())
    requests = {
        "preflight": span_req.get("preflight", 0),
        "hand-written checks": int(group("checks", "requests")),
        "fuzz gate": int(group("fuzz_gate", "requests")),
        "fuzz stateful": int(group("fuzz_stateful", "requests") + group("fuzz_other", "requests")),
        "final sweep": span_req.get("sweep", 0),
        "total": timing.get("requests_total"),
    }
    return {"exit_code": code, "seconds": round(seconds, 3), "cpu_seconds": round(measured.cpu_seconds, 3),
            "phases": {k: round(v, 3) for k, v in phases.items()},
            "requests": requests, "checks": int(sum(g.get("items", 0) for g in groups.values())),
            "modules": {k: {"seconds": round(v["seconds"], 3), "items": v["items"], "requests": v["requests"]}
                        for k, v in timing["modules"].items()}}


def import_costs(top: int = 8) -> dict[str, float]:
    """Cumulative import time (s) of the heaviest top-level packages in a run, from `python -X importtime`."""
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        argv = [sys.executable, "-X", "importtime", "-m", "conformance.cli", "run", "--report-dir", tmp]
        proc = subprocess.run(argv, capture_output=True, text=True, env=clean_env(), cwd=tmp,
                              stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT)
    totals: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if name.startswith("  ") or not cumulative.strip().isdigit():
            continue  # not a top-level import
        root = name.strip().split(".", 1)[0]
        totals[root] = totals.get(root, 0.0) + int(cumulative) / 1e6
    heaviest = sorted(totals.items(), key=lambda item: -item[1])[:top]
    return {name: round(seconds, 3) for name, seconds in heaviest}


def summarize_overhead(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if r.get("phases")]
    if not ok:
        return {"runs": len(runs), "error": "the timing plugin wrote nothing", "raw": runs}
    phases = {name: round(statistics.median(r["phases"][name] for r in ok), 3) for name in ok[0]["phases"]}
    requests = {name: ok[0]["requests"][name] for name in ok[0]["requests"]}
    return {"runs": len(ok), "median_seconds": round(statistics.median(r["seconds"] for r in ok), 3),
            "all_seconds": [r["seconds"] for r in ok],
            "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in ok), 3),
            "exit_codes": [r["exit_code"] for r in ok],
            "median_phases": phases, "requests": requests, "checks": ok[0]["checks"],
            "modules_of_first_run": ok[0]["modules"]}


# --- summary ------------------------------------------------------------------------------------------------------


def requirement_areas(ids: Iterable[str]) -> list[str]:
    from conformance.contracts.requirements import catalogue

    known = catalogue()
    return sorted({known[i].area for i in ids if i in known})


def suite_failed(r: dict[str, Any]) -> bool:
    """The suite's verdict is not pass (exit 1, or no verdict at all)."""
    return r["suite"]["exit_code"] != 0


def suite_warned_on_breaks(r: dict[str, Any]) -> bool:
    """Passed, but reported a requirement the fault breaks as a warning (a SHOULD: caught with --strict)."""
    details = r["suite"]["details"]
    return r["suite"]["exit_code"] == 0 and bool(set(details.get("warned_requirements", [])) & set(r["breaks"]))


def suite_caught(r: dict[str, Any]) -> bool:
    return suite_failed(r) or suite_warned_on_breaks(r)


def st_failed(r: dict[str, Any]) -> bool:
    return r["schemathesis"]["exit_code"] != 0


def st_new(r: dict[str, Any]) -> bool:
    return bool(r["schemathesis"]["new_signatures"])


def _names(rows: Iterable[dict[str, Any]]) -> list[str]:
    return [r["name"] for r in rows]


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    baseline = next((r for r in results if r["kind"] == "baseline"), None)
    base_sigs = set(baseline["schemathesis"]["details"].get("signatures", [])) if baseline else set()
    for r in results:
        st = r["schemathesis"]
        st["new_signatures"] = sorted(set(st["details"].get("signatures", [])) - base_sigs)
    faults = [r for r in results if r["kind"] == "fault"]
    probes = [r for r in results if r["kind"] == "probe"]
    by_area: dict[str, dict[str, int]] = {}
    for r in faults:
        for area in [r["area"]] if r["area"] else (requirement_areas(r["breaks"]) or ["(unknown)"]):
            row = by_area.setdefault(area, {"faults": 0, "suite": 0, "schemathesis": 0})
            row["faults"] += 1
            row["suite"] += int(suite_caught(r))
            row["schemathesis"] += int(st_new(r))
    total_suite = sum(r["suite"]["seconds"] for r in results)
    total_st = sum(r["schemathesis"]["seconds"] for r in results)
    ratios = [r["suite"]["seconds"] / r["schemathesis"]["seconds"] for r in results if r["schemathesis"]["seconds"]]
    cpu_suite = sum(r["suite"]["cpu_seconds"] for r in results)
    cpu_st = sum(r["schemathesis"]["cpu_seconds"] for r in results)
    return {
        "faults": len(faults),
        "probes": len(probes),
        "suite": {
            "faults_caught": len([r for r in faults if suite_caught(r)]),
            "faults_failing_the_verdict": len([r for r in faults if r["suite"]["exit_code"] == 1]),
            "faults_stopped_by_the_preflight_list": _names(r for r in faults if r["suite"]["exit_code"] == 3),
            "faults_caught_as_should_warning_list": _names(r for r in faults if suite_warned_on_breaks(r)),
            "faults_missed_list": _names(r for r in faults if not suite_caught(r)),
            "faults_caught_without_a_listed_breaks_requirement_list": _names(
                r for r in faults if suite_caught(r) and not r["suite"]["details"].get("breaks_hit")),
            "probes_failed": len([r for r in probes if suite_failed(r)]),
            "probes_failed_list": _names(r for r in probes if suite_failed(r)),
            "probes_with_unlisted_warnings_list": _names(
                r for r in probes if set(r["suite"]["details"].get("warned_requirements", [])) - set(r["warns"])),
            # A blocked requirement on a correct server is one the suite could not verify there.
            "probes_with_blocked_requirements_list": _names(
                r for r in probes if r["suite"]["details"].get("blocked_requirements")),
            "baseline_verdict": baseline["suite"]["details"].get("verdict") if baseline else None,
            "total_seconds": round(total_suite, 1),
            "total_cpu_seconds": round(cpu_suite, 1),
            "total_requests": sum(r["suite"]["requests"] for r in results),
            "median_requests_per_run": statistics.median(r["suite"]["requests"] for r in results),
        },
        "schemathesis": {
            "faults_caught": len([r for r in faults if st_new(r)]),
            "faults_caught_list": _names(r for r in faults if st_new(r)),
            "faults_with_nonzero_exit": len([r for r in faults if st_failed(r)]),
            "probes_failed": len([r for r in probes if st_failed(r)]),
            "probes_with_new_failures_list": _names(r for r in probes if st_new(r)),
            "baseline_exit_code": baseline["schemathesis"]["exit_code"] if baseline else None,
            "baseline_failure_signatures": sorted(base_sigs),
            "total_seconds": round(total_st, 1),
            "total_cpu_seconds": round(cpu_st, 1),
            "total_requests": sum(r["schemathesis"]["requests"] for r in results),
            "median_requests_per_run": statistics.median(r["schemathesis"]["requests"] for r in results),
        },
        "faults_by_area": dict(sorted(by_area.items())),
        "time_ratio_suite_over_schemathesis": round(total_suite / total_st, 3) if total_st else None,
        "median_per_run_time_ratio": round(statistics.median(ratios), 3) if ratios else None,
        "cpu_time_ratio_suite_over_schemathesis": round(cpu_suite / cpu_st, 3) if cpu_st else None,
    }


def environment(jobs: int, seed: int) -> dict[str, Any]:
    import conformance

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    st_version = subprocess.run([schemathesis_bin(), "--version"], capture_output=True, text=True).stdout.strip()
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "jobs": jobs, "seed": seed,
            "suite_version": conformance.__version__, "schemathesis": st_version,
            "git_commit": git("rev-parse", "HEAD"), "git_dirty": bool(git("status", "--porcelain")),
            "variations_registry": _variations_module() is not None, "active_timeout": ACTIVE_TIMEOUT}


# --- output -------------------------------------------------------------------------------------------------------


def print_table(results: list[dict[str, Any]], summary: dict[str, Any], overhead: dict[str, Any] | None) -> None:
    width = max(len(r["name"]) for r in results)
    print(f"{'kind':8} {'name':{width}}  {'suite':>7} {'s':>6} {'req':>5}   {'schemathesis':>12} {'new':>4} "
          f"{'s':>6} {'req':>5}")
    for r in results:
        su, st = r["suite"], r["schemathesis"]
        verdict = "timeout" if su["timed_out"] else (su["details"].get("verdict") or f"exit {su['exit_code']}")
        if r["kind"] == "fault" and suite_warned_on_breaks(r):
            verdict = "warn"
        st_verdict = "timeout" if st["timed_out"] else ("fail" if st["exit_code"] else "pass")
        print(f"{r['kind']:8} {r['name']:{width}}  {verdict:>7} {su['seconds']:6.1f} {su['requests']:5d}   "
              f"{st_verdict:>12} {len(st['new_signatures']):4d} {st['seconds']:6.1f} {st['requests']:5d}")
    s, t = summary["suite"], summary["schemathesis"]
    print()
    print(f"faults caught:      suite {s['faults_caught']}/{summary['faults']} ({s['faults_failing_the_verdict']} fail "
          f"the verdict, {len(s['faults_stopped_by_the_preflight_list'])} stopped by the preflight (exit 3), "
          f"{len(s['faults_caught_as_should_warning_list'])} SHOULD-only faults reported as warnings), "
          f"Schemathesis {t['faults_caught']}/{summary['faults']} (new failures beyond its clean-server baseline; "
          f"it exits non-zero on {t['faults_with_nonzero_exit']}, and on the clean server too)")
    print(f"probes failed:      suite {s['probes_failed']}/{summary['probes']} "
          f"({len(s.get('probes_with_blocked_requirements_list', []))} with blocked requirements), "
          f"Schemathesis {t['probes_failed']}/{summary['probes']} "
          f"({len(t['probes_with_new_failures_list'])} with failures beyond its baseline)")
    print(f"wall time:          suite {s['total_seconds']} s, Schemathesis {t['total_seconds']} s, "
          f"ratio {summary['time_ratio_suite_over_schemathesis']} "
          f"(median per run {summary['median_per_run_time_ratio']})")
    print(f"CPU time:           suite {s['total_cpu_seconds']} s, Schemathesis {t['total_cpu_seconds']} s, "
          f"ratio {summary['cpu_time_ratio_suite_over_schemathesis']} (the tools' processes, not the servers)")
    print(f"requests:           suite {s['total_requests']} (median {s['median_requests_per_run']} per run), "
          f"Schemathesis {t['total_requests']} (median {t['median_requests_per_run']} per run)")
    for area, row in summary["faults_by_area"].items():
        print(f"  area {area:18} faults {row['faults']:3d}  suite {row['suite']:3d}  "
              f"Schemathesis {row['schemathesis']:3d}")
    if s["faults_missed_list"]:
        print(f"suite missed: {', '.join(s['faults_missed_list'])}")
    if s["probes_failed_list"]:
        print(f"suite failed probes: {', '.join(s['probes_failed_list'])}")
    if overhead and overhead.get("median_phases"):
        print()
        print(f"default run against the embedded server: median {overhead['median_seconds']} s over "
              f"{overhead['runs']} run(s), {overhead['checks']} checks, {overhead['requests'].get('total')} requests")
        for name, seconds in overhead["median_phases"].items():
            print(f"  {seconds:7.3f} s  {name}")
        if overhead.get("import_costs"):
            print("  heaviest imports: " + ", ".join(f"{k} {v} s" for k, v in overhead["import_costs"].items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=("legacy", "experimental", "stable"), default="stable",
                        help="the generation to benchmark: its reference server, document, faults, variations")
    parser.add_argument("--only-faults", action="store_true", help="skip the probes (variations)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this fault/probe (repeatable; the baseline always runs; no committed copy)")
    parser.add_argument("--jobs", type=int, default=1, help="cases run in parallel (default 1: fair timings)")
    parser.add_argument("--seed", type=int, default=0, help="seed for both tools (default 0)")
    parser.add_argument("--overhead-runs", type=int, default=3, help="timed default runs (median; 0 to skip)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    parser.add_argument("--no-copy", action="store_true", help=f"do not copy the JSON to {COMMITTED_COPY}")
    parser.add_argument("--from-json", type=Path, metavar="PATH",
                        help="run nothing: summarize the cases and overhead of an earlier output again")
    args = parser.parse_args(argv)
    PROFILE[0] = args.profile
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        data["summary"] = summarize(data["cases"])
        data["notes"] = NOTES
        print_table(data["cases"], data["summary"], data["overhead"])
        return write_output(data, args.out, copy=not args.no_copy)

    cases = collect_cases(args.only_faults, args.only)
    env = environment(args.jobs, args.seed)
    started = time.perf_counter()
    print(f"{len(cases)} cases ({sum(c.kind == 'fault' for c in cases)} faults, "
          f"{sum(c.kind == 'probe' for c in cases)} probes, baseline), {args.jobs} job(s)", flush=True)
    results: list[dict[str, Any]] = []
    if args.jobs <= 1:
        for case in cases:
            results.append(run_case(case, args.seed))
            _progress(results[-1], len(results), len(cases))
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
            futures = [pool.submit(run_case, case, args.seed) for case in cases]
            for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
                _progress(future.result(), done, len(cases))
            results = [f.result() for f in futures]
    overhead: dict[str, Any] | None = None
    if args.overhead_runs > 0:
        overhead = summarize_overhead([overhead_run() for _ in range(args.overhead_runs)])
        overhead["import_costs"] = import_costs()
    summary = summarize(results)
    env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    env["benchmark_seconds"] = round(time.perf_counter() - started, 1)
    data = {"format_version": 1, "environment": env, "summary": summary, "overhead": overhead, "cases": results,
            "notes": NOTES}
    print()
    print_table(results, summary, overhead)
    return write_output(data, args.out, copy=not args.only and not args.no_copy)


def write_output(data: dict[str, Any], out: Path, copy: bool) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"\nwritten {out}")
    if copy:
        COMMITTED_COPY.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, COMMITTED_COPY)
        print(f"copied to {COMMITTED_COPY}")
    return 0


def _progress(result: dict[str, Any], done: int, total: int) -> None:
    su, st = result["suite"], result["schemathesis"]
    print(f"[{done}/{total}] {result['kind']} {result['name']}: suite exit {su['exit_code']} in {su['seconds']:.1f} s "
          f"({su['requests']} requests); schemathesis exit {st['exit_code']} in {st['seconds']:.1f} s "
          f"({st['requests']} requests)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
