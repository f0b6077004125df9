"""Hostile user files: a config, waivers, a baseline or the two runs `diff` compares are user input. Deep, endless,
wrongly typed or escape-laden, each is exit 2 with one line naming the file, in bounded time and memory; their words
never reach the terminal or the reports raw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

DEEP = 200_000


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env, stdin=subprocess.DEVNULL)


def _results(rows: list[object]) -> str:
    return json.dumps({"requirements": rows, "target": {"profile": "stable"}})


def _one_plain_line(proc: subprocess.CompletedProcess[str], naming: str) -> str:
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text and "RecursionError" not in text and "MemoryError" not in text, text[-2000:]
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and naming in lines[0], lines
    return lines[0]


@pytest.mark.parametrize("content", [
    "[" * DEEP + "]" * DEEP,
    '{"requirements": ' + "[" * DEEP + "]" * DEEP + "}",
    _results([{"id": ["LIST-COUNT"], "status": "failed", "level": "MUST"}]),
    _results([{"id": {"a": 1}, "status": "failed", "level": "MUST"}]),
    '{"requirements": [{"id": "LIST-COUNT", "status": NaN, "level": "MUST"}]}',
    _results([{"id": "LIST-COUNT\u001b[2J", "status": "failed", "level": "MUST"}]),
    _results([{"id": "LIST-COUNT", "status": "failed", "level": 1}]),
], ids=["deep-array", "deep-requirements", "id-list", "id-object", "status-nan", "id-escape", "level-number"])
def test_a_results_file_that_is_not_one_is_exit_2_for_diff_and_baseline(content: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    good = tmp_path / "good.json"
    good.write_text(_results([{"id": "LIST-COUNT", "status": "passed", "level": "MUST"}]))
    started = time.monotonic()
    _one_plain_line(_run("diff", str(good), str(bad), cwd=tmp_path), str(bad))
    _one_plain_line(_run("run", "--baseline", str(bad), "--report-dir", str(tmp_path / "r"), cwd=tmp_path), str(bad))
    assert time.monotonic() - started < 60


def test_an_endless_file_is_exit_2_in_bounded_time(tmp_path: Path) -> None:
    started = time.monotonic()
    line = _one_plain_line(_run("diff", "/dev/zero", "/dev/zero", cwd=tmp_path), "/dev/zero")
    assert "not a regular file" in line
    for flag in ("--baseline", "--waivers", "--config"):
        _one_plain_line(_run("run", flag, "/dev/zero", "--report-dir", str(tmp_path / "r"), cwd=tmp_path),
                        "/dev/zero")
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("flag", ["--config", "--waivers"])
def test_a_deeply_nested_toml_file_is_exit_2(flag: str, tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * DEEP + "]" * DEEP + "\n")
    _one_plain_line(_run("run", f"{flag}={deep}", "--report-dir", str(tmp_path / "r"), cwd=tmp_path), str(deep))


def test_a_waivers_reason_is_shown_without_its_escapes(tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text('[[waiver]]\nrequirement = "LIST-COUNT"\n'
                       'reason = "known \\u001b[2J\\u001b]52;c;aGk=\\u0007 bug"\nexpires = 2099-01-01\n')
    proc = _run("run", "--waivers", str(waivers), "--reference-faults", "list-count-off-by-one", "--fuzz-budget",
                "0", "--report-dir", str(tmp_path / "r"), "--", "-k", "test_list_count", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    texts = [proc.stdout, proc.stderr] + [p.read_text(errors="replace") for p in (tmp_path / "r").iterdir()
                                          if p.is_file()]
    assert all("\x1b" not in text and "\x07" not in text for text in texts)
    assert "known \\u001b[2J" in proc.stdout
