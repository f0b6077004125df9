"""Cookies the server sets are never stored or sent back: a request carries what its check says and nothing else."""

from __future__ import annotations

from conformance.reference import ReferenceServer
from conformance.runner.transport import HttpSettings, HttpTransport, TransportSession


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
