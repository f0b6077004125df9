"""Hostile user files: a config, waivers, a baseline or the two runs `diff` compares are user input. Deep, endless,
wrongly typed or escape-laden, each is exit 2 with one line naming the file, in bounded time and memory; their words
never reach the terminal or the reports raw."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
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


# --- recordings for `audit`: small files that blew it up -------------------------------------------------------

ALIAS_BOMB = """\
a: &a ["xxxxxxxxx", "xxxxxxxxx", "xxxxxxxxx", "xxxxxxxxx", "xxxxxxxxx", "xxxxxxxxx", "xxxxxxxxx", "xxxxxxxxx"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
interactions:
- request: {method: GET, uri: "https://coder.example.com/api/v2/tasks", headers: {}, body: null}
  response: {status: {code: 200, message: OK}, headers: {}, body: {string: *i}}
"""


def _har(*entries: dict[str, object]) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}})


def _entry(url: str, status: object = 200, body: str = '{"tasks": [], "count": 0}',
           request_headers: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {"request": {"method": "GET", "url": url, "headers": request_headers or []},
            "response": {"status": status, "headers": [{"name": "Content-Type", "value": "application/json"}],
                         "content": {"mimeType": "application/json", "text": body}}}


@pytest.mark.parametrize("name, content", [
    ("bomb.yaml", ALIAS_BOMB),
    ("deep.har", _har(_entry("https://c/api/v2/tasks")).replace('"headers": []', '"headers": ' + "[" * DEEP
                                                                    + "]" * DEEP, 1)),
], ids=["yaml-alias-bomb", "deeply-nested-har"])
def test_a_small_hostile_recording_is_refused_in_bounded_time_and_memory(name: str, content: str,
                                                                       tmp_path: Path) -> None:
    """A 555-byte YAML alias bomb (it took 3 GB and a MemoryError) and a 200 KB HAR with one field nested 200,000
    levels deep (24 GB): each is a file that is no recording, exit 2 with one line."""
    path = tmp_path / name
    path.write_text(content)
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "conformance.cli", "audit", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    assert peak_kib < 400_000, f"{peak_kib} KiB"
    assert "UNREADABLE" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr


def test_odd_statuses_rotating_cookies_and_basic_credentials(tmp_path: Path) -> None:
    """A status of 5,000 digits is no status (it crashed the audit); a load balancer's cookie that changes with every
    entry is learned at no quadratic cost; a Basic credential's decoded password is masked wherever it shows."""
    password = "correct-horse-battery"
    basic = base64.b64encode(f"alice:{password}".encode()).decode()
    entries = [_entry(f"https://c/api/v2/tasks?page={i}", request_headers=[
        {"name": "Cookie", "value": f"AWSALB={uuid.uuid4().hex}{uuid.uuid4().hex}"}]) for i in range(1000)]
    entries.append(_entry("https://c/api/v2/tasks", status="9" * 5000))
    entries.append(_entry(f"https://c/api/v2/tasks/me/{password}", status=404, body="nope",
                          request_headers=[{"name": "Authorization", "value": f"Basic {basic}"}]))
    path = tmp_path / "odd.har"
    path.write_text(_har(*entries))
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "audit", str(path)], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]  # the 404 without an error body fails
    assert "Traceback" not in proc.stdout + proc.stderr
    assert password not in proc.stdout + proc.stderr and "[REDACTED]" in proc.stdout
