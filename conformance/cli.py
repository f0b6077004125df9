"""`tasks-conformance`: run the suite, serve the reference server, list the requirements, compare two runs."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.runner.settings.exitcodes import EXIT_FAIL, EXIT_PASS, EXIT_SIGNAL_BASE, EXIT_USAGE, say

_PYTEST_USAGE_ERROR, _PYTEST_NO_TESTS = 4, 5

EXIT_CODES = """\
exit codes:
  0    pass: every MUST requirement that ran passed (SHOULD failures are warnings)
  1    fail: a MUST requirement failed or is blocked (with --strict, a SHOULD too), a waiver
       expired, or (with --baseline) a requirement regressed
  2    bad usage or configuration
  3    the target cannot be checked: unreachable, TLS not trusted, API prefix wrong, a token
       rejected, still rate limited, or it stopped answering mid-run
  130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM: the tasks the run created were deleted,
       the reports were written and marked incomplete
"""

DESCRIPTION = """\
Conformance suite for the Coder AI Tasks API.

  tasks-conformance run             check the embedded reference server (no target given)
  tasks-conformance run --target-url https://coder.example.com --token ... --second-token ... \\
      --template-version-id ...     check a real server
  tasks-conformance serve           run the reference server in the foreground
  tasks-conformance requirements    print the requirement catalogue (--profile P: one generation's)
  tasks-conformance diff OLD NEW    compare two results.json files
  tasks-conformance audit FILE...   judge recorded traffic (HAR, VCR cassettes) against the contracts
  tasks-conformance changes FROM TO what changes in the contract between two releases (v2.29.19 v2.34.5)
  tasks-conformance matrix RUN...   one page and table across several runs (results.json or report dirs)
"""


def build_parser(with_serve_arguments: bool = True) -> argparse.ArgumentParser:
    """The command line. Serve's own arguments need the reference server's modules (Starlette and friends):
    they are only loaded when the command is `serve`, so a `run` does not import them before pytest starts."""
    from conformance.runner.settings.config import CONFIG_ENV, SETTINGS

    parser = argparse.ArgumentParser(prog="tasks-conformance", description=DESCRIPTION, epilog=EXIT_CODES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the suite against a target and write reports", epilog=EXIT_CODES,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Run the conformance checks and write the reports. Settings: flag > "
                         "environment > config file > default. Anything after `--` goes to pytest "
                         "(e.g. -- -k auth -x).")
    run.add_argument("--config", metavar="PATH", help=f"TOML config file with [target] and [run] tables "
                     f"(env {CONFIG_ENV})")
    run.add_argument("--check", dest="checks", action="append", default=[], metavar="ID",
                     help="run only this check (its id in results.json, JUnit and the HTML report); repeatable")
    for s in SETTINGS:
        default = "" if s.default in (None, "", False) else f" (default: {s.default})"
        help_text = f"{s.help}{default} (env {s.env})"
        if s.kind is bool:
            run.add_argument(s.flag, dest=s.name, action="store_true", default=None, help=help_text)
        else:
            run.add_argument(s.flag, dest=s.name, metavar=s.name.upper(), help=help_text)
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: arguments for pytest")

    serve = sub.add_parser("serve", help="run the embedded reference server in the foreground")
    if with_serve_arguments:
        from conformance import serve as serve_module

        serve_module.add_arguments(serve)

    req = sub.add_parser("requirements", help="print the requirement catalogue and the checks of each")
    req.add_argument("--json", action="store_true", help="print JSON instead of a table")
    req.add_argument("--profile", choices=("legacy", "experimental", "stable"), default=None,
                     help="only the requirements of one generation, with its levels (default: every requirement)")

    from conformance.audit import command as audit_command

    audit = sub.add_parser("audit", help="judge recorded traffic (HAR files, VCR cassettes) against the contracts",
                           description=audit_command.DESCRIPTION, epilog=audit_command.EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    audit_command.add_arguments(audit)

    diff = sub.add_parser("diff", help="compare two results.json files: what regressed, was fixed, changed",
                          description="Compare two results.json files: requirements that regressed (newly failed), "
                          "are no longer verified (newly blocked MUSTs), were fixed or changed status; runs that "
                          "judged different profiles or releases are compared with a note saying so, and the "
                          "changes of status the contract made between the two releases are listed apart "
                          "(contract, with the difference behind each: see `changes`). Exit 0: "
                          "nothing regressed or became unverified; 1: something did; 2: a file cannot be read.")
    diff.add_argument("old", type=Path, help="the earlier results.json")
    diff.add_argument("new", type=Path, help="the later results.json")
    diff.add_argument("--json", action="store_true", help="print JSON instead of text")

    changes = sub.add_parser("changes", help="what changes in the contract between two Coder releases",
                             description="Every difference in the contract a server of TO promises compared with "
                             "FROM, grouped by operation, with the requirements involved and the pull request that "
                             "brought each (a downgrade lists the reverse). Releases: v2.29.19, 2.34 (its .0), or a "
                             "generation (legacy, experimental, stable: the newest release of its line). Exit 0; "
                             "2: a release the suite does not know.")
    changes.add_argument("old", metavar="FROM", help="the release the server runs now")
    changes.add_argument("new", metavar="TO", help="the release it moves to")
    shape = changes.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print JSON instead of text")
    shape.add_argument("--markdown", action="store_true", help="print a markdown table (for an upgrade ticket)")

    matrix = sub.add_parser("matrix", help="one page and table across several runs (results.json or report dirs)",
                            description="One column per run (target, release, profile, date, verdict), one row "
                            "per requirement, the rows that differ between runs first. Writes matrix.html (one "
                            "self-contained page), matrix.md and matrix.json into --out. Exit 0; 2: a run cannot be "
                            "read.")
    matrix.add_argument("runs", nargs="+", type=Path, metavar="RUN", help="a results.json, or a report directory")
    matrix.add_argument("--out", type=Path, default=Path("matrix"), help="directory to write into (default: matrix)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_serve_arguments="serve" in argv)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_suite(args)
    if args.command == "serve":
        from conformance import serve as serve_module

        return serve_module.run(args)
    if args.command == "requirements":
        return print_requirements(as_json=args.json, profile=args.profile)
    if args.command == "audit":
        from conformance.audit import command as audit_command

        return audit_command.run(args)
    if args.command == "diff":
        return diff_results(args.old, args.new, as_json=args.json)
    if args.command == "changes":
        return print_changes(args.old, args.new, shape="json" if args.json else "markdown" if args.markdown else "text")
    if args.command == "matrix":
        return write_matrix(args.runs, args.out)
    parser.print_help()
    return EXIT_USAGE


def pytest_arguments(extra: Sequence[str]) -> list[str]:
    """pytest's command line for a run: the package's checks, with the rootdir and ini file of the package (so
    check ids, the rootdir and any cache never depend on the working directory or the config file's place), no
    cache written, no assertion rewriting.

    `--assert=plain`: the checks report through `expect`, not bare asserts, so pytest's assertion rewriting buys
    nothing here, and it costs seconds per run: pytest rewrites every module of every distribution that has a
    pytest plugin (Hypothesis, Schemathesis, ...), and without a writable bytecode cache (PYTHONDONTWRITEBYTECODE)
    it does so on every run. `-- --assert=rewrite` turns it back on."""
    from conformance.runner.records.outcome import PACKAGE_ROOT

    ini = resources.files("conformance.runner") / "pytest.ini"
    out = ["--pyargs", "conformance", "--assert=plain", "-p", "no:cacheprovider", "--rootdir", str(PACKAGE_ROOT),
           "-c", str(ini)]
    rest = list(extra)
    if rest and rest[0] == "--":
        rest = rest[1:]
    return out + rest


def run_suite(args: argparse.Namespace) -> int:
    import pytest

    from conformance.plugin.suite import embedded_server
    from conformance.runner.records import redact
    from conformance.runner.records.redact import Redactor
    from conformance.runner.run import ConformanceRun
    from conformance.runner.settings.config import SETTINGS, ConfigError, load_config

    try:
        config = load_config({s.name: getattr(args, s.name) for s in SETTINGS}, config_path=args.config)
    except ConfigError as exc:
        say(f"configuration error: {exc}")
        return EXIT_USAGE
    redact.install(Redactor(config.target.labelled_secrets()))
    try:
        embedded = embedded_server(config)
    except ValueError as exc:  # an unknown fault or variation name
        say(f"configuration error: {exc}")
        return EXIT_USAGE
    run = ConformanceRun(config, checks=args.checks, embedded=embedded)
    code = int(pytest.main(pytest_arguments(args.pytest_args or []), plugins=[run]))
    if run.result is not None:
        return run.result.exit_code  # the run result's, whatever pytest made of the end of the session
    if run.interrupted:  # before the run began (during collection): nothing to report, nothing to clean up
        return EXIT_SIGNAL_BASE + int(getattr(signal, run.interrupted))
    if code == _PYTEST_NO_TESTS:
        say("no checks were selected (check -k/-m, --check or --read-only)")
        return EXIT_USAGE
    if code == _PYTEST_USAGE_ERROR:
        return EXIT_USAGE
    return code


def print_requirements(as_json: bool, profile: str | None = None) -> int:
    from conformance.contracts.requirements import catalogue
    from conformance.runner.collected import CollectionError, checks_by_requirement

    try:
        checks = checks_by_requirement(pytest_arguments([]))
    except CollectionError as exc:
        say(f"requirements: {exc}")
        return EXIT_USAGE
    rows: list[dict[str, Any]] = [
        {"id": r.id, "level": r.level, "area": r.area, "endpoint": r.endpoint, "title": r.title, "source": r.source,
         "profiles": list(r.profiles), "feature": r.feature, "checks": checks.get(r.id, [])}
        for r in catalogue(profile).values()]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["id"]) for r in rows)
    print(f"{'ID':{width}}  LEVEL   CHECKS  TITLE / SOURCE")
    for r in rows:
        print(f"{r['id']:{width}}  {r['level']:6}  {len(r['checks']):6}  {r['title']}")
        where = "" if profile or len(r["profiles"]) == 3 else f" (profiles: {', '.join(r['profiles'])})"
        print(f"{'':{width}}  {'':6}  {'':6}  source: {r['source']}{where}")
    counts = {level: sum(1 for r in rows if r["level"] == level) for level in ("MUST", "SHOULD", "MAY")}
    print(f"{len(rows)} requirements{f' of the {profile} profile' if profile else ''}: "
          + ", ".join(f"{n} {level}" for level, n in counts.items()))
    return 0


def diff_results(old: Path, new: Path, as_json: bool = False) -> int:
    from conformance.runner.outcomes.compare import compare_runs, different_terms
    from conformance.runner.records.results_file import ResultsFileError, load_run

    try:
        before, after = load_run(old), load_run(new)
    except ResultsFileError as exc:
        say(f"diff: {exc}")
        return EXIT_USAGE
    comparison = compare_runs(before, after)
    note = different_terms(before, after)
    if as_json:
        contract = [{**c.as_dict(), "why": comparison.why[c.id]} for c in comparison.contract]
        print(json.dumps({**comparison.as_dict(), "contract": contract, "note": note,
                          "old": {"profile": before.profile, "server_version": before.server_version},
                          "new": {"profile": after.profile, "server_version": after.server_version}}, indent=2))
    else:
        print(f"{old} -> {new}: {len(comparison.regressed)} regressed, {len(comparison.unverified)} no longer "
              f"verified, {len(comparison.fixed)} fixed, {len(comparison.changed)} changed status"
              + (f", {len(comparison.contract)} changed with the contract" if comparison.contract else ""))
        if note:
            print(f"note: {note}")
        for title, rows in (("regressed", comparison.regressed), ("unverified", comparison.unverified),
                            ("fixed", comparison.fixed), ("changed", comparison.changed)):
            for row in rows:
                print(f"  {title:10} {row.line()}")
        for row in comparison.contract:
            print(f"  {'contract':10} {row.line()}: {comparison.why[row.id]}")
    return EXIT_FAIL if comparison.fails else EXIT_PASS


def print_changes(old: str, new: str, shape: str = "text") -> int:
    from conformance.contracts import changes

    try:
        delta = changes.changes(changes.release(old), changes.release(new))
    except changes.ReleaseError as exc:
        say(f"changes: {exc}")
        return EXIT_USAGE
    if shape == "json":
        print(json.dumps(delta.as_dict(), indent=2))
    else:
        sys.stdout.write(changes.markdown(delta) if shape == "markdown" else changes.text(delta))
    return EXIT_PASS


def write_matrix(runs: Sequence[Path], out: Path) -> int:
    from conformance.report import matrix
    from conformance.runner.records.results_file import ResultsFileError

    try:
        columns = matrix.load(runs)
        written = matrix.write(columns, out)
    except (ResultsFileError, OSError) as exc:
        say(f"matrix: {exc}")
        return EXIT_USAGE
    for path in written:
        print(f"matrix: {path}")
    return EXIT_PASS


def console_main() -> None:
    """The `tasks-conformance` command: `main`, then a quick exit.

    The standard streams tolerate a reader that went away (`| head`) or a full disk (`>/dev/full`): the run goes
    on, its reports are written and the exit code stays the verdict's. Once `main` has returned, the reports are
    written and nothing is left to do, yet the interpreter's teardown (freeing what Hypothesis and Schemathesis
    built) takes a third of a second: the exit handlers run, the output is flushed, and the process ends."""
    _exit_on_early_signals()
    from conformance.runner.process.streams import tolerant_std_streams

    with tolerant_std_streams():
        code = main()
        atexit._run_exitfuncs()
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(code)


def _exit_on_early_signals() -> None:
    """Until a run sets up its own handlers (which clean up what it created), Ctrl-C or SIGTERM end the command at
    once, quietly, with 128 + the signal's number: nothing has been created yet."""
    def leave(signum: int, frame: object) -> None:
        os._exit(EXIT_SIGNAL_BASE + signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, leave)


if __name__ == "__main__":  # pragma: no cover
    console_main()
