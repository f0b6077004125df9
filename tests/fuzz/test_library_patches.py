"""The two patches of library internals (conformance/fuzz/patches/): their targets exist in the installed releases
with the shape the patches rely on, each patch does what the fuzz tiers need and undoes itself, and a missing target
is a loud LibraryChanged naming the library, its version and the target (never a run without the patch)."""

from __future__ import annotations

import importlib
from importlib.metadata import version
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from conformance.fuzz.patches import LibraryChanged, hypothesis_constants, schemathesis_sessions


def test_schemathesis_still_makes_its_own_sessions_from_the_patched_name() -> None:
    module, session = schemathesis_sessions.target()
    assert module.__name__ == "schemathesis.transport.requests"
    assert issubclass(session, requests.Session)
    assert schemathesis_sessions.NAME in module.RequestsTransport.send.__code__.co_names


class _Sent(Exception):
    pass


class _RecordingSession(requests.Session):
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        raise _Sent(request.url)


def test_a_request_schemathesis_sends_without_a_session_goes_through_the_given_one() -> None:
    import schemathesis
    from schemathesis.transport.requests import REQUESTS_TRANSPORT

    schema = schemathesis.openapi.from_dict({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
        "paths": {"/probe": {"get": {"operationId": "probe", "responses": {"200": {"description": "ok"}}}}},
    })
    schema.config.update(base_url="http://127.0.0.1:9")
    case = schema["/probe"]["GET"].Case()
    module, original = schemathesis_sessions.target()
    with schemathesis_sessions.follow_ups_through(_RecordingSession), pytest.raises(_Sent, match="/probe"):
        REQUESTS_TRANSPORT.send(case)
    assert getattr(module, schemathesis_sessions.NAME) is original


def test_hypothesis_still_gets_its_local_constants_from_the_patched_name() -> None:
    module, function, cache, empty = hypothesis_constants.target()
    assert module.__name__ == "hypothesis.internal.conjecture.providers"
    assert callable(function) and len(empty) == 0
    with hypothesis_constants.without_local_constants():
        assert len(getattr(module, hypothesis_constants.NAME)()) == 0
        assert len(cache) == 0
    assert getattr(module, hypothesis_constants.NAME) is function


@pytest.mark.parametrize(("patch", "library", "module", "name"), [
    (schemathesis_sessions.follow_ups_through, "schemathesis", "schemathesis.transport.requests",
     "SameHostRedirectsSession"),
    (hypothesis_constants.without_local_constants, "hypothesis", "hypothesis.internal.conjecture.providers",
     "_get_local_constants"),
])
def test_a_missing_target_fails_loudly(monkeypatch: pytest.MonkeyPatch, patch: Any, library: str, module: str,
                                       name: str) -> None:
    monkeypatch.delattr(importlib.import_module(module), name)
    args = (requests.Session,) if library == "schemathesis" else ()
    with pytest.raises(LibraryChanged) as caught, patch(*args):
        pytest.fail("the patch ran without its target")
    message = str(caught.value)
    assert f"{library} {version(library)} changed" in message and f"{module}.{name}" in message


def test_a_target_of_another_shape_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Schemathesis's name still there, but no longer what RequestsTransport.send creates its sessions from."""
    module = importlib.import_module("schemathesis.transport.requests")
    monkeypatch.setattr(module, "RequestsTransport", SimpleNamespace(send=lambda: None))
    with pytest.raises(LibraryChanged, match="SameHostRedirectsSession"):
        schemathesis_sessions.target()
