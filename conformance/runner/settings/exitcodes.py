"""The exit codes of `tasks-conformance run` (and of pytest runs of the suite), and how a run that ends before its
verdict says why."""

import contextlib
import sys

from conformance.runner.records import redact

EXIT_PASS = 0  # every MUST requirement that ran passed
EXIT_FAIL = 1  # a MUST failed or is blocked (a SHOULD too under strict), a waiver expired, a requirement regressed
EXIT_USAGE = 2  # bad usage or configuration
EXIT_UNREACHABLE = 3  # the target cannot be checked (preflight failed, it stopped answering)
EXIT_SIGNAL_BASE = 128  # interrupted by a signal: 128 + its number (SIGINT 130, SIGTERM 143), as shells report it


def say(message: str) -> None:
    """Why a run ends before its checks (a usage or configuration error): one plain line on stderr, the same
    through `tasks-conformance run` and through `pytest --pyargs conformance`."""
    with contextlib.suppress(OSError, ValueError):  # a closed stderr: the exit code still says it
        # the process's redactor: a token pasted into the wrong setting stays masked
        sys.stderr.write(f"tasks-conformance: {redact.active().text(message)}\n")
        sys.stderr.flush()
