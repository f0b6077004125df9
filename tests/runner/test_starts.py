"""Tasks created up front (runner/tasks/starts.py): which, in what order, handed over once, the rest returned."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from conformance.runner.records.evidence import EvidenceLog
from conformance.runner.tasks import starts
from conformance.runner.tasks.starts import Order, Starts


def test_declarations_give_the_orders_of_the_selected_checks_and_the_module_order() -> None:
    import conformance.checks.test_lifecycle
    import conformance.checks.test_pause
    import conformance.runner.fixtures  # noqa: F401 - their declarations register on import

    names = {"active_task": Order("primary", "shared"), "second_active_task": Order("second", "shared2"),
             "paused": Order("primary", "pause")}
    for name, order in names.items():
        assert starts.ORDERS.get(name) == order  # declared next to the fixtures (checks and runner/fixtures.py)
    assert starts.orders_for([["api", "paused"], ["active_task", "paused"], ["run"]]) == [
        Order("primary", "pause"), Order("primary", "shared")]
    assert starts.ORDERS["observed"].watch is not None  # the lifecycle follows its task from the create on
    watching = Starts()
    watching.begin([starts.ORDERS["observed"]], lambda order, log: httpx.Response(500),
                   lambda order, response, log, stopping: "followed")
    started = watching.take("primary", "lifecycle")  # by role and label, whatever the watch
    assert started is not None and started.watched == "followed"
    assert starts.run_order(["run", "api"]) == 1
    assert starts.run_order(["run", "active_task"]) == 2


def test_creates_go_together_and_each_is_handed_over_once() -> None:
    in_flight, most = 0, 0
    lock = threading.Lock()

    def create(order: Order, log: EvidenceLog) -> httpx.Response:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.2)
        with lock:
            in_flight -= 1
        return httpx.Response(201, json={"id": order.label})

    book = Starts()
    orders = [Order("primary", f"t{n}") for n in range(3)]
    book.begin(orders, create)
    first = book.take("primary", "t0")
    assert first is not None and first.response is not None and first.response.json() == {"id": "t0"}
    assert book.take("primary", "t0") is None  # once
    assert book.take("second", "t1") is None  # not started for that role
    left = book.close()
    assert sorted(s.order.label for s in left) == ["t1", "t2"]
    assert most == 3  # all three were on the wire together


def test_a_create_without_an_answer_is_handed_over_with_its_reason() -> None:
    from conformance.runner.http.client import TransportError

    def create(order: Order, log: EvidenceLog) -> httpx.Response:
        raise TransportError("no usable response to POST /api/v2/tasks/me: connection failed")

    book = Starts()
    book.begin([Order("primary", "shared")], create)
    started = book.take("primary", "shared")
    assert started is not None and started.response is None and "connection failed" in str(started.error)
    assert book.close() == []


def test_a_second_declaration_under_a_known_name_is_refused_when_it_loads() -> None:
    import conformance.checks.test_pause  # noqa: F401 - declares "paused"

    def paused() -> None: ...

    with pytest.raises(ValueError, match="paused declares an up-front task .'other'. and another"):
        starts.up_front("second", "other")(paused)
    assert starts.ORDERS["paused"] == Order("primary", "pause")  # the first declaration stands
    assert starts.up_front("primary", "pause")(paused) is paused  # the same declaration again is no conflict
