"""``tasks-conformance serve``: run the reference server in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import tomli_w

from conformance.contracts.profiles import PROFILE_NAMES, without_tasks_api
from conformance.reference.box import RATE_KEYS, go_duration
from conformance.reference.faults import ENV_VAR, list_faults, parse_fault_list
from conformance.reference.mock.control_api import CONTROL_PREFIX
from conformance.reference.mock.scenario import apply_scenario, read_scenario
from conformance.reference.server import ReferenceServer
from conformance.reference.variations import ENV_VAR as VARIATIONS_ENV_VAR
from conformance.reference.variations import list_variations, parse_variation_list
from conformance.runner.process.userfiles import write_atomic
from conformance.runner.settings.config import EMBEDDED_DEFAULTS, SETTINGS_BY_NAME

DEFAULT_LIFECYCLE_DELAY = 0.05
STARTUP_STEPS = 2  # store.py: a new task is pending for one lifecycle step, initializing for one, then active


def _at_least_zero(kind: type[float] | type[int]) -> Callable[[str], float]:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {'whole ' if kind is int else ''}number: {text!r}") from None
        if not value >= 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default 0: any free port)")
    parser.add_argument(
        "--profile", default="stable", choices=PROFILE_NAMES,
        help="the generation of the Tasks API to serve (default stable): legacy (v2.27 and before), experimental "
             "(v2.28), stable (v2.29 to v2.36)")
    parser.add_argument(
        "--version", default=None, metavar="V",
        help="the Coder release to answer as, within the profile (default: legacy v2.27.1, experimental v2.28.0, "
             "stable v2.34.0); features that came later in the line are absent; a stable release from v2.37 serves "
             "no Tasks API (it was removed)")
    parser.add_argument(
        "--without-ai-tasks-flag", action="store_true",
        help="answer as a v2.36 server without CODER_ENABLE_AI_TASKS: no Tasks API routes")
    parser.add_argument(
        "--api-prefix", default=None,
        help="serve under this API prefix only (default: the profile's; stable also answers under /api/experimental)")
    startup = parser.add_mutually_exclusive_group()
    startup.add_argument(
        "--lifecycle-delay",
        type=float,
        default=None,
        metavar="S",
        help=f"seconds a task spends pending and then initializing (default {DEFAULT_LIFECYCLE_DELAY}; 0: active "
             "at once)",
    )
    startup.add_argument(
        "--task-startup", type=_at_least_zero(float), default=None, metavar="S",
        help="deployment in a box: a new task becomes active S seconds after it is created (instead of "
             "--lifecycle-delay)")
    parser.add_argument(
        "--latency-ms", type=_at_least_zero(float), default=0.0, metavar="MS",
        help="deployment in a box: milliseconds added to every answer (concurrent requests overlap; default 0)")
    parser.add_argument(
        "--rate-limit", type=_at_least_zero(int), default=0, metavar="N",
        help="deployment in a box: Coder's API rate limit, N requests a minute per user and path, answered 429 "
             "beyond (Coder's default CODER_API_RATE_LIMIT is 512; default 0: no limit)")
    parser.add_argument(
        "--rate-limit-key", choices=RATE_KEYS, default="user",
        help="what the rate limit counts by, with the path: the user (Coder since coder/coder#22049, the default) "
             "or the client IP, whoever sends (the releases before it)")
    parser.add_argument(
        "--reply-delay",
        type=float,
        default=0.05,
        metavar="S",
        help="seconds before the agent replies (default 0.05)",
    )
    parser.add_argument(
        "--faults",
        default=None,
        metavar="A,B",
        help=f"comma-separated fault names to switch on (overrides ${ENV_VAR})",
    )
    parser.add_argument("--list-faults", action="store_true", help="print the named faults and exit")
    parser.add_argument(
        "--variations",
        default=None,
        metavar="A,B",
        help=f"comma-separated legitimate variations to switch on (overrides ${VARIATIONS_ENV_VAR})",
    )
    parser.add_argument("--list-variations", action="store_true", help="print the named variations and exit")
    parser.add_argument(
        "--seed", type=int, default=None, metavar="N",
        help="the same users, tokens, ids, generated names and shown times on every start with this seed (and the "
             "same requests)")
    parser.add_argument(
        "--control", action="store_true",
        help=f"serve the control API under {CONTROL_PREFIX} (preload tasks, script the agent, read back the "
             "requests: docs/mock-control-api.md)")
    parser.add_argument(
        "--scenario", type=Path, default=None, metavar="FILE",
        help="start with the users, templates and tasks of this scenario file (TOML, or JSON for *.json; "
             "docs/mock-control-api.md)")
    parser.add_argument(
        "--write-config",
        type=Path,
        default=None,
        metavar="PATH",
        help="write a TOML config for a run against this server: [target] (URL, tokens, template versions) and "
        "[run] (the waits that fit it)",
    )


def _print_faults(profile: str) -> None:
    faults = list_faults(profile)
    width = max(len(fault.name) for fault in faults)
    for fault in faults:
        print(f"{fault.name:<{width}}  {fault.description}")


def _print_variations(profile: str) -> None:
    variations = list_variations(profile)
    width = max(len(variation.name) for variation in variations)
    for variation in variations:
        print(f"{variation.name:<{width}}  {variation.description}")


def _write_config(path: Path, server: ReferenceServer, lifecycle_delay: float, *, box: bool = False) -> None:
    """[target] for this server; [run] with the waits of a run against the embedded server, longer where the
    lifecycle is slower (a task takes two lifecycle steps to become active). In a box only ``active_timeout``: the
    suite's defaults for a remote server (its slower polling) fit a server that behaves like one."""
    run: dict[str, float] = {} if box else dict(EMBEDDED_DEFAULTS)
    floor = float(SETTINGS_BY_NAME["active_timeout"].default) if box else EMBEDDED_DEFAULTS["active_timeout"]
    run["active_timeout"] = max(floor, 10 * lifecycle_delay)
    # Whole or not at all, so that a script waiting for the file never reads half of it; 0600 for the tokens in it.
    write_atomic(path, tomli_w.dumps({"target": server.target_config(), "run": run}).encode("utf-8"), private=True)


def _lifecycle_delay(args: argparse.Namespace) -> float:
    if args.task_startup is not None:
        return float(args.task_startup) / STARTUP_STEPS
    return DEFAULT_LIFECYCLE_DELAY if args.lifecycle_delay is None else float(args.lifecycle_delay)


def _describe_box(args: argparse.Namespace) -> str | None:
    """The line that says how the server behaves like a deployment, or None when it does not."""
    parts = []
    if args.latency_ms:
        parts.append(f"{args.latency_ms:g} ms added to every answer")
    if args.rate_limit:
        who = "user" if args.rate_limit_key == "user" else "client IP"
        parts.append(f"at most {args.rate_limit} requests per {go_duration(60 * 10**9)} per {who} and path (429 "
                     "beyond)")
    if args.task_startup is not None:
        parts.append(f"tasks active {args.task_startup:g} s after create")
    return "Deployment in a box: " + "; ".join(parts) if parts else None


def run(args: argparse.Namespace) -> int:
    if args.list_faults:
        _print_faults(args.profile)
        return 0
    if args.list_variations:
        _print_variations(args.profile)
        return 0
    fault_text = args.faults if args.faults is not None else os.environ.get(ENV_VAR, "")
    variation_text = args.variations if args.variations is not None else os.environ.get(VARIATIONS_ENV_VAR, "")
    try:
        faults = parse_fault_list(fault_text)
        variations = parse_variation_list(variation_text)
        server = ReferenceServer(
            args.host,
            args.port,
            profile=args.profile,
            version=args.version,
            ai_tasks_flag=not args.without_ai_tasks_flag,
            api_prefix=args.api_prefix,
            lifecycle_delay=_lifecycle_delay(args),
            reply_delay=args.reply_delay,
            faults=faults,
            variations=variations,
            latency=args.latency_ms / 1000,
            rate_limit=args.rate_limit,
            rate_key=args.rate_limit_key,
            seed=args.seed,
            control=args.control,
        )
        if args.scenario is not None:
            apply_scenario(server.control, read_scenario(args.scenario))
    except ValueError as error:
        print(f"tasks-conformance serve: error: {error}", file=sys.stderr)
        return 2

    if args.write_config is not None:  # a script waiting for the file must not take the last run's for this one's
        try:
            args.write_config.unlink(missing_ok=True)
        except OSError as error:
            print(f"tasks-conformance serve: error: cannot replace {args.write_config}: {error}", file=sys.stderr)
            return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            server.start()
        except (RuntimeError, OSError) as error:
            print(f"tasks-conformance serve: error: {error}", file=sys.stderr)
            return 2
        if server.generation.serves_tasks:
            print(f"Reference server listening on {server.url}: the {server.generation.describe()} Tasks API under "
                  f"{', '.join(server.app.served_prefixes)}", flush=True)
        else:
            why = (without_tasks_api(server.generation.version) or "").split(": ", 1)[-1].split(";")[0]
            print(f"Reference server listening on {server.url}: Coder {server.generation.describe()}, without the "
                  f"Tasks API ({why})", flush=True)
        if faults:
            print(f"Faults enabled: {', '.join(sorted(faults))}", flush=True)
        if variations:
            print(f"Variations enabled: {', '.join(sorted(variations))}", flush=True)
        box = _describe_box(args)
        if box:
            print(box, flush=True)
        if args.write_config is not None:
            try:
                _write_config(args.write_config, server, _lifecycle_delay(args), box=box is not None)
            except OSError as error:
                print(
                    f"tasks-conformance serve: error: cannot write {args.write_config}: {error}",
                    file=sys.stderr,
                )
                server.stop()
                return 2
            print(f"Wrote target config to {args.write_config}", flush=True)
        if args.control:
            print(f"Control API: {server.url}{CONTROL_PREFIX}", flush=True)
        # The one line a script waits for: the server answers, and its config file (if any) is whole.
        print(f"Ready: {server.url}" + (f" (config: {args.write_config})" if args.write_config else ""), flush=True)
        while not stop.wait(0.2):
            pass
        server.stop()
        print("Reference server stopped.", flush=True)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tasks-conformance serve", description="Run the embedded reference Coder AI Tasks API server."
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
