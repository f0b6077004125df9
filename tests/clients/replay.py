"""Replaying a real client's flows against `tasks-conformance serve`: the server in a subprocess (as a client's own
test would start it), one HTTP session per user, and checks of exactly what the client reads.

A flow is the sequence of requests a client sends for one user action. Each replay sends the client's method,
path, query and body, and checks the fields it reads with the types it parses them as (its zod schema, its Go
struct, its dict lookups) and the statuses it branches on. A failed check names the flow, the route and the field.
Session tokens stay in the sessions' headers: no message repeats them.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# The reference's cast (conformance/reference/conforming/identities.py): what a client's user would configure.
MEMBER = "alice"
TEMPLATE = "ai-tasks"

LIFECYCLE_DELAY = "0.05"  # seconds pending, then initializing: the flows see every start-up status
REPLY_DELAY = "0.05"
READY_TIMEOUT = 20.0
WAIT_TIMEOUT = 10.0
POLL_INTERVAL = 0.02  # the clients poll every 2 to 30 s; against this server a replay polls faster


# -- what a client parses ---------------------------------------------------------------------------------------


class Check:
    """One field's expectation: a predicate and the words a failure uses."""

    def __init__(self, words: str, test: Callable[[Any], bool], *, may_be_absent: bool = False) -> None:
        self.words = words
        self.test = test
        self.may_be_absent = may_be_absent

    def __call__(self, value: Any) -> bool:
        return self.test(value)


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

uuid = Check("a uuid", lambda v: isinstance(v, str) and _UUID.fullmatch(v) is not None)
text = Check("a string", lambda v: isinstance(v, str))
nonempty = Check("a non-empty string", lambda v: isinstance(v, str) and v != "")
integer = Check("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
boolean = Check("a boolean", lambda v: isinstance(v, bool))
# Go's time.Time decodes RFC 3339 only (codersdk's timestamps)
timestamp = Check("an RFC 3339 time", lambda v: isinstance(v, str) and re.fullmatch(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", v) is not None)
email = Check("an e-mail address", lambda v: isinstance(v, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v)
              is not None)


def one_of(*values: str) -> Check:
    return Check(f"one of {', '.join(values)}", lambda v: v in values)


def nullable(check: Check) -> Check:
    return Check(f"null or {check.words}", lambda v: v is None or check(v))


def optional(check: Check) -> Check:
    """May be absent; when present, as ``check`` says."""
    return Check(check.words, check.test, may_be_absent=True)


def array_of(check: Check) -> Check:
    return Check(f"an array of {check.words}", lambda v: isinstance(v, list) and all(check(item) for item in v))


def shaped(fields: dict[str, Check]) -> Check:
    return Check("an object with " + ", ".join(fields), lambda v: not problems(v, fields))


def problems(obj: Any, fields: dict[str, Check]) -> list[str]:
    if not isinstance(obj, dict):
        return [f"expected a JSON object, got {type(obj).__name__}"]
    found = []
    for name, check in fields.items():
        if name not in obj:
            if not check.may_be_absent:
                found.append(f"{name!r} missing")
        elif not check(obj[name]):
            found.append(f"{name!r} = {str(obj[name])[:80]!r} is not {check.words}")
    return found


def reads(obj: Any, fields: dict[str, Check], where: str) -> Any:
    """Assert that ``obj`` has every field the client reads, typed as it parses it; returns ``obj``."""
    found = problems(obj, fields)
    assert not found, f"{where}: " + "; ".join(found)
    return obj


# -- the server and its users ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A running `tasks-conformance serve` and what its written config says."""

    profile: str
    version: str
    url: str
    api_prefix: str
    organization: str
    template_version_id: str
    non_ai_template_version_id: str
    tokens: dict[str, str] = field(repr=False)

    def session(self, who: str = "member") -> Session:
        return Session(self, self.tokens[who], who)


@contextmanager
def serve(profile: str, version: str, lifecycle_delay: str = LIFECYCLE_DELAY) -> Iterator[Served]:
    """Start `tasks-conformance serve` for one release and wait for its config file (written whole)."""
    with tempfile.TemporaryDirectory(prefix="clients-") as tmp:
        config = Path(tmp) / "target.toml"
        command = [sys.executable, "-m", "conformance.cli", "serve", "--profile", profile, "--version", version,
                   "--lifecycle-delay", lifecycle_delay, "--reply-delay", REPLY_DELAY, "--write-config", str(config)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while not config.exists():
                if process.poll() is not None:
                    raise AssertionError(f"serve --profile {profile} --version {version} exited: "
                                         f"{process.stderr.read() if process.stderr else ''}")
                assert time.monotonic() < deadline, f"serve --profile {profile} wrote no config in {READY_TIMEOUT} s"
                time.sleep(POLL_INTERVAL)
            target = tomllib.loads(config.read_text(encoding="utf-8"))["target"]
            yield Served(profile=profile, version=version, url=target["url"], api_prefix=target["api_prefix"],
                         organization=target["organization_name"],
                         template_version_id=target["template_version_id"],
                         non_ai_template_version_id=target["non_ai_template_version_id"],
                         tokens={"member": target["token"], "second": target["second_token"],
                                 "owner": target["admin_token"]})
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


class Session:
    """One user's HTTP session, authenticated as the clients do: the ``Coder-Session-Token`` header."""

    def __init__(self, served: Served, token: str, who: str) -> None:
        self.who = who
        self._client = httpx.Client(base_url=served.url, headers={"Coder-Session-Token": token}, timeout=10.0)

    def send(self, method: str, path: str, *, body: Any = None, params: dict[str, str] | None = None) -> httpx.Response:
        return self._client.request(method, path, json=body, params=params)

    def close(self) -> None:
        self._client.close()


def answer(response: httpx.Response, statuses: tuple[int, ...], flow: str) -> Any:
    """Assert the status is one the client takes as it means to (its ``response.ok``, its expected code); the
    decoded body, or None when there is none."""
    request = response.request
    route = f"{request.method} {request.url.path}" + (f"?{request.url.query.decode()}" if request.url.query else "")
    assert response.status_code in statuses, (
        f"{flow}: {route} answered {response.status_code} (the client needs {_words(statuses)}): "
        f"{response.text[:300]}")
    return response.json() if response.content else None


OK = tuple(range(200, 300))  # fetch's response.ok, httpx's raise_for_status


def _words(statuses: tuple[int, ...]) -> str:
    return "a 2xx" if statuses == OK else " or ".join(map(str, statuses))


def poll(read: Callable[[], Any], until: Callable[[Any], bool], what: str, timeout: float = WAIT_TIMEOUT) -> Any:
    """Read until ``until`` holds, as the client's wait loop does; the last value read."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if until(value):
            return value
        assert time.monotonic() < deadline, f"{what}: not reached in {timeout} s; last read {str(value)[:300]}"
        time.sleep(POLL_INTERVAL)
