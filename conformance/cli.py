"""`tasks-conformance`: run the suite, serve the reference server, list the requirements."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

import pytest

from conformance import __version__
from conformance.contracts.requirements import catalogue
from conformance.runner.config import CONFIG_ENV, SETTINGS

EXIT_USAGE = 2
_PYTEST_USAGE_ERROR, _PYTEST_NO_TESTS = 4, 5

DESCRIPTION = """\
Conformance suite for the Coder AI Tasks API.

  tasks-conformance run             check the embedded reference server (no target given)
  tasks-conformance run --target-url https://coder.example.com --token ... --second-token ... \\
      --template-version-id ...     check a real server
  tasks-conformance serve           run the reference server in the foreground
  tasks-conformance requirements    print the requirement catalogue

Exit codes of `run`: 0 pass, 1 a MUST requirement failed, 2 bad usage or config,
3 target unreachable or token rejected.
"""


def build_parser(with_serve_arguments: bool = True) -> argparse.ArgumentParser:
    """The command line. Serve's own arguments need the reference server's modules (Starlette and friends):
    they are only loaded when the command is `serve`, so a `run` does not import them before pytest starts."""
    parser = argparse.ArgumentParser(prog="tasks-conformance", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the suite against a target and write reports",
                         description="Run the conformance checks. Settings: flag > environment > config file "
                         "> default. Anything after `--` goes to pytest (e.g. -- -k auth -x).")
    run.add_argument("--config", metavar="PATH", help=f"TOML config file (env {CONFIG_ENV})")
    for s in SETTINGS:
        if s.kind is bool:
            run.add_argument(s.flag, dest=s.name, action="store_true", default=None, help=f"{s.help} (env {s.env})")
        else:
            run.add_argument(s.flag, dest=s.name, metavar=s.name.upper(), help=f"{s.help} (env {s.env})")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: arguments for pytest")

    serve = sub.add_parser("serve", help="run the embedded reference server in the foreground")
    if with_serve_arguments:
        from conformance.reference import serve as serve_module

        serve_module.add_arguments(serve)

    req = sub.add_parser("requirements", help="print the requirement catalogue")
    req.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_serve_arguments="serve" in argv)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_suite(args)
    if args.command == "serve":
        from conformance.reference import serve as serve_module

        return serve_module.run(args)
    if args.command == "requirements":
        return print_requirements(as_json=args.json)
    parser.print_help()
    return EXIT_USAGE


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line equivalent to `run`'s flags.

    `--assert=plain`: the checks report through `expect`, not bare asserts, so pytest's assertion rewriting buys
    nothing here, and it costs seconds per run: pytest rewrites every module of every distribution that has a
    pytest plugin (Hypothesis, Schemathesis, ...), and without a writable bytecode cache (PYTHONDONTWRITEBYTECODE)
    it does so on every run. `-- --assert=rewrite` turns it back on."""
    out = ["--pyargs", "conformance", "--assert=plain"]
    if args.config:
        out += ["--config", args.config]
    for s in SETTINGS:
        value = getattr(args, s.name)
        if value is None:
            continue
        if s.kind is bool:
            if value:
                out.append(s.pytest_flag)
        else:
            out += [s.pytest_flag, str(value)]
    extra = list(args.pytest_args or [])
    if extra and extra[0] == "--":
        extra = extra[1:]
    return out + extra


def run_suite(args: argparse.Namespace) -> int:
    code = int(pytest.main(pytest_arguments(args)))
    if code == _PYTEST_NO_TESTS:
        print("tasks-conformance: no checks were selected (check -k/-m or --read-only)", file=sys.stderr)
        return EXIT_USAGE
    if code == _PYTEST_USAGE_ERROR:
        return EXIT_USAGE
    return code


class _Collector:
    """Collects the checks' node ids per requirement without running them."""

    def __init__(self) -> None:
        self.checks: dict[str, list[str]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from conformance.plugin import requirement_ids

        for item in session.items:
            for rid in requirement_ids(item):
                self.checks.setdefault(rid, []).append(item.nodeid)


def checks_by_requirement() -> dict[str, list[str]]:
    collector = _Collector()
    with contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main(["--pyargs", "conformance", "--collect-only", "-q", "-p", "no:junitxml",
                            "-p", "no:html"], plugins=[collector])
    if code != 0:
        raise RuntimeError(f"collecting the checks failed (pytest exit code {code})")
    return collector.checks


def print_requirements(as_json: bool) -> int:
    checks = checks_by_requirement()
    rows: list[dict[str, Any]] = [
        {"id": r.id, "level": r.level, "area": r.area, "endpoint": r.endpoint, "title": r.title,
         "source": r.source, "checks": checks.get(r.id, [])}
        for r in catalogue().values()
    ]
    if as_json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max(len(r["id"]) for r in rows)
    print(f"{'ID':{width}}  LEVEL   CHECKS  TITLE")
    for r in rows:
        print(f"{r['id']:{width}}  {r['level']:6}  {len(r['checks']):6}  {r['title']}")
    print(f"{len(rows)} requirements")
    return 0


def console_main() -> None:
    """The `tasks-conformance` command: `main`, then a quick exit.

    Once `main` has returned, the reports are written and nothing is left to do, yet the interpreter's teardown
    (freeing what Hypothesis and Schemathesis built) takes a third of a second. So the exit handlers run and the
    output is flushed, then the process ends without that teardown, with `main`'s exit code."""
    code = main()
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console_main()
