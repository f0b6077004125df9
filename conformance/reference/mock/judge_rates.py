"""Request rates Coder's rate limit would refuse, and `Retry-After` answers a client did not wait for.

The rate is replayed from the recorded requests with the box's counter (box.py `SlidingWindow`: httprate's sliding
window, as Coder counts) at Coder's default limit (conforming/wire.py `RATE_LIMIT`, 512 a minute) per user and path
under the API prefixes (box.py `LIMITED_PREFIXES`), the way Coder keys it since coder/coder#22049 (releases before
it key by client IP, which counts the users of one machine together: the judge holds a client only to the per-user
budget). A server that enforces a limit itself (``rate_limit``) answered 429 already, and is not replayed.

A `Retry-After` (seconds, or an HTTP date read against the answer's `Date`) asks the client to wait before it sends
to the same path again: a request by the same user to the same path that arrives after that answer and before the
wait is over is a finding (RFC 9110 section 10.2.3; Coder's 429 carries one, coderd/httpmw/ratelimit.go).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from ..box import LIMITED_PREFIXES, SlidingWindow, go_duration
from ..conforming.wire import RATE_LIMIT
from .finding import Finding
from .recording import RecordedRequest

RATE_WINDOW_NS = 60 * 10**9  # Coder's window: httpmw.RateLimit(options.APIRateLimit, time.Minute)
EARLY_SLACK = 0.05  # seconds a request may come before the wait is over (clock granularity)
RATE_CONTRACT = (f"Coder's API rate limit: {RATE_LIMIT} requests per {go_duration(RATE_WINDOW_NS)} per user and "
                 "path by default (CODER_API_RATE_LIMIT; coderd/httpmw/ratelimit.go, go-chi/httprate's sliding "
                 "window), beyond it 429 with Retry-After")
RETRY_CONTRACT = ("RFC 9110 section 10.2.3 Retry-After: how long the client ought to wait before its next request; "
                  "Coder's 429 carries it (coderd/httpmw/ratelimit.go)")


def _path(record: RecordedRequest) -> str:
    """The URL path as Go's r.URL.Path has it (httprate's KeyByEndpoint)."""
    return unquote(record.path)


def _limited(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in LIMITED_PREFIXES)


@dataclass
class _Over:
    first: RecordedRequest
    count: int = 0


def rate_findings(records: Iterable[RecordedRequest], wall_start_ns: int) -> list[Finding]:
    """One finding per user and path whose requests went over Coder's default limit: the first one refused."""
    window = SlidingWindow(RATE_LIMIT, RATE_WINDOW_NS)
    over: dict[tuple[str | None, str], _Over] = {}
    for record in sorted(records, key=lambda r: (r.at, r.seq)):
        path = _path(record)
        if not _limited(path):
            continue
        key = (record.user, path)
        if not window.check(key, wall_start_ns + round(record.at * 1e9)).allowed:
            over.setdefault(key, _Over(record)).count += 1
    return [Finding("rate", f"{o.count} request(s) by {f'user {user}' if user else 'an unauthenticated client'} "
                            f"to this path over {RATE_LIMIT} in a sliding minute: a real Coder answers them 429",
                    RATE_CONTRACT, o.first.seq, o.first.method, o.first.path)
            for (user, _), o in over.items()]


def retry_after(record: RecordedRequest) -> float | None:
    """The seconds the answer's Retry-After asks the client to wait, or None."""
    headers = dict(record.response_headers)
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        until, now = parsedate_to_datetime(value), parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    return max(0.0, (until - now).total_seconds())


def retry_after_findings(records: Iterable[RecordedRequest]) -> list[Finding]:
    """A finding for each answer with Retry-After that the same user's next request to the same path did not wait
    for (one per answer)."""
    waiting: dict[tuple[str | None, str], tuple[RecordedRequest, float]] = {}  # the answer, and when the wait ends
    out = []
    for record in sorted(records, key=lambda r: (r.at, r.seq)):
        key = (record.user, _path(record))
        pending = waiting.get(key)
        if pending is not None:
            answer, until = pending
            answered = answer.at + answer.duration
            if answered < record.at < until - EARLY_SLACK:
                out.append(Finding(
                    "retry-after", f"sent {record.at - answered:.2f} s after request #{answer.seq} was answered "
                    f"{answer.status} with Retry-After: {dict(answer.response_headers)['retry-after']} "
                    f"({until - answered:g} s): a real Coder refuses it again", RETRY_CONTRACT, record.seq,
                    record.method, record.path))
                del waiting[key]
            elif record.at >= until:
                del waiting[key]
        wait = retry_after(record)
        if wait is not None:
            waiting[key] = (record, record.at + record.duration + wait)
    return out
