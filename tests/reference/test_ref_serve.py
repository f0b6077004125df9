"""The ``serve`` command as a subprocess: config file, requests with its tokens, clean stop on signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ref_support import CONFIG_KEYS, poll

from conformance.reference.faults import list_faults

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(faults: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_CONFORMANCE_")}
    if faults is not None:
        env["TASKS_CONFORMANCE_REFERENCE_FAULTS"] = faults
    return env


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "conformance.serve", *args],
        cwd=REPO_ROOT,
        env=env or _env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.serve", *args],
        cwd=REPO_ROOT,
        env=env or _env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _wait_for_config(proc: subprocess.Popen[str], path: Path) -> dict[str, str]:
    def read() -> dict[str, str] | None:
        assert proc.poll() is None, f"serve exited early: {proc.communicate()}"
        if not path.exists():
            return None
        try:
            target: dict[str, str] = tomllib.loads(path.read_text())["target"]
        except (tomllib.TOMLDecodeError, KeyError):
            return None
        return target

    result = poll(read, lambda value: value is not None, timeout=20, interval=0.05)
    assert result is not None
    return result


@pytest.fixture()
def stop_later() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_writes_config_serves_and_stops_cleanly(
    tmp_path: Path, stop_later: list[subprocess.Popen[str]], sig: signal.Signals
) -> None:
    config_path = tmp_path / "target.toml"
    proc = _serve("--port", "0", "--lifecycle-delay", "0", "--write-config", str(config_path))
    stop_later.append(proc)
    target = _wait_for_config(proc, config_path)
    assert set(target) >= CONFIG_KEYS and all(isinstance(v, str) for v in target.values())
    assert target["url"].startswith("http://127.0.0.1:") and target["api_prefix"] == "/api/v2"  # stable
    assert config_path.stat().st_mode & 0o077 == 0  # tokens inside: private file

    base = target["url"] + target["api_prefix"]
    with httpx.Client(timeout=10) as client:
        created = client.post(
            base + "/tasks/me",
            headers={"Coder-Session-Token": target["token"]},
            json={"input": "hello", "template_version_id": target["template_version_id"]},
        )
        assert created.status_code == 201
        task_id = created.json()["id"]
        assert (
            client.get(
                f"{base}/tasks/me/{task_id}", headers={"Coder-Session-Token": target["second_token"]}
            ).status_code
            == 404
        )
        assert (
            client.get(
                f"{base}/tasks/me/{task_id}", headers={"Coder-Session-Token": target["admin_token"]}
            ).status_code
            == 200
        )
        plain = client.post(
            base + "/tasks/me",
            headers={"Coder-Session-Token": target["token"]},
            json={"input": "x", "template_version_id": target["non_ai_template_version_id"]},
        )
        assert plain.status_code == 400

    proc.send_signal(sig)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, (out, err)
    assert target["url"] in out and "stable v2.34.0" in out and "/api/v2, /api/experimental" in out
    assert str(config_path) in out
    for secret in (target["token"], target["second_token"], target["admin_token"]):
        assert secret not in out and secret not in err
    with pytest.raises(httpx.TransportError):
        httpx.get(target["url"] + "/", timeout=2)


def test_list_faults() -> None:
    result = _run("--list-faults")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(list_faults("stable"))  # the default profile's
    for line, fault in zip(lines, list_faults("stable"), strict=True):
        assert line.startswith(fault.name) and fault.description in line
    legacy = _run("--list-faults", "--profile", "legacy").stdout
    assert "legacy-id-not-workspace" in legacy and "pause-stops-nothing" not in legacy


@pytest.mark.parametrize(
    ("args", "env_faults"),
    [(("--faults", "create-returns-200,nope"), None), ((), "bogus-fault")],
    ids=["flag", "env"],
)
def test_unknown_fault_is_exit_2_with_one_line(args: tuple[str, ...], env_faults: str | None) -> None:
    result = _run("--port", "0", *args, env=_env(env_faults))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "unknown fault" in result.stderr


def test_faults_from_env_and_flag_precedence(tmp_path: Path, stop_later: list[subprocess.Popen[str]]) -> None:
    statuses = {}
    for label, args in (("env", ()), ("flag", ("--faults", "delete-returns-200"))):
        path = tmp_path / f"{label}.toml"
        proc = _serve(
            "--port",
            "0",
            "--lifecycle-delay",
            "0",
            "--write-config",
            str(path),
            *args,
            env=_env("create-returns-200"),
        )
        stop_later.append(proc)
        target = _wait_for_config(proc, path)
        response = httpx.post(
            target["url"] + target["api_prefix"] + "/tasks/me",
            headers={"Coder-Session-Token": target["token"]},
            json={"input": "x", "template_version_id": target["template_version_id"]},
            timeout=10,
        )
        statuses[label] = response.status_code
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
        assert proc.returncode == 0
    assert statuses == {"env": 200, "flag": 201}


def test_port_in_use_is_an_error(stop_later: list[subprocess.Popen[str]], tmp_path: Path) -> None:
    path = tmp_path / "first.toml"
    first = _serve("--port", "0", "--write-config", str(path))
    stop_later.append(first)
    port = _wait_for_config(first, path)["url"].rsplit(":", 1)[1]
    started = time.monotonic()
    result = _run("--port", port)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert time.monotonic() - started < 25
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=15)
    assert first.returncode == 0


def test_the_readmes_serve_then_run_script_works_as_written(tmp_path: Path) -> None:
    """README: `serve --write-config F &`, wait for F, `run --config F`. F appears whole once the server answers (a
    stale F of an earlier run is removed first), and serve says it is ready in one line."""
    config = tmp_path / "t.toml"
    config.write_text('[target]\nurl = "http://127.0.0.1:9"\n')  # an earlier run's file, pointing nowhere
    bin_dir = Path(sys.executable).parent
    script = (f"{bin_dir}/tasks-conformance serve --port 0 --write-config {config} > {tmp_path}/serve.log & "
              f"serve=$!; trap 'kill $serve' EXIT\n"
              f"until [ -s {config} ] && grep -q '^Ready: ' {tmp_path}/serve.log; do sleep 0.1; done\n"
              f"{bin_dir}/tasks-conformance run --config {config} --report-dir {tmp_path}/reports --fuzz-budget 0 "
              "-- -k test_list_schema -q\n")
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, env=_env(),
                          cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "verdict: PASS" in proc.stdout
    log = (tmp_path / "serve.log").read_text()
    ready = [line for line in log.splitlines() if line.startswith("Ready: ")]
    assert len(ready) == 1 and str(config) in ready[0], log
    assert not list(tmp_path.glob(".t.toml.*")), "a temporary file of the atomic write was left"


def test_the_reference_reads_no_body_past_coders_limit() -> None:
    """A body past 4 MiB (declared, or streamed without a length) is 413 with Coder's words, read no further: one
    1 GB POST took the server to 3.4 GB."""
    from conformance.reference import ReferenceServer

    with ReferenceServer(lifecycle_delay=0) as server:
        token = server.target_config()["token"]
        url = f"{server.url}/api/v2/tasks/me"

        def endless() -> Iterator[bytes]:
            for _ in range(1 << 14):  # 1 GiB, if it were all read
                yield b"x" * 65536

        with httpx.Client(timeout=30) as client:
            for content in (b'{"input": "' + b"x" * (5 << 20) + b'"}', endless()):
                answer = client.post(url, content=content, headers={"Coder-Session-Token": token})
                assert answer.status_code == 413, answer.text[:200]
                assert answer.json() == {"message": "Request body too large.",
                                         "detail": "Maximum request body size is 4194304 bytes."}
