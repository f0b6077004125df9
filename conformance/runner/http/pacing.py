"""Pacing by the server's own rate-limit headers: slow down before the 429, not after it.

Coder limits each user (or client IP) to CODER_API_RATE_LIMIT requests a minute per path (512 by default;
coderd/httpmw/ratelimit.go on go-chi/httprate, a sliding window) and says on every answer where a caller stands:
`X-Ratelimit-Limit`, `X-Ratelimit-Remaining` and `X-Ratelimit-Reset` (unix seconds when the window ends). The pacer
reads them from every answer and, for a request whose budget is nearly spent, waits until sending it keeps the
caller at the rate the limit sustains (limit per window) instead of spending the budget and meeting 429s.

Which requests share a budget depends on the server (per user and path in Coder, per IP and path in releases
before coder/coder#22049, per token in a gateway): the pacer keeps what it last heard for the credential and path,
for the credential on any path and for the path with any credential, and goes by the smallest.
"""

from __future__ import annotations

import collections
import hashlib
import math
import threading
import time
from dataclasses import dataclass, field

import httpx

from conformance.runner.records.redact import SECRET_QUERY_KEYS

LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER = "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"
RESERVE = 1 / 8  # below this share of the limit left, requests are spaced out
MIN_RESERVE = 4
# The window length until the server's Reset moves on (then the smallest step it moved by): Coder's is a minute
# (coderd/coderd.go: httpmw.RateLimit(options.APIRateLimit, time.Minute)). Reset - now only bounds it from below
# (the first answer may come late in a window), and pacing by a window taken too short is pacing too fast.
DEFAULT_WINDOW = 60.0
MAX_WAIT = 30.0  # the longest single wait a server's headers may ask for (pacing here, Retry-After in transport.py)
MAX_WINDOW = 3600.0  # a window taken longer than this (a daily quota, a reset in the far future) is taken as this
MILLISECONDS = 1e11  # an X-Ratelimit-Reset above this is unix milliseconds (some gateways), not seconds
_CREDENTIAL_HEADERS = ("coder-session-token", "authorization", "cookie")
Key = tuple[str, str]


@dataclass
class _Budget:
    limit: int
    remaining: float  # as the last answer said, less the requests sent since
    reset: float  # unix seconds


@dataclass
class PaceStats:
    """What pacing did and what rate the run used, for the report."""

    limit: int | None = None  # the largest X-Ratelimit-Limit announced
    said: str = ""  # the last rate-limit headers heard, as "X-Ratelimit-Reset: ..., X-Ratelimit-Remaining: ..."
    lowest_remaining: int | None = None
    paced: int = 0  # requests held back
    paced_seconds: float = 0.0
    busiest_minute: int = 0  # the most requests one credential sent to one path within 60 s
    busiest_path: str | None = None


@dataclass
class RatePacer:
    """Holds back requests whose announced budget is nearly spent (thread-safe)."""

    _budgets: dict[Key, _Budget] = field(default_factory=dict)
    _window: dict[Key, float] = field(default_factory=dict)  # the smallest step Reset moved by: the window length
    _longest: dict[Key, float] = field(default_factory=dict)  # the longest time to Reset heard: at most the window
    _sent: dict[Key, float] = field(default_factory=dict)  # when the last request of the key went (monotonic)
    _recent: dict[Key, collections.deque[float]] = field(default_factory=dict)
    stats: PaceStats = field(default_factory=PaceStats)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def delay(self, request: httpx.Request) -> float:
        """Seconds to wait before sending `request` (0 when its budget is not nearly spent); books the send."""
        keys = _keys(request)
        now, wall = time.monotonic(), time.time()
        with self._lock:
            self._count(keys[0], now, request.url.path)
            budgets = [(k, b) for k in keys if (b := self._budgets.get(k)) is not None and b.reset > wall]
            wait = 0.0
            if budgets:
                key, budget = min(budgets, key=lambda kb: kb[1].remaining)
                reserve = max(MIN_RESERVE, budget.limit * RESERVE)
                if budget.remaining <= reserve:
                    window = self._window.get(key) or max(DEFAULT_WINDOW, self._longest.get(key, 0.0))
                    spacing = window / budget.limit
                    spacing *= 1 + (reserve - max(budget.remaining, 0.0)) / reserve  # up to twice as slow at 0
                    wait = min(MAX_WAIT, max(0.0, self._sent.get(key, 0.0) + spacing - now))
            for key in keys:
                self._sent[key] = now + wait
            for _, budget in budgets:
                budget.remaining -= 1
            if wait > 0:
                self.stats.paced += 1
                self.stats.paced_seconds += wait
        return wait

    def observe(self, request: httpx.Request, response: httpx.Response) -> None:
        """Take in what an answer says of the caller's budget."""
        headers = response.headers
        try:
            limit = int(headers[LIMIT_HEADER])
            remaining = int(headers[REMAINING_HEADER])
            reset = float(headers[RESET_HEADER])
        except (KeyError, ValueError):  # absent, or not a number (a 5,000-digit one included)
            return
        if limit <= 0 or not math.isfinite(reset):
            return
        wall = time.time()
        if reset > MILLISECONDS:  # unix milliseconds (some gateways)
            reset /= 1000
        if reset < 1e9:  # seconds from now rather than a unix time (some gateways)
            reset += wall
        reset = min(reset, wall + MAX_WINDOW)  # a reset in the far future is believed only this far
        reset += 1.0  # whole seconds, rounded down (httprate): the window ends within the second after
        with self._lock:
            for key in _keys(request):
                before = self._budgets.get(key)
                if before is not None and reset - before.reset >= 1.0:  # the window moved on
                    self._window[key] = min(self._window.get(key, reset - before.reset), reset - before.reset)
                self._budgets[key] = _Budget(limit, remaining, reset)
                self._longest[key] = max(self._longest.get(key, 0.0), reset - wall)
            s = self.stats
            s.said = (f"X-Ratelimit-Reset: {headers[RESET_HEADER][:40]}, X-Ratelimit-Remaining: {remaining}, "
                      f"X-Ratelimit-Limit: {limit}")
            s.limit = max(s.limit or 0, limit)
            s.lowest_remaining = remaining if s.lowest_remaining is None else min(s.lowest_remaining, remaining)

    def _count(self, key: Key, now: float, path: str) -> None:
        recent = self._recent.setdefault(key, collections.deque())
        recent.append(now)
        while recent[0] < now - 60.0:
            recent.popleft()
        if len(recent) > self.stats.busiest_minute:
            self.stats.busiest_minute, self.stats.busiest_path = len(recent), path


def _keys(request: httpx.Request) -> tuple[Key, Key, Key]:
    """(credential, path), (credential, any path), (any credential, path); the credential as a digest only."""
    parts = [request.headers.get(name, "") for name in _CREDENTIAL_HEADERS]
    parts += [request.url.params.get(name, "") for name in SECRET_QUERY_KEYS]
    credential = hashlib.sha256("\0".join(parts).encode("utf-8", "replace")).hexdigest()[:16]
    path = request.url.path
    return (credential, path), (credential, "*"), ("*", path)
