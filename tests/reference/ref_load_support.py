"""A seeded, bounded load generator for the reference server, shared by its load self-test and its benchmark.

Several clients (one thread and one ``httpx.Client`` each) send a fixed number of requests drawn from a seeded
mix: valid and malformed creates, gets, lists with and without ``q`` (valid and malformed), sends, logs,
deletes, bad tokens and unknown routes. Every answer is checked against the status the contract gives for it
(never a 5xx), every list's ``count`` against ``len(tasks)``, and each client tracks the tasks it created and
deleted, so that ``verify`` can check afterwards that no task was lost, duplicated or resurrected.

Each client only ever deletes its own tasks, so at any moment its live tasks must be in its user's list and
its deleted ones must not. Problems are collected (never raised in the client threads) and never contain a
session token: tokens travel in headers and messages only show methods, paths and statuses.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.reference import ReferenceServer

USERS = ("alice", "bob", "admin")
_MAX_PROBLEMS = 50

# (operation, weight): the request mix. Weights are relative; the draw is seeded per client.
MIX: tuple[tuple[str, int], ...] = (
    ("create", 14),
    ("create_invalid_name", 4),
    ("create_malformed_json", 3),
    ("create_duplicate_name", 2),
    ("create_unknown_user", 1),
    ("get", 12),
    ("get_deleted", 3),
    ("get_unknown", 2),
    ("get_foreign", 3),
    ("list", 10),
    ("list_q", 8),
    ("list_q_malformed", 5),
    ("send", 8),
    ("send_invalid", 3),
    ("logs", 6),
    ("delete", 8),
    ("delete_deleted", 2),
    ("bad_token", 5),
    ("unknown_route", 4),
)

INVALID_NAMES = ("bad name", "-leading", "trailing-", "double--hyphen", "new", "CREATE", "x" * 33, "ünïcode", "a_b")
MALFORMED_BODIES = (b"", b"{", b'{"input": ', b"[1, 2]", b"null", b'"text"', b"\xff\xfe", b'{"input": NaN}')
MALFORMED_QUERIES = (
    "foo:bar",
    ":me",
    "owner:",
    "owner:a:b",
    "owner:nosuchuser",
    "organization:nosuchorg",
    "status:bogus",
)
PROMPTS = ("Write a haiku", "Fix the flaky test", "Refactor the parser", "", "   ", "Summarise the logs")


@dataclass(frozen=True)
class LoadConfig:
    clients: int = 8
    requests_per_client: int = 260
    seed: int = 20251107
    time_budget: float = 60.0  # seconds; a client stops early (and says so) when it runs out
    request_timeout: float = 10.0

    @property
    def total_requests(self) -> int:
        return self.clients * self.requests_per_client


@dataclass
class Tracked:
    id: str
    name: str
    owner: str  # username


@dataclass
class ClientRun:
    index: int
    user: str
    live: dict[str, Tracked] = field(default_factory=dict)
    deleted: dict[str, Tracked] = field(default_factory=dict)
    requests: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    problems: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    stopped_early: bool = False


@dataclass
class LoadResult:
    config: LoadConfig
    runs: list[ClientRun]
    wall_seconds: float

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def server_errors(self) -> int:
        return sum(run.server_errors for run in self.runs)

    @property
    def problems(self) -> list[str]:
        return [problem for run in self.runs for problem in run.problems]

    @property
    def stopped_early(self) -> bool:
        return any(run.stopped_early for run in self.runs)

    @property
    def operations(self) -> Counter[str]:
        return sum((run.operations for run in self.runs), Counter())

    @property
    def statuses(self) -> Counter[int]:
        return sum((run.statuses for run in self.runs), Counter())

    def latency_percentiles(self) -> dict[str, float]:
        values = sorted(latency for run in self.runs for latency in run.latencies)
        if not values:
            return {}

        def pick(fraction: float) -> float:
            return values[min(len(values) - 1, int(fraction * len(values)))]

        return {"p50_ms": pick(0.5) * 1000, "p95_ms": pick(0.95) * 1000, "max_ms": values[-1] * 1000}


class _Shared:
    """What clients know of each other: every task any client created (append-only, under a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._created: list[Tracked] = []

    def add(self, task: Tracked) -> None:
        with self._lock:
            self._created.append(task)

    def pick(self, rng: random.Random) -> Tracked | None:
        with self._lock:
            return rng.choice(self._created) if self._created else None


class _Client:
    def __init__(self, run: ClientRun, config: dict[str, str], load: LoadConfig, shared: _Shared, seed: int) -> None:
        self.run = run
        self.user = run.user
        self.is_admin = run.user == "admin"
        self.prefix = config["api_prefix"]
        self.tokens = {"alice": config["token"], "bob": config["second_token"], "admin": config["admin_token"]}
        self.version = config["template_version_id"]
        self.org = config["organization_name"]
        self.shared = shared
        self.rng = random.Random(seed)
        self.http = httpx.Client(base_url=config["url"], timeout=load.request_timeout)
        self.names = 0
        ops, weights = zip(*MIX, strict=True)
        self._ops: list[str] = list(ops)
        self._weights: list[int] = list(weights)

    # -- plumbing ------------------------------------------------------------------------------------

    def close(self) -> None:
        self.http.close()

    def problem(self, text: str) -> None:
        if len(self.run.problems) < _MAX_PROBLEMS:
            self.run.problems.append(f"client {self.run.index} ({self.user}): {text}")

    def call(
        self,
        op: str,
        method: str,
        path: str,
        expected: set[int],
        *,
        token: str | None = "",
        prefixed: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response | None:
        """One request; ``token`` '' means this client's own, None means none at all."""
        headers = dict(headers or {})
        chosen = self.tokens[self.user] if token == "" else token
        if chosen is not None:
            headers["Coder-Session-Token"] = chosen
        url = self.prefix + path if prefixed else path
        self.run.requests += 1
        self.run.operations[op] += 1
        started = time.perf_counter()
        try:
            response = self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            self.problem(f"{op}: {method} {url}: transport error {error.__class__.__name__}: {error}")
            return None
        finally:
            self.run.latencies.append(time.perf_counter() - started)
        self.run.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.run.server_errors += 1
        if response.status_code not in expected:
            self.problem(
                f"{op}: {method} {url}: status {response.status_code}, expected {sorted(expected)}: "
                f"{response.text[:200]!r}"
            )
            return None
        return response

    def json(self, op: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            self.problem(f"{op}: {response.request.method} {response.request.url.path}: body is not JSON")
            return None

    def pick_live(self) -> Tracked | None:
        return self.rng.choice(list(self.run.live.values())) if self.run.live else None

    def pick_deleted(self) -> Tracked | None:
        return self.rng.choice(list(self.run.deleted.values())) if self.run.deleted else None

    def task_path(self, task: Tracked, suffix: str = "") -> str:
        """Address a task by uuid (via me or the owner's name) or, now and then, by its name."""
        style = self.rng.random()
        if style < 0.15:
            return f"/tasks/{task.owner}/{task.name}{suffix}"
        user = "me" if task.owner == self.user and style < 0.6 else task.owner
        return f"/tasks/{user}/{task.id}{suffix}"

    def new_name(self) -> str:
        self.names += 1
        return f"load{self.run.index}-{self.names}"

    # -- the operations ------------------------------------------------------------------------------

    def step(self) -> None:
        op = self.rng.choices(self._ops, self._weights)[0]
        getattr(self, f"op_{op}")(op)

    def op_create(self, op: str) -> None:
        owner = "alice" if self.is_admin and self.rng.random() < 0.3 else self.user
        body: dict[str, Any] = {"input": self.rng.choice(PROMPTS), "template_version_id": self.version}
        if self.rng.random() < 0.6:
            body["name"] = self.new_name()
        response = self.call(op, "POST", f"/tasks/{'me' if owner == self.user else owner}", {201}, json=body)
        task = self.json(op, response) if response is not None else None
        if not isinstance(task, dict):
            return
        if task.get("owner_name") != owner or ("name" in body and task.get("name") != body["name"]):
            self.problem(f"{op}: created task has owner {task.get('owner_name')!r} and name {task.get('name')!r}")
        tracked = Tracked(id=str(task.get("id")), name=str(task.get("name")), owner=owner)
        self.run.live[tracked.id] = tracked
        self.shared.add(tracked)

    def op_create_invalid_name(self, op: str) -> None:
        body = {"input": "x", "name": self.rng.choice(INVALID_NAMES), "template_version_id": self.version}
        self.call(op, "POST", "/tasks/me", {400}, json=body)

    def op_create_malformed_json(self, op: str) -> None:
        body = self.rng.choice(MALFORMED_BODIES)
        self.call(op, "POST", "/tasks/me", {400}, content=body, headers={"Content-Type": "application/json"})

    def op_create_duplicate_name(self, op: str) -> None:
        task = self.pick_live()
        if task is None:
            return self.op_create("create")
        name = task.name.upper() if self.rng.random() < 0.5 else task.name
        body = {"input": "again", "name": name, "template_version_id": self.version}
        user = "me" if task.owner == self.user else task.owner
        self.call(op, "POST", f"/tasks/{user}", {409}, json=body)
        return None

    def op_create_unknown_user(self, op: str) -> None:
        body = {"input": "x", "template_version_id": self.version}
        self.call(op, "POST", f"/tasks/nosuchuser{self.rng.randrange(1000)}", {400}, json=body)

    def op_get(self, op: str) -> None:
        task = self.pick_live()
        if task is None:
            return self.op_create("create")
        response = self.call(op, "GET", self.task_path(task), {200})
        body = self.json(op, response) if response is not None else None
        if isinstance(body, dict) and (body.get("id") != task.id or body.get("owner_name") != task.owner):
            self.problem(f"{op}: got {body.get('id')!r} owned by {body.get('owner_name')!r} for {task}")
        return None

    def op_get_deleted(self, op: str) -> None:
        task = self.pick_deleted()
        if task is None:
            return self.op_get_unknown("get_unknown")
        self.call(op, "GET", self.task_path(task), {404})
        return None

    def op_get_unknown(self, op: str) -> None:
        self.call(op, "GET", f"/tasks/me/{uuid.UUID(int=self.rng.getrandbits(128), version=4)}", {404})

    def op_get_foreign(self, op: str) -> None:
        """Any client's task: another member's is always 404; one's own or (as admin) anyone's is 200 or 404
        (another client may have deleted it meanwhile)."""
        task = self.shared.pick(self.rng)
        if task is None:
            return self.op_get_unknown("get_unknown")
        mine = self.is_admin or task.owner == self.user
        if task.id in self.run.deleted:
            expected = {404}
        elif task.id in self.run.live:
            expected = {200}
        else:
            expected = {200, 404} if mine else {404}
        self.call(op, "GET", f"/tasks/{task.owner}/{task.id}", expected)
        return None

    def check_list(self, op: str, response: httpx.Response | None, live_before: set[str], owner: str | None) -> None:
        body = self.json(op, response) if response is not None else None
        if body is None:
            return
        tasks = body.get("tasks") if isinstance(body, dict) else None
        if not isinstance(tasks, list) or body.get("count") != len(tasks):
            self.problem(f"{op}: count {body.get('count')!r} != len(tasks) or tasks not a list")
            return
        ids = [task.get("id") for task in tasks]
        if len(ids) != len(set(ids)):
            self.problem(f"{op}: a task is listed twice")
        owners = {task.get("owner_name") for task in tasks}
        if owner is not None and owners - {owner}:
            self.problem(f"{op}: list filtered to {owner} shows tasks of {sorted(owners - {owner})}")
        listed = set(ids)
        missing = {i for i in live_before if i in self.run.live} - listed
        if missing:
            self.problem(f"{op}: {len(missing)} live task(s) of this client missing from the list")
        resurrected = listed & set(self.run.deleted)
        if resurrected:
            self.problem(f"{op}: {len(resurrected)} deleted task(s) of this client listed")

    def own_live_ids(self, owner: str | None) -> set[str]:
        return {t.id for t in self.run.live.values() if owner is None or t.owner == owner}

    def op_list(self, op: str) -> None:
        live = self.own_live_ids(None if self.is_admin else self.user)
        response = self.call(op, "GET", "/tasks", {200})
        self.check_list(op, response, live, None if self.is_admin else self.user)

    def op_list_q(self, op: str) -> None:
        choices: list[tuple[str, str | None]] = [
            ("owner:me", self.user),
            (f"owner:{self.user}", self.user),
            (f'owner:"{self.user.upper()}"', self.user),
            (self.user, self.user),
            ("OWNER:ME", self.user),
            (f"organization:{self.org}", None if self.is_admin else self.user),
            ("status:active", None if self.is_admin else self.user),
            ("", None if self.is_admin else self.user),
        ]
        if self.is_admin:
            choices.append(("owner:alice", "alice"))
        q, owner = self.rng.choice(choices)
        live = self.own_live_ids(owner)
        response = self.call(op, "GET", "/tasks", {200}, params={"q": q})
        self.check_list(op, response, live, owner)

    def op_list_q_malformed(self, op: str) -> None:
        q = self.rng.choice(MALFORMED_QUERIES)
        response = self.call(op, "GET", "/tasks", {400}, params={"q": q})
        body = self.json(op, response) if response is not None else None
        if body is not None and (not isinstance(body, dict) or not body.get("validations")):
            self.problem(f"{op}: q={q!r}: 400 without validations")

    def op_send(self, op: str) -> None:
        task = self.pick_live()
        if task is None:
            return self.op_create("create")
        self.call(op, "POST", self.task_path(task, "/send"), {204}, json={"input": f"step {self.run.requests}"})
        return None

    def op_send_invalid(self, op: str) -> None:
        deleted = self.pick_deleted()
        live = self.pick_live()
        roll = self.rng.random()
        if deleted is not None and roll < 0.3:
            self.call(op, "POST", self.task_path(deleted, "/send"), {404}, json={"input": "late"})
        elif live is not None and roll < 0.65:
            self.call(op, "POST", self.task_path(live, "/send"), {400}, json={"input": ""})
        elif live is not None:
            body = self.rng.choice(MALFORMED_BODIES)
            self.call(op, "POST", self.task_path(live, "/send"), {400}, content=body)
        else:
            self.op_get_unknown("get_unknown")

    def op_logs(self, op: str) -> None:
        task = self.pick_live()
        if task is None:
            return self.op_create("create")
        response = self.call(op, "GET", self.task_path(task, "/logs"), {200})
        body = self.json(op, response) if response is not None else None
        if body is not None and not (isinstance(body, dict) and isinstance(body.get("logs"), list)):
            self.problem(f"{op}: logs body is not {{'logs': [...]}}")
        deleted = self.pick_deleted()
        if deleted is not None and self.rng.random() < 0.2:
            self.call(op, "GET", self.task_path(deleted, "/logs"), {404})
        return None

    def op_delete(self, op: str) -> None:
        task = self.pick_live()
        if task is None:
            return self.op_create("create")
        response = self.call(op, "DELETE", self.task_path(task), {202})
        if response is not None:
            del self.run.live[task.id]
            self.run.deleted[task.id] = task
            if response.content:
                self.problem(f"{op}: 202 with a body")
        return None

    def op_delete_deleted(self, op: str) -> None:
        task = self.pick_deleted()
        if task is None:
            return self.op_get_unknown("get_unknown")
        self.call(op, "DELETE", f"/tasks/{task.owner}/{task.id}", {404})
        return None

    def op_bad_token(self, op: str) -> None:
        real = self.tokens[self.user]
        token = self.rng.choice(
            [
                None,
                "not-a-token",
                real[:11] + "x" * 22,  # right id, wrong secret
                "abcdefghij-" + "y" * 22,  # well-formed, unknown id
                real + "z",
            ]
        )
        task = self.pick_live()
        method, path, extra = self.rng.choice(
            [
                ("GET", "/tasks", {}),
                ("POST", "/tasks/me", {"json": {"input": "x", "template_version_id": self.version}}),
                ("GET", f"/tasks/me/{task.id if task else uuid.uuid4()}", {}),
                ("DELETE", f"/tasks/me/{task.id if task else uuid.uuid4()}", {}),
                ("GET", "/no/such/route", {}),
            ]
        )
        self.call(op, method, path, {401}, token=token, **extra)

    def op_unknown_route(self, op: str) -> None:
        method, path, prefixed, expected = self.rng.choice(
            [
                ("GET", "/nope", True, {404}),
                ("GET", "/tasks/me/x/y/z", True, {404}),
                ("GET", f"/tasks/me/{uuid.uuid4()}/logs/extra", True, {404}),
                ("PUT", "/tasks", True, {405}),
                ("PATCH", f"/tasks/me/{uuid.uuid4()}", True, {405}),
                ("GET", "/", False, {404}),
                ("GET", "/api/v2/tasks", False, {404}),
            ]
        )
        self.call(op, method, path, expected, prefixed=prefixed)


def run_load(server: ReferenceServer, load: LoadConfig) -> LoadResult:
    """Run the load against a started server; returns once every client has sent its requests (or timed out)."""
    config = server.target_config()
    shared = _Shared()
    runs = [ClientRun(index=i, user=USERS[i % len(USERS)]) for i in range(load.clients)]
    clients = [_Client(run, config, load, shared, seed=load.seed * 1000 + run.index) for run in runs]
    barrier = threading.Barrier(load.clients + 1)
    deadline = time.monotonic() + load.time_budget

    def work(client: _Client) -> None:
        barrier.wait()
        try:
            # the budget counts requests (a step sends one, now and then two)
            while client.run.requests < load.requests_per_client:
                if time.monotonic() > deadline:
                    client.run.stopped_early = True
                    break
                client.step()
        except Exception as error:  # noqa: BLE001 - reported as a problem, never lost in the thread
            client.problem(f"client crashed: {error.__class__.__name__}: {error}")

    threads = [threading.Thread(target=work, args=(c,), name=f"load-client-{c.run.index}") for c in clients]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for client in clients:
        client.close()
    return LoadResult(config=load, runs=runs, wall_seconds=wall)


def verify(server: ReferenceServer, result: LoadResult) -> list[str]:
    """After the load: every tracked live task is retrievable and listed once for its owner (and the admin);
    every deleted one is 404 and listed nowhere; list counts match the tracked live tasks."""
    config = server.target_config()
    tokens = {"alice": config["token"], "bob": config["second_token"], "admin": config["admin_token"]}
    live = {task.id: task for run in result.runs for task in run.live.values()}
    deleted = {task.id: task for run in result.runs for task in run.deleted.values()}
    problems: list[str] = []
    with httpx.Client(base_url=config["url"] + config["api_prefix"], timeout=10.0) as http:

        def listing(user: str) -> list[str]:
            response = http.get("/tasks", headers={"Coder-Session-Token": tokens[user]})
            if response.status_code != 200:
                problems.append(f"final list as {user}: status {response.status_code}")
                return []
            body = response.json()
            if body["count"] != len(body["tasks"]):
                problems.append(f"final list as {user}: count {body['count']} != {len(body['tasks'])} tasks")
            return [task["id"] for task in body["tasks"]]

        lists = {user: Counter(listing(user)) for user in USERS}
        for task in live.values():
            response = http.get(f"/tasks/{task.owner}/{task.id}", headers={"Coder-Session-Token": tokens[task.owner]})
            if response.status_code != 200 or response.json().get("id") != task.id:
                problems.append(f"live task {task.id} ({task.owner}): GET answered {response.status_code}")
            for user in (task.owner, "admin"):
                if lists[user][task.id] != 1:
                    problems.append(f"live task {task.id} ({task.owner}) listed {lists[user][task.id]}x for {user}")
        for task in deleted.values():
            response = http.get(f"/tasks/{task.owner}/{task.id}", headers={"Coder-Session-Token": tokens["admin"]})
            if response.status_code != 404:
                problems.append(f"deleted task {task.id} ({task.owner}): GET answered {response.status_code}")
            for user in USERS:
                if lists[user][task.id]:
                    problems.append(f"deleted task {task.id} ({task.owner}) still listed for {user}")
        for user in ("alice", "bob"):
            expected = sum(1 for task in live.values() if task.owner == user)
            if sum(lists[user].values()) != expected:
                problems.append(f"{user}'s list has {sum(lists[user].values())} tasks, {expected} are live")
        if sum(lists["admin"].values()) != len(live):
            problems.append(f"the admin's list has {sum(lists['admin'].values())} tasks, {len(live)} are live")
    return problems
