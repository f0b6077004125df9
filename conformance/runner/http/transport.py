"""How every request of a run reaches the target: bounded in time and size, paced, TLS as configured.

One `HttpTransport` per run carries all the suite's traffic: the checks' `ApiClient`s (httpx), the preflight, the
final sweep, and the fuzz tiers (Schemathesis sends through a `requests_session.TransportSession`, whose adapter
sends with this transport). So every request gets the same guarantees against a broken or hostile server:

- time: a connect timeout, a read timeout (longest wait for the next bytes) and a total timeout per request, the
  total enforced at the socket (a server trickling one byte at a time is cut off too);
- size: at most `max_body_bytes` of body are read, counted after gzip/deflate decoding, which is done here with
  bounded output (a compressed bomb never expands in memory);
- redirects are never followed (a 3xx is the answer; the token never travels to another host);
- TLS: the system's CAs, or a configured CA bundle, or no verification (`insecure`, reported as a warning);
- pace: at most `max_rps` requests per second for the whole run (0 = no cap), and, where the server announces a
  rate limit (X-Ratelimit-* headers), no faster than it sustains once its budget is nearly spent (pacing.py);
- rate limiting: a 429 is retried after its Retry-After (or a backoff) up to `max_retries_429` times; a request
  still rate limited after that raises `StillRateLimited`, which the runner reports as "not a contract failure".

Problems are raised as `NoResponse` with a reason in plain words ("no response within 10 s (request_timeout)").
Reasons are not redacted here: callers redact before recording or printing anything.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Protocol

import httpx

from conformance.runner.http import deadlines
from conformance.runner.http.pacing import MAX_WAIT, RatePacer
from conformance.runner.process.interrupts import interrupts
from conformance.runner.records.bodies import ACCEPT_ENCODING, MAX_JSON_DEPTH, BodyTooLarge, Decoder, json_too_deep
from conformance.runner.settings.http import HttpSettings

MAX_RETRY_WAIT = MAX_WAIT  # longest pause before retrying a 429, whatever Retry-After says
BACKOFF_BASE = 0.5  # pause before the first retry of a 429 without Retry-After; doubles per retry
# Methods that change nothing on the server (RFC 9110 9.2.1, and the QUERY draft): read-only mode sends them with
# a token, and an interrupt may cut them short on the wire.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "QUERY"})
_PAUSE_STEP = 0.5  # seconds: how soon a wait notices that the run's cleanup began
_READ_CHUNK = 64 * 1024


class NoResponse(Exception):
    """No usable response. `reason` is plain words, not yet redacted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnusableAnswer(NoResponse):
    """The server answered, but with a body the suite does not take in: larger than max_body_bytes, or JSON
    nested deeper than MAX_JSON_DEPTH. `response` has the status and headers (no body). The target is alive."""

    def __init__(self, reason: str, response: httpx.Response) -> None:
        super().__init__(reason)
        self.response = response


class NotSent(Exception):
    """The run's gate (read-only mode: runner/http/readonly.py) did not let the request go. The message says which
    request and why, without its credential."""


class StillRateLimited(Exception):
    """The server still answered 429 after every allowed retry. Not a contract failure."""

    def __init__(self, response: httpx.Response, retries: int) -> None:
        super().__init__(f"still answered 429 (rate limited) after {retries} retr{'y' if retries == 1 else 'ies'}")
        self.response = response
        self.retries = retries


# --- TLS ----------------------------------------------------------------------------------------------------


def ssl_context(settings: HttpSettings) -> ssl.SSLContext:
    """The system's trust store (OpenSSL's default paths; SSL_CERT_FILE/SSL_CERT_DIR apply), a CA bundle, or
    no verification at all."""
    if settings.insecure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if settings.ca_bundle:
        import os

        if os.path.isdir(settings.ca_bundle):
            return ssl.create_default_context(capath=settings.ca_bundle)
        return ssl.create_default_context(cafile=settings.ca_bundle)
    ctx = ssl.create_default_context()
    if ctx.cert_store_stats().get("x509_ca", 0) == 0:
        # No CA file loaded from the system (a capath loads lazily, or there is none): add certifi's bundle,
        # which httpx depends on, so public CAs are trusted on systems without a populated store too.
        try:
            import certifi

            ctx.load_verify_locations(cafile=certifi.where())
        except (ImportError, OSError):  # pragma: no cover - certifi comes with httpx
            pass
    return ctx


def read_body(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    """Read a streamed response's body: decoded, at most max_bytes, by the deadline."""
    decoder = Decoder(response.headers.get("content-encoding", ""))
    chunks: list[bytes] = []
    size = 0
    try:
        for raw in response.iter_raw(_READ_CHUNK):
            if time.monotonic() > deadline:
                raise deadlines.TotalTimeout
            if decoder.stages:
                data = decoder.feed(raw, max_bytes - size)
            else:
                data = raw
                if size + len(data) > max_bytes:
                    raise BodyTooLarge
            size += len(data)
            chunks.append(data)
    except BodyTooLarge:
        after = f" after {'/'.join(decoder.names)} decoding" if decoder.names else ""
        raise UnusableAnswer(f"response body larger than {max_bytes} bytes{after} (max_body_bytes); "
                             "stopped reading it", _without_body(response)) from None
    except zlib.error as exc:
        raise NoResponse(f"response body could not be decoded (Content-Encoding "
                         f"{response.headers.get('content-encoding')}: {exc})") from None
    return b"".join(chunks)


# --- pacing ---------------------------------------------------------------------------------------------------


class RateLimiter:
    """At most `max_rps` request starts per second, for all threads together (0 = no limit)."""

    def __init__(self, max_rps: float) -> None:
        self.interval = 1.0 / max_rps if max_rps > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


def _without_body(response: httpx.Response) -> httpx.Response:
    """The status and headers of an answer whose body is not kept."""
    return httpx.Response(response.status_code, headers=response.headers, request=response.request,
                          extensions={"http_version": response.http_version.encode("ascii", "replace")})


def _with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    """A streamed answer (read and closed) with its body, read and decoded here (read_body). httpx takes the body
    as it is given only without a Content-Encoding to undo, so it is given without headers; then the answer gets
    every header as the server sent it (Content-Encoding included, as httpx keeps it for a body it decoded)."""
    out = httpx.Response(response.status_code, content=body, request=response.request,
                         extensions=response.extensions)
    out.headers = response.headers
    out.elapsed = response.elapsed
    return out


def retry_after(response: httpx.Response, retries: int) -> float:
    """Seconds to wait before retrying a 429: its Retry-After (seconds or HTTP date), else a doubling backoff;
    never more than MAX_RETRY_WAIT."""
    value = response.headers.get("retry-after", "").strip()
    wait: float | None = None
    if value:
        try:
            wait = float(value)
        except ValueError:
            try:
                wait = parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError, IndexError, OverflowError):
                wait = None
    if wait is None or wait != wait:  # absent, unparseable or NaN
        wait = BACKOFF_BASE * 2**retries
    return max(0.0, min(wait, MAX_RETRY_WAIT))


# --- the transport --------------------------------------------------------------------------------------------


class KeepNoCookies(CookieJar):
    """A cookie jar that stores nothing the server sets: every request carries what its check says and nothing
    else (Coder's CSRF cookie, or a session cookie a gateway hands out, is never sent back). Not parsing the
    Set-Cookie headers at all also spares the stdlib's cookie parsing on every answer."""

    def __init__(self) -> None:
        super().__init__(policy=DefaultCookiePolicy(allowed_domains=[]))

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


@dataclass
class TransportStats:
    """What the run's traffic met; the runner reports it (rate limiting) and stops on a dead target."""

    requests: int = 0
    no_response: int = 0
    consecutive_no_response: int = 0
    retried_429: int = 0  # 429 answers that were retried
    gave_up_429: int = 0  # requests still rate limited after every retry
    waited: float = 0.0  # seconds spent waiting because the server's headers asked (pacing, Retry-After)
    out_of_patience: str | None = None  # what the server last said when the run's wait budget ran out
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def answered(self, status: int) -> None:
        with self._lock:
            self.requests += 1
            self.consecutive_no_response = 0

    def failed(self) -> None:
        with self._lock:
            self.requests += 1
            self.no_response += 1
            self.consecutive_no_response += 1


Observer = Callable[[httpx.Response | None, float, str | None], None]
class Watcher(Protocol):
    """Sees every request this transport sends, before it goes, and how each attempt ended: an answer (`error`
    None), an answer whose body was not taken in (`response` without a body, `error` why), or none (`response`
    None; also when the attempt was cut short)."""

    def sending(self, request: httpx.Request) -> None: ...

    def exchanged(self, request: httpx.Request, response: httpx.Response | None, elapsed: float,
                  error: str | None) -> None: ...


class Gate(Protocol):
    """Decides, before anything is sent, whether a request may leave at all (raises NotSent if not)."""

    def check(self, request: httpx.Request) -> None: ...


class HttpTransport:
    """Sends requests for one run with the guarantees of the module docstring."""

    def __init__(self, settings: HttpSettings | None = None, gate: Gate | None = None) -> None:
        self.settings = settings or HttpSettings()
        self.gate = gate
        self.limiter = RateLimiter(self.settings.max_rps)
        self.pacer = RatePacer()  # by the server's X-Ratelimit-* headers (pacing.py)
        self.stats = TransportStats()
        self._ssl: ssl.SSLContext | None = None
        self._clients: weakref.WeakSet[httpx.Client] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._cutoff: float | None = None  # no request runs past this moment (see `cutoff`)
        self._watchers: list[Watcher] = []

    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl_context(self.settings)
        return self._ssl

    def new_client(self) -> httpx.Client:
        """An httpx client with this transport's timeouts and TLS; send through `send`, not its own methods."""
        s = self.settings
        client = httpx.Client(
            transport=deadlines.DeadlineTransport(self.ssl_context()),
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                  pool=s.connect_timeout),
            follow_redirects=False,
            headers={"Accept-Encoding": ACCEPT_ENCODING},
            cookies=KeepNoCookies(),
        )
        with self._lock:
            self._clients.add(client)
        return client

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients)
            self._clients.clear()
        for client in clients:
            client.close()

    def send(self, client: httpx.Client, request: httpx.Request, observe: Observer | None = None) -> httpx.Response:
        """Send (paced), read the body (bounded), retry a 429 (bounded). `observe` sees every attempt.

        Raises NotSent (the gate kept it back), NoResponse (UnusableAnswer when an answer came but its body is not
        taken in) or StillRateLimited; the response it returns has its body read (`.content`).

        A request that may change state (not one of SAFE_METHODS) is not cut short by Ctrl-C once it is on the
        wire: its answer (bounded by total_timeout) is read, so that a task it makes is known by its id; the
        interrupt comes right after."""
        if self.gate is not None:
            self.gate.check(request)
        if request.method.upper() in SAFE_METHODS:
            with interrupts.interruptible():
                return self._send(client, request, observe)
        interrupts.check()
        try:
            return self._send(client, request, observe)
        finally:
            interrupts.check()

    def _send(self, client: httpx.Client, request: httpx.Request, observe: Observer | None) -> httpx.Response:
        retries = 0
        while True:
            pause = self.pacer.delay(request)
            if pause > 0 and self._fits(pause) and self._spend(pause, self.pacer.stats.said):
                self._pause(pause)
            self.limiter.wait()
            for watcher in self._watchers:
                watcher.sending(request)
            response = self._attempt(client, request, observe)
            if response.status_code != 429:
                return response
            wait = retry_after(response, retries)
            said = f"Retry-After: {response.headers.get('retry-after', '(none)')[:40]}"
            if retries >= self.settings.max_retries_429 or not self._fits(wait) or not self._spend(wait, said):
                self.stats.count("gave_up_429")
                raise StillRateLimited(response, retries)
            self.stats.count("retried_429")
            if not self._pause(wait):  # a cutoff began while it waited (the run is ending): no more waiting
                self.stats.count("gave_up_429")
                raise StillRateLimited(response, retries)
            retries += 1

    def _attempt(self, client: httpx.Client, request: httpx.Request, observe: Observer | None) -> httpx.Response:
        """One attempt; `observe` and every watcher hear how it ended (an answer, an unusable answer, none)."""
        started = time.monotonic()
        response: httpx.Response | None = None
        error: str | None = "cut short before an answer came"
        try:
            response = self._send_once(client, request)
            error = None
            self.stats.answered(response.status_code)
            self.pacer.observe(request, response)
            return response
        except UnusableAnswer as exc:
            response, error = exc.response, exc.reason
            self.stats.answered(exc.response.status_code)
            raise
        except NoResponse as exc:
            error = exc.reason
            self.stats.failed()
            raise
        finally:
            elapsed = time.monotonic() - started
            if observe is not None:
                observe(response, elapsed, error)
            for watcher in self._watchers:
                watcher.exchanged(request, response, elapsed, error)

    def watch(self, watcher: Watcher) -> None:
        """Tell `watcher` of every request this transport sends and how it ended, whoever sent the request (the run's
        ledger claims the tasks creates answer with and knows the creates still in flight; the run's traffic log
        keeps every exchange for evidence.har)."""
        self._watchers.append(watcher)

    @contextlib.contextmanager
    def cutoff(self, seconds: float) -> Iterator[None]:
        """Within this block no request runs past `seconds` from now, and no 429 is waited for beyond it (the
        cleanup after an interrupt, or against a server that keeps rate limiting, is bounded)."""
        previous = self._cutoff
        ends = time.monotonic() + seconds
        self._cutoff = ends if previous is None else min(previous, ends)  # an outer cutoff still holds
        try:
            yield
        finally:
            self._cutoff = previous

    def _fits(self, wait: float) -> bool:
        return self._cutoff is None or time.monotonic() + wait < self._cutoff

    def _spend(self, seconds: float, said: str) -> bool:
        """Take `seconds` of waiting from the run's budget for waits the server asked for; False (and what the server
        said, remembered) once the budget would be spent: the run then stops waiting, and stops (runner/run.py)."""
        with self._lock:
            if self.stats.waited + seconds > self.settings.wait_budget:
                self.stats.out_of_patience = self.stats.out_of_patience or said
                return False
            self.stats.waited += seconds
            return True

    def _pause(self, seconds: float) -> bool:
        """Wait `seconds` in short steps (interruptible in the main thread), stopping early (False) when a cutoff that
        the rest of the wait does not fit begins meanwhile: a background thread waiting out a server's Retry-After
        never holds up the end of a run beyond its cleanup_timeout."""
        ends = time.monotonic() + seconds
        while (left := ends - time.monotonic()) > 0:
            if not self._fits(left):
                return False
            interrupts.sleep(min(left, _PAUSE_STEP))
        return True

    def _send_once(self, client: httpx.Client, request: httpx.Request) -> httpx.Response:
        total = self.settings.total_timeout
        if self._cutoff is not None:
            total = min(total, self._cutoff - time.monotonic())
            if total <= 0:
                raise NoResponse("not sent: the time for the cleanup was up")
        deadline = time.monotonic() + total
        deadlines.state.deadline, deadlines.state.bound_by_total = deadline, False
        deadlines.state.received, deadlines.state.first_bytes = 0, b""
        try:
            try:
                response = client.send(request, stream=True, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise NoResponse(self.describe(exc, deadline)) from None
            try:
                body = read_body(response, self.settings.max_body_bytes, deadline)
            except deadlines.TotalTimeout:
                raise NoResponse(self._total_message()) from None
            except httpx.HTTPError as exc:
                raise NoResponse(self.describe(exc, deadline, reading_body=True)) from None
            finally:
                response.close()
        finally:
            deadlines.state.deadline = None
        response = _with_body(response, body)
        if json_too_deep(body):
            raise UnusableAnswer(f"response body is JSON nested more than {MAX_JSON_DEPTH} levels deep; the suite "
                                 "does not parse it (no answer of the Tasks API nests that deep)",
                                 _without_body(response))
        return response

    def _total_message(self) -> str:
        return f"no complete response within {self.settings.total_timeout:g} s (total_timeout)"

    def describe(self, exc: httpx.HTTPError, deadline: float, reading_body: bool = False) -> str:
        """The reason for a transport error in plain words."""
        s = self.settings
        text = str(exc).strip()
        if isinstance(exc, httpx.TimeoutException):
            if deadlines.state.bound_by_total or time.monotonic() >= deadline:
                return self._total_message()
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                return f"could not connect within {s.connect_timeout:g} s (connect_timeout)"
            if isinstance(exc, httpx.WriteTimeout):
                return f"could not send the request within {s.read_timeout:g} s (request_timeout)"
            if reading_body:
                return f"the response body stalled: no data within {s.read_timeout:g} s (request_timeout)"
            return f"no response within {s.read_timeout:g} s (request_timeout)"
        if isinstance(exc, httpx.ConnectError):
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
                return (f"TLS certificate not trusted ({_ssl_reason(text)}); for a server with a private CA "
                        "pass --ca-bundle PATH, or --insecure to skip verification (staging only)")
            if "SSL" in text or "TLS" in text:
                return f"TLS handshake failed ({text})"
            return f"connection failed ({text or type(exc).__name__})"
        if isinstance(exc, httpx.RemoteProtocolError):
            if "complete message body" in text or "incomplete" in text.lower():
                return f"the response body was cut short ({text}); the Content-Length may be wrong"
            if not reading_body and deadlines.state.received:
                state = deadlines.state
                return (f"malformed HTTP response: the server sent {state.received} byte(s) that are not an HTTP "
                        f"response ({state.first_bytes!r})")
            if "without sending a response" in text or "Server disconnected" in text:
                return "the server closed the connection without answering"
            return f"malformed HTTP response ({text})"
        if isinstance(exc, httpx.ReadError):
            where = "the response body" if reading_body else "the response"
            return f"the connection broke while reading {where} ({text or type(exc).__name__})"
        if isinstance(exc, httpx.WriteError):
            return f"the connection broke while sending the request ({text or type(exc).__name__})"
        if isinstance(exc, httpx.LocalProtocolError):
            return f"the request could not be sent ({text})"
        return f"{type(exc).__name__}: {text}"


def _ssl_reason(text: str) -> str:
    marker = "certificate verify failed:"
    if marker in text:
        return "certificate verify failed: " + text.split(marker, 1)[1].split("(_ssl", 1)[0].strip()
    return text


