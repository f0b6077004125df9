"""requests (what Schemathesis sends with) on top of the run's transport: a requests.Session whose adapter sends
every request through HttpTransport, so the fuzz tiers get the same deadlines, body cap, pacing and gate."""

from __future__ import annotations

import io
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import httpx
import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict, HTTPResponse

from conformance.runner.http.transport import (
    HttpTransport,
    NoResponse,
    NotSent,
    StillRateLimited,
    UnusableAnswer,
)
from conformance.runner.records.bodies import ACCEPT_ENCODING


class RateLimitedRequest(requests.RequestException):
    """requests' face of StillRateLimited: the fuzz tiers skip the case (a 429 is not a contract failure)."""


class NotSentRequest(requests.RequestException):
    """requests' face of NotSent: the run's gate kept the request back (read-only mode); the fuzz tiers count it."""


class UnusableResponse(requests.RequestException):
    """requests' face of UnusableAnswer: an answer whose body the suite does not take in (too large, too deep)."""

    def __init__(self, reason: str, status: int, **kwargs: Any) -> None:
        super().__init__(reason, **kwargs)
        self.status = status


class TransportAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter that sends with an HttpTransport (timeouts, body cap, TLS, pacing, 429 retries). An
    HTTPAdapter for its `build_response` (the documented way for a subclass to make requests' responses); its own
    connection pools are never used."""

    def __init__(self, transport: HttpTransport) -> None:
        super().__init__(max_retries=0)
        self.transport = transport
        self._client: httpx.Client | None = None

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        if self._client is None:
            self._client = self.transport.new_client()
        body: Any = request.body
        headers = [(k, v if isinstance(v, str) else v.decode("latin-1")) for k, v in request.headers.items()]
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif body is not None and not isinstance(body, bytes):  # a file or a generator: sent with a length
            body = body.read() if hasattr(body, "read") else b"".join(
                part.encode() if isinstance(part, str) else bytes(part) for part in body)
            headers = [(k, v) for k, v in headers if k.lower() not in ("transfer-encoding", "content-length")]
        if not any(k.lower() == "accept-encoding" for k, _ in headers) or request.headers.get(
                "Accept-Encoding") == requests.utils.DEFAULT_ACCEPT_ENCODING:
            headers = [(k, v) for k, v in headers if k.lower() != "accept-encoding"]
            headers.append(("Accept-Encoding", ACCEPT_ENCODING))
        assert request.method is not None and request.url is not None
        outgoing = httpx.Request(request.method, request.url, headers=headers, content=body)
        try:
            response = self.transport.send(self._client, outgoing)
        except NotSent as exc:
            raise NotSentRequest(str(exc), request=request) from None
        except StillRateLimited as exc:
            raise RateLimitedRequest(str(exc), request=request) from None
        except UnusableAnswer as exc:
            raise UnusableResponse(exc.reason, exc.response.status_code, request=request) from None
        except NoResponse as exc:
            kind = requests.exceptions.ReadTimeout if "within" in exc.reason else requests.ConnectionError
            raise kind(exc.reason, request=request) from None
        return self._build(request, response)

    def _build(self, request: requests.PreparedRequest, response: httpx.Response) -> requests.Response:
        """requests' response for an answer whose body the transport read and decoded: `raw` (what Schemathesis reads
        the headers and HTTP version from) has every header as the server sent it; requests reads the body from it
        while it has no Content-Encoding to undo (the body is decoded already)."""
        headers, plain = HTTPHeaderDict(), HTTPHeaderDict()
        for name, value in response.headers.multi_items():
            headers.add(name, value)
            if name.lower() != "content-encoding":
                plain.add(name, value)
        raw = HTTPResponse(body=io.BytesIO(response.content), headers=plain, status=response.status_code,
                           version=10 if response.http_version == "HTTP/1.0" else 11,
                           reason=response.reason_phrase, preload_content=False, decode_content=False,
                           enforce_content_length=False, request_url=str(request.url))
        out = self.build_response(request, raw)
        out.content  # noqa: B018 - read now, from memory, while nothing in the headers says to decode it
        raw.headers = headers
        out.headers = CaseInsensitiveDict(headers)
        out.elapsed = response.elapsed
        return out

    def close(self) -> None:
        super().close()
        if self._client is not None:
            self._client.close()
            self._client = None


class TransportSession(requests.Session):
    """requests.Session over an HttpTransport; redirects are never followed, the environment is not consulted."""

    def __init__(self, transport: HttpTransport) -> None:
        super().__init__()
        self.trust_env = False
        self.max_redirects = 0
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # sends only the cases' own cookies
        adapter = TransportAdapter(transport)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().send(request, **kwargs)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None
