"""Deployment in a box: added latency and Coder's API rate limiter around the reference app (an ASGI middleware).

The rate limiter is Coder's (coderd/httpmw/ratelimit.go and coderd/coderd.go, read at commits 2d4f87e42d7a and
8d3ca0ad3efb) on go-chi/httprate (limiter.go, local_counter.go, httprate.go), as this module reads them:

- key: the authenticated user's id, else the client IP (``httprate.KeyByIP``: the host of the remote address, an
  IPv6 one by its /64), joined with ``httprate.KeyByEndpoint`` (the URL path): one budget per user (or IP) and path.
  The ``X-Coder-Bypass-Ratelimit: true`` header of an owner draws a random key (never limited); of anyone else, it
  makes httprate's key error, which is answered 428 in plain text.
- where: coderd/coderd.go installs the one ``apiRateLimiter`` (``httpmw.RateLimit(options.APIRateLimit,
  time.Minute)``, 512 by default) with ``r.Use`` on the whole ``/api/v2`` route, before the route groups'
  ``apiKeyMiddleware``; so the limiter also answers unauthenticated requests (429 before 401). There the key
  function never finds the API key: Coder's releases limit per IP and path (coder/coder issue #20857, November 2025)
  until PR #22049 (merged February 2026) adds a root ``PrecheckAPIKey``, after which ``/api/v2`` and
  ``/api/experimental`` limit per user, as the box does by default; ``rate_key="ip"`` limits as the releases
  before it do: every request by its client IP and path, whoever sends it (the bypass header then finds no user
  either, and is not honoured).
- sliding window counter: windows start at multiples of the window length (Go's ``Time.Truncate``, counted from
  year 1); rate = previous window's count * (fraction of the current window still to come) + current count, rounded
  half away from zero; a request is admitted (and counted) while rate + 1 <= limit, a refused one is not counted.
- headers of every limited path's answer (Go writes them canonicalized): ``X-Ratelimit-Limit`` (the limit),
  ``X-Ratelimit-Reset`` (unix seconds of the current window's end), ``X-Ratelimit-Remaining`` (limit - rate - 1, on
  a 429 limit - rate); a 429 also has ``Retry-After`` (the window length in whole seconds) and Coder's body
  ``{"message": "You've been rate limited for sending more than 512 requests in 1m0s."}`` (Go duration format).
"""

from __future__ import annotations

import asyncio
import math
import secrets
import threading
import time
from dataclasses import dataclass
from ipaddress import IPv6Network
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from .conforming.app import ReferenceApp
from .conforming.auth import authenticate, extract_token_source
from .conforming.identities import User
from .conforming.responses import JSON_CONTENT_TYPE, TEXT_CONTENT_TYPE

LIMITED_PREFIXES = ("/api/v2", "/api/experimental")  # where coderd.go puts apiRateLimiter
BYPASS_HEADER = "X-Coder-Bypass-Ratelimit"  # codersdk.BypassRatelimitHeader
RATE_HEADERS = frozenset({b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset", b"retry-after"})
_GO_EPOCH_NS = 62_135_596_800 * 10**9  # from Go's zero time (year 1) to 1970: Truncate counts from year 1
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})  # what Go's strconv.ParseBool reads as true


def go_duration(ns: int) -> str:
    """A duration as Go's ``time.Duration.String`` writes it: ``1m0s``, ``2s``, ``1.5s``, ``500ms``."""
    if ns == 0:
        return "0s"
    sign, ns = ("-" if ns < 0 else ""), abs(ns)

    def fraction(value: int, unit: int) -> str:
        whole, rest = divmod(value, unit)
        digits = f"{rest:0{len(str(unit)) - 1}d}".rstrip("0") if unit > 1 else ""
        return f"{whole}.{digits}" if digits else str(whole)

    if ns < 10**9:
        unit, name = next((u, n) for u, n in ((10**6, "ms"), (10**3, "µs"), (1, "ns")) if ns >= u)
        return sign + fraction(ns, unit) + name
    hours, minutes = ns // (3600 * 10**9), ns // (60 * 10**9) % 60
    seconds = fraction(ns % (60 * 10**9), 10**9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    return f"{sign}{minutes}m{seconds}" if ns >= 60 * 10**9 else sign + seconds


def canonical_ip(host: str) -> str:
    """httprate's canonicalizeIP: an IPv4 address as it is, an IPv6 one as its /64 prefix."""
    if next((char for char in host if char in ".:"), "") != ":":
        return host
    try:
        return str(IPv6Network((host, 64), strict=False).network_address)
    except ValueError:
        return host


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    reset: int  # unix seconds of the current window's end
    rate: float  # the sliding-window rate, with this request when it is admitted


class SlidingWindow:
    """httprate's in-memory sliding window counter, for any hashable key. Not locked: the caller holds a lock."""

    def __init__(self, limit: int, window_ns: int) -> None:
        self.limit, self.window_ns = limit, window_ns
        self._index: int | None = None  # the current window, counted from Go's zero time
        self._current: dict[object, int] = {}
        self._previous: dict[object, int] = {}

    def _roll(self, index: int) -> None:
        if index != self._index:
            following = self._index is not None and index == self._index + 1
            self._previous = self._current if following else {}
            self._current, self._index = {}, index

    def check(self, key: object, now_ns: int) -> Decision:
        """Admit (and count) one request of ``key`` at ``now_ns`` (unix nanoseconds), or refuse it."""
        index = (now_ns + _GO_EPOCH_NS) // self.window_ns
        start = index * self.window_ns - _GO_EPOCH_NS
        reset = (start + self.window_ns) // 10**9
        self._roll(index)
        current = self._current.get(key, 0)
        rate = self._previous.get(key, 0) * (self.window_ns - (now_ns - start)) / self.window_ns + current
        rounded = math.floor(rate + 0.5)  # Go's math.Round, for a rate >= 0
        if rounded + 1 > self.limit:
            return Decision(False, self.limit - rounded, reset, rate)
        self._current[key] = current + 1
        return Decision(True, self.limit - rounded - 1, reset, rate + 1)


@dataclass
class _KeyStats:
    requests: int = 0
    limited: int = 0
    peak_rate: float = 0.0


RATE_KEYS = ("user", "ip")  # what the limiter keys a request by (with its path): Coder after #22049, before it


def wanted(latency: float, rate_limit: int, rate_window: float, rate_key: str = "user") -> bool:
    """Whether these options need the box (ValueError when one is out of range)."""
    if latency < 0 or rate_limit < 0 or rate_window <= 0:
        raise ValueError(f"latency ({latency}) and rate_limit ({rate_limit}) must be >= 0, rate_window "
                         f"({rate_window}) > 0")
    if rate_key not in RATE_KEYS:
        raise ValueError(f"rate_key must be one of {', '.join(RATE_KEYS)}, not {rate_key!r}")
    return bool(latency or rate_limit)


def no_box_stats() -> dict[str, Any]:
    """What ``Box.stats`` says of a server without the box."""
    return {"installed": False, "requests": 0, "limited": 0, "keys": []}


class Box:
    """The reference app as a deployment answers: ``latency`` seconds more per answer (an asyncio sleep before the
    app sees the request, so that concurrent requests overlap), and, when ``rate_limit`` > 0, Coder's limit of that
    many requests per ``rate_window`` seconds per user (or IP) and path under the API prefixes; per IP and path only
    with ``rate_key="ip"``."""

    def __init__(self, app: ReferenceApp, *, latency: float = 0.0, rate_limit: int = 0,
                 rate_window: float = 60.0, rate_key: str = "user") -> None:
        wanted(latency, rate_limit, rate_window, rate_key)
        self.app, self.latency, self.rate_limit, self.rate_key = app, latency, rate_limit, rate_key
        self.window_ns = max(1, round(rate_window * 1e9))
        self.prefixes = tuple(dict.fromkeys(LIMITED_PREFIXES + tuple(app.served_prefixes)))
        self._sources = app.generation.token_sources
        self._window = SlidingWindow(rate_limit, self.window_ns)
        self._lock = threading.Lock()
        self._answered = self._limited = 0
        self._keys: dict[tuple[str, str, str], _KeyStats] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.latency:
            await asyncio.sleep(self.latency)
        path = str(scope.get("path", ""))
        limited = self.rate_limit > 0 and any(path == p or path.startswith(p + "/") for p in self.prefixes)
        extra: list[tuple[bytes, bytes]] = []

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                if limited:  # the box's rate headers replace the app's
                    kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in RATE_HEADERS]
                    message = {**message, "headers": kept + extra}
                with self._lock:
                    self._answered += 1
                    self._limited += message["status"] == 429
            await send(message)

        refusal = self._limit(Request(scope), path, extra) if limited else None
        await (refusal if refusal is not None else self.app)(scope, receive, answer)

    def _user(self, request: Request) -> User | None:
        """The caller, found as the app finds it (auth.py), or None: keyed by IP."""
        token, _ = extract_token_source(request.headers, request.query_params.multi_items(), self._sources)
        user = authenticate(token, self.app.identities)
        return user if isinstance(user, User) else None

    def _limit(self, request: Request, path: str, extra: list[tuple[bytes, bytes]]) -> Response | None:
        """Count the request; fill ``extra`` with the rate headers; the refusal (429, or 428) if it is refused."""
        user = self._user(request) if self.rate_key == "user" else None
        if user is not None and request.headers.get(BYPASS_HEADER, "") in _TRUE:
            if not user.is_owner:
                return self._plain(request, 428, f'"{BYPASS_HEADER}" provided but user is not owner\n')
            key: tuple[str, str, str] = ("bypass", secrets.token_hex(8), path)  # ratelimit.go: a random key
        elif user is not None:
            key = ("user", user.id, path)
        else:
            key = ("ip", canonical_ip(request.client.host if request.client else ""), path)
        with self._lock:
            decision = self._window.check(key, time.time_ns())
            if key[0] != "bypass":
                stats = self._keys.setdefault(key, _KeyStats())
                stats.requests += 1
                stats.limited += not decision.allowed
                stats.peak_rate = max(stats.peak_rate, decision.rate)
        extra.extend((name, str(value).encode()) for name, value in (
            (b"x-ratelimit-limit", self.rate_limit), (b"x-ratelimit-reset", decision.reset),
            (b"x-ratelimit-remaining", decision.remaining)))
        if decision.allowed:
            return None
        extra.append((b"retry-after", str(self.window_ns // 10**9).encode()))
        message = (f"You've been rate limited for sending more than {self.rate_limit} requests in "
                   f"{go_duration(self.window_ns)}.")
        response = self.app.wire.json(429, {"message": message}, JSON_CONTENT_TYPE)
        self.app.wire.headers(response, request)
        return response

    def _plain(self, request: Request, status: int, text: str) -> Response:
        """Go's ``http.Error``: plain text, not sniffed."""
        response = Response(text, status_code=status, media_type=TEXT_CONTENT_TYPE)
        self.app.wire.headers(response, request)
        return response

    def stats(self) -> dict[str, Any]:
        """Answers so far, 429s among them, and per key (user or IP, path) its requests, refusals and the highest
        sliding-window rate it reached (requests per window). Owners' bypassing requests have no key."""
        names = {u.id: u.username for u in self.app.identities.users.values()}
        with self._lock:
            keys = [{"kind": kind, "who": names.get(who, who) if kind == "user" else who, "path": path,
                     "requests": s.requests, "limited": s.limited, "peak_rate": round(s.peak_rate, 3)}
                    for (kind, who, path), s in self._keys.items()]
            return {"installed": True, "latency": self.latency, "rate_limit": self.rate_limit,
                    "rate_window": self.window_ns / 1e9, "rate_key": self.rate_key,
                    "requests": self._answered, "limited": self._limited,
                    "keys": keys}
