"""One wait per broken behaviour: every wait of a run for something the server should make happen.

A kind of wait is one behaviour of the server: a task becoming active, a delete taking effect, an input showing in
the logs, a reply following it. Against a broken server each such wait runs out its whole deadline (on a real
deployment, minutes); once one wait of a kind has, later waits of the same kind are refused at once, with the first
one's words, and the checks that needed them are blocked by the requirement that kind of wait stands for. So no
fault makes a run cost more than the clean run plus one deadline per kind of wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from conformance.runner.process.interrupts import interrupts
from conformance.runner.tasks import expect

T = TypeVar("T")


@dataclass(frozen=True)
class Kind:
    """A kind of wait: what is awaited, in words, the requirement that breaks when it never happens, and the kinds
    it comes after (a reply follows the input in the logs: when the input never showed, neither will a reply)."""

    name: str
    awaited: str
    cause: str
    after: tuple[Kind, ...] = ()
    hint: str = ""  # added to the first timeout's words


ACTIVE = Kind("active", "a task to become active", "LIFE-REACHES-ACTIVE",
              hint="if this server's tasks only take longer to start, raise --active-timeout")
BUILT = Kind("built", "a task's build to end so that its delete is accepted (not 409)", "DELETE-STATUS-202", (ACTIVE,))
GONE = Kind("gone", "a deleted task to answer 404 to get", "DELETE-GONE-GET")
GONE_FROM_LIST = Kind("gone-from-list", "a deleted task to leave the list", "DELETE-GONE-LIST")
LOGGED = Kind("logged", "sent input to show in the logs", "SEND-INPUT-LOGGED")
REPLY = Kind("reply", "a reply to follow the input in the logs", "SEND-OUTPUT-FOLLOWS", (LOGGED,))
ENTRIES = Kind("entries", "log entries of an active task", "LOGS-SCHEMA")
NOT_BUSY = Kind("not-busy", "an agent to stop answering busy", "SEND-STATUS-204")
PAUSED = Kind("paused", "a task to become paused after its pause", "PAUSE-REACHES-PAUSED")
RESUMED = Kind("resumed", "a task to become active after its resume", "RESUME-REACHES-ACTIVE")


class Waits:
    """The run's waits: the deadline and pace from [run], and the first timeout of every kind."""

    def __init__(self, timeout: float, interval: float) -> None:
        self.timeout = timeout
        self.interval = interval
        self._first: dict[str, str] = {}  # kind name -> the first timeout's words
        self._lock = threading.Lock()

    def timed_out(self, kind: Kind) -> str | None:
        """The first timeout of this kind, in words (None: none so far)."""
        with self._lock:
            return self._first.get(kind.name)

    def refuse_if_timed_out(self, kind: Kind) -> None:
        """Blocked at once when a wait of this kind, or of one it comes after, already ran out its deadline."""
        for earlier in (kind, *kind.after):
            first = self.timed_out(earlier)
            if first is not None:
                raise expect.blocked(f"not waiting again for {earlier.awaited}: earlier, {first}", earlier.cause)

    def poll(self, kind: Kind, probe: Callable[[], T], done: Callable[[T], bool], *, waiting_for: str,
             last: Callable[[T], str] = repr, since: float | None = None,
             sleep: Callable[[float], Any] = interrupts.sleep) -> T:
        """expect.poll with the run's deadline (counted from `since`, a time.monotonic() value, when the awaited
        thing began before this wait: a task created up front); refused at once after a timeout of the same kind,
        and a timeout here is remembered for the next wait of the kind."""
        self.refuse_if_timed_out(kind)
        timeout = self.timeout if since is None else max(0.0, since + self.timeout - time.monotonic())
        words = None if since is None else f"{self.timeout:g} s"
        if since is not None:
            waiting_for += " since its create"
        try:
            return expect.poll(probe, done, timeout=timeout, interval=self.interval, waiting_for=waiting_for,
                               last=last, sleep=sleep, deadline_words=words)
        except expect.TimedOut as exc:
            with self._lock:
                self._first.setdefault(kind.name, str(exc))
            if kind.hint:
                raise expect.TimedOut(f"{exc} ({kind.hint})", exc.requirements) from None
            raise
