"""Start what is slow first: the tasks a run will need active are created up front, together.

On a deployment a task takes tens of seconds to minutes to become active. Created one check after another, a run
pays that start-up once per check that needs an active task; created together at the start (after the preflight),
their start-ups overlap with each other and with the checks that need no active task, and the run pays about one.

A fixture or check that needs an active task declares it with `@up_front(role, label)`; the run creates one task per
declaration that a selected check uses (by fixture name or check name) and `TaskFactory.create(client, label)` hands
it over instead of creating one. A check that watches its task from the create on (the lifecycle) declares a
`watch`, which follows the task in the background from its answer on. The create's exchanges (and the watch's)
become evidence of the check that takes the task; a task nobody took is deleted at the end of the run.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from conformance.runner.http.client import TransportError
from conformance.runner.http.transport import NotSent
from conformance.runner.records.evidence import EvidenceLog

F = TypeVar("F", bound=Callable[..., Any])
MAX_PARALLEL = 4  # creates in flight at once


@dataclass(frozen=True)
class Order:
    """One task to start up front: whose (a client role), for what (the label its check creates it with), and what
    follows its create in the background (`watch(run, client, task, log, stopping)`, called by the run's
    `Follow`; None: nothing)."""

    role: str
    label: str
    watch: Watch | None = None


Watch = Callable[..., Any]
ORDERS: dict[str, Order] = {}  # fixture or check name -> the task it needs started


def up_front(role: str, label: str, watch: Watch | None = None) -> Callable[[F], F]:
    """Declare that a fixture or check (the decorated function; put it under @pytest.fixture) needs a task of
    `role`, which it creates with `label`: the run creates it up front (and runs `watch` after the create)."""

    def mark(func: F) -> F:
        # pytest names a check's fixtures by name only (no public way from an item to its fixtures' functions), so
        # the declarations are keyed by name: a second fixture or check of the same name declaring another task
        # would take the first one's place unseen; it is refused when its module loads instead.
        order, known = Order(role, label, watch), ORDERS.get(func.__name__)
        if known is not None and known != order:
            raise ValueError(f"{func.__name__} declares an up-front task ({label!r}) and another fixture or check of "
                             f"that name already declares one ({known.label!r}): give one of them another name")
        ORDERS[func.__name__] = order
        return func

    return mark


def run_order(names: Iterable[str]) -> int:
    """Where a module goes, from the names its checks use: 1 (needs no task started up front: first, while they
    start) or 2 (needs one: last)."""
    return 2 if set(names) & ORDERS.keys() else 1


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
    error: TransportError | NotSent | None = None  # NotSent: read-only mode kept the create back
    log: EvidenceLog = field(default_factory=EvidenceLog)
    watched: Any = None  # what the order's watch returned
    watching: concurrent.futures.Future[Any] | None = None  # the watch, while it runs


Create = Callable[[Order, EvidenceLog], httpx.Response]
Follow = Callable[[Order, httpx.Response, EvidenceLog, threading.Event], Any]  # runs order.watch; must not raise


class Starts:
    """The run's up-front creates: sent in parallel by `begin`, handed over once each by `take`."""

    def __init__(self) -> None:
        self._futures: dict[tuple[str, str], concurrent.futures.Future[Started]] = {}  # by (role, label)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._watches: concurrent.futures.ThreadPoolExecutor | None = None  # watches never hold up a create
        self._answered: list[threading.Event] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()  # set by close(): watches end at their next pause

    def begin(self, orders: Iterable[Order], create: Create, follow: Follow | None = None) -> None:
        """Send one create per order, MAX_PARALLEL at a time, in the background; `follow` each answer of an order
        with a watch."""
        orders = [o for o in orders if (o.role, o.label) not in self._futures]
        if not orders:
            return
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(MAX_PARALLEL, thread_name_prefix="tasks-start")
            watched = sum(1 for o in orders if o.watch is not None) or 1
            self._watches = concurrent.futures.ThreadPoolExecutor(watched, thread_name_prefix="tasks-watch")
        for order in orders:
            answered = threading.Event()
            self._answered.append(answered)
            self._futures[(order.role, order.label)] = self._pool.submit(self._send, order, create, follow, answered)

    def _send(self, order: Order, create: Create, follow: Follow | None, answered: threading.Event) -> Started:
        started = Started(order, time.monotonic())
        try:
            started.response = create(order, started.log)
        except (TransportError, NotSent) as exc:
            started.error = exc
            return started
        finally:
            answered.set()
        if order.watch is not None and follow is not None and self._watches is not None:
            response = started.response
            started.watching = self._watches.submit(follow, order, response, started.log, self.stopping)
        return started

    def wait_answered(self, timeout: float) -> None:
        """Until every create sent so far has its answer (or `timeout`): from then on every task the ledger claims
        is a check's (the fuzz tiers delete the tasks created while they run)."""
        ends = time.monotonic() + timeout
        for answered in list(self._answered):
            answered.wait(max(0.0, ends - time.monotonic()))

    def take(self, role: str, label: str) -> Started | None:
        """The create started for (role, label), once (waiting for its answer if it is still on the wire); None when
        none was started or it was taken already."""
        with self._lock:
            future = self._futures.pop((role, label), None)
        if future is None:
            return None
        started = future.result()
        if started.watching is not None:
            started.watched, started.watching = started.watching.result(), None
        return started

    def close(self) -> list[Started]:
        """Cancel what has not been sent, end the watches, wait for what is on the wire; the creates no check took."""
        self.stopping.set()
        with self._lock:
            pool, watches, self._pool, self._watches = self._pool, self._watches, None, None
            futures, self._futures = list(self._futures.values()), {}
        for executor in (pool, watches):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
        return [f.result() for f in futures if f.done() and not f.cancelled()]
