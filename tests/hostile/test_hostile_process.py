"""The process around a run: a reader that goes away, a full disk, signals at any moment (also during a slow
cleanup), a config path that is not a file. The exit code stays the verdict's, the reports are whole or absent
(never an earlier run's), and every end is bounded."""

from __future__ import annotations

import json
import os
import random
import resource
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import leaks
import pytest
from hostile_support import (
    HostileProxy,
    all_tasks,
    clean_env,
    json_answer,
    suite_command,
    wait_until,
    watch_config,
    write_config,
)

from conformance.reference import ReferenceServer

SMALL = ["--", "-k", "test_list_schema or test_list_includes_a_new_task"]


@pytest.mark.parametrize("stdout", ["head", "/dev/full"])
def test_a_broken_stdout_keeps_the_verdicts_exit_code_and_the_reports(stdout: str, reference: ReferenceServer,
                                                                      tmp_path: Path) -> None:
    config = write_config(tmp_path / "t.toml", dict(reference.target_config()))
    watch_config(config)
    report_dir = tmp_path / "reports"
    command = shlex.join(suite_command(config, report_dir, *SMALL))
    if stdout == "head":
        shell = f"{command} 2>&1 | head -c 100 >/dev/null; exit ${{PIPESTATUS[0]}}"
    else:
        shell = f"{command} >/dev/full 2>&1"
    proc = subprocess.run(["bash", "-c", shell], env=clean_env(), timeout=120, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    leaks.record_output("broken stdout run", proc.stdout + proc.stderr)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((report_dir / "results.json").read_text())
    assert results["verdict"] == "pass" and results["exit_code"] == 0
    assert {"conformance.html", "junit.xml", "evidence.har"} <= {p.name for p in report_dir.iterdir()}


def test_reports_that_cannot_be_written_leave_no_stale_report_behind(reference: ReferenceServer,
                                                                     tmp_path: Path) -> None:
    """A file size limit makes every report write fail (as a full disk would): the run says so, keeps its exit
    code, and removes the reports an earlier run left (a stale `pass` must not stand for this run)."""
    config = write_config(tmp_path / "t.toml", dict(reference.target_config()))
    watch_config(config)
    report_dir = tmp_path / "reports"
    report_dir.mkdir()
    for name in ("results.json", "junit.xml", "conformance.html", "evidence.har"):
        (report_dir / name).write_text('{"verdict": "pass", "from": "an earlier run"}')

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    proc = subprocess.run(suite_command(config, report_dir, *SMALL), env=clean_env(), timeout=120,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, preexec_fn=limit_file_size)
    output = proc.stdout + proc.stderr
    leaks.record_output("size-limited run", output)
    assert proc.returncode == 0, output[-3000:]
    assert "verdict: PASS" in output
    for label in ("results.json", "JUnit XML", "HTML report", "evidence HAR"):
        assert f"report problem (the verdict is unchanged): {label} not written" in output, label
    assert "removed" in output
    assert [p.name for p in report_dir.iterdir()] == [], "a stale report or a temporary file was left"


@pytest.mark.parametrize("what", ["fifo", "/dev/zero", "directory", "huge"])
def test_a_config_that_is_not_a_config_file_is_one_line_and_exit_2(what: str, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    if what == "fifo":
        os.mkfifo(path)
    elif what == "/dev/zero":
        path = Path("/dev/zero")
    elif what == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--config", str(path)], env=clean_env(),
                          timeout=30, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert time.monotonic() - started < 10
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and "config file" in lines[0], lines


def test_sigint_at_any_moment_gives_one_exit_code_everywhere(reference: ReferenceServer, tmp_path: Path) -> None:
    """Ctrl-C during start-up, collection, Hypothesis's set-up, the checks and the cleanup: the process exits 130
    and, when a run began, results.json says 130 too; nothing crashes."""
    config = write_config(tmp_path / "t.toml", dict(reference.target_config()), fuzz_budget="5")
    watch_config(config)
    rng = random.Random(1)
    for attempt in range(6):
        report_dir = tmp_path / f"reports-{attempt}"
        proc = subprocess.Popen(suite_command(config, report_dir, "--", "-k", "test_gate or test_list"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env(),
                                stdin=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 3.0))
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=90)
        leaks.record_output(f"interrupted run {attempt}", output)
        for bad in ("INTERNALERROR", "Traceback", "TypeError", "Exception ignored"):
            assert bad not in output, output[-3000:]
        if proc.returncode == 0:
            continue  # it finished before the signal came
        assert proc.returncode == 130, output[-3000:]
        results = report_dir / "results.json"
        if results.exists():
            assert json.loads(results.read_text())["exit_code"] == 130
    assert wait_until(lambda: all_tasks(reference) == [], timeout=10)


def test_sigterm_against_a_rate_limiting_server_writes_reports_first_and_bounds_the_cleanup(
        reference: ReferenceServer, proxy: HostileProxy, proxied_config: Callable[..., Path], tmp_path: Path) -> None:
    """Once the signal is sent every answer is 429 with Retry-After: 30: the (incomplete) reports are written at
    once, the cleanup gives up after cleanup_timeout, and the final reports name what is left."""
    config = proxied_config(cleanup_timeout="6")
    watch_config(config)
    report_dir = tmp_path / "reports"
    proc = subprocess.Popen(suite_command(config, report_dir, "--", "-k", "test_list_is_newest_first or test_logs"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env(),
                            stdin=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: sum(1 for r in proxy.requests if r.method == "POST") >= 2, timeout=60)
        proxy.rules.append((lambda r: True, json_answer(b'{"message": "Rate limit exceeded."}',
                                                        "429 Too Many Requests", [("Retry-After", "30")])))
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert wait_until(lambda: (report_dir / "results.json").exists(), timeout=5), "no report before the cleanup"
        early = json.loads((report_dir / "results.json").read_text())
        assert early["incomplete"] is True
        output, _ = proc.communicate(timeout=60)
        ended = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
    leaks.record_output("SIGTERM run", output)
    assert proc.returncode == 143, output[-3000:]
    assert ended < 25, ended
    final = json.loads((report_dir / "results.json").read_text())
    assert final["exit_code"] == 143 and final["incomplete"] is True
    named = {item.split(" (", 1)[0] for item in final["leftovers"]}
    assert named, "the tasks the cleanup could not confirm removed are named"
    assert {t["name"] for t in all_tasks(reference)} <= named  # what is really left is among them
