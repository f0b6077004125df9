"""Ctrl-C (SIGINT) and SIGTERM during a run: the tasks it created are deleted, the reports are written and marked
incomplete, and the exit code is 128 + the signal's number."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from hostile_support import RunResult, all_tasks, assert_no_token, clean_env, suite_command, wait_until, write_config

from conformance.reference import ReferenceServer


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_cleans_up_and_reports(sig: signal.Signals, tmp_path: Path) -> None:
    with ReferenceServer(lifecycle_delay=0.05) as server:
        # A fuzz budget the run never gets to spend: the signal comes mid-run however slow this machine is.
        config = write_config(tmp_path / "t.toml", dict(server.target_config()), fuzz_budget="100")
        report_dir = tmp_path / "reports"
        proc = subprocess.Popen(suite_command(config, report_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=clean_env(), stdin=subprocess.DEVNULL)
        try:
            # Mid-run: some checks ran (more tasks were seen than the preflight's and the six up-front ones, created
            # before any check), the suite is still working. Idle, that is about 11 s into a 16 s run; the deadline
            # is for a CI machine running four such suites on two cores (60 s ran out there once).
            seen: set[str] = set()

            def checks_under_way() -> bool:
                seen.update(t["id"] for t in all_tasks(server))
                return len(seen) >= 12

            assert wait_until(checks_under_way, timeout=240), "the run created too few tasks"
            assert proc.poll() is None
            proc.send_signal(sig)
            output, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 128 + sig, output[-3000:]
        # Nothing left behind (a delete may take a moment to take effect).
        assert wait_until(lambda: all_tasks(server) == [], timeout=10), [t["name"] for t in all_tasks(server)]
        result = RunResult(proc.returncode, output, report_dir, 0.0)
        results = result.results()
        assert results["incomplete"] is True
        assert results["verdict"] == "error"
        assert f"interrupted by {sig.name}" in results["error"]
        assert results["exit_code"] == 128 + sig
        assert results["counts"]["checks"]["total"] > 0
        assert "INCOMPLETE" in result.html() and f"interrupted by {sig.name}" in result.html()
        assert (report_dir / "junit.xml").exists()
        assert "verdict: INCOMPLETE" in output
        assert "INTERNALERROR" not in output
        assert_no_token(result, server)
