"""The run's transport built on public interfaces only: the answer httpx and requests hand the suite is the server's
(headers as sent, Content-Encoding included, the body decoded here), a proxy the environment names is used as httpx's
own transport would, and the total deadline holds at the socket (a status line trickled byte by byte is cut)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from conformance.runner.http.requests_session import TransportSession
from conformance.runner.http.transport import HttpTransport, NoResponse
from conformance.runner.settings.http import HttpSettings

BODY = b'{"tasks": [' + b", ".join([b'{"id": "t"}'] * 40) + b'], "count": 40}'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, with_body: bool) -> None:
        type(self).seen.append(f"{self.command} {self.path}")
        data = gzip.compress(BODY)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Multi", "a")
        self.send_header("X-Multi", "b")
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(True)

    def do_HEAD(self) -> None:
        self._answer(False)


@contextmanager
def _server() -> Iterator[str]:
    _Handler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_httpx_answer_has_the_servers_headers_and_the_decoded_body() -> None:
    transport = HttpTransport(HttpSettings())
    with _server() as url:
        client = transport.new_client()
        response = transport.send(client, client.build_request("GET", url + "/x"))
    transport.close()
    assert response.content == BODY and response.json()["count"] == 40
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-length"] == str(len(gzip.compress(BODY)))
    assert response.headers.get_list("x-multi") == ["a", "b"]
    assert response.http_version == "HTTP/1.1" and response.reason_phrase == "OK"
    assert response.elapsed.total_seconds() >= 0 and response.is_closed


def test_requests_answer_keeps_the_raw_headers_for_schemathesis() -> None:
    with _server() as url:
        session = TransportSession(HttpTransport(HttpSettings()))
        got = session.get(url + "/x")
        head = session.head(url + "/x")  # a Content-Length and no body: not an incomplete read
    assert got.content == BODY and got.raw.headers.getlist("Content-Encoding") == ["gzip"]
    assert got.raw.headers.getlist("X-Multi") == ["a", "b"] and got.headers["x-multi"] == "a, b"
    assert got.raw.version == 11 and got.reason == "OK" and got.encoding == "utf-8"
    assert head.status_code == 200 and head.content == b"" and head.headers["content-encoding"] == "gzip"


def test_a_proxy_named_by_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    with _server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("http_proxy", raising=False)
        transport = HttpTransport(HttpSettings())
        client = transport.new_client()
        response = transport.send(client, client.build_request("GET", "http://tasks.example.invalid/api/tasks"))
        monkeypatch.setenv("NO_PROXY", "tasks.example.invalid")
        bypassing = HttpTransport(HttpSettings(connect_timeout=2))
        with pytest.raises(NoResponse, match="connection failed"):
            bypassing.send(bypassing.new_client(),
                           httpx.Request("GET", "http://tasks.example.invalid/api/tasks"))
    assert response.content == BODY
    assert _Handler.seen == ["GET http://tasks.example.invalid/api/tasks"]


def test_the_total_deadline_cuts_a_status_line_trickled_byte_by_byte() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.1)

    threading.Thread(target=trickle, daemon=True).start()
    transport = HttpTransport(HttpSettings(read_timeout=5, total_timeout=1))
    client = transport.new_client()
    started = time.monotonic()
    with pytest.raises(NoResponse, match=r"no complete response within 1 s \(total_timeout\)"):
        transport.send(client, client.build_request("GET", f"http://127.0.0.1:{listener.getsockname()[1]}/x"))
    assert time.monotonic() - started < 2.5
    transport.close()
    listener.close()
