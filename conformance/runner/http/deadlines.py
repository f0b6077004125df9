"""The total deadline of a request, enforced at the socket: the run's httpx transport.

httpx's own timeouts bound each connect, read and write; a server that trickles one byte at a time stays within
them forever. `DeadlineTransport` is a public httpx transport (`httpx.BaseTransport`) over httpcore connection pools
(`httpcore.ConnectionPool(network_backend=...)`) whose network backend ends every connect, read, write and TLS
handshake by the deadline of the request being sent (`state.deadline`, set by HttpTransport for its thread)."""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx

_FIRST_BYTES = 48  # bytes of an answer kept to show what a server sent that is not HTTP


class _RequestState(threading.local):
    deadline: float | None = None
    bound_by_total: bool = False  # the last socket operation was limited by the total deadline, not its own
    received: int = 0  # bytes read from the connection for this request
    first_bytes: bytes = b""  # the first of them, to say what a server sent that was not HTTP


state = _RequestState()  # the request this thread sends now (HttpTransport sets it)


class TotalTimeout(Exception):
    pass


def _bounded(timeout: float | None) -> float | None:
    deadline = state.deadline
    if deadline is None:
        state.bound_by_total = False
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        state.bound_by_total = True
        raise httpcore.ReadTimeout("the total timeout passed")
    state.bound_by_total = timeout is None or left < timeout
    return left if state.bound_by_total else timeout


class _DeadlineStream(httpcore.NetworkStream):
    """A httpcore network stream whose every read, write and TLS handshake ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._inner.read(max_bytes, _bounded(timeout))
        if len(state.first_bytes) < _FIRST_BYTES:
            state.first_bytes += data[: _FIRST_BYTES - len(state.first_bytes)]
        state.received += len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> _DeadlineStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with `_DeadlineStream`s for connections, and connects that end by the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> _DeadlineStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _bounded(timeout), local_address,
                                                       socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> _DeadlineStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# httpcore's exceptions as httpx's (the most specific class first wins: the lookup walks the exception's MRO)
_HTTPX_ERRORS: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
}


@contextlib.contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        mapped = next((_HTTPX_ERRORS[kind] for kind in type(exc).__mro__ if kind in _HTTPX_ERRORS), None)
        if mapped is None:
            raise
        raise mapped(str(exc), request=request) from exc


class _ResponseBody(httpx.SyncByteStream):
    """An httpcore response's body as httpx reads it (httpcore's exceptions as httpx's)."""

    def __init__(self, response: httpcore.Response, request: httpx.Request) -> None:
        self.response = response
        self.request = request

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors(self.request):
            yield from self.response.iter_stream()

    def close(self) -> None:
        with _as_httpx_errors(self.request):
            self.response.close()


# httpx's defaults for a client's connections (httpx.Limits())
_MAX_CONNECTIONS = 100
_MAX_KEEPALIVE = 20
_KEEPALIVE_EXPIRY = 5.0


class DeadlineTransport(httpx.BaseTransport):
    """The run's httpx transport: httpcore connection pools (HTTP/1.1, httpx's default limits) whose network backend
    ends every connect, read, write and TLS handshake by the request's total deadline. A proxy that the
    environment names (http_proxy, https_proxy, all_proxy, no_proxy: what httpx's own transport would use) is
    used through httpcore's HTTPProxy (or SOCKSProxy for socks5:// when socksio is installed), with the same
    deadlines."""

    def __init__(self, ssl_context: ssl.SSLContext, trust_env: bool = True) -> None:
        self.ssl_context = ssl_context
        self.backend = _DeadlineBackend(httpcore.SyncBackend())
        self.proxies = _environment_proxies() if trust_env else {}
        self._direct = httpcore.ConnectionPool(**self._pool_options())
        self._proxied: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _pool_options(self) -> dict[str, Any]:
        return {"ssl_context": self.ssl_context, "max_connections": _MAX_CONNECTIONS,
                "max_keepalive_connections": _MAX_KEEPALIVE, "keepalive_expiry": _KEEPALIVE_EXPIRY,
                "http1": True, "http2": False, "retries": 0, "network_backend": self.backend}

    def _pool(self, url: httpx.URL) -> Any:
        proxy = self.proxies.get(url.scheme) or self.proxies.get("all")
        # the environment's no_proxy only, as httpx reads it (not macOS's or Windows's system settings); the function
        # is in CPython's urllib.request but not in typeshed's stubs
        if not proxy or urllib.request.proxy_bypass_environment(url.host):  # type: ignore[attr-defined]
            return self._direct
        with self._lock:
            pool = self._proxied.get(proxy)
            if pool is None:
                pool = self._proxied[proxy] = _proxy_pool(proxy, self._pool_options())
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        url = request.url
        outgoing = httpcore.Request(method=request.method,
                                    url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                                                     target=url.raw_path),
                                    headers=request.headers.raw, content=request.stream, extensions=request.extensions)
        with _as_httpx_errors(request):
            response = self._pool(url).handle_request(outgoing)
        return httpx.Response(response.status, headers=response.headers, stream=_ResponseBody(response, request),
                              extensions=response.extensions)

    def close(self) -> None:
        with self._lock:
            pools = [self._direct, *self._proxied.values()]
            self._proxied.clear()
        for pool in pools:
            pool.close()


def _environment_proxies() -> dict[str, str]:
    """The proxies the environment names, by URL scheme ("all" for any), as httpx's own transport reads them."""
    proxies: dict[str, str] = {}
    for scheme, url in urllib.request.getproxies_environment().items():
        if scheme in ("http", "https", "all") and url:
            proxies[scheme] = url if "://" in url else f"http://{url}"
    return proxies


def _proxy_pool(proxy: str, options: dict[str, Any]) -> Any:
    """An httpcore pool through `proxy` (its user:password, if any, as the proxy's credentials)."""
    url = httpx.URL(proxy)
    auth = (url.username, url.password) if url.username or url.password else None
    target = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=b"/")
    if url.scheme in ("http", "https"):
        return httpcore.HTTPProxy(proxy_url=target, proxy_auth=auth, **options)
    if url.scheme in ("socks5", "socks5h"):
        return httpcore.SOCKSProxy(proxy_url=target, proxy_auth=auth, **options)
    raise ValueError(f"proxy {url.scheme}:// is not supported (http, https or socks5)")


