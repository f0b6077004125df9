"""The state of one conformance run: the resolved target, the clients, the tasks it created."""

from __future__ import annotations

import random
import string
import threading
from dataclasses import dataclass, field
from typing import Any

from conformance.contracts.contract import Contract, contract_for
from conformance.contracts.profiles import STABLE, Terms
from conformance.runner.http.client import ApiClient
from conformance.runner.http.readonly import ReadOnlyGate
from conformance.runner.http.transport import HttpTransport
from conformance.runner.records.evidence import EvidenceSink
from conformance.runner.records.redact import Redactor
from conformance.runner.records.traffic import TrafficLog
from conformance.runner.settings.config import Config
from conformance.runner.tasks.ledger import TaskLedger
from conformance.runner.tasks.starts import Starts
from conformance.runner.tasks.waits import Waits

_ALPHABET = string.ascii_lowercase + string.digits


def make_run_prefix(rng: random.Random | None = None) -> str:
    """A short name prefix unique to this run, e.g. 'ct-k3x9q2': every task this run creates starts with it."""
    rng = rng or random.SystemRandom()
    return "ct-" + "".join(rng.choice(_ALPHABET) for _ in range(6))


@dataclass
class RunContext:
    """Everything a check may need about the run; created once per session by the plugin."""

    config: Config
    redactor: Redactor
    prefix: str
    seed: int
    rng: random.Random
    server_version: str | None = None
    terms: Terms = Terms(STABLE, None, "not decided yet")  # what the server is judged by: the preflight decides
    server: Any = None  # the embedded ReferenceServer, when there is one
    ledger: TaskLedger = field(default_factory=lambda: TaskLedger("", {}))  # begin() makes the run's
    evidence: EvidenceSink = field(default_factory=EvidenceSink)  # the log of the check running now
    _clients: dict[str, ApiClient] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0
    fuzz_summary: list[str] = field(default_factory=list)  # the fuzz tiers' summary lines
    starts: Starts = field(default_factory=Starts)  # the tasks created up front (runner/tasks/starts.py)
    waits: Waits = field(default_factory=lambda: Waits(0.0, 0.0))  # begin() makes the run's (deadlines from [run])
    traffic: TrafficLog | None = None  # every exchange of the run (evidence.har); begin() makes the run's
    _transport: HttpTransport | None = None

    @classmethod
    def begin(cls, config: Config, seed: int, server: Any = None, redactor: Redactor | None = None,
              evidence: EvidenceSink | None = None) -> RunContext:
        """A new run: its redactor knows the config's secrets; a fresh task-name prefix; the rng seeded with `seed`;
        a ledger that claims every task the run's creates answer with."""
        redactor = redactor or Redactor()
        for secret, label in config.target.labelled_secrets():
            redactor.add(secret, label)
        prefix = make_run_prefix()
        evidence = evidence or EvidenceSink()
        ledger = TaskLedger(prefix, config.target.tokens(), cause=evidence.cause)
        return cls(config=config, redactor=redactor, prefix=prefix, seed=seed, rng=random.Random(seed),
                   server=server, ledger=ledger, evidence=evidence,
                   waits=Waits(config.run.active_timeout, config.run.poll_interval),
                   traffic=TrafficLog(redactor, evidence.cause))

    @property
    def transport(self) -> HttpTransport:
        """The run's one transport (timeouts, body cap, TLS, pacing, 429 retries; in read-only mode the gate that
        sends no unsafe request with a valid token): every request goes through it, and every exchange past the
        ledger and the traffic log."""
        with self._lock:
            if self._transport is None:
                gate = (ReadOnlyGate(self.config.target.tokens(), self.ledger.holds, self.evidence.cause)
                        if self.config.run.read_only else None)
                self._transport = HttpTransport(self.config.run.http, gate=gate)
                self._transport.watch(self.ledger)
                if self.traffic is not None:
                    self._transport.watch(self.traffic)
            return self._transport

    @property
    def api_prefix(self) -> str:
        """The prefix the run's requests go to: the configured one, else the profile's (once the preflight chose)."""
        configured = self.config.target.api_prefix
        if configured is not None:
            return configured
        assert self.terms is not None, "the preflight chooses the profile before the checks run"
        return self.terms.profile.prefix

    @property
    def contract(self) -> Contract:
        """The OpenAPI document of the profile the preflight chose: what the checks validate bodies against."""
        assert self.terms is not None, "the preflight chooses the profile before the checks run"
        return contract_for(self.terms.profile.name)

    def client(self, role: str) -> ApiClient | None:
        """The client for 'primary', 'second', 'admin' (None if no admin token) or 'anonymous'."""
        return self._client(role, self.api_prefix, role)

    def base_client(self, role: str) -> ApiClient | None:
        """A client of `role` whose paths start at the base URL (the preflight's probes: buildinfo, prefixes)."""
        return self._client(role, "", f"{role}@base")

    def _client(self, role: str, api_prefix: str, key: str) -> ApiClient | None:
        if key not in self._clients:
            t = self.config.target
            token = t.tokens().get(role)
            if role != "anonymous" and token is None:
                return None
            assert t.url is not None, "the target URL is resolved before clients are made"
            self._clients[key] = ApiClient(t.url, api_prefix, token, self.redactor, name=role,
                                           transport=self.transport, evidence=self.evidence)
        return self._clients[key]

    def unique_name(self, label: str) -> str:
        """A valid task name (<= 32 chars) carrying the run prefix and a counter."""
        with self._lock:
            self._counter += 1
            n = self._counter
        label = "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")[:12].strip("-") or "t"
        return f"{self.prefix}-{label}-{n}"

    def clients(self) -> dict[str, ApiClient]:
        """The clients of the configured identities, by role."""
        out = {}
        for role in self.config.target.tokens():
            client = self.client(role)
            if client is not None:
                out[role] = client
        return out

    def reset_clients(self) -> None:
        """Close the clients' connections (e.g. after an interrupt cut a request short); new ones on next use."""
        for c in self._clients.values():
            c.close()
        self._clients.clear()

    def close(self) -> None:
        self.reset_clients()
        if self._transport is not None:
            self._transport.close()
