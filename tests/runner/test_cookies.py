"""Cookies the server sets are never stored or sent back: a request carries what its check says and nothing else."""

from __future__ import annotations

from conformance.reference import ReferenceServer
from conformance.runner.http.requests_session import TransportSession
from conformance.runner.http.transport import HttpTransport
from conformance.runner.settings.http import HttpSettings


def test_the_servers_cookie_is_not_sent_back() -> None:
    with ReferenceServer(lifecycle_delay=0) as server:
        token = server.target_config()["token"]
        transport = HttpTransport(HttpSettings())
        try:
            client = transport.new_client()
            first = transport.send(client, client.build_request(
                "GET", f"{server.url}/api/v2/tasks", headers={"Coder-Session-Token": token}))
            assert "set-cookie" in first.headers  # the reference sets Coder's CSRF cookie on every GET
            second = client.build_request("GET", f"{server.url}/api/v2/tasks", headers={"Coder-Session-Token": token})
            assert transport.send(client, second).status_code == 200
            assert "cookie" not in second.headers and not list(client.cookies.jar)

            session = TransportSession(transport)  # the fuzz tiers' session
            assert "set-cookie" in session.get(f"{server.url}/api/v2/tasks",
                                               headers={"Coder-Session-Token": token}).headers
            again = session.get(f"{server.url}/api/v2/tasks", headers={"Coder-Session-Token": token})
            assert "Cookie" not in again.request.headers
        finally:
            transport.close()


def test_the_jar_itself_keeps_nothing() -> None:
    """Not only its policy: with a policy that takes every cookie, a Set-Cookie is still not stored (nor parsed)."""
    from http.cookiejar import DefaultCookiePolicy

    import httpx

    from conformance.runner.http.transport import KeepNoCookies

    jar = KeepNoCookies()
    jar.set_policy(DefaultCookiePolicy())
    request = httpx.Request("GET", "http://127.0.0.1/api/v2/tasks")
    response = httpx.Response(200, request=request, headers={"Set-Cookie": "csrf_token=abc; Path=/"})
    httpx.Cookies(jar).extract_cookies(response)
    assert not list(jar)
