"""Count the HTTP requests a reference server answers, without changing the server's code.

`ReferenceServer.start()` hands `server.app` to uvicorn, so replacing `server.app` with a thin ASGI wrapper before
`start()` sees every request whichever client sent it (the suite, Schemathesis, a preflight, a sweep).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CountingApp:
    """ASGI middleware counting HTTP requests; every other attribute is the wrapped app's."""

    def __init__(self, app: AsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http":
            with self._lock:
                self.requests += 1
        await self._app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def install_counter(server: Any) -> CountingApp:
    """Wrap a not yet started ReferenceServer's app; returns the counter."""
    if getattr(server, "_thread", None) is not None:
        raise RuntimeError("install the request counter before starting the server")
    counter = CountingApp(server.app)
    server.app = counter
    return counter
