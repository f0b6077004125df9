"""Routing: unknown routes, wrong methods, headers, the configurable prefix, the in-process server API."""

from __future__ import annotations

import json
import socket
import threading

import httpx
import pytest
from ref_support import CONFIG_KEYS, Api, error_message, unique

from conformance.reference import FAULTS, ReferenceServer, list_faults


@pytest.mark.parametrize(
    "path",
    ["/nope", "/tasks/", "/tasks/me/x/y", "/tasks/me/x/logs/more", "/tasks//x", "/task", "/tasks/me/x/send/"],
)
def test_unknown_routes_under_the_prefix_are_404_json(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    error_message(response)


@pytest.mark.parametrize("path", ["/", "/api", "/api/v2/tasks", "/api/experimentalx/tasks", "/favicon.ico"])
def test_unknown_routes_outside_the_prefix_are_404_json(api: Api, path: str) -> None:
    response = api.request("GET", path, prefixed=False)
    assert response.status_code == 404
    error_message(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/tasks"),
        ("DELETE", "/tasks"),
        ("GET", "/tasks/me"),
        ("PUT", "/tasks/me/{task}"),
        ("PATCH", "/tasks/me/{task}"),
        ("POST", "/tasks/me/{task}/logs"),
        ("GET", "/tasks/me/{task}/send"),
        ("OPTIONS", "/tasks"),
    ],
)
def test_wrong_method_is_405_json(api: Api, method: str, path: str) -> None:
    task = api.create()
    response = api.request(method, path.format(task=task["id"]))
    assert response.status_code == 405
    error_message(response)
    assert response.headers.get("allow")


def test_build_version_header(api: Api) -> None:
    for response in (api.list_tasks(), api.get("/nope"), api.request("GET", "/x", prefixed=False)):
        assert response.headers["x-coder-build-version"].startswith("v")


def test_api_v2_prefix() -> None:
    with ReferenceServer(api_prefix="/api/v2/", lifecycle_delay=0) as server:
        client = Api(server)
        try:
            assert client.prefix == "/api/v2"
            task = client.create()
            assert client.task(task["id"])["id"] == task["id"]
            assert client.request("GET", "/api/experimental/tasks", prefixed=False).status_code == 404
        finally:
            client.close()


@pytest.mark.parametrize("prefix", ["", "/", "//", "/api//x"])
def test_bad_prefix_is_rejected(prefix: str) -> None:
    with pytest.raises(ValueError, match="api_prefix"):
        ReferenceServer(api_prefix=prefix)


def test_server_lifecycle_and_target_config() -> None:
    server = ReferenceServer()
    with pytest.raises(RuntimeError):
        _ = server.url
    config_before = server.target_config
    assert callable(config_before)
    with server:
        config = server.target_config()
        assert set(config) >= CONFIG_KEYS
        assert all(isinstance(value, str) and value for value in config.values())
        assert config["url"] == server.url and server.url.startswith("http://127.0.0.1:")
        assert server.port > 0
        assert httpx.get(
            server.url + "/api/experimental/tasks", headers={"Coder-Session-Token": config["token"]}
        )
    server.stop()  # idempotent
    with pytest.raises(httpx.TransportError):
        httpx.get(config["url"] + "/", timeout=2)


def test_two_servers_are_independent() -> None:
    with ReferenceServer(lifecycle_delay=0) as one, ReferenceServer(lifecycle_delay=0) as two:
        assert one.url != two.url
        assert one.target_config()["token"] != two.target_config()["token"]
        assert one.identities.org.id != two.identities.org.id
        response = httpx.get(
            two.url + "/api/experimental/tasks", headers={"Coder-Session-Token": one.target_config()["token"]}
        )
        assert response.status_code == 401


def test_port_in_use_fails_to_start(ref_server: ReferenceServer) -> None:
    with pytest.raises(RuntimeError):
        ReferenceServer(port=ref_server.port).start()


def test_concurrent_creates_are_safe(api: Api) -> None:
    name = unique("race")
    results: list[int] = []

    def create() -> None:
        with httpx.Client(base_url=api.base) as client:
            response = client.post(
                api.prefix + "/tasks/me",
                headers={"Coder-Session-Token": api.tokens["alice"]},
                json={"input": "x", "name": name, "template_version_id": api.ai_version},
            )
            results.append(response.status_code)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201] + [409] * 7


def test_fault_registry_shape() -> None:
    faults = list_faults()
    assert len(faults) >= 12
    assert [f.name for f in faults] == list(FAULTS)
    for fault in faults:
        assert fault.description and "\n" not in fault.description
        assert isinstance(fault.breaks, tuple)


@pytest.mark.parametrize("target", [b"*", b"http://example.com/api/experimental/tasks"])
def test_odd_request_targets_get_a_json_404(ref_server: ReferenceServer, target: bytes) -> None:
    with socket.create_connection(("127.0.0.1", ref_server.port), timeout=5) as conn:
        conn.sendall(b"OPTIONS " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404")
    assert b"content-type: application/json; charset=utf-8" in head.lower()
    assert json.loads(body)["message"]


def test_an_unexpected_exception_is_recorded_and_answered_as_coder_answers_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug of the reference is Coder's 500 (it was a 400 that hid it from a suite run), and recorded."""
    with ReferenceServer(lifecycle_delay=0) as server:
        client = Api(server)
        try:

            def boom(*args: object, **kwargs: object) -> None:
                raise RuntimeError("simulated bug")

            monkeypatch.setattr(server.app.store, "all", boom)
            response = client.list_tasks()
            assert response.status_code == 500
            assert error_message(response) == "An internal server error occurred."
            assert len(server.unexpected_errors) == 1 and "simulated bug" in server.unexpected_errors[0]
        finally:
            client.close()
