"""A hostile HTTP server for the robustness self-tests, and helpers to run the suite against it.

`HostileProxy` listens on 127.0.0.1 (asyncio, in a daemon thread) in front of a reference server. Each request is
matched against the proxy's rules: the first rule whose predicate matches decides what happens (hang, reset the
connection, send garbage, redirect, trickle bytes, answer 429, ...); a request no rule matches is passed through
to the reference server unchanged. Every request is recorded (method, path, headers, time) for assertions.

conftest.py re-exports the fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import leaks
import pytest
import tomli_w

from conformance.reference import ReferenceServer

SESSION_HEADER = "Coder-Session-Token"
FAST = {"request_timeout": "1", "connect_timeout": "1", "total_timeout": "3", "active_timeout": "10",
        "fuzz_budget": "0", "poll_interval": "0.02"}
LOGS_CHECK = "test_logs_content_type"
LIST_CHECK = "test_list_schema"
SELECT_LOGS = f"{LOGS_CHECK} or {LIST_CHECK}"


# --- requests and actions --------------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


Writer = asyncio.StreamWriter
Action = Callable[[Request, Writer, "HostileProxy"], Awaitable[None]]
Rule = tuple[Callable[[Request], bool], Action]


def is_logs(request: Request) -> bool:
    return request.method == "GET" and request.path.endswith("/logs")


def is_list(request: Request) -> bool:
    return request.method == "GET" and request.path.endswith("/tasks")


def always(request: Request) -> bool:
    return True


def response_bytes(status: str, headers: list[tuple[str, str]], body: bytes, version: str = "HTTP/1.1") -> bytes:
    head = f"{version} {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


async def _close(writer: Writer) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()


def hang() -> Action:
    """Accept the request and never answer."""
    async def act(request: Request, writer: Writer, proxy: HostileProxy) -> None:
        await asyncio.sleep(3600)
    return act


def reset() -> Action:
    """Reset the connection (RST) instead of answering."""
    async def act(request: Request, writer: Writer, proxy: HostileProxy) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    return act


def raw(data: bytes, then_close: bool = True) -> Action:
    """Send these bytes as the answer, then close the connection."""
    async def act(request: Request, writer: Writer, proxy: HostileProxy) -> None:
        writer.write(data)
        await writer.drain()
        if then_close:
            await _close(writer)
    return act


def json_answer(body: bytes, status: str = "200 OK", extra: list[tuple[str, str]] | None = None,
                content_length: int | None = None) -> Action:
    headers = [("Content-Type", "application/json"),
               ("Content-Length", str(len(body) if content_length is None else content_length)),
               ("Connection", "close"), *(extra or [])]
    return raw(response_bytes(status, headers, body))


def truncated() -> Action:
    """Promise 2000 bytes, send 30, close."""
    return json_answer(b'{"logs": [{"id": 1, "content": ', content_length=2000)


def big_body(size: int = 5_000_000) -> Action:
    body = b'{"logs": [], "padding": "' + b"x" * (size - 30) + b'"}'
    return json_answer(body)


@cache
def gzip_bomb_bytes(expanded: int = 64 * 1024 * 1024) -> bytes:
    """A gzip body of `expanded` bytes of spaces (valid JSON whitespace), about expanded/1000 bytes compressed."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(expanded // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)


def gzip_bomb() -> Action:
    return json_answer(gzip_bomb_bytes(), extra=[("Content-Encoding", "gzip")])


def upstream_rewrite(rewrite: Callable[[str, list[tuple[str, str]], bytes], bytes]) -> Action:
    """Ask the reference server, then answer with rewrite(status line, headers, body) and close."""
    async def act(request: Request, writer: Writer, proxy: HostileProxy) -> None:
        status, headers, body = await proxy.fetch_upstream(request)
        writer.write(rewrite(status, headers, body))
        await writer.drain()
        await _close(writer)
    return act


def answer_with(make: Callable[[Request, str, list[tuple[str, str]], bytes], tuple[str, list[tuple[str, str]],
                                                                                   bytes]]) -> Action:
    """Ask the reference server, then answer make(request, status line, headers, body) -> (status, headers, body)
    (Content-Length set for the new body), and close."""
    async def act(request: Request, writer: Writer, proxy: HostileProxy) -> None:
        status, headers, body = await proxy.fetch_upstream(request)
        status, headers, body = make(request, status, headers, body)
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
        kept += [("Content-Length", str(len(body))), ("Connection", "close")]
        writer.write(response_bytes(status.split(" ", 1)[1] if status.startswith("HTTP/") else status, kept, body))
        await writer.drain()
        await _close(writer)
    return act


def http10() -> Action:
    """The real answer, as HTTP/1.0 without Content-Length: the body ends when the connection closes."""
    def rewrite(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection", "transfer-encoding")]
        return response_bytes(status.split(" ", 1)[1], kept, body, version="HTTP/1.0")
    return upstream_rewrite(rewrite)


def short_content_length(missing: int = 12) -> Action:
    """The real answer with a Content-Length smaller than the body (the rest follows as junk)."""
    def rewrite(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
        kept += [("Content-Length", str(max(len(body) - missing, 0))), ("Connection", "close")]
        return response_bytes(status.split(" ", 1)[1], kept, body)
    return upstream_rewrite(rewrite)


def non_utf8() -> Action:
    """The real answer with bytes that are not UTF-8 in the body and in a header."""
    def rewrite(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
        bad = body.replace(b'"logs"', b'"lo\xff\xfegs"', 1) if b'"logs"' in body else body + b"\xff\xfe"
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "connection")]
        kept += [("Content-Length", str(len(bad))), ("Connection", "close")]
        head = response_bytes(status.split(" ", 1)[1], kept, b"")
        return head[:-2] + b"X-Junk: caf\xe9 \xff\r\n\r\n" + bad
    return upstream_rewrite(rewrite)


def redirect(location: str, status: str = "302 Found") -> Action:
    return raw(response_bytes(status, [("Location", location), ("Content-Length", "0"), ("Connection", "close")],
                              b""))


def trickle(interval: float = 0.3) -> Action:
    """Answer one byte at a time, each within the read timeout, never finishing."""
    async def act(request: Request, writer: Writer, proxy: HostileProxy) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(100000):
            await asyncio.sleep(interval)
            writer.write(b" ")
            await writer.drain()
    return act


def rate_limited(times: int | None, retry_after: str | None = "0") -> Action:
    """Answer 429 the first `times` times this action is used (None: always), then pass through."""
    state = {"n": 0}

    async def act(request: Request, writer: Writer, proxy: HostileProxy) -> None:
        state["n"] += 1
        if times is None or state["n"] <= times:
            extra = [("Retry-After", retry_after)] if retry_after is not None else []
            await json_answer(b'{"message": "Rate limit exceeded."}', "429 Too Many Requests", extra)(
                request, writer, proxy)
            return
        await proxy.pass_through(request, writer)
    return act


# --- the proxy ---------------------------------------------------------------------------------------------------


class HostileProxy:
    """An asyncio HTTP/1.1 server on 127.0.0.1 in a thread: rules first, otherwise the upstream's answer."""

    def __init__(self, upstream: str | None = None, rules: list[Rule] | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.upstream = upstream  # "http://127.0.0.1:port" or None (every request must match a rule)
        self.rules: list[Rule] = list(rules or [])
        self.tls = tls  # serve https with this server context
        self.requests: list[Request] = []
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-proxy", daemon=True)
        self.port = 0

    def start(self) -> HostileProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._connection, "127.0.0.1", 0, ssl=self.tls)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> HostileProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    async def _connection(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                action = next((act for match, act in self.rules if match(request)), None)
                if action is None:
                    await self.pass_through(request, writer)
                else:
                    await action(request, writer, self)
                if writer.is_closing():
                    break
        except (ConnectionError, asyncio.IncompleteReadError, OSError, asyncio.CancelledError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()

    async def fetch_upstream(self, request: Request) -> tuple[str, list[tuple[str, str]], bytes]:
        assert self.upstream is not None, "no upstream: every request must match a rule"
        host, port = self.upstream.split("://", 1)[1].split(":")
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        headers = [(k, v) for k, v in request.headers if k.lower() not in ("connection", "keep-alive")]
        headers.append(("Connection", "close"))
        head = f"{request.method} {request.target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        up_writer.write(head.encode("latin-1") + b"\r\n" + request.body)
        await up_writer.drain()
        data = await up_reader.read()
        up_writer.close()
        head_bytes, _, body = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        parsed = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
        if any(k.lower() == "transfer-encoding" for k, _ in parsed):
            body = _dechunk(body)
            parsed = [(k, v) for k, v in parsed if k.lower() != "transfer-encoding"]
            parsed.append(("Content-Length", str(len(body))))
        return lines[0], parsed, body

    async def pass_through(self, request: Request, writer: Writer) -> None:
        status, headers, body = await self.fetch_upstream(request)
        kept = [(k, v) for k, v in headers if k.lower() != "connection"] + [("Connection", "close")]
        writer.write(response_bytes(status.split(" ", 1)[1], kept, body))
        await writer.drain()
        await _close(writer)


def _dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:] if line)]
    length = int(next((v for k, v in headers if k.lower() == "content-length"), "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, version, headers, body)


class Canary:
    """A server on another port (another origin): records whatever reaches it and answers 200 {"tasks": []}."""

    def __init__(self) -> None:
        self.proxy = HostileProxy(rules=[(always, json_answer(b'{"tasks": [], "count": 0}'))])

    def __enter__(self) -> Canary:
        self.proxy.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.proxy.stop()

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def requests(self) -> list[Request]:
        return self.proxy.requests


# --- running the suite -------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    code: int
    output: str
    report_dir: Path
    elapsed: float

    def results(self) -> dict[str, Any]:
        return dict(json.loads((self.report_dir / "results.json").read_text(encoding="utf-8")))

    def check(self, name: str) -> dict[str, Any]:
        """The results.json row of the (first) check whose id contains `name`."""
        rows = [c for c in self.results()["checks"] if name in c["id"]]
        assert rows, f"no check {name!r} in results.json; output:\n{self.output[-3000:]}"
        return dict(rows[0])

    def html(self) -> str:
        return (self.report_dir / "conformance.html").read_text(encoding="utf-8")

    def texts(self) -> dict[str, str]:
        """Everything the run wrote: its output and every file in the report directory."""
        out = {"output": self.output}
        for path in sorted(self.report_dir.rglob("*")):
            if path.is_file():
                out[path.name] = path.read_bytes().decode("utf-8", "replace")
        return out


# Bytecode (and pytest's assertion rewrites of the plugins it loads) cached outside the source tree: each run
# starts in about half the time, also where PYTHONDONTWRITEBYTECODE is set.
PYCACHE = Path(tempfile.gettempdir()) / "tasks-conformance-hostile-pycache"


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a suite run: no TASKS_CONFORMANCE_* settings; bytecode cached in PYCACHE."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TASKS_CONFORMANCE_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env.update(extra or {})
    return env


def suite_command(config: Path, report_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "conformance.cli", "run", "--config", str(config), "--report-dir", str(report_dir),
            *args]


def run_suite(config: Path, report_dir: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 90) -> RunResult:
    """`tasks-conformance run --config CONFIG --report-dir DIR ARGS` in a subprocess; ARGS after `--` go to pytest.
    Its tokens are watched and its output kept for the leak scan at the end of the test (conftest.py)."""
    watch_config(config)
    started = time.monotonic()
    proc = subprocess.run(suite_command(config, report_dir, *args), capture_output=True, text=True, timeout=timeout,
                          env=clean_env(env), stdin=subprocess.DEVNULL)
    leaks.record_output(f"output of {' '.join(args) or 'a run'}", proc.stdout + proc.stderr)
    return RunResult(proc.returncode, proc.stdout + proc.stderr, report_dir, time.monotonic() - started)


def watch_config(config: Path) -> None:
    """The tokens of a config file, for the leak scan."""
    with contextlib.suppress(OSError, ValueError):
        target = tomllib.loads(config.read_text(encoding="utf-8")).get("target", {})
        leaks.watch(*(str(target[k]) for k in ("token", "second_token", "admin_token") if target.get(k)))


def write_config(path: Path, target: dict[str, str], **run: str) -> Path:
    """A config file with [target] (url, tokens, template ids) and [run] (FAST unless overridden)."""
    settings: dict[str, Any] = {}
    for key, value in {**FAST, **run}.items():
        settings[key] = _typed(key, value)
    path.write_text(tomli_w.dumps({"target": {k: v for k, v in target.items() if v is not None}, "run": settings}))
    return path


def _typed(key: str, value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    if key in ("fuzz_budget", "max_body_bytes", "max_retries_429", "seed"):
        return int(value)
    try:
        return float(value)
    except ValueError:
        return value


def tokens_of(server: ReferenceServer) -> list[str]:
    """Every secret of the target, whole and halves (a half can leak on its own)."""
    config = server.target_config()
    whole = [config[k] for k in ("token", "second_token", "admin_token")]
    return whole + [part for t in whole for part in t.split("-", 1) if len(part) >= 8]


def assert_no_token(result: RunResult, server: ReferenceServer) -> None:
    for name, text in result.texts().items():
        for secret in tokens_of(server):
            assert secret not in text, f"a token (or half of one) leaked into {name}"


def all_tasks(server: ReferenceServer) -> list[dict[str, Any]]:
    config = server.target_config()
    response = httpx.get(f"{server.url}{server.api_prefix}/tasks",
                         headers={SESSION_HEADER: config["admin_token"]}, timeout=10)
    response.raise_for_status()
    return list(response.json()["tasks"])


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def gzip_json(data: Any) -> bytes:
    return gzip.compress(json.dumps(data).encode())


# --- fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture
def reference() -> Iterator[ReferenceServer]:
    with ReferenceServer(lifecycle_delay=0.01) as server:
        yield server


@pytest.fixture
def proxy(reference: ReferenceServer) -> Iterator[HostileProxy]:
    """A pass-through proxy in front of the reference server; tests add rules."""
    with HostileProxy(upstream=reference.url) as p:
        yield p


@pytest.fixture
def proxied_config(tmp_path: Path, reference: ReferenceServer, proxy: HostileProxy) -> Callable[..., Path]:
    """write(**run settings) -> a config file targeting the reference server through the proxy."""
    def write(**run: str) -> Path:
        target = dict(reference.target_config())
        target["url"] = proxy.url
        return write_config(tmp_path / "target.toml", target, **run)
    return write
