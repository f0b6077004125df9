"""The time sources of one reference server: the wall clock its store reads, and the time it shows.

The store compares times to run the lifecycle (a task is pending for one step, its agent replies after a delay)
and keeps the times it shows (created_at, a log entry's time, current_state's timestamp). By default both are the
real wall clock. A ``SteppedClock`` keeps the lifecycle on real time but shows a wall clock that starts at a fixed
instant and advances one ``tick`` per reading the store takes, so that the same sequence of requests is shown the
same times on every start: each reading is an ``Instant``, a float of the real time (what the store compares)
that carries the time it is shown as (``shown``); an instant plus or minus seconds (``started_at + step``) is
shown that many seconds later or earlier, so a time the store derives from a reading is shown as derived from
the reading's shown time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import SupportsFloat

SHOWN_BASE = datetime(2025, 1, 1, tzinfo=UTC).timestamp()  # the first instant a stepped clock shows
TICK = 1.0  # seconds a stepped clock's shown time advances per reading


class Instant(float):
    """A real time (its float value) and the time it is shown as."""

    shown: float

    def __new__(cls, real: SupportsFloat, shown: SupportsFloat) -> Instant:
        instant = super().__new__(cls, real)
        instant.shown = float(shown)
        return instant

    def __add__(self, other: object) -> Instant | float:
        if isinstance(other, Instant):
            return float(self) + float(other)
        if isinstance(other, int | float):
            return Instant(float(self) + other, self.shown + other)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: object) -> Instant | float:
        if isinstance(other, Instant):
            return float(self) - float(other)  # a duration
        if isinstance(other, int | float):
            return Instant(float(self) - other, self.shown - other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Instant({float(self)!r}, shown={self.shown!r})"


def shown(timestamp: float) -> float:
    """The time a timestamp is shown as: an ``Instant``'s shown time, any other float itself."""
    return timestamp.shown if isinstance(timestamp, Instant) else timestamp


class SteppedClock:
    """Real time for the lifecycle, shown as ``base`` + ``tick`` per reading (the first reading shows ``base``).
    ``restart`` shows ``base`` again at the next reading."""

    def __init__(self, base: float = SHOWN_BASE, tick: float = TICK) -> None:
        self._base, self._tick = base, tick
        self._readings = 0
        self._lock = threading.Lock()

    def __call__(self) -> Instant:
        with self._lock:
            reading = Instant(time.time(), self._base + self._readings * self._tick)
            self._readings += 1
            return reading

    def restart(self) -> None:
        with self._lock:
            self._readings = 0
