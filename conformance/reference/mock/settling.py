"""Reading the records of answers already sent: a client that has its answer finds its request recorded.

The recorder (recording.py) appends a request's record when the app returns, which is after the answer went on
the wire: a client reading the records (or the findings) right after its answer could miss its last request.
`Settling`, put around the recorder, knows the requests whose answer has started and whose record is not made yet;
`wait()` waits (bounded) until those it saw when asked are recorded. Asked from the server's own thread (a control
route answering on the event loop) it does not wait: no record could be made meanwhile.
"""

from __future__ import annotations

import threading

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SETTLE_TIMEOUT = 2.0  # seconds wait() waits at most


class Settling:
    """ASGI middleware around the recorder (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._changed = threading.Condition()
        self._unrecorded: set[int] = set()
        self._tickets = 0
        self._loop_thread: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self._loop_thread = threading.get_ident()
        ticket: list[int] = []

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                with self._changed:
                    self._tickets += 1
                    ticket.append(self._tickets)
                    self._unrecorded.add(self._tickets)
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            if ticket:
                with self._changed:
                    self._unrecorded.discard(ticket[0])
                    self._changed.notify_all()

    def wait(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Until every request answered so far is recorded (at most ``timeout`` seconds)."""
        if threading.get_ident() == self._loop_thread:
            return
        with self._changed:
            answered = set(self._unrecorded)
            self._changed.wait_for(lambda: not answered & self._unrecorded, timeout)
