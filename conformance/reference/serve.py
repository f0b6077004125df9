"""``tasks-conformance serve``: run the reference server in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import tomli_w

from conformance.contracts.profiles import PROFILE_NAMES
from conformance.runner.config import EMBEDDED_DEFAULTS

from .faults import ENV_VAR, list_faults, parse_fault_list
from .server import ReferenceServer
from .variations import ENV_VAR as VARIATIONS_ENV_VAR
from .variations import list_variations, parse_variation_list


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
        help="answer as a v2.35/v2.36 server without CODER_ENABLE_AI_TASKS: no Tasks API routes")
    parser.add_argument(
        "--api-prefix", default=None,
        help="serve under this API prefix only (default: the profile's; stable also answers under /api/experimental)")
    parser.add_argument(
        "--lifecycle-delay",
        type=float,
        default=0.05,
        metavar="S",
        help="seconds a task spends pending and then initializing (default 0.05; 0: active at once)",
    )
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


def _write_config(path: Path, server: ReferenceServer, lifecycle_delay: float) -> None:
    """[target] for this server; [run] with the waits of a run against the embedded server, longer where the
    lifecycle is slower (a task takes two lifecycle steps to become active)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run = dict(EMBEDDED_DEFAULTS)
    run["active_timeout"] = max(run["active_timeout"], 10 * lifecycle_delay)
    data = tomli_w.dumps({"target": server.target_config(), "run": run})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(data)


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
            lifecycle_delay=args.lifecycle_delay,
            reply_delay=args.reply_delay,
            faults=faults,
            variations=variations,
        )
    except ValueError as error:
        print(f"tasks-conformance serve: error: {error}", file=sys.stderr)
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
        print(f"Reference server listening on {server.url}: the {server.generation.describe()} Tasks API under "
              f"{', '.join(server.app.served_prefixes)}", flush=True)
        if faults:
            print(f"Faults enabled: {', '.join(sorted(faults))}", flush=True)
        if variations:
            print(f"Variations enabled: {', '.join(sorted(variations))}", flush=True)
        if args.write_config is not None:
            try:
                _write_config(args.write_config, server, args.lifecycle_delay)
            except OSError as error:
                print(
                    f"tasks-conformance serve: error: cannot write {args.write_config}: {error}",
                    file=sys.stderr,
                )
                server.stop()
                return 2
            print(f"Wrote target config to {args.write_config}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
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
