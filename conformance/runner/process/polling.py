"""The one way the suite polls: ask, and ask again after growing pauses, until an answer will do or a deadline.

Every wait of a run goes through `poll_until`: the checks' waits (tasks/expect.poll, tasks/waits.py), the fuzz
tiers' waits for a task to go or to start. A pause is an interruptible sleep (interrupts.sleep), so Ctrl-C is taken
within one pause."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from conformance.runner.process.interrupts import interrupts

T = TypeVar("T")

FIRST_POLL_PAUSE = 0.02  # seconds before the second poll; each later pause doubles, up to poll_interval


def poll_pauses(interval: float) -> Iterator[float]:
    """The pauses between polls: 20 ms first, doubling up to `interval` (poll_interval), then `interval` each time.

    A fast server is seen settle within a few tens of milliseconds; a slow one (a real deployment: minutes) gets a
    handful of extra early polls and then one every `interval`."""
    pause = min(FIRST_POLL_PAUSE, interval)
    while True:
        yield pause
        pause = min(pause * 2, interval)


@dataclass(frozen=True)
class Polled(Generic[T]):
    """How a poll ended: the last answer, whether it would do, and the seconds waited for it."""

    result: T
    met: bool
    waited: float


def poll_until(probe: Callable[[], T], done: Callable[[T], bool], *, timeout: float, interval: float,
               sleep: Callable[[float], Any] = interrupts.sleep) -> Polled[T]:
    """Call `probe` until `done(result)` or `timeout` seconds from now (the first call is made whatever the timeout).
    `sleep` pauses between calls (a background watch passes one that a stop ends early)."""
    started = time.monotonic()
    deadline = started + timeout
    pauses = poll_pauses(interval)
    result = probe()
    while not done(result):
        if time.monotonic() >= deadline:
            return Polled(result, False, time.monotonic() - started)
        sleep(next(pauses))
        result = probe()
    return Polled(result, True, time.monotonic() - started)
