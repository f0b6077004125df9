"""Run the reference app in-process: uvicorn in a daemon thread, on an ephemeral port by default."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.types import Scope

from .box import Box, no_box_stats, wanted
from .conforming.app import ReferenceApp
from .conforming.auth import SOURCES, authenticate, extract_token_source
from .conforming.clock import SteppedClock
from .conforming.coder.created import clear_created
from .conforming.generation import Generation, generation
from .conforming.identities import Identities, Randomness, User
from .conforming.store import TaskStore
from .faults import ActiveFaults
from .mock.control_api import ControlGate, is_control
from .mock.controls import Controls, MockUser, TemplateVersions, Users
from .mock.judge import Finding, Judge, summary
from .mock.recording import RecordedRequest, Recorder
from .mock.settling import Settling
from .seams import install
from .variations import ActiveVariations, variations_from_env

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


def _normalize_prefix(prefix: str) -> str:
    stripped = prefix.strip().strip("/")
    if not stripped or any(part == "" for part in stripped.split("/")):
        raise ValueError(f"api_prefix must be a non-empty path like /api/experimental, got {prefix!r}")
    return "/" + stripped


class ReferenceServer:
    """An embedded reference implementation of the Coder AI Tasks API, of one generation and release.

    >>> with ReferenceServer(profile="stable", lifecycle_delay=0) as server:
    ...     config = server.target_config()   # url, tokens, template version ids

    ``profile`` and ``version`` choose the generation and the release it answers as (generation.py; the default
    release of each generation in DEFAULT_VERSIONS; a stable release from v2.37, or v2.36 with
    ``ai_tasks_flag=False``, serves no Tasks API at all); ``api_prefix`` serves under one other prefix instead of the
    generation's. ``faults`` and ``variations`` switch on named deviations (faults.py) and legitimate variations
    (variations.py), defined in switches/; the server puts their seams (seams.py) into the conforming app.
    ``variations=None`` reads TASKS_CONFORMANCE_REFERENCE_VARIATIONS (ValueError on unknown names),
    which is how a suite run turns variations on for its embedded server. ``latency`` (seconds added to every
    answer) and ``rate_limit`` (Coder's limit of requests per ``rate_window`` seconds per user and path, or per
    client IP and path with ``rate_key="ip"`` as before coder/coder#22049; 0: none) make it answer like a
    deployment (box.py); without them the app is served as it is.

    For a client's tests (docs/mock-control-api.md): ``seed`` makes every start the same (users, tokens, ids,
    generated names, and the times shown: conforming/clock.py ``SteppedClock``, a wall clock that starts at
    2025-01-01T00:00:00Z and advances one second per reading of the store, while the lifecycle runs on real time);
    ``control`` also serves the controls (``control``, mock/controls.py) over HTTP under ``/__tasks_mock__/v1``
    (mock/control_api.py); without it that prefix is a route Coder does not have.
    ``findings()`` judges the requests received as a real server of the release would (mock/judge.py); ``stop()``
    prints their summary to stderr unless ``report_findings=False`` (the suite's own runs, which provoke refusals on
    purpose).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        profile: str = "stable",
        version: str | None = None,
        ai_tasks_flag: bool = True,
        api_prefix: str | None = None,
        lifecycle_delay: float = 0.05,
        reply_delay: float = 0.05,
        faults: Iterable[str] = (),
        variations: Iterable[str] | None = None,
        latency: float = 0.0,
        rate_limit: int = 0,
        rate_window: float = 60.0,
        rate_key: str = "user",
        seed: int | None = None,
        control: bool = False,
        report_findings: bool = True,
    ) -> None:
        self.host = host
        self.generation: Generation = generation(profile, version, ai_tasks_flag=ai_tasks_flag)
        self.api_prefix = _normalize_prefix(api_prefix) if api_prefix is not None else self.generation.profile.prefix
        self.seed = seed
        self.identities = Identities.create(Randomness(seed))
        self._clock: Callable[[], float] = SteppedClock() if seed is not None else time.time
        self._faults = ActiveFaults(faults)
        self._variations = ActiveVariations(variations_from_env(os.environ) if variations is None else variations)
        self._lifecycle_delay = lifecycle_delay
        self._store = TaskStore(lifecycle_delay=lifecycle_delay, reply_delay=reply_delay,
                                task_is_workspace=self.generation.legacy,
                                queued_status=self.generation.queued_status,
                                new_id=self.identities.randomness.uuid, clock=self._clock)
        self.app = ReferenceApp(
            identities=self.identities,
            store=self._store,
            generation=self.generation,
            api_prefix=self.api_prefix if api_prefix is not None else None,
        )
        self._box = (Box(self.app, latency=latency, rate_limit=rate_limit, rate_window=rate_window, rate_key=rate_key)
                     if wanted(latency, rate_limit, rate_window, rate_key) else None)
        self.start_switches = (self._faults.names, self._variations.names)
        self.control = Controls(self)
        served = self._box if self._box is not None else self.app
        self._recorder = Recorder(ControlGate(served, self, enabled=control), identify=self._username)
        self._settling = Settling(self._recorder)
        self._judge = Judge(self.generation, self._recorder, self._settling, served_prefixes=self.app.served_prefixes,
                            rows=lambda: self.app.store.rows(), enforces_rate_limit=rate_limit > 0)
        self._report_findings = report_findings
        self._compose()
        self._requested_port = port
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _compose(self) -> None:
        """The conforming app with the seams of the faults and then the variations switched on."""
        install(self.app, [*self._faults.seams(), *self._variations.seams(), *self.control.seams()])

    def recompose(self) -> None:
        """Put the seams in again (a control changed what it answers)."""
        self._compose()

    def set_switches(self, faults: Iterable[str], variations: Iterable[str]) -> None:
        """Replace the enabled faults and variations at once (ValueError on unknown names)."""
        self._faults.set(faults)
        self._variations.set(variations)
        self._compose()

    def restart(self, users: Iterable[str], templates: Iterable[str]) -> None:
        """Back to the start: only these users and templates, no task, no recorded request; with a seed, the same
        ids, tokens and shown times again."""
        self.identities.restart(tuple(users), tuple(templates))
        self._store.clear()
        clear_created(self.app)
        if isinstance(self._clock, SteppedClock):
            self._clock.restart()
        self._settling.wait()  # the record of a request already answered lands before the records are cleared
        self._recorder.clear()

    def set_variations(self, names: Iterable[str]) -> None:
        """Replace the enabled variations (ValueError on unknown names); takes effect for the next request
        (lifecycle variations for the next task created; preexisting tasks are added when switched on)."""
        self._variations.set(names)
        self.control.based_on(variations=self._variations.names)

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> ReferenceServer:
        """Start serving; returns once the socket is listening. RuntimeError if it cannot listen."""
        if self._thread is not None:
            raise RuntimeError("the reference server is already started")
        sock = self._bind()
        config = uvicorn.Config(
            self._judge.created,
            log_level="warning",
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        failure: list[BaseException] = []

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as error:  # noqa: BLE001 - reported by start(), not lost in the thread
                failure.append(error)

        thread = threading.Thread(target=serve, name="tasks-reference-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(_STOP_TIMEOUT)
                sock.close()
                reason = f": {failure[0]!r}" if failure else ""
                raise RuntimeError(f"the reference server did not start{reason}")
            time.sleep(0.005)
        self._port = int(sock.getsockname()[1])
        self._server, self._thread = server, thread
        return self

    def _bind(self) -> socket.socket:
        """Bind in the caller's thread, so that 'address in use' is an immediate, clear error."""
        try:
            infos = socket.getaddrinfo(self.host, self._requested_port, type=socket.SOCK_STREAM)
            family, kind, proto, _, address = infos[0]
            sock = socket.socket(family, kind, proto)
        except OSError as error:
            raise RuntimeError(f"cannot listen on {self.host}:{self._requested_port}: {error}") from error
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
        except OSError as error:
            sock.close()
            raise RuntimeError(f"cannot listen on {self.host}:{self._requested_port}: {error}") from error
        sock.setblocking(False)
        return sock

    def stop(self) -> None:
        """Shut down cleanly and join the server thread. Safe to call twice."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(_STOP_TIMEOUT)
        self._server = self._thread = None
        told = summary(self._judge.findings(settle=False), self.generation) if self._report_findings else ""
        if told:
            print(told, file=sys.stderr, flush=True)

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what clients need ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the reference server is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL without the API prefix, e.g. ``http://127.0.0.1:54321``."""
        host = self.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def target_config(self) -> dict[str, str]:
        """What a suite run needs to target this server (contains session tokens: keep it out of reports)."""
        ids = self.identities
        return {
            "url": self.url,
            "api_prefix": self.api_prefix,
            "token": ids.alice.token.value,
            "second_token": ids.bob.token.value,
            "admin_token": ids.admin.token.value,
            "template_version_id": ids.ai_template.version.id,
            "non_ai_template_version_id": ids.plain_template.version.id,
            "organization_name": ids.org.name,
        }

    # -- switches and diagnostics ----------------------------------------------------------------------

    def set_faults(self, names: Iterable[str]) -> None:
        """Replace the enabled faults (ValueError on unknown names); takes effect for the next request."""
        self._faults.set(names)
        self.control.based_on(faults=self._faults.names)

    @property
    def faults(self) -> frozenset[str]:
        return self._faults.names

    @property
    def variations(self) -> frozenset[str]:
        return self._variations.names

    def box_stats(self) -> dict[str, Any]:
        """The box's counters (box.py ``Box.stats``): answers, 429s, and per (user or IP, path) its requests and
        highest sliding-window rate; ``{"installed": False, ...}`` without latency and rate limit."""
        return self._box.stats() if self._box is not None else no_box_stats()

    def requests(self) -> list[RecordedRequest]:
        """Every request of a client received so far and what it was answered, oldest first (mock/recording.py);
        the values of secret headers are masked, and a session token is known only by the username it names.
        Requests to the control API (operation ``mock:<control>``) are left out.
        A request whose answer the caller already has is in it (mock/settling.py)."""
        self._settling.wait()
        return [request for request in self._recorder.requests() if not is_control(request.operation)]

    @property
    def users(self) -> Users:
        """The member, the second member and the owner every server starts with (name, id, token)."""
        ids = self.identities
        return Users(member=MockUser.of(ids.alice), second_member=MockUser.of(ids.bob), owner=MockUser.of(ids.admin))

    @property
    def template_versions(self) -> TemplateVersions:
        """The ids of the template version with an AI task and of the one without."""
        ids = self.identities
        return TemplateVersions(ai=ids.ai_template.version.id, plain=ids.plain_template.version.id)

    def findings(self) -> list[Finding]:
        """What a real Coder of the served release would not do or accept of the requests received so far, one
        finding each, in the order of the requests (mock/judge.py): routes the release lacks, bodies and queries its
        contract refuses, rates its rate limit refuses, Retry-After not waited for, tasks created and not deleted."""
        return self._judge.findings()

    def findings_summary(self) -> str:
        """The findings in a few lines, for a person; empty when there are none. ``stop()`` prints it to stderr."""
        return summary(self.findings(), self.generation)

    def _username(self, scope: Scope) -> str | None:
        request = Request(scope)
        token, _ = extract_token_source(request.headers, request.query_params.multi_items(), SOURCES)
        user = authenticate(token, self.identities) if token else None
        return user.username if isinstance(user, User) else None

    @property
    def unexpected_errors(self) -> list[str]:
        """Tracebacks of exceptions the handlers did not expect (each answered as Coder answers one: 500)."""
        return list(self.app.unexpected_errors)
