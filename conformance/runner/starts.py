"""Start what is slow first: the tasks a run will need active are created up front, together.

On a deployment a task takes tens of seconds to minutes to become active. Created one check after another, a run
pays that start-up once per check that needs an active task; created together at the start (after the preflight),
their start-ups overlap with each other and with the checks that need no active task, and the run pays about one.

A fixture or check that needs an active task declares it with `@up_front(role, label)`; the run creates one task per
declaration that a selected check uses (by fixture name or check name) and `TaskFactory.create(client, label)` hands
it over instead of creating one. The create's exchanges become evidence of the check that takes the task; a task
nobody took is removed by the final sweep like every task of the run.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from conformance.runner.client import TransportError
from conformance.runner.evidence import EvidenceLog

F = TypeVar("F", bound=Callable[..., Any])
MAX_PARALLEL = 4  # creates in flight at once


@dataclass(frozen=True)
class Order:
    """One task to start up front: whose (a client role) and for what (the label its check creates it with)."""

    role: str
    label: str


ORDERS: dict[str, Order] = {}  # fixture or check name -> the task it needs started
FIRST: set[str] = set()  # fixtures that watch a task of their own from its create: their modules run first


def up_front(role: str, label: str) -> Callable[[F], F]:
    """Declare that a fixture or check (the decorated function; put it under @pytest.fixture) needs an active task
    of `role`, which it creates with `label`: the run starts it up front."""

    def mark(func: F) -> F:
        ORDERS[func.__name__] = Order(role, label)
        return func

    return mark


def watches_from_create(func: F) -> F:
    """Declare that a fixture watches a task it creates itself from the create on (its start-up cannot be had up
    front): the run puts its module first, so that its wait overlaps with the up-front start-ups."""
    FIRST.add(func.__name__)
    return func


def run_order(names: Iterable[str]) -> int:
    """Where a module goes, from the names its checks use: 0 (watches its own task start: first), 1 (needs no
    started task), 2 (needs a task started up front: last, when the start-ups are over)."""
    used = set(names)
    if used & FIRST:
        return 0
    return 2 if used & ORDERS.keys() else 1


def orders_for(names_per_check: Iterable[Iterable[str]]) -> list[Order]:
    """The orders of the selected checks (each given as the names it uses: its fixtures and its own), in order."""
    out: list[Order] = []
    for names in names_per_check:
        for name in names:
            order = ORDERS.get(name)
            if order is not None and order not in out:
                out.append(order)
    return out


@dataclass
class Started:
    """A create sent up front: its answer (or why there is none), its exchanges, and when it was sent."""

    order: Order
    sent_at: float
    response: httpx.Response | None = None
    error: TransportError | None = None
    log: EvidenceLog = field(default_factory=EvidenceLog)


Create = Callable[[Order, EvidenceLog], httpx.Response]


class Starts:
    """The run's up-front creates: sent in parallel by `begin`, handed over once each by `take`."""

    def __init__(self) -> None:
        self._futures: dict[Order, concurrent.futures.Future[Started]] = {}
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def begin(self, orders: Iterable[Order], create: Create) -> None:
        """Send one create per order, MAX_PARALLEL at a time, in the background."""
        orders = [o for o in orders if o not in self._futures]
        if not orders:
            return
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(MAX_PARALLEL, thread_name_prefix="tasks-start")
        for order in orders:
            self._futures[order] = self._pool.submit(self._send, order, create)

    @staticmethod
    def _send(order: Order, create: Create) -> Started:
        started = Started(order, time.monotonic())
        try:
            started.response = create(order, started.log)
        except TransportError as exc:
            started.error = exc
        return started

    def take(self, role: str, label: str) -> Started | None:
        """The create started for (role, label), once (waiting for its answer if it is still on the wire); None when
        none was started or it was taken already."""
        with self._lock:
            future = self._futures.pop(Order(role, label), None)
        return future.result() if future is not None else None

    def close(self) -> list[Started]:
        """Cancel what has not been sent, wait for what is on the wire; the creates no check took."""
        with self._lock:
            pool, self._pool = self._pool, None
            futures, self._futures = list(self._futures.values()), {}
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        return [f.result() for f in futures if f.done() and not f.cancelled()]
