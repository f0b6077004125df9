"""Schemathesis's follow-up requests go through the run's transport.

Some checks send follow-up probes (the same request without its credentials, for one) with
`RequestsTransport.send` and no session: it then makes a fresh `SameHostRedirectsSession` of its own, not the
session the fuzz tiers give `case.call`. Schemathesis 4.32 has no public way to choose that session (its `send_probe`
drops the `session` argument; neither its config nor `case.call` take a session factory or an adapter), so while a
fuzz tier runs, the module's `SameHostRedirectsSession` is replaced by a factory of the run's sessions: every probe
then has the run's timeouts, body cap, TLS settings, pace, 429 handling and read-only gate, and passes the ledger.
Without the patch those probes would bypass all of that; so a missing target raises LibraryChanged."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import requests

from conformance.fuzz.patches import LibraryChanged

LIBRARY = "schemathesis"
MODULE = "schemathesis.transport.requests"
NAME = "SameHostRedirectsSession"
TARGET = f"{MODULE}.{NAME}"
CONSEQUENCE = ("the fuzz tiers' follow-up probes would bypass the run's transport (timeouts, body cap, pacing, "
               "read-only gate)")


def target() -> tuple[ModuleType, type[requests.Session]]:
    """The module and the session class the patch replaces, after checking the shape the patch relies on: a
    requests.Session class that `RequestsTransport.send` looks up by its module-level name when it is called."""
    try:
        module = importlib.import_module(MODULE)
    except ImportError:
        raise LibraryChanged(LIBRARY, TARGET, CONSEQUENCE) from None
    session = getattr(module, NAME, None)
    sender = getattr(getattr(module, "RequestsTransport", None), "send", None)
    code = getattr(sender, "__code__", None)
    if not (isinstance(session, type) and issubclass(session, requests.Session) and code is not None
            and NAME in code.co_names):
        raise LibraryChanged(LIBRARY, TARGET, CONSEQUENCE)
    return module, session


@contextlib.contextmanager
def follow_ups_through(new_session: Callable[[], requests.Session]) -> Iterator[None]:
    """Within the block, every session Schemathesis makes for itself is `new_session()`."""
    module, original = target()
    factory: Any = new_session
    setattr(module, NAME, factory)
    try:
        yield
    finally:
        setattr(module, NAME, original)
